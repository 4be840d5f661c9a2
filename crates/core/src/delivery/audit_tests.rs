//! The audit trail on the trust's record: every chain entry as a valid R4 AuditEvent, the chain
//! verifiable from the record's AuditEvents alone, the patient named as the record names them,
//! each entry filed once however often it is sent, and nothing about a patient kept on the phone
//! longer than the record needs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::fhir::server_tests::{self as fhir_server, assert_resources_valid_r4, gate};
use super::fhir::{
    audit_bundle, audit_event, entries_in_bundle, AuditContext, AUDIT_SUBTYPE_SYSTEM,
    MAX_AUDIT_ENTRIES,
};
use super::orthanc_tests::{block_on, queued, Queued};
use super::{Courier, DrainReport};
use crate::audit::{verify_chain, BreakKind, Entry, Event, GENESIS};
use crate::patient::NHS_NUMBER_SYSTEM;
use crate::visit::PhotoId;

/// One entry of every kind, chained.
fn every_kind(photo: &str, visit: &str) -> Vec<Entry> {
    let events = vec![
        Event::Unlocked {
            method: "pin".into(),
        },
        Event::UnlockRefused {
            code: "auth.pin_wrong".into(),
        },
        Event::PatientIdentified {
            visit: visit.into(),
            how: "scan_verified".into(),
            patient: "ab".repeat(32),
        },
        Event::RecordCheckOverridden {
            visit: visit.into(),
            reason: "record_down".into(),
        },
        Event::ConsentRecorded {
            visit: visit.into(),
            consent: "c1".into(),
            how: "verbal".into(),
        },
        Event::Captured {
            visit: visit.into(),
            photo: photo.into(),
        },
        Event::Redacted {
            photo: photo.into(),
        },
        Event::Queued {
            photo: photo.into(),
        },
        Event::Delivered {
            photo: photo.into(),
            route: "record".into(),
        },
        Event::ReadBackMatched {
            photo: photo.into(),
            route: "record".into(),
        },
        Event::Shredded {
            photo: photo.into(),
        },
        Event::Discarded {
            photo: photo.into(),
        },
        Event::Purged {
            photo: photo.into(),
            age_hours: 800,
        },
        Event::RetentionWarned { photos: 2 },
        Event::ConsentWithdrawn {
            visit: visit.into(),
            photos: 1,
        },
        Event::Wiped {
            source: "mdm".into(),
            items: 9,
        },
        Event::PolicyApplied {
            version: 3,
            source: "code".into(),
        },
        Event::EntriesLost {
            count: 1,
            why: "write_failed".into(),
        },
        Event::Locked {
            reason: "idle".into(),
        },
    ];
    let mut prev = GENESIS.to_owned();
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let e = Entry {
                seq: i as u64,
                at: 1_764_000_000_000 + i as u64 * 1000,
                made_while_locked: None,
                event,
                prev: prev.clone(),
            };
            prev = e.hash();
            e
        })
        .collect()
}

fn context(photo: &str, visit: &str, entries: &[Entry]) -> AuditContext {
    let mut ctx = AuditContext {
        chain: "0f".repeat(32),
        site: Some("RX1".into()),
        clinician: Some("Dr A Jones".into()),
        subjects: BTreeMap::from([(
            visit.to_owned(),
            json!({ "identifier": { "system": NHS_NUMBER_SYSTEM, "value": "9434765919" } }),
        )]),
        photo_visits: BTreeMap::new(),
    };
    ctx.learn(entries);
    assert_eq!(ctx.photo_visits.get(photo).map(String::as_str), Some(visit));
    ctx
}

