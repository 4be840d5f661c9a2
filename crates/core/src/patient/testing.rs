//! A stand-in record for tests of code that takes any [`PatientLookup`].

use super::{NhsNumber, PatientError, PatientLookup};

/// Answers every search with the same result.
pub(crate) struct Canned(pub(crate) Result<serde_json::Value, PatientError>);

impl PatientLookup for Canned {
    fn search_by_nhs_number(
        &self,
        _: &NhsNumber,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, PatientError>> + Send {
        std::future::ready(self.0.clone())
    }
}
