//! The trust's patient record (FHIR PDQm) this device checks wristbands against.
//!
//! Provisioning will supply the endpoint (an [`EndpointConfig`]: address, trust anchors, SPKI pins,
//! optional client certificate and credential) on managed phones. Until then a `dev-tools` build can be
//! pointed at a test server with `--dev-fhir-endpoint=/path/endpoint.json`, a file in the
//! provisioning format (what `make run` and the end-to-end tests do); release builds ignore the
//! flag and run unprovisioned: every patient is "not verified against the record".
//!
//! Fail closed: an endpoint that was configured but cannot be used (unreadable file, bad JSON, a
//! configuration core refuses, or the old `--dev-fhir-base`/`--dev-fhir-cert` flags) blocks every
//! patient with `patient.lookup_config_invalid`, and the Device screen says why. Only a device with
//! no endpoint at all lets a band stand unchecked.

use serde::Serialize;
use wardcam_core::endpoint::{CertificateStatus, Endpoint, EndpointConfig, EndpointError};
use wardcam_core::patient::{
    verify_against_record, FhirPatientLookup, PatientError, Verification, WristbandData,
};
use wardcam_core::visit::{recheck_due_visits, RecheckOutcome, VisitId, Ward};

use crate::error::CommandError;

/// The development flag naming an endpoint file (`dev-tools` builds only: without the feature no
/// switch is compiled in, which CI checks in the binary).
#[cfg(feature = "dev-tools")]
pub(crate) const ENDPOINT_FLAG: &str = "--dev-fhir-endpoint=";
/// The flags it replaced: given now, they are a configuration the device cannot use.
#[cfg(feature = "dev-tools")]
const OBSOLETE_FLAGS: [(&str, &str); 2] = [
    ("--dev-fhir-base=", OBSOLETE_WHY),
    ("--dev-fhir-cert=", OBSOLETE_WHY),
];
#[cfg(feature = "dev-tools")]
const OBSOLETE_WHY: &str = "--dev-fhir-base/--dev-fhir-cert replaced by --dev-fhir-endpoint";

/// Fewer pinned keys than this means no backup key: the Device screen warns.
const PINS_WITH_BACKUP: usize = 2;

/// How this device reaches the record.
#[derive(Debug, Default)]
#[cfg_attr(
    not(feature = "dev-tools"),
    allow(
        dead_code,
        reason = "until provisioning (issue 18), only dev-tools switches configure an endpoint"
    )
)]
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

/// The endpoint file named by `flag` on the command line, if any: `Err` when the flags cannot be
/// honoured (one of `obsolete`, or `flag` given twice). Shared with the PACS endpoint's flag.
#[cfg(feature = "dev-tools")]
pub(crate) fn endpoint_file(
    args: impl Iterator<Item = String>,
    flag: &'static str,
    obsolete: &[(&str, &'static str)],
) -> Result<Option<String>, EndpointError> {
    let mut file = None;
    for arg in args {
        if let Some(path) = arg.strip_prefix(flag) {
            if file.replace(path.to_owned()).is_some() {
                return Err(EndpointError::ConfigInvalid {
                    field: "endpoint flag given twice",
                });
            }
        } else if let Some((_, why)) = obsolete.iter().find(|(f, _)| arg.starts_with(f)) {
            return Err(EndpointError::ConfigInvalid { field: why });
        }
    }
    Ok(file)
}

/// The endpoint configuration in the file `flag` names: `Ok(None)` without the flag, `Err` for a
/// file that cannot be read or a configuration core refuses (the caller fails closed).
#[cfg(feature = "dev-tools")]
pub(crate) fn endpoint_from_flag(
    args: impl Iterator<Item = String>,
    flag: &'static str,
    obsolete: &[(&str, &'static str)],
) -> Result<Option<EndpointConfig>, EndpointError> {
    let Some(path) = endpoint_file(args, flag, obsolete)? else {
        return Ok(None);
    };
    let json = std::fs::read(&path).map_err(|_| EndpointError::ConfigInvalid {
        field: "endpoint file unreadable",
    })?;
    EndpointConfig::from_json(&json).map(Some)
}

impl RecordEndpoint {
    /// Reads the development flag (`dev-tools` builds only; see the module comment).
    pub(crate) fn from_args(args: impl Iterator<Item = String>) -> RecordEndpoint {
        #[cfg(not(feature = "dev-tools"))]
        {
            drop(args);
            RecordEndpoint::default()
        }
        #[cfg(feature = "dev-tools")]
        match endpoint_from_flag(args, ENDPOINT_FLAG, &OBSOLETE_FLAGS) {
            Ok(None) => RecordEndpoint::default(),
            Ok(Some(config)) => RecordEndpoint::from_config(&config),
            Err(e) => RecordEndpoint::unusable(None, e),
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
    #[cfg_attr(
        not(feature = "dev-tools"),
        allow(
            dead_code,
            reason = "until provisioning (issue 18), only dev-tools switches configure an endpoint"
        )
    )]
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
    use crate::policy::tests::args;
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
    fn no_flag_means_unprovisioned_and_the_band_stands() {
        let endpoint = RecordEndpoint::from_args(args(&["wardcam", "--dev-mock-camera"]));
        let status = endpoint.status(0);
        assert_eq!(status.base_url, None);
        assert_eq!(status.problem, None);
        assert_eq!(verify(&endpoint), Verification::not_configured());
    }

    #[test]
    fn an_unreadable_endpoint_file_blocks_every_patient() {
        let endpoint = RecordEndpoint::from_args(args(&[
            "wardcam",
            "--dev-fhir-endpoint=/nonexistent/endpoint.json",
        ]));
        if cfg!(feature = "dev-tools") {
            assert_blocked_by_config(&endpoint);
        } else {
            assert_eq!(verify(&endpoint), Verification::not_configured());
        }
    }

    #[test]
    fn the_old_flags_are_refused_not_ignored() {
        let endpoint = RecordEndpoint::from_args(args(&[
            "--dev-fhir-base=https://127.0.0.1:1/fhir/R4",
            "--dev-fhir-cert=/tmp/cert.pem",
        ]));
        if cfg!(feature = "dev-tools") {
            assert_blocked_by_config(&endpoint);
        } else {
            assert_eq!(endpoint.status(0).problem, None);
        }
    }

    #[test]
    fn the_flag_given_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("endpoint.json");
        std::fs::write(&file, config("https://127.0.0.1:1/fhir/R4", &[PIN, PIN])).unwrap();
        let flag = format!("--dev-fhir-endpoint={}", file.display());
        let once = RecordEndpoint::from_args(args(&[&flag]));
        let twice = RecordEndpoint::from_args(args(&[&flag, &flag]));
        if cfg!(feature = "dev-tools") {
            assert_eq!(once.status(0).problem, None);
            assert_blocked_by_config(&twice);
        }
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
