//! Photos filed in a real FHIR engine: `tests/servers/fhir/server.mjs` (@medplum/fhir-router over
//! HTTPS with its own CA and pinned key, every resource validated against R4, transactions all or
//! nothing, and with `--faults` one listener per TLS or HTTP fault). One server for the whole test
//! binary, started with `--exit-with-stdin` so it goes with this process. Without `node`,
//! `openssl` or `node_modules/@medplum/fhir-router` the tests print why and pass, unless
//! `WARDCAM_REQUIRE_SERVERS=1` (set by `scripts/test`, so CI cannot skip them).
//!
//! The server is this module's alone, but its tests run in parallel: each counts only its own
//! photos' resources, and the one count that cannot be narrowed (FhirRouter's in-memory search
//! does not match `_id` on Binary, so Binaries are counted all together) is taken under [`GATE`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use serde_json::Value;
use zeroize::Zeroizing;

use super::tests::{photos, photos_from, Photos};
use super::*;
use crate::delivery::orthanc_tests::{block_on, queued_images};
use crate::delivery::{Outcome, Timeouts};
use crate::endpoint::{Endpoint, EndpointConfig, Method, Request, RetryAfter};
use crate::test_servers::{self, repo_root, Kind};
use crate::vault::Timestamp;

pub(crate) struct Server {
    ready: Value,
    _child: Mutex<Child>,
}

fn start() -> Result<Server, String> {
    let started = test_servers::start(Kind::Fhir, &["--faults"], Stdio::null())?;
    Ok(Server {
        ready: started.ready,
        _child: Mutex::new(started.child),
    })
}

pub(crate) fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    test_servers::shared(&SERVER, Kind::Fhir, start)
}

/// Held while posting or counting Binaries (see the module documentation).
static GATE: Mutex<()> = Mutex::new(());

pub(crate) fn gate() -> MutexGuard<'static, ()> {
    GATE.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    pub(crate) fn config(&self, mode: &str) -> EndpointConfig {
        let json = std::fs::read(test_servers::endpoint_file(&self.ready, mode)).unwrap();
        EndpointConfig::from_json(&json).unwrap()
    }

    /// A record client for `mode`, with short timeouts (the stall listener holds requests open).
    pub(crate) fn record(&self, mode: &str) -> FhirRecord {
        FhirRecord::from_config(&self.config(mode))
            .unwrap()
            .with_timeouts(Timeouts {
                base: Duration::from_secs(4),
                per_mib: Duration::from_secs(2),
            })
    }

    /// GET below the base, as FHIR JSON.
    pub(crate) fn get(&self, path: &str) -> Value {
        let endpoint = Endpoint::new(&self.config("good")).unwrap();
        let reply = block_on(endpoint.send(Request {
            method: Method::Get,
            path,
            content_type: None,
            accept: FHIR_JSON,
            body: Zeroizing::new(Vec::new()),
            timeout: Duration::from_secs(20),
            max_reply: 64 << 20,
        }))
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        serde_json::from_slice(&reply.body).unwrap()
    }

    /// The endpoint file of `mode`, for a child process.
    pub(crate) fn endpoint_path(&self, mode: &str) -> String {
        test_servers::endpoint_file(&self.ready, mode)
    }

    /// How many DocumentReferences carry each of `identifiers` (`urn:uuid:…`), in one form
    /// `_search`.
    pub(crate) fn document_counts(
        &self,
        identifiers: &[String],
    ) -> std::collections::HashMap<String, usize> {
        let mut counts = std::collections::HashMap::new();
        if identifiers.is_empty() {
            return counts;
        }
        let list: Vec<String> = identifiers
            .iter()
            .map(|i| format!("{URN_SYSTEM}|{i}"))
            .collect();
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("identifier", &list.join(","))
            .append_pair("_count", "1000")
            .finish();
        let endpoint = Endpoint::new(&self.config("good")).unwrap();
        let reply = block_on(endpoint.send(Request {
            method: Method::Post,
            path: "DocumentReference/_search",
            content_type: Some("application/x-www-form-urlencoded"),
            accept: FHIR_JSON,
            body: Zeroizing::new(body.into_bytes()),
            timeout: Duration::from_secs(30),
            max_reply: 256 << 20,
        }))
        .unwrap_or_else(|e| panic!("DocumentReference/_search: {e}"));
        assert_eq!(reply.status, 200, "DocumentReference/_search");
        let found: Value = serde_json::from_slice(&reply.body).unwrap();
        let entries = found["entry"].as_array().cloned().unwrap_or_default();
        assert!(
            found["total"]
                .as_u64()
                .is_none_or(|t| t as usize == entries.len()),
            "a search cut short"
        );
        for e in entries {
            for id in e["resource"]["identifier"].as_array().into_iter().flatten() {
                if id["system"] == URN_SYSTEM {
                    if let Some(v) = id["value"].as_str() {
                        *counts.entry(v.to_owned()).or_default() += 1;
                    }
                }
            }
        }
        counts
    }

    /// How many resources a search finds.
    pub(crate) fn total(&self, search: &str) -> u64 {
        let sep = if search.contains('?') { '&' } else { '?' };
        self.get(&format!("{search}{sep}_count=0"))["total"]
            .as_u64()
            .unwrap()
    }

    /// How many resources of `kind` carry `identifier` (`urn:uuid:…` under urn:ietf:rfc:3986).
    pub(crate) fn with_identifier(&self, kind: &str, identifier: &str) -> u64 {
        let token: String =
            form_urlencoded::byte_serialize(format!("{URN_SYSTEM}|{identifier}").as_bytes())
                .collect();
        self.total(&format!("{kind}?identifier={token}"))
    }

    /// The DocumentReference filed under `identifier`.
    pub(crate) fn document(&self, identifier: &str) -> Value {
        let token: String =
            form_urlencoded::byte_serialize(format!("{URN_SYSTEM}|{identifier}").as_bytes())
                .collect();
        let found = self.get(&format!("DocumentReference?identifier={token}"));
        assert_eq!(found["total"], 1, "DocumentReference {identifier}");
        found["entry"][0]["resource"].clone()
    }
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn bundle(p: &Photos, i: usize) -> TransactionBundle {
    let (m, image) = &p.photos[i];
    transaction_bundle(m, image, &p.consent, now()).unwrap()
}

