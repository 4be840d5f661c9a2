//! The outbox's transactions without a server: what each step seals, what the plan offers, and
//! what a restart makes of each state.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use zeroize::Zeroizing;

use super::manifest::Route;
use super::testing::{candidate, jpeg, verbal, BAND};
use super::*;
use crate::intake::{Rect, Redaction};
use crate::review::{Label, Laterality};
use crate::session::{Purpose, SessionPolicy, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{ItemKind, Timestamp, Vault};
use crate::Error;

struct Fixture {
    dir: tempfile::TempDir,
    keys: MemoryKeyStore,
    ward: Ward,
    photos: Vec<PhotoId>,
}

fn open(dir: &std::path::Path, keys: &MemoryKeyStore) -> Ward {
    let ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: true,
        },
        Arc::new(SystemClock::new()),
        Arc::new(FileSystemStorage),
    );
    let vault = Vault::open_or_create(&dir.join("vault"), keys).unwrap();
    ward.attach_vault(Arc::new(vault)).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward
}

/// `n` labelled photos queued for one patient; the visit ended if `end`.
fn fixture(n: usize, end: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let ward = open(dir.path(), &keys);
    ward.set_pin(&Zeroizing::new("482916".to_owned()), "Dr A Jones", None)
        .unwrap();
    ward.identify(candidate(BAND)).unwrap();
    ward.confirm().unwrap();
    ward.record_consent(verbal()).unwrap();
    ward.start_capture().unwrap();
    let mut photos = Vec::new();
    for i in 0..n {
        let p = ward.capture(&jpeg(i as u64), Purpose::Care).unwrap();
        ward.label(p.id, Label::new("14975008", Laterality::Left, "").unwrap())
            .unwrap();
        photos.push(p.id);
    }
    ward.review().unwrap();
    ward.queue().unwrap();
    if end {
        ward.end_visit().unwrap();
    }
    Fixture {
        dir,
        keys,
        ward,
        photos,
    }
}

fn state(f: &Fixture, p: PhotoId) -> Option<LocalState> {
    f.ward.manifest(p).unwrap().map(|m| m.state)
}

fn problem(code: &str) -> Problem {
    Problem {
        code: code.into(),
        message: "words".into(),
    }
}

/// Begins a send and returns what the server would be told.
fn begin(f: &Fixture, p: PhotoId) -> SentRecord {
    match f.ward.begin_delivery(p, "https://pacs/dicom-web/").unwrap() {
        Some(DeliveryJob::Send { sent, part10, .. }) => {
            assert!(part10.starts_with(&[0; 128]) && &part10[128..132] == b"DICM");
            sent
        }
        other => panic!("expected a send, got {other:?}"),
    }
}

/// The PACS holds the visit's consent copy, read back (what the courier does for a PACS-only
/// trust before the consent may go with the last photo).
fn copy_consent(f: &Fixture) {
    let m = f.ward.manifest(f.photos[0]).unwrap().unwrap();
    let sent = SentRecord {
        server: "https://pacs/dicom-web/".into(),
        study_uid: "2.25.1".into(),
        series_uid: "2.25.2".into(),
        sop_uid: "2.25.3".into(),
        frame_sha256: "00".repeat(32),
        frame_len: 1,
        file: None,
        at: now(),
    };
    f.ward.consent_copy_acked(m.visit_id, sent).unwrap();
    f.ward
        .consent_copy_verified(m.visit_id, &Destinations::pacs("https://pacs/dicom-web/"))
        .unwrap();
}

fn now() -> Timestamp {
    Timestamp::now()
}

#[test]
fn the_plan_offers_queued_photos_oldest_first_and_respects_waits() {
    let f = fixture(3, true);
    let plan = f.ward.delivery_plan(now()).unwrap();
    assert_eq!(plan.due, f.photos);
    assert_eq!((plan.waiting, plan.held, plan.rechecks_due), (3, 0, false));

    let sent = begin(&f, f.photos[0]);
    assert_eq!(state(&f, f.photos[0]), Some(LocalState::Sending));
    assert_eq!(
        sent.sop_uid,
        crate::delivery::uids::sop_instance_uid(f.photos[0])
    );
    let later = now().plus(std::time::Duration::from_secs(60));
    f.ward
        .delivery_failed(f.photos[0], problem("endpoint.unreachable"), later, false)
        .unwrap();
    let m = f.ward.manifest(f.photos[0]).unwrap().unwrap();
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(m.delivery.attempts, 1);
    assert_eq!(m.delivery.problem.unwrap().code, "endpoint.unreachable");
    let plan = f.ward.delivery_plan(now()).unwrap();
    assert_eq!(plan.due, f.photos[1..]);
    assert_eq!(plan.next_at, Some(later));
    // "Send now" plans as if every wait were over.
    let forced = f.ward.delivery_plan(Timestamp(u64::MAX)).unwrap();
    assert_eq!(forced.due, f.photos);
}

