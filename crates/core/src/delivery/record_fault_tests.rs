//! The FHIR route's faults through the courier, against the FHIR test server's fault listeners
//! (`tests/servers/fhir/faults.mjs`), as `orthanc_tests` does for the PACS: in each, nothing is
//! shredded and nothing reaches the record, every photo stays queued with the problem in words (or
//! untried), and a later good record receives each photo exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::fhir::document_identifier;
use super::fhir::server_tests::{self as fhir_server, gate, Server};
use super::fhir::FhirRecord;
use super::orthanc_tests::{block_on, drain_with, queued};
use super::{Courier, Timeouts};
use crate::visit::{LocalState, ReceiptRecord};

/// A record client for fault `mode`; `refused` is the good endpoint moved to a port nothing
/// listens on.
fn record_for(f: &Server, mode: &str) -> FhirRecord {
    if mode != "refused" {
        return f.record(mode);
    }
    let mut config = f.config("good");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // https://127.0.0.1:<port>/fhir/R4 -> the same with the closed port.
    let (scheme, rest) = config.base_url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    config.base_url = format!("{scheme}://{host}:{closed}/{path}");
    FhirRecord::from_config(&config)
        .unwrap()
        .with_timeouts(Timeouts {
            base: std::time::Duration::from_secs(4),
            per_mib: std::time::Duration::from_secs(2),
        })
}

fn fault_then_filed_once(mode: &str, codes: &[&str], seed: u64) {
    let Some(f) = fhir_server::server() else {
        return;
    };
    let q = queued(2, seed);
    let images = q.images();
    let faulty = Courier::with_routes(None, Some(record_for(f, mode)));
    let (report, _) = {
        let _g = gate();
        block_on(drain_with(&faulty, &q.ward, false))
    };
    assert_eq!(
        (report.delivered, report.held),
        (0, 0),
        "{mode}: {report:?}"
    );
    let problem = report
        .server_problem
        .clone()
        .unwrap_or_else(|| panic!("{mode}: no server problem: {report:?}"));
    assert!(
        codes.contains(&problem.code.as_str()),
        "{mode}: {problem:?}"
    );
    assert!(!problem.message.contains("9434765919"), "{mode}");
    assert!(report.next_at.is_some(), "{mode}: no retry time");
    let vault = q.ward.vault().unwrap();
    let mut tried = 0;
    for (p, image) in q.photos.iter().zip(&images) {
        let m = q.manifest(*p);
        assert_eq!(m.state, LocalState::Queued, "{mode}: {p}");
        assert_eq!(&vault.unseal(m.image).unwrap()[..], &image[..], "{mode}");
        assert!(m.delivery.filed.is_none() && m.delivery.verified.is_empty());
        match &m.delivery.problem {
            Some(pr) => {
                tried += 1;
                assert_eq!(pr, &problem, "{mode}: {p}");
            }
            None => assert_eq!(m.delivery.attempts, 0, "{mode}: {p}"),
        }
        assert_eq!(
            f.with_identifier("DocumentReference", &document_identifier(*p)),
            0,
            "{mode}: {p} reached the record"
        );
    }
    assert!(tried >= 1, "{mode}: no photo carries the problem");
    // The record is good again: each photo filed once, read back, shredded.
    let good = Courier::with_routes(None, Some(f.record("good")));
    let (report, _) = {
        let _g = gate();
        block_on(drain_with(&good, &q.ward, true))
    };
    assert_eq!(report.delivered, 2, "{mode}: {report:?}");
    for p in &q.photos {
        assert!(q.ward.manifest(*p).unwrap().is_none(), "{mode}: {p} kept");
        assert_eq!(
            f.with_identifier("DocumentReference", &document_identifier(*p)),
            1,
            "{mode}: {p}"
        );
    }
    let filed = q
        .ward
        .receipts()
        .unwrap()
        .iter()
        .filter(|r| matches!(r, ReceiptRecord::Deletion { filed: Some(_), .. }))
        .count();
    assert_eq!(filed, 2, "{mode}");
}

macro_rules! record_fault_tests {
    ($($name:ident: $mode:literal => [$($code:literal),+], $seed:literal;)*) => {
        $(
            #[test]
            fn $name() {
                fault_then_filed_once($mode, &[$($code),+], $seed);
            }
        )*
    };
}

record_fault_tests! {
    record_refused_keeps_photos_then_files_once: "refused" => ["endpoint.unreachable"], 11_001;
    record_status500_keeps_photos_then_files_once: "status500" => ["endpoint.unavailable"], 11_002;
    record_status503_keeps_photos_then_files_once: "status503" => ["endpoint.unavailable"], 11_003;
    record_status429_keeps_photos_then_files_once: "status429" => ["endpoint.unavailable"], 11_004;
    record_stall_keeps_photos_then_files_once: "stall_after_handshake" => ["endpoint.unavailable"], 11_005;
    record_reset_keeps_photos_then_files_once: "reset" => ["endpoint.unreachable", "endpoint.unavailable"], 11_006;
    record_malformed_keeps_photos_then_files_once: "malformed" => ["fhir_reply.not_json"], 11_007;
    record_redirect_keeps_photos_then_files_once: "redirect" => ["endpoint.redirected"], 11_008;
    record_unpinned_keeps_photos_then_files_once: "unpinned" => ["endpoint.pin_mismatch"], 11_009;
    record_other_ca_keeps_photos_then_files_once: "other_ca" => ["endpoint.not_trusted"], 11_010;
    record_expired_keeps_photos_then_files_once: "expired" => ["endpoint.not_trusted"], 11_011;
    record_wrong_host_keeps_photos_then_files_once: "wrong_host" => ["endpoint.not_trusted"], 11_012;
    record_tls11_keeps_photos_then_files_once: "tls11" => ["endpoint.not_trusted"], 11_013;
    record_auth_missing_keeps_photos_then_files_once: "auth_missing" => ["endpoint.rejected"], 11_014;
}
