//! The FHIR `Consent` for every consent route validates against the R4 specification with the
//! medplum validator the FHIR test server uses (`tests/servers/fhir/validate.mjs`), and the same
//! validator fails resources with a required part removed, so a pass means something.
//!
//! Passes with a note when `node` or `node_modules/@medplum/core` is missing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::Value;
use wardcam_core::consent::fhir::consent_resource;
use wardcam_core::consent::*;
use wardcam_core::patient::{parse_scan, NhsNumber, PatientPolicy, WristbandData};
use wardcam_core::session::{Purpose, Purposes};
use wardcam_core::vault::Timestamp;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Validates each resource; `None` when the validator cannot run here.
fn validate(resources: &[Value]) -> Option<Vec<Vec<Value>>> {
    let root = repo_root();
    if !root.join("node_modules/@medplum/core").is_dir() {
        println!("skipped: node_modules/@medplum/core is missing (run `npm ci`)");
        return None;
    }
    let Ok(mut child) = Command::new("node")
        .arg(root.join("tests/servers/fhir/validate.mjs"))
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    else {
        println!("skipped: `node` is not installed");
        return None;
    };
    let input = serde_json::to_vec(&Value::Array(resources.to_vec())).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    let all: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).expect("validator output");
    assert_eq!(all.len(), resources.len());
    let any_error = all.iter().any(|i| has_error(i));
    assert_eq!(
        out.status.success(),
        !any_error,
        "exit status must reflect errors"
    );
    Some(all)
}

fn has_error(issues: &[Value]) -> bool {
    issues
        .iter()
        .any(|i| i["severity"] == "error" || i["severity"] == "fatal")
}

/// A name-like scribble across a 600 × 200 pad.
fn scribble() -> Signature {
    let strokes = (0..3u32)
        .map(|s| {
            (0..40u32)
                .map(|i| {
                    let phase = f64::from(i) / 40.0 * std::f64::consts::TAU * 2.0;
                    Point {
                        x: 60 + s * 150 + i * 3,
                        y: (100.0 + 50.0 * phase.sin()) as u32,
                        t: s * 400 + i * 8,
                    }
                })
                .collect()
        })
        .collect();
    Signature {
        width: 600,
        height: 200,
        strokes,
    }
}

fn record(
    decision: Decision,
    by: ConsentedBy,
    method: Method,
    band: &WristbandData,
) -> ConsentRecord {
    record_named(decision, by, method, band, ("O'Brien", "Siobhán"))
}

fn record_named(
    decision: Decision,
    by: ConsentedBy,
    method: Method,
    band: &WristbandData,
    (family, given): (&str, &str),
) -> ConsentRecord {
    let text = ConsentText::default_text().unwrap();
    let purposes: Purposes = match decision {
        Decision::Permit => [Purpose::Care, Purpose::SecondOpinion, Purpose::Teaching]
            .into_iter()
            .collect(),
        Decision::Refuse => Purpose::ALL.into_iter().collect(),
    };
    ConsentRecord::build(
        ConsentForm {
            decision,
            purposes,
            consented_by: by,
            method,
            text_version: text.version.clone(),
        },
        RecordContext {
            id: ConsentId::random().unwrap(),
            patient: ConsentPatient::new(band, family, given, None).unwrap(),
            clinician: Clinician {
                name: "Dr Jane Okafor".into(),
                identifier: Some("7654321".into()),
            },
            organization: Some("RX1".into()),
            text: &text,
            recorded_at: Timestamp(1_793_000_000_000),
        },
    )
    .unwrap()
}

fn nhs_band() -> WristbandData {
    WristbandData::manual_entry(NhsNumber::parse("9434765919").unwrap())
}

/// Every route: patient signature, guardian, best interests, verbal, and refusals.
fn routes() -> Vec<(&'static str, ConsentRecord)> {
    let band = nhs_band();
    let sig = || Method::Signature {
        signature: scribble(),
    };
    let local_policy = PatientPolicy::default()
        .with_local_id("RX1", "[A-Z][0-9]{7}")
        .unwrap();
    let local_band = parse_scan("A1234567", &local_policy).unwrap();
    vec![
        (
            "patient signature",
            record(Decision::Permit, ConsentedBy::Patient, sig(), &band),
        ),
        (
            "guardian",
            record(
                Decision::Permit,
                ConsentedBy::Representative {
                    name: "Mary O'Brien".into(),
                    relationship: "mother".into(),
                },
                sig(),
                &band,
            ),
        ),
        (
            "best interests",
            record(
                Decision::Permit,
                ConsentedBy::BestInterests {
                    reason: "Sedated & ventilated; photos track the pressure ulcer <2 cm>.".into(),
                },
                sig(),
                &band,
            ),
        ),
        (
            "verbal",
            record(
                Decision::Permit,
                ConsentedBy::Patient,
                Method::Verbal {
                    witness: "SN Lee".into(),
                },
                &band,
            ),
        ),
        (
            "refusal on screen",
            record(
                Decision::Refuse,
                ConsentedBy::Patient,
                Method::Declined,
                &band,
            ),
        ),
        (
            "refusal signed",
            record(Decision::Refuse, ConsentedBy::Patient, sig(), &band),
        ),
        (
            "typed NHS number, no record, no name",
            record_named(
                Decision::Permit,
                ConsentedBy::Patient,
                Method::Verbal {
                    witness: "SN Lee".into(),
                },
                &band,
                ("", ""),
            ),
        ),
        (
            "hospital number only",
            record(Decision::Permit, ConsentedBy::Patient, sig(), &local_band),
        ),
    ]
}

