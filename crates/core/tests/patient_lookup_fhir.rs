//! The record look-up against a real FHIR engine: `tests/servers/fhir/server.mjs`
//! (@medplum/fhir-router over HTTPS with a fresh self-signed certificate), seeded from
//! `tests/servers/fhir/seed-patients.json`.
//!
//! One server is started for the whole test binary (it loads the FHIR definitions, which takes a
//! few seconds) with `--exit-with-stdin`, so it goes away with this process however it ends.
//! Tests that need it print why and pass when `node`, `openssl` or
//! `node_modules/@medplum/fhir-router` is missing; the offline test needs none of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use wardcam_core::patient::{
    gsrn_for, parse_scan, verify_against_record, FhirPatientLookup, NhsNumber, PatientError,
    PatientPolicy, RecordCheck, RecordFields, WristbandData,
};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Server {
    base: String,
    cert_pem: Vec<u8>,
    // Held so the pipe to the server's stdin stays open while the tests run.
    _child: Mutex<Child>,
}

/// Why the server cannot run here, if it cannot.
fn missing_prerequisite() -> Option<String> {
    for tool in ["node", "openssl"] {
        let ok = Command::new(tool)
            .arg(if tool == "node" {
                "--version"
            } else {
                "version"
            })
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Some(format!("`{tool}` is not installed"));
        }
    }
    if !repo_root()
        .join("node_modules/@medplum/fhir-router")
        .is_dir()
    {
        return Some("node_modules/@medplum/fhir-router is missing (run `npm ci`)".into());
    }
    None
}

fn start_server() -> Result<Server, String> {
    if let Some(why) = missing_prerequisite() {
        return Err(why);
    }
    let root = repo_root();
    let mut child = Command::new("node")
        .arg(root.join("tests/servers/fhir/server.mjs"))
        .arg("--seed")
        .arg(root.join("tests/servers/fhir/seed-patients.json"))
        .arg("--exit-with-stdin")
        .current_dir(&root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start node: {e}"))?;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(90))
        .map_err(|_| "the FHIR test server did not report ready within 90 s".to_owned())?;
    let ready: serde_json::Value = serde_json::from_str(line.trim())
        .map_err(|_| format!("unexpected first line from the server: {line:?}"))?;
    let base = ready["base"].as_str().unwrap().to_owned();
    let cert_pem = std::fs::read(ready["cert"].as_str().unwrap()).unwrap();
    Ok(Server {
        base,
        cert_pem,
        _child: Mutex::new(child),
    })
}

fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    match SERVER.get_or_init(start_server) {
        Ok(s) => Some(s),
        Err(why) => {
            println!("skipped: FHIR test server unavailable: {why}");
            None
        }
    }
}

fn band(nhs: &str, demographics: &str) -> WristbandData {
    let policy = PatientPolicy::default();
    let gsrn = gsrn_for(&NhsNumber::parse(nhs).unwrap(), &policy);
    parse_scan(&format!("]d28018{gsrn}93{demographics}"), &policy).unwrap()
}

async fn check(band: &WristbandData) -> Option<Result<RecordCheck, PatientError>> {
    let s = server()?;
    let lookup = FhirPatientLookup::new(&s.base, &s.cert_pem).unwrap();
    Some(verify_against_record(&lookup, band).await)
}

#[tokio::test]
async fn seeded_patient_matches_band() {
    let Some(outcome) = check(&band("9434765919", "SMITH/JOHN/19800118")).await else {
        return;
    };
    match outcome.unwrap() {
        RecordCheck::Match { record, compared } => {
            assert_eq!(record.family_name.as_deref(), Some("Smith"));
            assert_eq!(record.given_names, ["John", "Paul"]);
            assert_eq!(record.birth_date.unwrap().iso(), "1980-01-18");
            assert!(compared.family_name && compared.given_name && compared.birth_date);
        }
        other => panic!("expected a match, got {other:?}"),
    }
}

