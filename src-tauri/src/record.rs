//! The trust's patient record (FHIR PDQm) this device checks wristbands against.
//!
//! The trust's policy names the endpoint (an [`EndpointConfig`]: address, trust anchors, SPKI
//! pins, optional client certificate and credential), from MDM or a signed provisioning code
//! (`provision.rs`). A policy without one (a PACS-only trust) lets bands stand, "not verified
//! against the record".
//!
//! Fail closed: an endpoint that was configured but cannot be used (one core refuses) blocks every
//! patient with `patient.lookup_config_invalid`, and the Device screen says why.

use serde::Serialize;
use wardcam_core::endpoint::{CertificateStatus, Endpoint, EndpointConfig, EndpointError};
use wardcam_core::patient::{
    verify_against_record, FhirPatientLookup, PatientError, Verification, WristbandData,
};
use wardcam_core::policy::Policy;
use wardcam_core::visit::{recheck_due_visits, RecheckOutcome, VisitId, Ward};

use crate::error::CommandError;

/// Fewer pinned keys than this means no backup key: the Device screen warns.
const PINS_WITH_BACKUP: usize = 2;

/// How this device reaches the record.
#[derive(Debug, Default)]
enum Configured {
    /// No endpoint: bands stand, not verified.
    #[default]
    None,
    /// A usable endpoint.
    Usable(FhirPatientLookup),
    /// An endpoint was configured and cannot be used: every look-up is blocked.
    Unusable {
        base_url: Option<String>,
        problem: CommandError,
    },
}

/// The configured record endpoint, or why there is none.
#[derive(Debug, Default)]
pub(crate) struct RecordEndpoint {
    configured: Configured,
    /// One re-check of due visits at a time (the Outbox opening and the network coming back can
    /// ask together).
    rechecking: tauri::async_runtime::Mutex<()>,
}

/// What the Device screen shows about an endpoint (the record's, and the PACS's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecordStatus {
    /// The FHIR base URL in use (or configured, when unusable), if any.
    pub(crate) base_url: Option<String>,
    /// Why the configured endpoint cannot be used: every patient is blocked until IT fixes it.
    pub(crate) problem: Option<CommandError>,
    /// How many server keys are pinned (0 without a usable endpoint).
    pub(crate) pins: usize,
    /// Fewer than two pins: no backup key, so a key change on the server strands this phone.
    no_backup_pin: bool,
    /// The pinned server certificate's expiry, once a connection has been made.
    certificate: Option<CertificateStatus>,
}

/// What re-checking due visits against the record did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecheckSummary {
    /// Each visit checked, and what came of it.
    outcomes: Vec<VisitRecheck>,
    /// How many visits had their photos held by this check.
    held: usize,
    /// How many visits are still waiting for an answer from the record.
    still_due: usize,
}

/// One visit's re-check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct VisitRecheck {
    visit_id: VisitId,
    outcome: RecheckOutcome,
}

impl RecheckSummary {
    fn of(outcomes: Vec<(VisitId, RecheckOutcome)>) -> RecheckSummary {
        let count = |o: RecheckOutcome| outcomes.iter().filter(|(_, x)| *x == o).count();
        RecheckSummary {
            held: count(RecheckOutcome::Held),
            still_due: count(RecheckOutcome::StillDue),
            outcomes: outcomes
                .iter()
                .map(|&(visit_id, outcome)| VisitRecheck { visit_id, outcome })
                .collect(),
        }
    }
}

impl RecordEndpoint {
    /// The endpoint the policy names; none without a policy or without a record endpoint.
    pub(crate) fn from_policy(policy: Option<&Policy>) -> RecordEndpoint {
        match policy.and_then(|p| p.record.as_ref()) {
            Some(config) => RecordEndpoint::from_config(config),
            None => RecordEndpoint::default(),
        }
    }

    /// An endpoint from its provisioning JSON; unusable (blocking every patient) if core refuses it.
    #[cfg(test)]
    pub(crate) fn from_json(json: &[u8]) -> RecordEndpoint {
        match EndpointConfig::from_json(json) {
            Ok(config) => RecordEndpoint::from_config(&config),
            Err(e) => RecordEndpoint::unusable(None, e),
        }
    }

