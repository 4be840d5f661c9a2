#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{json, Value};

use super::payload::{self, generate_key_pair, sign, verify, InForce};
use super::*;
use crate::endpoint::{Credential, EndpointConfig};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::KeyStore;

// A throwaway self-signed certificate and its pin (the endpoint module's test data).
const CERT: &str = include_str!("../endpoint/testdata/anchor.pem");
const PIN: &str = include_str!("../endpoint/testdata/anchor.pin");
const NOW: u64 = 1_800_000_000;

fn endpoint(base: &str) -> EndpointConfig {
    EndpointConfig {
        base_url: base.into(),
        trust_anchors_pem: CERT.into(),
        spki_pins_sha256: vec![PIN.trim().into()],
        client_certificate_pem: None,
        client_key_pem: None,
        credential: None,
    }
}

fn good() -> Policy {
    let mut p: Policy = serde_json::from_value(json!({
        "version": 3,
        "trust": {"name": "Example Hospitals NHS Foundation Trust", "ods_code": "RX1"},
    }))
    .unwrap();
    p.record = Some(endpoint("https://records.example.nhs.uk/fhir/R4"));
    p.pacs = Some(endpoint("https://pacs.example.nhs.uk/dicom-web"));
    p
}

fn fields(p: &Policy) -> Vec<String> {
    p.problems().into_iter().map(|p| p.field).collect()
}

#[test]
fn a_minimal_policy_takes_the_documented_defaults() {
    let p = good();
    p.check().unwrap();
    assert_eq!(p.session.idle_lock_seconds, 120);
    assert_eq!(p.session_policy().idle_timeout_ms, 120_000);
    assert_eq!(p.wristband.gsrn_prefix, crate::patient::DEFAULT_GSRN_PREFIX);
    assert!(p.wristband.allow_typed_entry && p.wristband.allow_band_text);
    assert!(p.record_policy().allow_unverified);
    assert_eq!(p.retention.warn_undelivered_after_hours, 24);
    assert_eq!(p.retention.shred_undelivered_after_days, None);
    assert!(p.consent_text().is_none(), "the bundled text applies");
    assert!(!p.has_secrets());
    p.admits_app("0.1.0").unwrap();
    // The canonical form reads back to the same bytes.
    let bytes = p.canonical_json().unwrap();
    let again = Policy::from_json(&bytes).unwrap();
    assert_eq!(again.canonical_json().unwrap(), bytes);
}

#[test]
fn each_bad_field_is_refused_with_its_own_name() {
    type Break = fn(&mut Policy);
    let cases: Vec<(&str, Break)> = vec![
        ("version", |p| p.version = 0),
        ("version", |p| p.version = 1 << 31),
        ("trust.name", |p| p.trust.name = String::new()),
        ("trust.name", |p| p.trust.name = "Line\nbreak".into()),
        ("trust.ods_code", |p| p.trust.ods_code = "rx1".into()),
        ("trust.ods_code", |p| p.trust.ods_code = "R1".into()),
        ("record.base_url", |p| {
            p.record.as_mut().unwrap().base_url = "http://records.example.nhs.uk/fhir".into()
        }),
        ("pacs.spki_pins_sha256", |p| {
            p.pacs.as_mut().unwrap().spki_pins_sha256 = vec!["not a pin".into()]
        }),
        ("pacs.spki_pins_sha256", |p| {
            p.pacs.as_mut().unwrap().spki_pins_sha256 = vec![]
        }),
        ("record.trust_anchors_pem", |p| {
            p.record.as_mut().unwrap().trust_anchors_pem = "no certificate".into()
        }),
        ("delivery.file_photos_in_record", |p| {
            p.record = None;
            p.delivery.file_photos_in_record = true;
        }),
        ("wristband.gsrn_prefix", |p| {
            p.wristband.gsrn_prefix = "500000".into()
        }),
        ("wristband.gsrn_prefix", |p| {
            p.wristband.gsrn_prefix = "50000OO".into()
        }),
        ("wristband.local_id_issuer", |p| {
            p.wristband.local_id_pattern = Some("[A-Z][0-9]{7}".into())
        }),
        ("wristband.local_id_pattern", |p| {
            p.wristband.local_id_issuer = Some("RX1".into())
        }),
        ("wristband.local_id_pattern", |p| {
            p.wristband.local_id_issuer = Some("RX1".into());
            p.wristband.local_id_pattern = Some("[0-9]*".into());
        }),
        ("consent.text", |p| {
            let mut text = crate::consent::ConsentText::default_text().unwrap();
            text.title = " ".into();
            p.consent.text = Some(text);
        }),
        ("session.idle_lock_seconds", |p| {
            p.session.idle_lock_seconds = 5
        }),
        ("session.idle_lock_seconds", |p| {
            p.session.idle_lock_seconds = 3_600
        }),
        ("session.passcode_minimum", |p| {
            p.session.passcode_minimum = crate::device::Complexity::None
        }),
        ("retention.warn_undelivered_after_hours", |p| {
            p.retention.warn_undelivered_after_hours = 0
        }),
        ("retention.shred_undelivered_after_days", |p| {
            p.retention.shred_undelivered_after_days = Some(91)
        }),
        ("app.minimum_version", |p| {
            p.app.minimum_version = Some("1.x".into())
        }),
        ("provisioning.public_keys", |p| {
            p.provisioning.public_keys = vec!["AAAA".into()]
        }),
    ];
    for (field, break_it) in cases {
        let mut p = good();
        break_it(&mut p);
        assert_eq!(fields(&p), vec![field.to_owned()], "breaking {field}");
        let e = p.check().unwrap_err();
        assert_eq!(e.code(), "policy.invalid");
        assert!(e.to_string().contains(field), "{e}");
    }
}

