//! The record look-up against a real FHIR engine: `tests/servers/fhir/server.mjs`
//! (@medplum/fhir-router over HTTPS, its own CA and pinned key made fresh at every start, and with
//! `--faults` one listener per TLS or HTTP fault), seeded from `tests/servers/fhir/seed-patients.json`.
//!
//! One server is started for the whole test binary (it loads the FHIR definitions, which takes a
//! few seconds) with `--exit-with-stdin`, so it goes away with this process however it ends.
//! Without `node`, `openssl` or `node_modules/@medplum/fhir-router` the tests that need the server
//! print why and pass, unless `WARDCAM_REQUIRE_SERVERS=1` (set by `scripts/test`, so CI cannot
//! skip them); the offline test needs none of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use wardcam_core::endpoint::{
    Endpoint, EndpointConfig, EndpointError, Method, Request, TrustProblem,
};
use wardcam_core::patient::{
    gsrn_for, parse_scan, verify_against_record, FhirPatientLookup, NhsNumber, PatientError,
    PatientPolicy, RecordCheck, RecordFields, Verification, WristbandData,
};

#[path = "support/servers.rs"]
mod servers;
use servers::Kind;

struct Server {
    ready: serde_json::Value,
    // Held so the pipe to the server's stdin stays open while the tests run.
    _child: Mutex<Child>,
}

impl Server {
    /// The endpoint configuration for the good server, or for fault `mode`.
    fn config(&self, mode: &str) -> EndpointConfig {
        let json = std::fs::read(servers::endpoint_file(&self.ready, mode)).unwrap();
        EndpointConfig::from_json(&json).unwrap()
    }

    fn lookup(&self, mode: &str) -> FhirPatientLookup {
        FhirPatientLookup::from_config(&self.config(mode)).unwrap()
    }