fn filed(outcome: Outcome<Filed>) -> Filed {
    match outcome {
        Outcome::Done(f) => f,
        other => panic!("not filed: {other:?}"),
    }
}

fn statuses(f: &Filed) -> Vec<(EntryKind, u16)> {
    f.entries.iter().map(|e| (e.kind, e.status)).collect()
}

/// Every resource of the Bundle through the server's own validator (`validate.mjs`, the same
/// validateResource the server runs): no error and no warning.
fn assert_valid_r4(bundle: &TransactionBundle) {
    let v = bundle.to_value().unwrap();
    let resources: Vec<&Value> = v["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    assert_resources_valid_r4(&resources);
}

/// `resources` through the FHIR test server's validator (`validate.mjs`): no issue at all.
pub(crate) fn assert_resources_valid_r4(resources: &[&Value]) {
    let mut child = Command::new("node")
        .arg(repo_root().join("tests/servers/fhir/validate.mjs"))
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&serde_json::to_vec(&resources).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let issues: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "validation errors: {issues}");
    for (resource, found) in resources.iter().zip(issues.as_array().unwrap()) {
        assert_eq!(
            found.as_array().unwrap().len(),
            0,
            "{}: {found}",
            resource["resourceType"]
        );
    }
}

#[test]
fn a_photo_is_filed_with_no_validation_error_and_its_binary_reads_back() {
    let Some(s) = server() else { return };
    let p = photos(1, 40);
    let built = bundle(&p, 0);
    assert_valid_r4(&built);
    let identifier = built.document_identifier().unwrap().to_owned();
    let sent = built.binary().clone();
    let f = {
        let _g = gate();
        filed(block_on(s.record("good").post_bundle(built)))
    };
    // Created, but the Binary: FhirRouter answers an update-as-create 200.
    assert_eq!(
        statuses(&f),
        [
            (EntryKind::Consent, 201),
            (EntryKind::DocumentReference, 201),
            (EntryKind::Provenance, 201),
            (EntryKind::Binary, 200),
        ]
    );
    assert_eq!(f.binary, sent);
    let doc_location = f.entries[1].location.clone().unwrap();
    assert!(
        doc_location.starts_with("DocumentReference/"),
        "{doc_location}"
    );
    assert_eq!(
        block_on(s.record("good").read_back(&f.binary)),
        Outcome::Done(true)
    );

    // What the server holds: the references resolved to what it filed.
    let doc = s.document(&identifier);
    assert_eq!(
        format!("DocumentReference/{}", doc["id"].as_str().unwrap()),
        doc_location
    );
    let consent_ref = doc["context"]["related"][0]["reference"].as_str().unwrap();
    let consent_location = f.entries[0].location.clone().unwrap();
    assert_eq!(consent_ref, consent_location);
    let consent = s.get(consent_ref);
    assert_eq!(
        consent["identifier"][0]["value"],
        format!("urn:uuid:{}", p.consent.id)
    );
    let provenance = s.get(f.entries[2].location.as_deref().unwrap());
    assert_eq!(provenance["target"][0]["reference"], doc_location.as_str());
    let binary = s.get(&format!("Binary/{}", sent.id));
    assert_eq!(
        binary["securityContext"]["reference"],
        doc_location.as_str()
    );
    assert_eq!(
        doc["content"][0]["attachment"]["url"],
        format!("Binary/{}", sent.id)
    );
}