#[test]
fn every_problem_is_reported_at_once_and_no_value_is_echoed() {
    let mut p = good();
    p.version = 0;
    p.trust.ods_code = "secret-ods".into();
    p.record.as_mut().unwrap().base_url = "http://user:hunter2@x/".into();
    let e = p.check().unwrap_err();
    assert_eq!(e.problems().len(), 3, "{e:?}");
    let text = format!("{e} {e:?}");
    assert!(
        !text.contains("hunter2") && !text.contains("secret-ods"),
        "{text}"
    );
}

#[test]
fn unknown_or_mistyped_json_is_malformed_and_names_the_field() {
    let mut v = serde_json::to_value(good()).unwrap();
    v["session"] = json!({"idle_lock_secs": 60});
    let e = Policy::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(e.code(), "policy.malformed");
    assert!(e.to_string().contains("idle_lock_secs"), "{e}");
    let mut v = serde_json::to_value(good()).unwrap();
    v["record"]["credential"] = json!({"scheme": "bearer", "token": "t", "extra": 1});
    assert!(
        Policy::from_json(v.to_string().as_bytes()).is_err(),
        "an unknown credential field"
    );
    let mut v = serde_json::to_value(good()).unwrap();
    v["record"]["credential"] = json!({"scheme": "bearer", "token": 12345});
    let e = Policy::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(!e.to_string().contains("12345"), "{e}");
    assert_eq!(
        Policy::from_json(&vec![b' '; MAX_POLICY_BYTES + 1])
            .unwrap_err()
            .code(),
        "policy.malformed"
    );
}

#[test]
fn suspension_and_minimum_version_refuse_the_app() {
    let mut p = good();
    p.app.minimum_version = Some("0.2".into());
    assert_eq!(
        p.admits_app("0.1.9").unwrap_err().code(),
        "policy.app_too_old"
    );
    p.admits_app("0.2.0").unwrap();
    p.admits_app("1.0.0").unwrap();
    assert_eq!(
        p.admits_app("garbage").unwrap_err().code(),
        "policy.app_too_old"
    );
    p.app.suspended = true;
    assert_eq!(
        p.admits_app("9.9.9").unwrap_err().code(),
        "policy.suspended"
    );
}

// --- Provisioning codes ------------------------------------------------------------------------

fn signed(p: &Policy) -> (Vec<String>, ProvisioningKey, zeroize::Zeroizing<Vec<u8>>) {
    let (pkcs8, public) = generate_key_pair().unwrap();
    let parts = sign(p, &pkcs8, NOW - 60, NOW + 3_600).unwrap();
    (parts, public, pkcs8)
}

fn with_big_consent_text() -> Policy {
    // A trust's own text pushes the policy over one part.
    let mut p = good();
    let mut text = crate::consent::ConsentText::default_text().unwrap();
    text.version = "rx1-v7".into();
    text.introduction = "Your photographs stay in the hospital record. ".repeat(30);
    p.consent.text = Some(text);
    p
}

