//! Looking a patient up in the trust's FHIR record (IHE PDQm), then [`check_record`].
//!
//! The search is `POST [base]/Patient/_search` with a form body
//! (`identifier=https://fhir.nhs.uk/Id/nhs-number|NNNNNNNNNN`), so the NHS number is never in a
//! URL, where server and proxy logs would keep it. The request goes through the one trust
//! [`Endpoint`]: pinned TLS, no redirects, no proxy, 10 s in all, answers over 1 MiB refused. Its
//! failures become the `Record*` [`PatientError`]s, which [`Verification::from_outcome`] sorts
//! into verdicts.
//!
//! [`Verification::from_outcome`]: super::Verification::from_outcome

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::record::{check_record, RecordCheck, NHS_NUMBER_SYSTEM};
use super::{NhsNumber, PatientError, WristbandData};
use crate::endpoint::{Endpoint, EndpointConfig, Method, Request};

/// The largest search answer read.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// The whole search, connection included.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Something that can search the patient record by NHS number and return the FHIR search
/// `Bundle`. [`FhirPatientLookup`] does it over HTTPS; tests and an offline device can stand in.
pub trait PatientLookup {
    /// Searches for patients carrying `nhs_number`, returning the FHIR `Bundle` as JSON.
    fn search_by_nhs_number(
        &self,
        nhs_number: &NhsNumber,
    ) -> impl Future<Output = Result<Value, PatientError>> + Send;
}

/// The FHIR record endpoint a device was provisioned with.
#[derive(Debug, Clone)]
pub struct FhirPatientLookup {
    endpoint: Endpoint,
}

impl FhirPatientLookup {
    /// A look-up through `endpoint` (its base is the FHIR base, `https://…/fhir/R4`).
    pub fn new(endpoint: Endpoint) -> FhirPatientLookup {
        FhirPatientLookup { endpoint }
    }

    /// A look-up from an endpoint configuration; [`PatientError::LookupConfigInvalid`] when it
    /// cannot be used.
    pub fn from_config(config: &EndpointConfig) -> Result<FhirPatientLookup, PatientError> {
        Ok(FhirPatientLookup::new(Endpoint::new(config)?))
    }

    /// The endpoint, for its status (base address, pins, certificate expiry).
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    async fn search(&self, nhs_number: &NhsNumber) -> Result<Value, PatientError> {
        let identifier = Zeroizing::new(format!("{NHS_NUMBER_SYSTEM}|{}", nhs_number.digits()));
        let body = Zeroizing::new(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("identifier", &identifier)
                .finish(),
        );
        let reply = self
            .endpoint
            .send(Request {
                method: Method::Post,
                path: "Patient/_search",
                content_type: Some("application/x-www-form-urlencoded"),
                accept: "application/fhir+json",
                body: Zeroizing::new(body.as_bytes().to_vec()),
                timeout: TOTAL_TIMEOUT,
                max_reply: MAX_RESPONSE_BYTES,
            })
            .await?;
        serde_json::from_slice(&reply.body).map_err(|_| PatientError::RecordMalformed)
    }
}

impl PatientLookup for FhirPatientLookup {
    fn search_by_nhs_number(
        &self,
        nhs_number: &NhsNumber,
    ) -> impl Future<Output = Result<Value, PatientError>> + Send {
        self.search(nhs_number)
    }
}

/// Looks `band`'s NHS number up with `lookup` and compares the record with the band.
///
/// `Err` means the record could not vouch for the patient, and why;
/// [`Verification::from_outcome`](super::Verification::from_outcome) decides what that allows.
pub async fn verify_against_record<L: PatientLookup + ?Sized>(
    lookup: &L,
    band: &WristbandData,
) -> Result<RecordCheck, PatientError> {
    let nhs = band
        .nhs_number
        .as_ref()
        .ok_or(PatientError::LookupNeedsNhsNumber)?;
    let bundle = lookup.search_by_nhs_number(nhs).await?;
    check_record(&bundle, band)
}