#[test]
fn posting_a_photo_again_creates_nothing_new() {
    let Some(s) = server() else { return };
    let p = photos(2, 41);
    let _g = gate();
    let binaries = s.total("Binary");
    let first = filed(block_on(s.record("good").post_bundle(bundle(&p, 0))));
    // The reply was lost: the same photo goes again, its Bundle built afresh.
    let again = filed(block_on(s.record("good").post_bundle(bundle(&p, 0))));
    assert_eq!(
        statuses(&again),
        [
            (EntryKind::Consent, 200),
            (EntryKind::DocumentReference, 200),
            (EntryKind::Provenance, 200),
            (EntryKind::Binary, 200),
        ]
    );
    for (a, b) in first.entries.iter().zip(&again.entries) {
        if a.kind != EntryKind::Binary {
            assert_eq!(
                a.location, b.location,
                "{:?} matched another resource",
                a.kind
            );
        }
    }
    // The visit's second photo: its own resources, the same Consent.
    let second = filed(block_on(s.record("good").post_bundle(bundle(&p, 1))));
    assert_eq!(second.entries[0].status, 200);
    assert_eq!(second.entries[1].status, 201);

    let consent = format!("urn:uuid:{}", p.consent.id);
    assert_eq!(s.with_identifier("Consent", &consent), 1);
    for (m, _) in &p.photos {
        let identifier = document_identifier(m.photo_id);
        assert_eq!(s.with_identifier("DocumentReference", &identifier), 1);
        let doc = s.document(&identifier);
        let target = format!("DocumentReference/{}", doc["id"].as_str().unwrap());
        assert_eq!(s.total(&format!("Provenance?target={target}")), 1);
    }
    assert_eq!(s.total("Binary"), binaries + 2);
}