#[test]
fn a_signed_code_round_trips_in_any_part_order() {
    let p = with_big_consent_text();
    let (parts, key, _) = signed(&p);
    assert!(parts.len() >= 4, "{} parts", parts.len());
    assert!(parts
        .iter()
        .all(|l| l.len() < 2_100 && l.starts_with("WCP1:")));
    let mut shuffled = parts.clone();
    shuffled.reverse();
    let text = format!("\n  {}\n\n", shuffled.join("\n"));
    let accepted = verify(&text, &[key], NOW, None).unwrap();
    assert_eq!(
        accepted.policy.canonical_json().unwrap(),
        p.canonical_json().unwrap()
    );
    assert_eq!(accepted.signed_by, key);
    assert_eq!(
        accepted.policy.consent_text().unwrap().version,
        "rx1-v7",
        "the trust's text arrives whole"
    );
    let summary = payload::read_summary(&text).unwrap();
    assert_eq!(summary.ods_code, "RX1");
    assert_eq!(summary.endpoints.len(), 2);
    // The same code again (a second paste) is accepted against itself in force.
    verify(
        &text,
        &[key],
        NOW,
        Some(InForce {
            version: 3,
            sha256: &accepted.sha256,
        }),
    )
    .unwrap();
}

/// Replaces one base64url character of `part` (after its header) with another, so the text stays
/// well-formed and only the bytes change.
fn flip(part: &str, at: usize) -> String {
    let header = part.find(':').unwrap() + 1;
    let header = header + part[header..].find(':').unwrap() + 1;
    let mut bytes = part.as_bytes().to_vec();
    let i = header + at;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn each_way_a_code_can_be_wrong_has_its_own_reason() {
    let p = with_big_consent_text();
    let (parts, key, pkcs8) = signed(&p);
    let join = |ps: &[String]| ps.join("\n");
    let code = |text: &str, now: u64, in_force: Option<InForce<'_>>| {
        verify(text, &[key], now, in_force).unwrap_err().code()
    };

    // A flipped byte in the signed summary, or its signature.
    let mut bad = parts.clone();
    bad[0] = flip(&parts[0], 10);
    assert_eq!(code(&join(&bad), NOW, None), "policy.bad_signature");
    let mut bad = parts.clone();
    bad[0] = flip(
        &parts[0],
        parts[0].len() - 20 - parts[0].find(':').unwrap() - 5,
    );
    assert_eq!(code(&join(&bad), NOW, None), "policy.bad_signature");
    // A flipped byte in the policy itself.
    for i in 1..parts.len() {
        let mut bad = parts.clone();
        bad[i] = flip(&parts[i], 100);
        assert_eq!(
            code(&join(&bad), NOW, None),
            "policy.hash_mismatch",
            "part {i}"
        );
    }
    // A part left out, or one from another code.
    assert_eq!(
        code(&join(&parts[..parts.len() - 1]), NOW, None),
        "policy.parts_missing"
    );
    let (other, _, _) = signed(&good());
    let mut mixed = parts.clone();
    mixed[1] = other
        .last()
        .unwrap()
        .replace(&format!("/{}:", other.len()), &format!("/{}:", parts.len()));
    mixed[1] = mixed[1].replacen(&mixed[1][5..mixed[1].find('/').unwrap()].to_owned(), "2", 1);
    assert_eq!(code(&join(&mixed), NOW, None), "policy.hash_mismatch");
    // Expired.
    assert_eq!(code(&join(&parts), NOW + 3_601, None), "policy.expired");
    // Older than the policy in force, or the same version with other settings.
    let in_force = |version, sha256| Some(InForce { version, sha256 });
    assert_eq!(code(&join(&parts), NOW, in_force(4, "x")), "policy.older");
    assert_eq!(
        code(&join(&parts), NOW, in_force(3, "x")),
        "policy.version_reused"
    );
    // An unknown key.
    let (_, stranger) = generate_key_pair().unwrap();
    assert_eq!(
        verify(&join(&parts), &[stranger], NOW, None)
            .unwrap_err()
            .code(),
        "policy.unknown_key"
    );
    assert_eq!(
        verify(&join(&parts), &[], NOW, None).unwrap_err().code(),
        "policy.no_provisioning_keys"
    );
    // Not a code at all.
    assert_eq!(code("hello", NOW, None), "policy.malformed");
    assert_eq!(code("", NOW, None), "policy.malformed");
    assert_eq!(code("WCP1:2/1:xx", NOW, None), "policy.malformed");
    // A secret never goes into a code.
    let mut secret = good();
    secret.record.as_mut().unwrap().credential = Some(Credential::Bearer {
        token: zeroize::Zeroizing::new("t0ken".into()),
    });
    assert_eq!(
        sign(&secret, &pkcs8, NOW, NOW + 60).unwrap_err().code(),
        "policy.secret_in_payload"
    );
    // Only when asked for, and then marked in the signed summary.
    let marked = payload::sign_with_secrets(&secret, &pkcs8, NOW, NOW + 60).unwrap();
    assert!(
        payload::read_summary(&marked.join("\n"))
            .unwrap()
            .carries_secrets
    );
    let accepted = verify(&marked.join("\n"), &[key], NOW, None).unwrap();
    assert!(accepted.policy.has_secrets());
}