#[tokio::test]
async fn apostrophes_and_case_do_not_matter() {
    let Some(outcome) = check(&band("9990000018", "O'BRIEN/SIOBHAN/19750302")).await else {
        return;
    };
    assert!(matches!(outcome.unwrap(), RecordCheck::Match { .. }));
}

#[tokio::test]
async fn conflicting_record_is_a_mismatch_that_blocks() {
    let Some(outcome) = check(&band("9990000018", "O'BRIEN/SINEAD/19750303")).await else {
        return;
    };
    let outcome = outcome.unwrap();
    assert!(outcome.blocks_session());
    match outcome {
        RecordCheck::Mismatch { fields, .. } => assert_eq!(
            fields,
            RecordFields {
                family_name: false,
                given_name: true,
                birth_date: true
            }
        ),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn former_name_on_the_band_is_a_mismatch() {
    let Some(outcome) = check(&band("9434765919", "BROWN/JOHN/19800118")).await else {
        return;
    };
    assert!(matches!(
        outcome.unwrap(),
        RecordCheck::Mismatch {
            fields: RecordFields {
                family_name: true,
                given_name: false,
                birth_date: false
            },
            ..
        }
    ));
}

#[tokio::test]
async fn unknown_patient_is_not_found() {
    let Some(outcome) = check(&band("9990000034", "NOBODY/NEW/20000101")).await else {
        return;
    };
    let outcome = outcome.unwrap();
    assert_eq!(outcome, RecordCheck::NotFound);
    assert!(!outcome.blocks_session());
    assert_eq!(outcome.to_error(), Some(PatientError::RecordNotFound));
}

#[tokio::test]
async fn two_records_are_ambiguous() {
    let Some(outcome) = check(&band("9990000026", "PATEL/ANIKA/20011130")).await else {
        return;
    };
    assert_eq!(outcome.unwrap(), RecordCheck::Ambiguous { count: 2 });
}

#[tokio::test]
async fn manual_entry_finds_the_record_to_show() {
    let nhs = NhsNumber::parse("943 476 5919").unwrap();
    let Some(outcome) = check(&WristbandData::manual_entry(nhs)).await else {
        return;
    };
    match outcome.unwrap() {
        RecordCheck::Match { record, compared } => {
            assert!(compared.is_empty(), "nothing on a typed number to compare");
            assert_eq!(record.family_name.as_deref(), Some("Smith"));
        }
        other => panic!("expected a match, got {other:?}"),
    }
}

#[tokio::test]
async fn wrong_pinned_certificate_is_refused() {
    let Some(s) = server() else { return };
    // A certificate for the same names from another key: exactly what an impostor would present.
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(dir.path().join("key.pem"))
        .arg("-out")
        .arg(dir.path().join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let other = std::fs::read(dir.path().join("cert.pem")).unwrap();
    let lookup = FhirPatientLookup::new(&s.base, &other).unwrap();
    let outcome = verify_against_record(&lookup, &band("9434765919", "SMITH/JOHN/19800118")).await;
    assert_eq!(outcome, Err(PatientError::RecordUntrusted));
    assert!(outcome.unwrap_err().is_unverified_but_usable());
}

#[tokio::test]
async fn server_down_is_offline() {
    // A port that was free a moment ago and has nothing listening now.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    // Any certificate will do: the connection is refused before TLS starts.
    let pem =
        std::fs::read(repo_root().join("crates/core/tests/fixtures/unrelated-cert.pem")).unwrap();
    let lookup =
        FhirPatientLookup::new(&format!("https://127.0.0.1:{port}/fhir/R4"), &pem).unwrap();
    let outcome = verify_against_record(&lookup, &band("9434765919", "SMITH/JOHN/19800118")).await;
    assert_eq!(outcome, Err(PatientError::RecordOffline));
    let e = outcome.unwrap_err();
    assert_eq!(e.code(), "patient.record_offline");
    assert!(e.is_unverified_but_usable());
    assert!(e.to_string().contains("not verified"));
}