#[test]
fn a_verified_photo_leaves_a_receipt_and_the_last_one_retires_the_visit() {
    let f = fixture(2, true);
    let vault = f.ward.vault().unwrap();
    let consent_items: Vec<_> = vault
        .list()
        .unwrap()
        .into_iter()
        .filter(|m| matches!(m.kind, ItemKind::Consent | ItemKind::Signature))
        .map(|m| m.id)
        .collect();
    assert!(!consent_items.is_empty());
    copy_consent(&f);
    for (i, p) in f.photos.iter().enumerate() {
        let images = f.ward.manifest(*p).unwrap().unwrap().items();
        let sent = begin(&f, *p);
        // The attempt is sealed with the digest of what goes, before the request.
        assert_eq!(
            f.ward.manifest(*p).unwrap().unwrap().delivery.sent,
            Some(sent.clone())
        );
        assert_eq!(state(&f, *p), Some(LocalState::Sending));
        f.ward.delivery_acknowledged(*p, sent.clone()).unwrap();
        assert_eq!(state(&f, *p), Some(LocalState::Uploaded));
        // A restart-style second look: the job is now a read-back, not a resend.
        assert!(matches!(
            f.ward.begin_delivery(*p, "x").unwrap(),
            Some(DeliveryJob::Verify { .. })
        ));
        assert!(f.ward.delivery_verified(*p).unwrap());
        assert_eq!(state(&f, *p), None);
        for item in images {
            assert!(vault.meta(item).is_err(), "image or thumbnail left");
        }
        let consent_left = consent_items.iter().all(|c| vault.meta(*c).is_ok());
        // The consent stays until the last photo of the visit is gone.
        assert_eq!(consent_left, i + 1 < f.photos.len());
    }
    let receipts = f.ward.receipts().unwrap();
    assert_eq!(receipts.len(), 3);
    let Some(ReceiptRecord::Consent { delivered, .. }) = receipts
        .iter()
        .find(|r| matches!(r, ReceiptRecord::Consent { .. }))
    else {
        panic!("no consent receipt: {receipts:?}");
    };
    assert_eq!(delivered.len(), 2);
    let kinds: Vec<ItemKind> = vault.list().unwrap().iter().map(|m| m.kind).collect();
    assert!(
        kinds.iter().all(|k| matches!(
            k,
            ItemKind::Receipt | ItemKind::ClinicianPin | ItemKind::AuditKey
        )),
        "{kinds:?}"
    );
    let sent = f.ward.sent_since(Timestamp(0)).unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body_site.map(|s| s.code), Some("14975008"));
}

#[test]
fn the_open_visit_keeps_its_consent_until_it_ends() {
    let f = fixture(1, false);
    let p = f.photos[0];
    let sent = begin(&f, p);
    f.ward.delivery_acknowledged(p, sent).unwrap();
    assert!(f.ward.delivery_verified(p).unwrap());
    let vault = f.ward.vault().unwrap();
    let has = |k| vault.list().unwrap().iter().any(|m| m.kind == k);
    assert!(
        has(ItemKind::Consent),
        "the open visit's consent went early"
    );
    f.ward.end_visit().unwrap();
    assert!(!has(ItemKind::Consent) && !has(ItemKind::Visit));
    assert!(f
        .ward
        .receipts()
        .unwrap()
        .iter()
        .any(|r| matches!(r, ReceiptRecord::Consent { .. })));
}

#[test]
fn a_hold_stops_the_photo_until_the_clinician_sends_it_again() {
    let f = fixture(1, true);
    let p = f.photos[0];
    begin(&f, p);
    f.ward
        .delivery_hold(p, problem("delivery.server_refused"))
        .unwrap();
    let plan = f.ward.delivery_plan(Timestamp(u64::MAX)).unwrap();
    assert!(plan.due.is_empty());
    assert_eq!((plan.waiting, plan.held), (0, 1));
    assert!(f.ward.begin_delivery(p, "x").unwrap().is_none());
    f.ward.send_again(p).unwrap();
    let m = f.ward.manifest(p).unwrap().unwrap();
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(m.delivery.problem.unwrap().code, "delivery.server_refused");
    assert_eq!(m.delivery.hold, None);
    // Only a held photo can be sent again.
    assert_eq!(
        f.ward.send_again(p).map_err(|e| e.code()),
        Err("visit.not_held_by_server")
    );
}