    /// The URLs of every request the server has logged so far.
    fn logged_urls(&self) -> Vec<String> {
        let log = std::fs::read_to_string(self.ready["log"].as_str().unwrap()).unwrap();
        log.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["url"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

fn start_server() -> Result<Server, String> {
    let started = servers::start(Kind::Fhir, &["--faults"], Stdio::inherit())?;
    Ok(Server {
        ready: started.ready,
        _child: Mutex::new(started.child),
    })
}

fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    servers::shared(&SERVER, Kind::Fhir, start_server)
}

fn band(nhs: &str, demographics: &str) -> WristbandData {
    let policy = PatientPolicy::default();
    let gsrn = gsrn_for(&NhsNumber::parse(nhs).unwrap(), &policy);
    parse_scan(&format!("]d28018{gsrn}93{demographics}"), &policy).unwrap()
}

async fn check(band: &WristbandData) -> Option<Result<RecordCheck, PatientError>> {
    let s = server()?;
    Some(verify_against_record(&s.lookup("good"), band).await)
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
    assert!(outcome.blocks_session());
    let v = Verification::from_outcome(Ok(outcome));
    assert!(matches!(
        v,
        Verification::NeedsOverride {
            reason: PatientError::RecordNotFound
        }
    ));
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

/// The band whose details conflict with the record (given name and date of birth differ).
fn conflicting_band() -> WristbandData {
    band("9990000018", "O'BRIEN/SINEAD/19750303")
}

/// Every fault the harness offers, with what the look-up must say and the verdict it must get.
/// None may turn the conflicting band into a confirmable patient without a re-check.
#[tokio::test]
async fn every_fault_gets_its_own_verdict_and_message() {
    let Some(s) = server() else { return };
    use PatientError as P;
    let table: &[(&str, PatientError, &str)] = &[
        ("unpinned", P::RecordPinMismatch, "blocked"),
        (
            "other_ca",
            P::RecordNotTrusted {
                problem: TrustProblem::UnknownIssuer,
            },
            "blocked",
        ),
        (
            "expired",
            P::RecordNotTrusted {
                problem: TrustProblem::Expired,
            },
            "blocked",
        ),
        (
            "wrong_host",
            P::RecordNotTrusted {
                problem: TrustProblem::WrongHost,
            },
            "blocked",
        ),
        (
            "tls11",
            P::RecordNotTrusted {
                problem: TrustProblem::OldProtocol,
            },
            "blocked",
        ),
        ("redirect", P::RecordRedirected { status: 302 }, "blocked"),
        (
            "status500",
            P::RecordUnavailable { status: Some(500) },
            "needs_override",
        ),
        (
            "status503",
            P::RecordUnavailable { status: Some(503) },
            "needs_override",
        ),
        (
            "status429",
            P::RecordUnavailable { status: Some(429) },
            "needs_override",
        ),
        ("malformed", P::RecordMalformed, "blocked"),
        (
            "stall_before_handshake",
            P::RecordUnreachable,
            "not_verified",
        ),
        (
            "stall_after_handshake",
            P::RecordUnavailable { status: None },
            "needs_override",
        ),
        ("reset", P::RecordUnreachable, "not_verified"),
        (
            "mtls_missing",
            P::RecordNotTrusted {
                problem: TrustProblem::ClientCertificateRefused,
            },
            "blocked",
        ),
        ("auth_missing", P::RecordRejected { status: 401 }, "blocked"),
    ];
    let mut messages = std::collections::HashSet::new();
    for (mode, want, verdict) in table {
        let started = Instant::now();
        let outcome = verify_against_record(&s.lookup(mode), &conflicting_band()).await;
        assert_eq!(outcome, Err(*want), "{mode}");
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{mode} took {:?}",
            started.elapsed()
        );
        let v = Verification::from_outcome(outcome);
        let got = match &v {
            Verification::Verified { .. } => "verified",
            Verification::NotVerified { .. } => "not_verified",
            Verification::NeedsOverride { .. } => "needs_override",
            Verification::Blocked { .. } => "blocked",
            _ => "unknown",
        };
        assert_eq!(got, *verdict, "{mode}");
        // Only the unreachable class may be confirmed without an override, and it must be
        // checked again before any photo is delivered.
        assert_eq!(
            v.confirmable(false, &Default::default()).is_ok(),
            *verdict == "not_verified",
            "{mode}"
        );
        if *verdict != "blocked" {
            assert!(
                v.needs_recheck(),
                "{mode} must be checked again before delivery"
            );
        }
        messages.insert(want.to_string());
    }
    // Trust failures read as "not trusted", never as offline.
    for mode in ["unpinned", "other_ca", "expired", "wrong_host", "tls11"] {
        let e = verify_against_record(&s.lookup(mode), &conflicting_band())
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Hospital server not trusted - tell IT"),
            "{mode}: {e}"
        );
    }
    assert!(
        messages.len() >= 10,
        "messages should differ by fault: {messages:?}"
    );
}

#[tokio::test]
async fn good_certificate_and_client_credentials_get_through() {
    let Some(s) = server() else { return };
    for mode in ["good", "expiring", "mtls", "auth"] {
        let outcome = verify_against_record(&s.lookup(mode), &conflicting_band()).await;
        assert!(
            matches!(outcome, Ok(RecordCheck::Mismatch { .. })),
            "{mode}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn a_pinned_certificate_near_expiry_is_reported() {
    let Some(s) = server() else { return };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
    };
    for (mode, soon) in [("expiring", true), ("good", false)] {
        let lookup = s.lookup(mode);
        assert_eq!(
            lookup.endpoint().certificate_status(now()),
            None,
            "none before a handshake"
        );
        verify_against_record(&lookup, &conflicting_band())
            .await
            .unwrap();
        let status = lookup.endpoint().certificate_status(now()).unwrap();
        assert_eq!(status.expires_soon, soon, "{mode}");
        assert!(status.not_after > now());
    }
    assert_eq!(
        s.lookup("good").endpoint().pin_count(),
        2,
        "current key and a backup"
    );
}

#[tokio::test]
async fn the_nhs_number_is_never_in_a_url() {
    let Some(s) = server() else { return };
    for mode in ["good", "redirect", "status500", "stall_after_handshake"] {
        let _ = verify_against_record(&s.lookup(mode), &band("9434765919", "SMITH/JOHN/19800118"))
            .await;
    }
    let urls = s.logged_urls();
    assert!(
        urls.iter().any(|u| u.ends_with("/Patient/_search")),
        "{urls:?}"
    );
    for url in &urls {
        let digits: String = url.chars().filter(char::is_ascii_digit).collect();
        assert!(
            !url.contains("9434765919") && !digits.contains("9434765919"),
            "{url}"
        );
        let run = url
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(run < 10, "ten digits in a URL: {url}");
    }
}

#[tokio::test]
async fn the_client_refuses_to_leave_the_base_or_follow_a_redirect() {
    let Some(s) = server() else { return };
    let endpoint = Endpoint::new(&s.config("redirect")).unwrap();
    let request = |path| Request {
        method: Method::Get,
        path,
        content_type: None,
        accept: "application/fhir+json",
        body: Default::default(),
        timeout: Duration::from_secs(5),
        max_reply: 1024,
    };
    assert_eq!(
        endpoint.send(request("metadata")).await.unwrap_err(),
        EndpointError::Redirected { status: 302 }
    );
    assert_eq!(
        endpoint.send(request("../../elsewhere")).await.unwrap_err(),
        EndpointError::ConfigInvalid { field: "path" }
    );
    // A reply over the cap is refused, not truncated.
    let good = Endpoint::new(&s.config("good")).unwrap();
    assert!(good.send(request("metadata")).await.is_ok());
    let small = Request {
        max_reply: 16,
        ..request("metadata")
    };
    assert_eq!(
        good.send(small).await.unwrap_err(),
        EndpointError::Malformed
    );
}

#[tokio::test]
async fn server_down_is_unreachable() {
    let Some(s) = server() else { return };
    // A port that was free a moment ago and has nothing listening now.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = s.config("good");
    config.base_url = format!("https://127.0.0.1:{port}/fhir/R4");
    let lookup = FhirPatientLookup::from_config(&config).unwrap();
    let outcome = verify_against_record(&lookup, &conflicting_band()).await;
    assert_eq!(outcome, Err(PatientError::RecordUnreachable));
    let e = outcome.unwrap_err();
    assert_eq!(e.code(), "patient.record_unreachable");
    assert!(e.to_string().contains("not verified"));
}
