//! Why a photo could not be made into its FHIR transaction Bundle, and why the FHIR server's reply
//! could not be read, in words a clinician or the trust's IT staff can act on. No variant carries
//! anything about the patient or anything from a reply (it may hold patient data).

use crate::consent::ConsentError;
use crate::delivery::DeliveryError;

/// A photo refused, or failed, on its way to a transaction Bundle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FhirError {
    /// What stops the photo going anywhere (no label, consent withdrawn, no patient identifier) or
    /// its image cannot be prepared: the same words and codes as for PACS.
    #[error(transparent)]
    Photo(#[from] DeliveryError),
    /// The consent record given is not the one the photo was taken under (another id or digest).
    #[error("The consent record found for this photo is not the one it was taken under, so it was not sent. It was kept; tell IT.")]
    ConsentMismatch,
    /// The consent does not permit the use the photo was taken for (a refusal, or another use).
    #[error("The consent recorded does not cover the use this photo was taken for, so it was not sent. It was kept; tell IT.")]
    UseNotConsented,
    /// The consent record could not be written as a FHIR `Consent`.
    #[error(transparent)]
    Consent(#[from] ConsentError),
    /// The Bundle could not be written (serialisation, or a Bundle made elsewhere lacks its Binary).
    #[error(
        "WardCam could not build the record entry for this photo ({detail}). It was kept; tell IT."
    )]
    Encode {
        /// Which step failed; fixed words, never a value.
        detail: &'static str,
    },
}

impl FhirError {
    /// A stable dotted code for the UI and the device manager's logs.
    pub fn code(&self) -> &'static str {
        match self {
            FhirError::Photo(e) => e.code(),
            FhirError::ConsentMismatch => "delivery.fhir_consent_mismatch",
            FhirError::UseNotConsented => "delivery.fhir_use_not_consented",
            FhirError::Consent(e) => e.code(),
            FhirError::Encode { .. } => "delivery.fhir_encode_failed",
        }
    }
}

/// A FHIR reply (a transaction-response Bundle, an OperationOutcome, a Binary read back) that
/// could not be read. [`FhirReplyError::code`] gives a stable dotted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FhirReplyError {
    /// Larger than [`super::MAX_REPLY_BYTES`].
    #[error("the record's reply was too large to read")]
    TooLarge,
    /// Not JSON (or cut short, or followed by more than whitespace).
    #[error("the record's reply was not JSON")]
    NotJson,
    /// JSON, but not the resource expected, or a field of the wrong type or named twice.
    #[error("the record's reply was not the FHIR resource expected")]
    Unexpected,
    /// A Bundle, but not a `transaction-response`.
    #[error("the record's reply was a Bundle but not a transaction-response")]
    NotTransactionResponse,
    /// An entry without `response.status`, or one that does not start with an HTTP status code.
    #[error("an entry of the record's reply had no readable status")]
    BadStatus,
    /// More entries than [`super::MAX_ENTRIES`], or issues than [`super::MAX_ISSUES`].
    #[error("the record's reply listed far more entries than were sent")]
    TooMany,
}

impl FhirReplyError {
    /// A stable dotted code.
    pub fn code(&self) -> &'static str {
        match self {
            FhirReplyError::TooLarge => "fhir_reply.too_large",
            FhirReplyError::NotJson => "fhir_reply.not_json",
            FhirReplyError::Unexpected => "fhir_reply.unexpected",
            FhirReplyError::NotTransactionResponse => "fhir_reply.not_transaction_response",
            FhirReplyError::BadStatus => "fhir_reply.bad_status",
            FhirReplyError::TooMany => "fhir_reply.too_many",
        }
    }
}
