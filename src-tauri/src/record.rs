//! The trust's patient record (FHIR PDQm) this device checks wristbands against.
//!
//! Provisioning will supply the endpoint and its pinned certificate on managed phones. Until then a
//! debug build can be pointed at a test server with `--dev-fhir-base=https://…/fhir/R4` and
//! `--dev-fhir-cert=/path/to/cert.pem` (what `make run` and the end-to-end tests do); release builds
//! ignore both flags and run unprovisioned: every patient is "not verified against the record".

use serde::Serialize;
use wardcam_core::patient::{
    verify_against_record, FhirPatientLookup, PatientError, Verification, WristbandData,
};

use crate::error::CommandError;

/// The configured record endpoint, or why there is none.
#[derive(Debug, Default)]
pub(crate) struct RecordEndpoint {
    lookup: Option<FhirPatientLookup>,
    base_url: Option<String>,
    problem: Option<CommandError>,
}

/// What the Device screen shows about the record endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecordStatus {
    /// The FHIR base URL in use, if any.
    base_url: Option<String>,
    /// Why the configured endpoint could not be used.
    problem: Option<CommandError>,
}

impl RecordEndpoint {
    /// Reads the development flags (debug builds only; see the module comment).
    pub(crate) fn from_args(args: impl Iterator<Item = String>) -> RecordEndpoint {
        if !cfg!(debug_assertions) {
            return RecordEndpoint::default();
        }
        let (mut base, mut cert) = (None, None);
        for arg in args {
            if let Some(v) = arg.strip_prefix("--dev-fhir-base=") {
                base = Some(v.to_owned());
            } else if let Some(v) = arg.strip_prefix("--dev-fhir-cert=") {
                cert = Some(v.to_owned());
            }
        }
        match (base, cert) {
            (Some(base), Some(cert)) => match std::fs::read(&cert) {
                Ok(pem) => RecordEndpoint::new(&base, &pem),
                Err(_) => RecordEndpoint::invalid(&base),
            },
            (Some(base), None) => RecordEndpoint::invalid(&base),
            _ => RecordEndpoint::default(),
        }
    }

    /// An endpoint at `base_url` trusting only the certificate(s) in `pem`.
    pub(crate) fn new(base_url: &str, pem: &[u8]) -> RecordEndpoint {
        match FhirPatientLookup::new(base_url, pem) {
            Ok(lookup) => RecordEndpoint {
                lookup: Some(lookup),
                base_url: Some(base_url.to_owned()),
                problem: None,
            },
            Err(e) => RecordEndpoint {
                lookup: None,
                base_url: Some(base_url.to_owned()),
                problem: Some(e.into()),
            },
        }
    }

    fn invalid(base_url: &str) -> RecordEndpoint {
        RecordEndpoint {
            lookup: None,
            base_url: Some(base_url.to_owned()),
            problem: Some(PatientError::LookupConfigInvalid.into()),
        }
    }

    /// Checks `band` against the record. Never fails: every outcome is a [`Verification`], which
    /// core sorts into verified, not verified (band stands) and blocked.
    pub(crate) async fn verify(&self, band: &WristbandData) -> Verification {
        match (&self.lookup, &self.problem) {
            (Some(lookup), _) => {
                Verification::from_outcome(verify_against_record(lookup, band).await)
            }
            // Configured but unusable: say so on the confirmation screen, keep the band.
            (None, Some(_)) => Verification::NotVerified {
                reason: Some(PatientError::LookupConfigInvalid),
            },
            (None, None) => Verification::not_configured(),
        }
    }

    /// For the Device screen.
    pub(crate) fn status(&self) -> RecordStatus {
        RecordStatus {
            base_url: self.base_url.clone(),
            problem: self.problem.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::policy::tests::args;
    use wardcam_core::patient::NhsNumber;

    #[test]
    fn no_flags_means_unprovisioned() {
        let endpoint = RecordEndpoint::from_args(args(&["wardcam"]));
        assert_eq!(endpoint.status().base_url, None);
        assert_eq!(endpoint.status().problem, None);
    }

    #[test]
    fn a_base_without_a_readable_certificate_is_reported_not_ignored() {
        let endpoint = RecordEndpoint::from_args(args(&[
            "--dev-fhir-base=https://127.0.0.1:1/fhir/R4",
            "--dev-fhir-cert=/nonexistent/cert.pem",
        ]));
        if cfg!(debug_assertions) {
            let status = endpoint.status();
            assert_eq!(
                status.base_url.as_deref(),
                Some("https://127.0.0.1:1/fhir/R4")
            );
            let value = serde_json::to_value(status.problem.unwrap()).unwrap();
            assert_eq!(value["code"], "patient.lookup_config_invalid");
        } else {
            assert_eq!(endpoint.status().base_url, None);
        }
    }

    #[test]
    fn plain_http_is_refused() {
        let endpoint = RecordEndpoint::new("http://127.0.0.1:1/fhir/R4", b"");
        assert!(endpoint.status().problem.is_some());
    }

    #[test]
    fn verification_without_an_endpoint_leaves_the_band_unverified() {
        let band = WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap());
        let v = tauri::async_runtime::block_on(RecordEndpoint::default().verify(&band));
        assert_eq!(v, Verification::not_configured());
        let broken = RecordEndpoint::new("http://x/fhir", b"");
        let v = tauri::async_runtime::block_on(broken.verify(&band));
        assert!(!v.blocks_session());
        assert_eq!(
            v.reason().map(PatientError::code),
            Some("patient.lookup_config_invalid")
        );
    }
}