#[test]
fn a_summary_that_disagrees_with_its_policy_is_refused() {
    // Signed by the right key, with the right digest, but naming another trust: a summary a
    // person could read off part 1 must say what the policy says.
    use base64::Engine;
    use ring::signature::Ed25519KeyPair;
    let p = good();
    let (pkcs8, key) = generate_key_pair().unwrap();
    let parts = sign(&p, &pkcs8, NOW, NOW + 60).unwrap();
    let mut summary = payload::read_summary(&parts.join("\n")).unwrap();
    summary.trust = "Another Trust".into();
    let json = serde_json::to_vec(&summary).unwrap();
    let mut message = b"WardCam provisioning code v1\n".to_vec();
    message.extend_from_slice(&json);
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut forged = parts.clone();
    forged[0] = format!(
        "WCP1:1/{}:{}.{}",
        parts.len(),
        b64.encode(&json),
        b64.encode(pair.sign(&message).as_ref())
    );
    assert_eq!(
        verify(&forged.join("\n"), &[key], NOW, None)
            .unwrap_err()
            .code(),
        "policy.hash_mismatch"
    );
}

#[test]
fn damaged_codes_never_panic() {
    let (parts, key, _) = signed(&with_big_consent_text());
    let text = parts.join("\n");
    let expected = with_big_consent_text().canonical_json().unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..400 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut bytes = text.as_bytes().to_vec();
        let i = (seed as usize) % bytes.len();
        match seed % 3 {
            0 => bytes[i] = (seed >> 8) as u8,
            1 => bytes.truncate(i),
            _ => bytes.insert(i, b'\n'),
        }
        let mangled = String::from_utf8_lossy(&bytes);
        // A line break between parts changes nothing; anything else that is accepted must be
        // the very policy that was signed.
        if let Ok(accepted) = verify(&mangled, &[key], NOW, None) {
            assert_eq!(accepted.bytes, expected);
        }
    }
}

// --- Managed configuration ---------------------------------------------------------------------

#[test]
fn managed_values_read_back_to_the_same_policy() {
    let mut p = with_big_consent_text();
    p.wristband.local_id_pattern = Some("[A-Z][0-9]{7}".into());
    p.wristband.local_id_issuer = Some("RX1".into());
    p.retention.shred_undelivered_after_days = Some(30);
    p.record.as_mut().unwrap().credential = Some(Credential::Basic {
        username: zeroize::Zeroizing::new("ward".into()),
        password: zeroize::Zeroizing::new("pw".into()),
    });
    p.delivery.file_photos_in_record = true;
    let values = p.to_managed();
    let back = Policy::from_managed(&values).unwrap();
    assert_eq!(back.canonical_json().unwrap(), p.canonical_json().unwrap());
    assert!(back.has_secrets(), "MDM may carry a credential");
}