#[test]
fn a_photo_being_sent_cannot_be_redacted() {
    let f = fixture(1, true);
    let p = f.photos[0];
    begin(&f, p);
    let r = Redaction {
        fills: vec![Rect {
            x: 0.0,
            y: 0.0,
            width: 0.5,
            height: 0.5,
        }],
        crop: None,
    };
    assert!(matches!(
        f.ward.redact(p, &r),
        Err(Error::Visit(VisitError::PhotoSending))
    ));
    // Queued again after an answer that never came: the server may hold it as it was.
    f.ward
        .delivery_failed(p, problem("endpoint.unavailable"), now(), false)
        .unwrap();
    assert_eq!(state(&f, p), Some(LocalState::Queued));
    assert!(matches!(
        f.ward.redact(p, &r),
        Err(Error::Visit(VisitError::PhotoSending))
    ));
    // A photo never sent can still be redacted.
    let q = fixture(1, true);
    assert!(q.ward.redact(q.photos[0], &r).is_ok());
}

#[test]
fn a_restart_sends_a_sending_photo_again_and_verifies_an_uploaded_one() {
    let f = fixture(2, true);
    let [a, b] = [f.photos[0], f.photos[1]];
    begin(&f, a);
    let sent = begin(&f, b);
    f.ward.delivery_acknowledged(b, sent).unwrap();
    let Fixture {
        dir, keys, ward, ..
    } = f;
    drop(ward);
    let ward = open(dir.path(), &keys);
    assert!(matches!(
        ward.begin_delivery(a, "x").unwrap(),
        Some(DeliveryJob::Send { .. })
    ));
    assert!(matches!(
        ward.begin_delivery(b, "x").unwrap(),
        Some(DeliveryJob::Verify { .. })
    ));
    // Both are listed in the Outbox after the restart, with their states.
    let listed: Vec<(PhotoId, LocalState)> = ward
        .outbox()
        .unwrap()
        .iter()
        .map(|p| (p.id, p.state))
        .collect();
    assert!(listed.contains(&(a, LocalState::Sending)));
    assert!(listed.contains(&(b, LocalState::Uploaded)));
}

#[test]
fn a_receipt_sealed_before_a_crash_finishes_the_shred_at_the_next_open() {
    let f = fixture(1, true);
    let p = f.photos[0];
    copy_consent(&f);
    let sent = begin(&f, p);
    f.ward.delivery_acknowledged(p, sent.clone()).unwrap();
    let m = f.ward.manifest(p).unwrap().unwrap();
    // The crash: the receipt is sealed, the photo not yet shredded.
    let vault = f.ward.vault().unwrap();
    let receipt = ReceiptRecord::Deletion {
        photo_id: p,
        visit_id: m.visit_id,
        consent_id: m.consent.consent_id,
        sent: Some(sent),
        filed: None,
        body_site: None,
        laterality: None,
        shredded_at: now(),
    };
    vault
        .seal(ItemKind::Receipt, &encode(&receipt).unwrap(), None, now())
        .unwrap();
    let Fixture {
        dir, keys, ward, ..
    } = f;
    drop((ward, vault));
    let ward = open(dir.path(), &keys);
    let report = ward.status().unwrap().recovery.unwrap();
    assert_eq!(report.delivered_photos_shredded, 1);
    assert_eq!(report.visits_retired, 1);
    assert!(ward.manifest(p).unwrap().is_none());
    let vault = ward.vault().unwrap();
    for item in m.items() {
        assert!(vault.meta(item).is_err());
    }
    assert_eq!(ward.receipts().unwrap().len(), 2);
    assert!(vault.list().unwrap().iter().all(|i| matches!(
        i.kind,
        ItemKind::Receipt | ItemKind::ClinicianPin | ItemKind::AuditKey
    )));
}

#[test]
fn a_manifest_of_version_2_reads_with_nothing_sent() {
    let f = fixture(1, true);
    let m = f.ward.manifest(f.photos[0]).unwrap().unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&encode(&m).unwrap()).unwrap();
    json["version"] = 2.into();
    json["body"].as_object_mut().unwrap().remove("delivery");
    let old = decode::<PhotoManifest>(&serde_json::to_vec(&json).unwrap()).unwrap();
    assert_eq!(old.delivery, DeliveryRecord::default());
    // Version 3 knew the PACS only: the route it was sent on is the PACS, nothing verified.
    json["version"] = 3.into();
    json["body"]["delivery"] = serde_json::json!({
        "attempts": 1, "next_attempt_at": null, "problem": null, "hold": null, "sent": null
    });
    let v3 = decode::<PhotoManifest>(&serde_json::to_vec(&json).unwrap()).unwrap();
    assert_eq!(v3.delivery.route, Route::Pacs);
    assert!(v3.delivery.verified.is_empty() && v3.delivery.filed.is_none());
    json["version"] = 5.into();
    assert!(matches!(
        decode::<PhotoManifest>(&serde_json::to_vec(&json).unwrap()),
        Err(VisitError::ManifestVersion { version: 5 })
    ));
}