#[test]
fn every_route_validates_with_zero_errors() {
    let routes = routes();
    let resources: Vec<Value> = routes
        .iter()
        .map(|(_, r)| consent_resource(r).unwrap())
        .collect();
    let Some(results) = validate(&resources) else {
        return;
    };
    for ((name, _), issues) in routes.iter().zip(&results) {
        assert!(
            !has_error(issues),
            "{name}: {}",
            serde_json::to_string_pretty(issues).unwrap()
        );
    }
}

#[test]
fn the_resource_says_what_the_record_says() {
    for (name, r) in routes() {
        let c = consent_resource(&r).unwrap();
        assert_eq!(c["resourceType"], "Consent");
        assert_eq!(c["meta"]["profile"][0], fhir::UK_CORE_CONSENT_PROFILE);
        let (status, kind) = match r.decision {
            Decision::Permit => ("active", "permit"),
            Decision::Refuse => ("rejected", "deny"),
        };
        assert_eq!(c["status"], status, "{name}");
        assert_eq!(c["provision"]["type"], kind, "{name}");
        assert_eq!(c["identifier"][0]["value"], format!("urn:uuid:{}", r.id));
        assert_eq!(c["dateTime"], "2026-10-26T07:33:20Z");
        let codes: Vec<&str> = c["provision"]["purpose"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["code"].as_str().unwrap())
            .collect();
        let expected: Vec<&str> = Purpose::ALL
            .into_iter()
            .filter(|p| r.purposes.contains(*p))
            .map(fhir::purpose_code)
            .collect();
        assert_eq!(codes, expected, "{name}");
        assert!(c["policy"][0]["uri"]
            .as_str()
            .unwrap()
            .contains(&r.text_sha256));
        let att = &c["sourceAttachment"];
        let data = base64::engine::general_purpose::STANDARD
            .decode(att["data"].as_str().unwrap())
            .unwrap();
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data);
        assert_eq!(
            att["hash"],
            base64::engine::general_purpose::STANDARD.encode(sha1.as_ref())
        );
        assert_eq!(att["size"], data.len());
        match &r.method {
            Method::Signature { .. } => {
                assert_eq!(att["contentType"], "image/png");
                assert_eq!(Some(data), r.signature_png().unwrap());
            }
            Method::Verbal { witness } => {
                assert_eq!(att["contentType"], "text/plain");
                assert!(String::from_utf8(data).unwrap().contains(witness.as_str()));
            }
            Method::Declined => assert_eq!(att["contentType"], "text/plain"),
        }
        assert!(
            c["patient"]["identifier"]["value"].is_string(),
            "{name}: patient missing"
        );
        if let Some(n) = r.patient.nhs_number() {
            assert_eq!(c["patient"]["identifier"]["value"], n.digits());
        }
    }
}

/// Removes or breaks one part of a resource.
type Breaker = fn(&mut Value);

#[test]
fn the_validator_fails_resources_missing_a_required_part() {
    let base = consent_resource(&routes()[1].1).unwrap();
    // Not in this list: `patient`. R4 base Consent has `patient` 0..1 and the invariant meant to
    // require it (ppc-2) tests `system='something'` (a known R4 erratum), so no R4 validator can
    // catch its absence; `the_resource_says_what_the_record_says` checks it is always there.
    let removals: [(&str, Breaker); 6] = [
        ("status", |c| {
            c.as_object_mut().unwrap().remove("status");
        }),
        ("scope", |c| {
            c.as_object_mut().unwrap().remove("scope");
        }),
        ("category", |c| {
            c.as_object_mut().unwrap().remove("category");
        }),
        ("policy", |c| {
            c.as_object_mut().unwrap().remove("policy");
        }),
        ("dateTime format", |c| c["dateTime"] = "yesterday".into()),
        ("related person's patient", |c| {
            c["contained"][1].as_object_mut().unwrap().remove("patient");
        }),
    ];
    let broken: Vec<Value> = removals
        .iter()
        .map(|(_, f)| {
            let mut c = base.clone();
            f(&mut c);
            c
        })
        .collect();
    let mut all = vec![base.clone()];
    all.extend(broken);
    let Some(results) = validate(&all) else {
        return;
    };
    assert!(!has_error(&results[0]), "the unbroken resource must pass");
    for ((name, _), issues) in removals.iter().zip(&results[1..]) {
        assert!(has_error(issues), "validation passed without {name}");
    }
}