#[test]
fn managed_keys_are_checked_by_name() {
    let base = good().to_managed();
    let refused = |change: &dyn Fn(&mut Value)| -> Vec<String> {
        let mut v = base.clone();
        change(&mut v);
        Policy::from_managed(&v)
            .unwrap_err()
            .problems()
            .iter()
            .map(|p| p.field.clone())
            .collect()
    };
    assert_eq!(
        refused(&|v| v["idle_lock_seconds"] = json!("60")),
        ["idle_lock_seconds"]
    );
    assert_eq!(
        refused(&|v| v["idle_lock_seconds"] = json!(5)),
        ["idle_lock_seconds"]
    );
    assert_eq!(refused(&|v| v["suspended"] = json!("no")), ["suspended"]);
    assert_eq!(
        refused(&|v| v["passcode_minimum"] = json!("none")),
        ["passcode_minimum"]
    );
    assert_eq!(
        refused(&|v| v["trust_ods_code"] = json!("")),
        ["trust_ods_code"]
    );
    assert_eq!(refused(&|v| v["colour"] = json!("blue")), ["colour"]);
    // Found by the policy_managed fuzz target: a key with no name was refused under no name.
    assert_eq!(refused(&|v| v[""] = json!(false)), ["(a key with no name)"]);
    assert_eq!(
        refused(&|v| v["record_endpoint"]["base_url"] = json!("http://x/")),
        ["record_endpoint.base_url"]
    );
    assert_eq!(
        refused(&|v| v["pacs_endpoint"]["credential_scheme"] = json!("bearer")),
        ["pacs_endpoint.credential_scheme"]
    );
    assert_eq!(
        refused(&|v| v["pacs_endpoint"]["proxy"] = json!("x")),
        ["pacs_endpoint.proxy"]
    );
    assert_eq!(
        refused(&|v| v["record_endpoint"] = json!("https://x/")),
        ["record_endpoint"]
    );
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("policy_version");
    let e = Policy::from_managed(&missing).unwrap_err();
    assert_eq!(e.problems()[0].field, "policy_version");
    // An empty string is a field left blank: the default applies.
    let mut blank = base.clone();
    blank["gsrn_prefix"] = json!("");
    assert_eq!(
        Policy::from_managed(&blank).unwrap().wristband.gsrn_prefix,
        crate::patient::DEFAULT_GSRN_PREFIX
    );
    assert_eq!(
        Policy::from_managed(&json!([1])).unwrap_err().code(),
        "policy.malformed"
    );
}

#[test]
fn every_managed_key_is_written_by_to_managed() {
    // A key the admin tool never writes could never be set; one it writes that is not declared
    // would be refused by the phone.
    let mut p = with_big_consent_text();
    p.wristband.local_id_pattern = Some("[A-Z][0-9]{7}".into());
    p.wristband.local_id_issuer = Some("RX1".into());
    p.app.minimum_version = Some("0.1.0".into());
    let (_, key) = generate_key_pair().unwrap();
    p.provisioning.public_keys = vec![key.to_base64()];
    let values = p.to_managed();
    let written: Vec<&str> = values
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // Except MDM's wipe request: not a policy setting, it is set in the MDM console when a phone
    // is to be wiped (`crate::wipe`), never written with the policy.
    let mut declared: Vec<&str> = MANAGED_KEYS
        .iter()
        .map(|k| k.name)
        .filter(|&n| n != crate::wipe::MANAGED_KEY)
        .collect();
    declared.sort_unstable();
    let mut written_sorted = written.clone();
    written_sorted.sort_unstable();
    assert_eq!(written_sorted, declared);
}

// --- The kept policy ---------------------------------------------------------------------------

#[test]
fn a_launch_takes_a_code_keeps_it_and_never_goes_back() {
    let keys = MemoryKeyStore::new();
    let name = store::entry_name("wardcam-test");
    let v3 = good();
    let (parts, key, pkcs8) = signed(&v3);
    let code = parts.join("\n");
    // No policy, no code: nothing in force.
    let none = Provisioning::at_launch(&keys, &name, None, None, &[key], NOW).unwrap();
    assert!(none.in_force.is_none() && none.refused.is_none());
    // The code is taken and kept.
    let first = Provisioning::at_launch(&keys, &name, None, Some(&code), &[key], NOW).unwrap();
    assert_eq!(first.in_force.as_ref().unwrap().source, Source::Code);
    let kept = Provisioning::at_launch(&keys, &name, None, None, &[], NOW).unwrap();
    assert_eq!(kept.in_force.unwrap().policy.version, 3);
    // An older code is refused; the kept policy stays.
    let mut v2 = good();
    v2.version = 2;
    let old = sign(&v2, &pkcs8, NOW, NOW + 60).unwrap().join("\n");
    let refused = Provisioning::at_launch(&keys, &name, None, Some(&old), &[key], NOW).unwrap();
    assert_eq!(refused.refused.unwrap().code(), "policy.older");
    assert_eq!(refused.in_force.unwrap().policy.version, 3);
    // MDM's newer policy replaces it; an older MDM policy is refused.
    let mut v5 = good();
    v5.version = 5;
    v5.session.idle_lock_seconds = 60;
    let managed =
        Provisioning::at_launch(&keys, &name, Some(&v5.to_managed()), None, &[], NOW).unwrap();
    assert_eq!(managed.in_force.as_ref().unwrap().source, Source::Managed);
    let back =
        Provisioning::at_launch(&keys, &name, Some(&v3.to_managed()), None, &[], NOW).unwrap();
    assert_eq!(back.refused.unwrap().code(), "policy.older");
    assert_eq!(back.in_force.unwrap().policy.session.idle_lock_seconds, 60);
    // An empty managed configuration is no MDM.
    let empty = Provisioning::at_launch(&keys, &name, Some(&json!({})), None, &[], NOW).unwrap();
    assert!(empty.refused.is_none());
}