/// A JPEG of about 5 MB: noisy pixels compress badly.
fn large_jpeg() -> Vec<u8> {
    let (w, h) = (2400u16, 1800u16);
    let mut x: u32 = 0x9E37_79B9;
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

#[test]
fn a_five_megabyte_photo_is_filed_and_reads_back() {
    let Some(s) = server() else { return };
    let image = large_jpeg();
    assert!(image.len() > 4_500_000, "only {} bytes", image.len());
    let p = photos_from(queued_images(std::slice::from_ref(&image)));
    let built = bundle(&p, 0);
    assert!(built.body().len() > 6_000_000);
    let f = {
        let _g = gate();
        filed(block_on(s.record("good").post_bundle(built)))
    };
    assert_eq!(f.binary.len, image.len() as u64);
    assert_eq!(
        block_on(s.record("good").read_back(&f.binary)),
        Outcome::Done(true)
    );
}

/// Posts `bundle` (made invalid by the caller) and expects the photo held with words.
fn assert_refused(s: &Server, p: &Photos, bundle: &Value, path: &str) {
    let hand_made = TransactionBundle::from_value(bundle).unwrap();
    let outcome = {
        let _g = gate();
        block_on(s.record("good").post_bundle(hand_made))
    };
    let Outcome::Hold(problem) = outcome else {
        panic!("not held: {outcome:?}");
    };
    assert_eq!(problem.code, "delivery.fhir_refused");
    assert!(problem.message.contains("HTTP 400"), "{}", problem.message);
    assert!(
        problem
            .message
            .contains("a resource did not pass the record's checks"),
        "{}",
        problem.message
    );
    assert!(problem.message.contains(path), "{}", problem.message);
    for secret in ["9434765919", "SMITH", "Smith", "JOHN", "graze"] {
        assert!(!problem.message.contains(secret), "{}", problem.message);
    }
    // Nothing of the Bundle was written.
    let (m, _) = &p.photos[0];
    assert_eq!(
        s.with_identifier("DocumentReference", &document_identifier(m.photo_id)),
        0
    );
    assert_eq!(
        s.with_identifier("Consent", &format!("urn:uuid:{}", p.consent.id)),
        0
    );
}

#[test]
fn an_invalid_resource_is_refused_and_the_photo_held_with_words() {
    let Some(s) = server() else { return };
    let p = photos(1, 42);
    let mut v = bundle(&p, 0).to_value().unwrap();
    v["entry"][1]["resource"]["content"][0]["attachment"]["hash"] = Value::from("not base64!");
    assert_refused(
        s,
        &p,
        &v,
        "Bundle.entry[1].resource.content[0].attachment.hash",
    );

    let p = photos(1, 43);
    let mut v = bundle(&p, 0).to_value().unwrap();
    v["entry"][1]["resource"]
        .as_object_mut()
        .unwrap()
        .remove("status");
    assert_refused(s, &p, &v, "Bundle.entry[1].resource.status");
}

#[test]
fn the_read_back_tells_a_changed_or_missing_binary() {
    let Some(s) = server() else { return };
    let p = photos(1, 44);
    let f = {
        let _g = gate();
        filed(block_on(s.record("good").post_bundle(bundle(&p, 0))))
    };
    let record = s.record("good");
    let mut changed = f.binary.clone();
    changed.sha256[0] ^= 1;
    assert_eq!(block_on(record.read_back(&changed)), Outcome::Done(false));
    let mut longer = f.binary.clone();
    longer.len += 1;
    assert_eq!(block_on(record.read_back(&longer)), Outcome::Done(false));
    let mut elsewhere = f.binary.clone();
    elsewhere.id = "0b5e5e5e-0000-8000-8000-000000000000".into();
    assert_eq!(block_on(record.read_back(&elsewhere)), Outcome::NotOnServer);
    let mut escaping = f.binary.clone();
    escaping.id = "../Patient".into();
    assert_eq!(block_on(record.read_back(&escaping)), Outcome::Done(false));
}

#[test]
fn server_faults_wait_and_say_why() {
    let Some(s) = server() else { return };
    let p = photos(1, 45);
    let expect_retry = |mode: &str| -> (String, Option<RetryAfter>) {
        match block_on(s.record(mode).post_bundle(bundle(&p, 0))) {
            Outcome::Retry {
                problem,
                after,
                server_wide,
            } => {
                assert!(server_wide, "{mode}: {problem:?}");
                assert!(!problem.message.contains("9434765919"));
                (problem.code, after)
            }
            other => panic!("{mode}: {other:?}"),
        }
    };
    assert_eq!(
        expect_retry("status503"),
        (
            "endpoint.unavailable".into(),
            Some(RetryAfter::Seconds(120))
        )
    );
    assert_eq!(
        expect_retry("status429"),
        ("endpoint.unavailable".into(), Some(RetryAfter::Seconds(30)))
    );
    assert_eq!(expect_retry("status500").0, "endpoint.unavailable");
    assert_eq!(expect_retry("malformed").0, "fhir_reply.not_json");
    assert_eq!(expect_retry("redirect").0, "endpoint.redirected");
    assert_eq!(expect_retry("unpinned").0, "endpoint.pin_mismatch");
    assert_eq!(expect_retry("expired").0, "endpoint.not_trusted");
    assert_eq!(expect_retry("auth_missing").0, "endpoint.rejected");
    assert_eq!(
        expect_retry("stall_after_handshake").0,
        "endpoint.unavailable"
    );
    let reset = expect_retry("reset").0;
    assert!(
        reset == "endpoint.unreachable" || reset == "endpoint.unavailable",
        "{reset}"
    );
    // Nothing reached the record through any of them.
    assert_eq!(
        s.with_identifier(
            "DocumentReference",
            &document_identifier(p.photos[0].0.photo_id)
        ),
        0
    );
    // The read-back waits the same way.
    let binary = bundle(&p, 0).binary().clone();
    assert!(matches!(
        block_on(s.record("status503").read_back(&binary)),
        Outcome::Retry {
            server_wide: true,
            after: Some(RetryAfter::Seconds(120)),
            ..
        }
    ));
}