fn patient_of(event: &Value) -> Option<&Value> {
    event["entity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["role"]["code"] == "1")
        .map(|e| &e["what"])
}

fn bundle_value(entries: &[Entry], ctx: &AuditContext) -> Value {
    let b = audit_bundle(entries, ctx).unwrap();
    assert_eq!(b.count, entries.len());
    let last = entries.last().unwrap();
    assert_eq!(b.last, (last.seq, last.hash()));
    serde_json::from_slice(&b.body).unwrap()
}

#[test]
fn every_kind_of_entry_is_a_valid_r4_audit_event_naming_the_patient_only_where_it_should() {
    let photo = PhotoId::random().unwrap().to_string();
    let visit = "4e6f7a11-2222-4333-8444-555566667777";
    let entries = every_kind(&photo, visit);
    let ctx = context(&photo, visit, &entries);
    let events: Vec<Value> = entries.iter().map(|e| audit_event(e, &ctx)).collect();
    assert_resources_valid_r4(&events.iter().collect::<Vec<_>>());
    let mut ids = std::collections::HashSet::new();
    for (entry, event) in entries.iter().zip(&events) {
        let id = event["id"].as_str().unwrap();
        assert!(
            id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(ids.insert(id.to_owned()), "ids repeat");
        assert_eq!(event["subtype"][0]["system"], AUDIT_SUBTYPE_SYSTEM);
        assert_eq!(event["subtype"][0]["code"], entry.event.kind());
        assert_eq!(event["source"]["site"], "RX1");
        assert_eq!(event["agent"][0]["who"]["display"], "Dr A Jones");
        let about_patient = entry.event.visit().is_some() || entry.event.photo().is_some();
        match patient_of(event) {
            Some(what) => {
                assert!(about_patient, "{}: names a patient", entry.event.kind());
                assert_eq!(what["identifier"]["value"], "9434765919");
            }
            None => assert!(!about_patient, "{}: no patient", entry.event.kind()),
        }
        // The NHS number appears only in the patient entity, never in the chain entry sent.
        let text = event.to_string();
        assert_eq!(
            text.matches("9434765919").count(),
            usize::from(about_patient)
        );
    }
    // A refusal and a gap are failures; the rest succeeded.
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes[1], "4");
    assert_eq!(outcomes[17], "4");
    assert_eq!(outcomes.iter().filter(|o| **o == "4").count(), 2);
}

#[test]
fn the_chain_verifies_from_the_audit_events_and_a_removed_or_edited_one_is_found() {
    let photo = PhotoId::random().unwrap().to_string();
    let visit = "visit-1";
    let entries = every_kind(&photo, visit);
    let ctx = context(&photo, visit, &entries);
    let mut bundle = bundle_value(&entries, &ctx);
    // A search answers in any order.
    bundle["entry"].as_array_mut().unwrap().reverse();
    let chains = entries_in_bundle(&bundle).unwrap();
    let ours = &chains[&ctx.chain];
    let last = entries.last().unwrap();
    let head = verify_chain(ours, None, Some((last.seq, &last.hash()))).unwrap();
    assert_eq!(head.entries, entries.len() as u64);

    let mut removed = bundle.clone();
    removed["entry"].as_array_mut().unwrap().remove(5);
    let chains = entries_in_bundle(&removed).unwrap();
    let broken = verify_chain(&chains[&ctx.chain], None, None).unwrap_err();
    assert_eq!(broken.what, BreakKind::Gap);

    let mut edited = bundle.clone();
    let victim = &mut edited["entry"][3]["resource"]["entity"][0]["detail"][0]["valueBase64Binary"];
    let mut entry: Entry = {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(victim.as_str().unwrap())
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    entry.at += 1;
    *victim = {
        use base64::Engine as _;
        Value::from(base64::engine::general_purpose::STANDARD.encode(entry.canonical()))
    };
    let chains = entries_in_bundle(&edited).unwrap();
    let broken = verify_chain(&chains[&ctx.chain], None, None).unwrap_err();
    assert_eq!(broken.what, BreakKind::PrevMismatch);
    assert_eq!(broken.seq, Some(entry.seq + 1));

    // Dropping the last one is seen against the head the phone reports.
    let mut cut = bundle.clone();
    cut["entry"].as_array_mut().unwrap().remove(0);
    let chains = entries_in_bundle(&cut).unwrap();
    let broken =
        verify_chain(&chains[&ctx.chain], None, Some((last.seq, &last.hash()))).unwrap_err();
    assert_eq!(broken.what, BreakKind::Truncated);

    // An entry that is not one is reported at its place, not skipped.
    let mut damaged = bundle;
    damaged["entry"][2]["resource"]["entity"][0]["detail"][0]["valueBase64Binary"] =
        Value::from("bm90IGFuIGVudHJ5");
    assert_eq!(entries_in_bundle(&damaged).unwrap_err(), 2);
}

#[test]
fn a_bundle_holds_at_most_the_entries_given_and_none_for_none() {
    let entries = every_kind(&PhotoId::random().unwrap().to_string(), "v");
    let ctx = AuditContext::default();
    assert!(audit_bundle(&[], &ctx).is_none());
    let b = bundle_value(&entries[..3], &ctx);
    assert_eq!(b["type"], "transaction");
    assert_eq!(b["entry"].as_array().unwrap().len(), 3);
    assert_eq!(b["entry"][0]["request"]["method"], "PUT");
}

// --- Against the FHIR test server -------------------------------------------------------------

fn drain(q: &Queued, courier: &Courier) -> DrainReport {
    block_on(courier.drain(
        &q.ward,
        None::<&crate::patient::FhirPatientLookup>,
        true,
        &|_| {},
    ))
    .unwrap()
}

/// The record's AuditEvents of this ward's chain (the server is shared by parallel tests: the
/// chain is the one ending at the ward's head).
fn on_record(f: &fhir_server::Server, q: &Queued) -> (Vec<Entry>, Vec<Value>) {
    let head = q.ward.audit_status().unwrap().unwrap().head;
    let bundle = f.get("AuditEvent?_count=1000");
    let chains = entries_in_bundle(&bundle).unwrap();
    let (chain, entries) = chains
        .into_iter()
        .find(|(_, entries)| entries.iter().any(|e| e.hash() == head.hash))
        .unwrap_or_else(|| panic!("no chain ends at the ward's head"));
    let resources = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .filter(|r| {
            r["source"]["observer"]["identifier"]["value"]
                .as_str()
                .unwrap_or("")
                .contains(&chain)
        })
        .collect();
    (entries, resources)
}

fn audit_file(q: &Queued, name: &str) -> std::path::PathBuf {
    crate::audit::audit_dir(&q.vault_dir).join(name)
}

#[test]
fn the_record_holds_every_entry_once_naming_the_patient_as_its_document_does() {
    let Some(f) = fhir_server::server() else {
        return;
    };
    let courier = Courier::with_routes(None, Some(f.record("good")));
    let q = queued(1, 9_900);
    let p = q.photos[0];
    // Before delivery the phone keeps the patient for the AuditEvents, sealed.
    let subjects = std::fs::read(audit_file(&q, "subjects.log")).unwrap();
    assert!(!subjects.is_empty());
    let band_nhs = "9434765919";
    assert!(!subjects
        .windows(band_nhs.len())
        .any(|w| w == band_nhs.as_bytes()));

    let report = {
        let _g = gate();
        drain(&q, &courier)
    };
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(report.audit_problem, None, "{report:?}");
    let head = q.ward.audit_status().unwrap().unwrap().head;
    assert_eq!(report.audit_sent as u64, head.entries, "{report:?}");

    let (entries, resources) = on_record(f, &q);
    verify_chain(&entries, None, Some((head.seq, &head.hash))).unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.event.kind()).collect();
    for kind in [
        "unlocked",
        "patient_identified",
        "consent_recorded",
        "captured",
        "queued",
        "delivered",
        "read_back_matched",
        "shredded",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // The shredded photo's AuditEvent names the patient as the photo's DocumentReference does.
    let document = f.document(&super::fhir::document_identifier(p));
    let shredded = resources
        .iter()
        .find(|r| r["subtype"][0]["code"] == "shredded")
        .unwrap();
    assert_eq!(
        patient_of(shredded),
        Some(&document["subject"]),
        "{shredded}"
    );
    assert!(shredded["entity"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["what"]["identifier"]["value"] == document["identifier"][0]["value"]));
    assert_resources_valid_r4(&resources.iter().collect::<Vec<_>>());

    // The next drain retires the visit; nothing is sent twice and the patient is forgotten.
    let report = drain(&q, &courier);
    assert!(report.audit_sent < 3, "{report:?}");
    assert!(
        !audit_file(&q, "subjects.log").exists(),
        "the patient outlived the visit"
    );

    // The `sent` mark lost: everything goes again and the record still holds each entry once.
    std::fs::remove_file(audit_file(&q, "sent")).unwrap();
    q.ward
        .audit_event(Event::Locked {
            reason: "user".into(),
        })
        .unwrap();
    let report = drain(&q, &courier);
    let head = q.ward.audit_status().unwrap().unwrap().head;
    assert_eq!(report.audit_sent as u64, head.entries, "{report:?}");
    let (again, _) = on_record(f, &q);
    assert_eq!(again.len() as u64, head.entries);
    verify_chain(&again, None, Some((head.seq, &head.hash))).unwrap();
    assert_eq!(
        q.ward
            .audit_due(MAX_AUDIT_ENTRIES)
            .unwrap()
            .map(|b| b.count),
        None
    );
}

#[test]
fn a_record_that_fails_keeps_the_entries_on_the_phone_and_the_photos_are_not_held_by_them() {
    let Some(f) = fhir_server::server() else {
        return;
    };
    let q = queued(1, 9_950);
    let courier = Courier::with_routes(None, Some(f.record("status503")));
    let report = drain(&q, &courier);
    assert_eq!(report.audit_sent, 0, "{report:?}");
    // The photo met the server first; the audit log waits with it.
    assert_eq!(report.delivered, 0);
    let due = q.ward.audit_due(MAX_AUDIT_ENTRIES).unwrap().unwrap();
    assert!(due.count > 0);
    // The same server answering again takes both.
    let good = Courier::with_routes(None, Some(f.record("good")));
    let report = {
        let _g = gate();
        drain(&q, &good)
    };
    assert_eq!(report.delivered, 1, "{report:?}");
    assert!(report.audit_sent > 0, "{report:?}");
    assert!(q.ward.audit_due(MAX_AUDIT_ENTRIES).unwrap().is_none());
}

// --- The fuzz body (`fuzz/fuzz_targets/audit_record_bundle.rs`) -------------------------------

fn seeds() -> Vec<Vec<u8>> {
    let photo = PhotoId::random().unwrap().to_string();
    let entries = every_kind(&photo, "visit-9");
    let ctx = context(&photo, "visit-9", &entries);
    let one = bundle_value(&entries, &ctx);
    let mut two = one.clone();
    let other = AuditContext {
        chain: "cd".repeat(32),
        ..AuditContext::default()
    };
    let more = bundle_value(&entries[..4], &other);
    two["entry"]
        .as_array_mut()
        .unwrap()
        .extend(more["entry"].as_array().unwrap().iter().cloned());
    vec![
        serde_json::to_vec(&one).unwrap(),
        serde_json::to_vec(&two).unwrap(),
    ]
}

#[test]
fn the_fuzz_body_holds_on_real_bundles_and_on_damaged_ones() {
    use crate::audit::fuzzing::audit_record_bundle;
    let mut next = crate::crash_child::xorshift(0x2545_f491_4f6c_dd1du64);
    for seed in seeds() {
        audit_record_bundle(&seed);
        for _ in 0..300 {
            let mut damaged = seed.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % damaged.len();
                damaged[at] = (next() & 0xff) as u8;
            }
            audit_record_bundle(&damaged);
            let cut = (next() as usize) % seed.len();
            audit_record_bundle(&seed[..cut]);
        }
    }
    audit_record_bundle(b"{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"resourceType\":\"AuditEvent\",\"entity\":[{\"detail\":[{\"type\":\"wardcam-audit-entry\",\"valueBase64Binary\":\"e30=\"}]}]}}]}");
    audit_record_bundle(b"[]");
}

/// Writes the seeds to `fuzz/corpus/audit_record_bundle/` (run by hand when the format changes).
#[test]
#[ignore = "writes the fuzz corpus"]
fn write_record_bundle_corpus() {
    let dir = crate::test_servers::repo_root().join("fuzz/corpus/audit_record_bundle");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, seed) in seeds().iter().enumerate() {
        std::fs::write(dir.join(format!("seed-{i}.json")), seed).unwrap();
    }
}