    /// An endpoint from a parsed configuration.
    pub(crate) fn from_config(config: &EndpointConfig) -> RecordEndpoint {
        match wardcam_core::endpoint::Endpoint::new(config) {
            Ok(endpoint) => RecordEndpoint {
                configured: Configured::Usable(FhirPatientLookup::new(endpoint)),
                ..RecordEndpoint::default()
            },
            Err(e) => RecordEndpoint::unusable(Some(config.base_url.clone()), e),
        }
    }

    fn unusable(base_url: Option<String>, problem: EndpointError) -> RecordEndpoint {
        RecordEndpoint {
            configured: Configured::Unusable {
                base_url,
                problem: problem.into(),
            },
            ..RecordEndpoint::default()
        }
    }

    /// The look-up, when the endpoint is usable.
    pub(crate) fn lookup(&self) -> Option<&FhirPatientLookup> {
        match &self.configured {
            Configured::Usable(lookup) => Some(lookup),
            _ => None,
        }
    }

    /// Checks `band` against the record. Never fails: every outcome is a [`Verification`], which
    /// core sorts into verified, not verified, needing an override, and blocked.
    pub(crate) async fn verify(&self, band: &WristbandData) -> Verification {
        match &self.configured {
            Configured::Usable(lookup) => {
                Verification::from_outcome(verify_against_record(lookup, band).await)
            }
            // Configured but unusable: fail closed.
            Configured::Unusable { .. } => Verification::Blocked {
                reason: PatientError::LookupConfigInvalid,
                record: None,
            },
            Configured::None => Verification::not_configured(),
        }
    }

    /// Checks every visit that is due against the record again (core decides which are due and
    /// what each answer does). Without a usable endpoint nothing is checked and they stay due.
    pub(crate) async fn recheck(&self, ward: &Ward) -> Result<RecheckSummary, CommandError> {
        let _one_at_a_time = self.rechecking.lock().await;
        Ok(RecheckSummary::of(
            recheck_due_visits(ward, self.lookup()).await?,
        ))
    }

    /// For the Device screen, judged at `now_secs` (Unix seconds).
    pub(crate) fn status(&self, now_secs: i64) -> RecordStatus {
        match &self.configured {
            Configured::None => RecordStatus::unconfigured(),
            Configured::Usable(lookup) => RecordStatus::usable(lookup.endpoint(), now_secs),
            Configured::Unusable { base_url, problem } => {
                RecordStatus::unusable(base_url.clone(), problem.clone())
            }
        }
    }
}

impl RecordStatus {
    /// No endpoint configured.
    pub(crate) fn unconfigured() -> RecordStatus {
        RecordStatus {
            base_url: None,
            problem: None,
            pins: 0,
            no_backup_pin: false,
            certificate: None,
        }
    }

    /// A usable endpoint: its address, pins and the certificate seen at the last handshake.
    pub(crate) fn usable(endpoint: &Endpoint, now_secs: i64) -> RecordStatus {
        RecordStatus {
            base_url: Some(endpoint.base_url().to_owned()),
            problem: None,
            pins: endpoint.pin_count(),
            no_backup_pin: endpoint.pin_count() < PINS_WITH_BACKUP,
            certificate: endpoint.certificate_status(now_secs),
        }
    }

    /// A configured endpoint that cannot be used, and why.
    pub(crate) fn unusable(base_url: Option<String>, problem: CommandError) -> RecordStatus {
        RecordStatus {
            base_url,
            problem: Some(problem),
            pins: 0,
            no_backup_pin: false,
            certificate: None,
        }
    }
}