#[test]
fn a_key_named_by_the_policy_in_force_may_sign_the_next_code() {
    let keys = MemoryKeyStore::new();
    let name = store::entry_name("wardcam-rotate");
    let (next_pkcs8, next) = generate_key_pair().unwrap();
    let mut v3 = good();
    v3.provisioning.public_keys = vec![next.to_base64()];
    let (parts, built_in, _) = signed(&v3);
    Provisioning::at_launch(
        &keys,
        &name,
        None,
        Some(&parts.join("\n")),
        &[built_in],
        NOW,
    )
    .unwrap();
    let mut v4 = good();
    v4.version = 4;
    let code = sign(&v4, &next_pkcs8, NOW, NOW + 60).unwrap().join("\n");
    let taken = Provisioning::at_launch(&keys, &name, None, Some(&code), &[built_in], NOW).unwrap();
    assert!(taken.refused.is_none(), "{:?}", taken.refused);
    assert_eq!(taken.in_force.unwrap().policy.version, 4);
}

#[test]
fn a_damaged_kept_policy_fails_closed() {
    let keys = MemoryKeyStore::new();
    let name = store::entry_name("wardcam-damaged");
    keys.save_secret(&name, b"{not json").unwrap();
    let e = Provisioning::at_launch(&keys, &name, None, None, &[], NOW).unwrap_err();
    assert_eq!(e.code(), "policy.store_failed");
}

#[test]
fn every_code_is_listed() {
    let mut codes: Vec<&str> = [
        PolicyError::invalid(vec![]),
        PolicyError::Malformed {
            detail: String::new(),
        },
        PolicyError::UnknownKey,
        PolicyError::BadSignature,
        PolicyError::Expired,
        PolicyError::Older {
            current: 2,
            offered: 1,
        },
        PolicyError::VersionReused { version: 1 },
        PolicyError::HashMismatch,
        PolicyError::PartsMissing { have: 1, need: 2 },
        PolicyError::SecretInPayload,
        PolicyError::NoProvisioningKeys,
        PolicyError::Store {
            reason: String::new(),
        },
        PolicyError::NotProvisioned,
        PolicyError::Suspended,
        PolicyError::AppTooOld {
            minimum: String::new(),
            running: String::new(),
        },
    ]
    .iter()
    .map(PolicyError::code)
    .collect();
    codes.sort_unstable();
    let mut listed = PolicyError::CODES.to_vec();
    listed.sort_unstable();
    assert_eq!(codes, listed);
}

#[test]
fn the_fuzz_bodies_hold_on_real_and_damaged_inputs() {
    use ring::signature::KeyPair;
    // A real code signed with the fuzz key, its policy bytes, and MDM values; then damaged copies.
    let pair = fuzzing::key_pair().unwrap();
    let key = ProvisioningKey(pair.public_key().as_ref().try_into().unwrap());
    let policy = with_big_consent_text();
    let bytes = policy.canonical_json().unwrap();
    let managed = serde_json::to_vec(&policy.to_managed()).unwrap();
    // The fuzz key signs through the public API only via PKCS#8; build one from the seed.
    let (pkcs8, _) = generate_key_pair().unwrap();
    let code = sign(&policy, &pkcs8, NOW, NOW + 60).unwrap().join("\n");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    // Inputs the fuzzers found, kept as vectors.
    let found = include_bytes!("../../tests/vectors/policy_managed_empty_key.json");
    fuzzing::managed_config(found);
    for input in [code.as_bytes(), &bytes, &managed] {
        fuzzing::provisioning_code(input);
        fuzzing::managed_config(input);
        for _ in 0..60 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut damaged = input.to_vec();
            let i = (seed as usize) % damaged.len();
            damaged[i] = (seed >> 8) as u8;
            fuzzing::provisioning_code(&damaged);
            fuzzing::managed_config(&damaged);
        }
    }
    assert_eq!(key.to_base64().len(), 44);
}
