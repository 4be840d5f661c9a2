//! The ward under the trust's policy: nothing unlocks without one, a suspended trust or a too-old
//! app stops the unlock before the key gate is touched, and the trust's identifier rules, passcode
//! minimum and consent text are the ones in force.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use serde_json::json;
use zeroize::Zeroizing;

use super::*;
use crate::auth::KeyGate;
use crate::device::{Complexity, LockScreen, LockScreenReport, PasscodeDecision, Platform};
use crate::endpoint::EndpointConfig;
use crate::policy::{Policy, PolicyError};
use crate::vault::danger::MemoryKeyStore;
use crate::Error;

const CERT: &str = include_str!("../endpoint/testdata/anchor.pem");
const PIN: &str = include_str!("../endpoint/testdata/anchor.pin");

fn policy() -> Policy {
    let mut p: Policy = serde_json::from_value(json!({
        "version": 1,
        "trust": {"name": "Example Hospitals NHS Foundation Trust", "ods_code": "RX1"},
        "delivery": {"file_photos_in_record": true},
    }))
    .unwrap();
    p.record = Some(EndpointConfig {
        base_url: "https://records.example.nhs.uk/fhir/R4".into(),
        trust_anchors_pem: CERT.into(),
        spki_pins_sha256: vec![PIN.trim().into()],
        client_certificate_pem: None,
        client_key_pem: None,
        credential: None,
    });
    p.check().unwrap();
    p
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().code()
}

/// A gated ward on a desktop (a development platform, so the passcode gate lets it through).
fn gated(ward: Ward) -> (Ward, tempfile::TempDir, Arc<MemoryKeyStore>) {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeyStore::new());
    ward.use_key_gate(dir.path().join("vault"), KeyGate::new(keys.clone()))
        .unwrap();
    ward.report_lock_screen(LockScreenReport::development(Platform::Desktop))
        .unwrap();
    (ward, dir, keys)
}

fn pin() -> Zeroizing<String> {
    Zeroizing::new("482916".into())
}

#[test]
fn an_unprovisioned_phone_sets_nothing_up_and_unlocks_nothing() {
    let (ward, _dir, _keys) =
        gated(Ward::new(Default::default()).refusing(PolicyError::NotProvisioned));
    assert_eq!(
        code(ward.set_up(&pin(), "Dr Ada Jones")),
        "policy.not_provisioned"
    );
    assert_eq!(code(ward.unlock_with_pin(&pin())), "policy.not_provisioned");
    assert!(!ward.gate_status().unwrap().set_up, "no credential was set");
    assert_eq!(
        ward.policy_block().unwrap().code(),
        "policy.not_provisioned"
    );
}

#[test]
fn a_suspended_trust_or_an_old_app_stops_the_unlock_before_the_gate() {
    let mut suspended = policy();
    suspended.app.suspended = true;
    let ward = Ward::new(suspended.session_policy())
        .under_policy(&suspended, "0.1.0")
        .unwrap();
    let (ward, _dir, _keys) = gated(ward);
    assert_eq!(
        code(ward.set_up(&pin(), "Dr Ada Jones")),
        "policy.suspended"
    );

    let mut newer = policy();
    newer.app.minimum_version = Some("0.2.0".into());
    let ward = Ward::new(newer.session_policy())
        .under_policy(&newer, "0.1.0")
        .unwrap();
    let (ward, _dir, _keys) = gated(ward);
    assert_eq!(code(ward.unlock_with_pin(&pin())), "policy.app_too_old");
    // The same policy admits a new enough app, which sets up and unlocks.
    let ward = Ward::new(newer.session_policy())
        .under_policy(&newer, "0.2.0")
        .unwrap();
    let (ward, _dir, _keys) = gated(ward);
    ward.set_up(&pin(), "Dr Ada Jones").unwrap();
    assert_eq!(ward.policy().unwrap().idle_timeout_ms, 120_000);
}

#[test]
fn the_trusts_identifier_rules_are_the_ones_read() {
    let mut p = policy();
    p.wristband.allow_typed_entry = false;
    p.wristband.allow_band_text = false;
    let ward = Ward::new(p.session_policy())
        .under_policy(&p, "0.1.0")
        .unwrap();
    assert_eq!(
        code(ward.read_typed("943 476 5919", "943 476 5919")),
        "patient.entry_not_allowed"
    );
    // A bare number in the band-text field is a typed number too.
    assert_eq!(
        code(ward.read_scan("9434765919", false)),
        "patient.entry_not_allowed"
    );
    assert_eq!(
        code(ward.read_scan("(8018)500000094347659194(93)SMITH/JOHN/19800118", false)),
        "patient.entry_not_allowed"
    );
    // The camera scanner and a GS1 scan are what the trust allows.
    ward.read_scan("9434765919", true).unwrap();
    ward.read_scan(super::testing::BAND, false).unwrap();

    // The defaults allow both; and another GS1 prefix refuses the test band.
    let mut other = policy();
    other.wristband.gsrn_prefix = "5012345".into();
    let ward = Ward::new(other.session_policy())
        .under_policy(&other, "0.1.0")
        .unwrap();
    ward.read_typed("943 476 5919", "943 476 5919").unwrap();
    assert_eq!(
        code(ward.read_scan(super::testing::BAND, false)),
        "patient.not_nhs_wristband"
    );
}

#[test]
fn the_trusts_passcode_minimum_idle_lock_and_consent_text_are_in_force() {
    let mut p = policy();
    p.session.passcode_minimum = Complexity::High;
    p.session.idle_lock_seconds = 45;
    let mut text = crate::consent::ConsentText::default_text().unwrap();
    text.version = "rx1-v7".into();
    p.consent.text = Some(text);
    let ward = Ward::new(p.session_policy())
        .under_policy(&p, "0.1.0")
        .unwrap();
    assert_eq!(ward.policy().unwrap().idle_timeout_ms, 45_000);
    assert_eq!(ward.consent_text().unwrap().version, "rx1-v7");
    let status = ward
        .report_lock_screen(LockScreenReport {
            platform: Platform::Android,
            lock_screen: LockScreen::Secure,
            complexity: Some(Complexity::Medium),
            development_platform: false,
        })
        .unwrap();
    assert_eq!(status.decision(), PasscodeDecision::TooSimple);
}