/// Now, in Unix seconds (0 if the clock is before 1970).
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wardcam_core::patient::NhsNumber;

    fn band() -> WristbandData {
        WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap())
    }

    fn verify(endpoint: &RecordEndpoint) -> Verification {
        tauri::async_runtime::block_on(endpoint.verify(&band()))
    }

    fn problem_code(endpoint: &RecordEndpoint) -> Option<String> {
        endpoint.status(0).problem.map(|p| {
            serde_json::to_value(p).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    }

    fn assert_blocked_by_config(endpoint: &RecordEndpoint) {
        match verify(endpoint) {
            Verification::Blocked { reason, record } => {
                assert_eq!(reason, PatientError::LookupConfigInvalid);
                assert_eq!(record, None);
            }
            other => panic!("not blocked: {other:?}"),
        }
        assert_eq!(
            problem_code(endpoint).as_deref(),
            Some("endpoint.config_invalid")
        );
    }

    /// A self-signed CA certificate, as a trust anchor the endpoint builder accepts.
    const ANCHOR: &str = include_str!("../testdata/record-anchor.pem");
    /// A valid base64 SHA-256 pin (of 32 zero bytes; never met, which these tests do not need).
    const PIN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    fn config(base: &str, pins: &[&str]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "base_url": base,
            "trust_anchors_pem": ANCHOR,
            "spki_pins_sha256": pins,
        }))
        .unwrap()
    }

    #[test]
    fn no_policy_or_no_record_endpoint_lets_the_band_stand() {
        let endpoint = RecordEndpoint::from_policy(None);
        assert_eq!(verify(&endpoint), Verification::not_configured());
        assert_eq!(problem_code(&endpoint), None);
    }

    #[test]
    fn bad_json_or_a_refused_configuration_blocks() {
        for json in [
            b"not json".to_vec(),
            b"{}".to_vec(),
            // Plain HTTP.
            config("http://127.0.0.1:1/fhir/R4", &[PIN, PIN]),
            // No pin.
            config("https://127.0.0.1:1/fhir/R4", &[]),
            // A pin that is not a SHA-256 digest.
            config("https://127.0.0.1:1/fhir/R4", &["c2hvcnQ="]),
        ] {
            assert_blocked_by_config(&RecordEndpoint::from_json(&json));
        }
        let refused = RecordEndpoint::from_json(&config("http://127.0.0.1:1/fhir/R4", &[PIN]));
        assert_eq!(
            refused.status(0).base_url.as_deref(),
            Some("http://127.0.0.1:1/fhir/R4")
        );
    }

    #[test]
    fn a_usable_endpoint_reports_its_pins_and_warns_without_a_backup() {
        let two = RecordEndpoint::from_json(&config("https://127.0.0.1:1/fhir/R4", &[PIN, PIN]));
        let status = two.status(0);
        assert_eq!(status.problem, None, "{status:?}");
        assert_eq!(
            status.base_url.as_deref(),
            Some("https://127.0.0.1:1/fhir/R4")
        );
        assert_eq!(status.pins, 2);
        assert!(!status.no_backup_pin);
        // No connection made yet: no certificate to report.
        assert_eq!(status.certificate, None);
        let one = RecordEndpoint::from_json(&config("https://127.0.0.1:1/fhir/R4", &[PIN]));
        assert_eq!(one.status(0).pins, 1);
        assert!(one.status(0).no_backup_pin);
    }

    #[test]
    fn an_unreachable_record_leaves_the_band_unverified() {
        // Nothing listens on port 1.
        let endpoint =
            RecordEndpoint::from_json(&config("https://127.0.0.1:1/fhir/R4", &[PIN, PIN]));
        assert_eq!(
            verify(&endpoint),
            Verification::NotVerified {
                reason: Some(PatientError::RecordUnreachable)
            }
        );
    }

    #[test]
    fn a_recheck_summary_counts_held_and_still_due_visits() {
        let v = |b: u8| VisitId([b; 16]);
        let summary = RecheckSummary::of(vec![
            (v(1), RecheckOutcome::Held),
            (v(2), RecheckOutcome::StillDue),
            (v(3), RecheckOutcome::Verified),
            (v(4), RecheckOutcome::Held),
        ]);
        assert_eq!(summary.held, 2);
        assert_eq!(summary.still_due, 1);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["outcomes"][2]["outcome"], "verified");
        assert_eq!(
            json["outcomes"][0]["visit_id"],
            "01010101-0101-0101-0101-010101010101"
        );
    }
}
