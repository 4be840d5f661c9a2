//! The outbound store without a server, behind the key gate as a release build runs it: what is
//! packed and when, what a locked step may seal, what the next unlock makes of each step, and that
//! no change to a photo leaves a parcel that should no longer go.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use ring::digest::{digest, SHA256};
use zeroize::Zeroizing;

use super::manifest::Route;
use super::outbox::Destinations;
use super::testing::{gated_ward, queue_photos, FixedSpace, TestClock, GATED_PIN};
use super::*;
use crate::auth::KeyGate;
use crate::session::{LockReason, SessionPolicy};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{ItemKind, KeyStore, Timestamp, Vault};

const PACS: &str = "https://pacs.example.nhs.uk/dicom-web/";
const RECORD: &str = "https://record.example.nhs.uk/fhir/";

struct Phone {
    _dir: tempfile::TempDir,
    outbound: PathBuf,
    /// The vault's keystore (its key behind the gate).
    _keys: Arc<MemoryKeyStore>,
    /// The delivery key's keystore.
    delivery: Arc<MemoryKeyStore>,
    ward: Ward,
    photos: Vec<PhotoId>,
}

fn pin() -> Zeroizing<String> {
    Zeroizing::new(GATED_PIN.to_owned())
}

/// A phone set up behind the key gate with `n` labelled photos queued, the outbound store given.
fn phone(n: usize) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let keys = Arc::new(MemoryKeyStore::new());
    let delivery = Arc::new(MemoryKeyStore::new());
    let ward = gated_ward(
        &path,
        keys.clone(),
        delivery.clone(),
        Arc::new(TestClock::default()),
        Arc::new(FixedSpace(None)),
    );
    let photos = queue_photos(&ward, n, 0, false);
    Phone {
        _dir: dir,
        outbound: path.join(OUTBOUND_DIR),
        _keys: keys,
        delivery,
        ward,
        photos,
    }
}

fn problem(code: &str) -> Problem {
    Problem {
        code: code.into(),
        message: "words".into(),
    }
}

impl Phone {
    /// What the courier does when the PACS cannot be reached: an attempt sealed, then a wait.
    fn fail_once(&self, p: PhotoId) {
        let job = self.ward.begin_delivery(p, PACS).unwrap();
        assert!(matches!(job, Some(DeliveryJob::Send { .. })), "{job:?}");
        self.ward
            .delivery_failed(
                p,
                problem("delivery.unreachable"),
                Timestamp::now().plus(std::time::Duration::from_secs(60)),
                false,
            )
            .unwrap();
    }

    fn pack(&self) -> usize {
        self.ward
            .pack_parcels(&[(Route::Pacs, PACS.to_owned())])
            .unwrap()
    }

    fn lock(&self) {
        self.ward.lock_now(LockReason::User).unwrap();
    }

    fn unlock(&self) {
        self.ward.unlock_with_pin(&pin()).unwrap();
    }

    /// Parcels and states still holding a key in the outbound store.
    fn live_items(&self) -> usize {
        Vault::live_items_in(&self.outbound).unwrap()
    }

    /// The locked courier's first step on `due`: begun, attempts counted.
    fn begin(&self, batch: &LockedBatch, due: &DueParcel) -> DueParcel {
        self.ward
            .parcel_step(batch, due, ParcelStep::Begun, None)
            .unwrap()
            .expect("a locked phone seals the step")
    }

    fn batch(&self) -> LockedBatch {
        self.ward
            .parcels_due(Timestamp::now())
            .unwrap()
            .expect("a locked phone with parcels gives a batch")
    }

    fn manifest(&self, p: PhotoId) -> Option<PhotoManifest> {
        self.ward.manifest(p).unwrap()
    }
}

#[test]
fn only_photos_already_tried_are_packed_and_each_once_with_the_bytes_the_courier_sends() {
    let p = phone(2);
    // Queued, never tried: the courier goes first (and a photo never tried may still be
    // redacted, which a parcel must not outlive).
    assert_eq!(p.pack(), 0);
    assert_eq!(p.live_items(), 0);
    p.fail_once(p.photos[0]);
    assert_eq!(p.pack(), 1);
    // Packed already, same content, same server: nothing new.
    assert_eq!(p.pack(), 0);
    assert_eq!(p.live_items(), 2, "one parcel and its state");

    // Nothing is sent from the store while unlocked: the courier's own drain runs then.
    assert!(p.ward.parcels_due(Timestamp::now()).unwrap().is_none());

    p.lock();
    // Locked behind the gate: the vault and its key are shut.
    assert_eq!(p.ward.vault().unwrap_err().code(), "session.locked");
    let batch = p.batch();
    assert_eq!(batch.due.len(), 1);
    let due = &batch.due[0];
    assert_eq!(due.state.photo, p.photos[0]);
    assert_eq!(due.state.route, Route::Pacs);
    assert_eq!(due.state.server, PACS);
    assert_eq!(due.state.step, ParcelStep::Packed);
    assert_eq!(due.state.attempts, 1);
    // The body is the DICOM file whose digest the read-back will check.
    let body = batch.body(&due.state).unwrap();
    assert_eq!(&body[128..132], b"DICM");
    let sent = due.state.sent.clone().unwrap();
    let file = sent.file.clone().unwrap();
    assert_eq!(file.len, body.len() as u64);
    assert_eq!(file.sha256, hex::encode(digest(&SHA256, &body)));
    assert_eq!(
        sent.sop_uid,
        crate::delivery::uids::sop_instance_uid(p.photos[0])
    );
    // The state names no patient.
    let state = String::from_utf8(encode(&due.state).unwrap().to_vec()).unwrap();
    assert!(!state.contains("9434765919") && !state.to_uppercase().contains("SMITH"));
    // Nothing in the store is readable without the delivery key.
    assert!(Vault::open(&p.outbound, &MemoryKeyStore::new()).is_err());
}

#[test]
fn a_parcel_verified_while_locked_is_shredded_there_and_its_photo_at_the_next_unlock() {
    let p = phone(1);
    let photo = p.photos[0];
    p.fail_once(photo);
    assert_eq!(p.pack(), 1);
    let name = Vault::keystore_name_in(&p.outbound).unwrap().unwrap();
    assert!(p.delivery.load(&name).unwrap().is_some());
    p.lock();
    let batch = p.batch();
    let due = batch.due[0].clone();
    let begun = p.begin(&batch, &due);
    assert_eq!(begun.state.attempts, 2);
    assert!(begun.state.parcel.is_some(), "kept until it is read back");
    let mut sent = begun.state.sent.clone().unwrap();
    sent.at = Timestamp::now();
    let verified = p
        .ward
        .parcel_step(
            &batch,
            &begun,
            ParcelStep::Verified,
            Some(Ack::Pacs(sent.clone())),
        )
        .unwrap()
        .unwrap();
    assert!(verified.state.parcel.is_none());
    // The parcel went in the same commit; only its state is left, and nothing more is due.
    assert_eq!(p.live_items(), 1);
    drop(batch);
    assert!(p.batch().due.is_empty());
    // Still locked: the photo itself is untouched in the shut vault.

    p.unlock();
    assert!(p.manifest(photo).is_none(), "shredded at the unlock");
    let receipts = p.ward.receipts().unwrap();
    let deletion: Vec<_> = receipts
        .iter()
        .filter_map(|r| match r {
            ReceiptRecord::Deletion { photo_id, sent, .. } if *photo_id == photo => sent.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(deletion, vec![sent]);
    // The store and its delivery key are gone: a key captured now opens nothing later.
    assert!(outbound_store_gone(&p.outbound));
    assert!(p.delivery.load(&name).unwrap().is_none());
    // The trail: packed while unlocked; delivered and matched while locked (joined at the
    // unlock); shredded once, after them.
    let entries = p.ward.audit_entries().unwrap();
    let kinds: Vec<(&str, bool)> = entries
        .iter()
        .filter(|e| e.event.photo() == Some(&photo.to_string()))
        .map(|e| (e.event.kind(), e.made_while_locked.is_some()))
        .collect();
    let tail: Vec<(&str, bool)> = kinds
        .iter()
        .copied()
        .skip_while(|(k, _)| *k != "packed")
        .collect();
    assert_eq!(
        tail,
        vec![
            ("packed", false),
            ("delivered", true),
            ("read_back_matched", true),
            ("shredded", false)
        ],
        "{kinds:?}"
    );
    // A second unlock finds nothing more to do.
    p.lock();
    p.unlock();
    assert_eq!(p.ward.receipts().unwrap().len(), receipts.len());
}

#[test]
fn an_unlock_takes_the_store_over_and_a_locked_drain_in_flight_seals_nothing_more() {
    let p = phone(1);
    p.fail_once(p.photos[0]);
    p.pack();
    p.lock();
    let batch = p.batch();
    let due = batch.due[0].clone();
    let begun = p.begin(&batch, &due);
    p.unlock();
    let sent = begun.state.sent.clone().unwrap();
    let late = p
        .ward
        .parcel_step(&batch, &begun, ParcelStep::Verified, Some(Ack::Pacs(sent)))
        .unwrap();
    assert!(late.is_none(), "an unlock ends the locked drain");
    // The attempt it began is counted (it may be on the server: no redaction now), and the
    // photo waits for the courier, whole.
    let m = p.manifest(p.photos[0]).unwrap();
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(m.delivery.attempts, 2);
    assert!(m.delivery.verified.is_empty());
    assert!(outbound_store_gone(&p.outbound));
    // Locked again, an old batch still refuses (another generation).
    p.lock();
    assert!(p
        .ward
        .parcel_step(&batch, &begun, ParcelStep::Begun, None)
        .unwrap()
        .is_none());
}

#[test]
fn waiting_and_stopped_parcels_reach_their_photos_at_the_unlock_and_nothing_is_lost() {
    let p = phone(2);
    let (a, b) = (p.photos[0], p.photos[1]);
    p.fail_once(a);
    p.fail_once(b);
    assert_eq!(p.pack(), 2);
    p.lock();
    let batch = p.batch();
    let retry_at = Timestamp::now().plus(std::time::Duration::from_secs(900));
    for due in batch.due.clone() {
        let begun = p.begin(&batch, &due);
        let step = if due.state.photo == a {
            ParcelStep::Waiting {
                problem: problem("delivery.unreachable"),
                retry_at,
            }
        } else {
            ParcelStep::Stopped {
                problem: problem("delivery.refused"),
            }
        };
        p.ward
            .parcel_step(&batch, &begun, step, None)
            .unwrap()
            .unwrap();
    }
    drop(batch);
    // A waiting parcel is not due before its time; a stopped one never again while locked.
    let later = p.batch();
    assert!(later.due.is_empty());
    assert_eq!(later.next_at, Some(retry_at));
    drop(later);
    let in_ten = p
        .ward
        .parcels_due(retry_at.plus(std::time::Duration::from_secs(1)))
        .unwrap()
        .unwrap();
    assert_eq!(in_ten.due.len(), 1);
    assert_eq!(in_ten.due[0].state.photo, a);
    drop(in_ten);

    p.unlock();
    let ma = p.manifest(a).unwrap();
    assert_eq!(ma.state, LocalState::Queued);
    assert_eq!(ma.delivery.attempts, 2);
    assert_eq!(
        ma.delivery.problem.as_ref().unwrap().code,
        "delivery.unreachable"
    );
    assert_eq!(ma.delivery.next_attempt_at, Some(retry_at));
    let mb = p.manifest(b).unwrap();
    assert_eq!(mb.state, LocalState::Queued);
    assert_eq!(mb.delivery.attempts, 2);
    assert_eq!(
        mb.delivery.problem.as_ref().unwrap().code,
        "delivery.refused"
    );
    // The unlocked courier decides at once what a refusal means.
    assert_eq!(mb.delivery.next_attempt_at, None);
    assert!(p
        .ward
        .delivery_plan(Timestamp::now())
        .unwrap()
        .due
        .contains(&b));
    assert!(outbound_store_gone(&p.outbound));
}

#[test]
fn a_change_that_stops_a_photo_going_destroys_its_parcels_first() {
    // Held by the courier (a refusal): the parcel goes before the hold is sealed.
    let p = phone(2);
    p.fail_once(p.photos[0]);
    p.fail_once(p.photos[1]);
    assert_eq!(p.pack(), 2);
    assert_eq!(p.live_items(), 4);
    p.ward
        .delivery_hold(p.photos[0], problem("delivery.refused"))
        .unwrap();
    assert_eq!(
        p.live_items(),
        2,
        "the held photo's parcel and state are gone"
    );
    // Withdrawal: every parcel of the consent's photos goes before the withdrawal is sealed.
    p.ward.withdraw(None).unwrap();
    assert_eq!(p.live_items(), 0);
    p.lock();
    assert!(
        p.batch().due.is_empty(),
        "nothing of a withdrawn visit can go"
    );
}

#[test]
fn a_photo_delivered_by_the_courier_takes_its_parcel_with_it() {
    let p = phone(1);
    let photo = p.photos[0];
    p.fail_once(photo);
    p.pack();
    assert_eq!(p.live_items(), 2);
    // The courier gets through while unlocked: acknowledged, read back, shredded.
    let job = p
        .ward
        .begin_delivery_to(photo, &Destinations::pacs(PACS))
        .unwrap();
    let Some(DeliveryJob::Send { sent, .. }) = job else {
        panic!("{job:?}")
    };
    p.ward.delivery_acknowledged(photo, sent).unwrap();
    // Uploaded is still a state a parcel may wait in (the read-back may fail and resend)...
    assert_eq!(p.live_items(), 2);
    assert!(p.ward.delivery_verified(photo).unwrap());
    // ...shredded is not.
    assert_eq!(p.live_items(), 0);
}

#[test]
fn with_two_routes_a_route_verified_while_locked_is_recorded_and_the_other_waits() {
    let p = phone(1);
    let photo = p.photos[0];
    p.fail_once(photo);
    let routes = [
        (Route::Pacs, PACS.to_owned()),
        (Route::Record, RECORD.to_owned()),
    ];
    assert_eq!(p.ward.pack_parcels(&routes).unwrap(), 2);
    p.lock();
    let batch = p.batch();
    assert_eq!(batch.due.len(), 2);
    let record = batch
        .due
        .iter()
        .find(|d| d.state.route == Route::Record)
        .unwrap();
    // The record's parcel is a transaction Bundle with its Binary's digest sealed beside it.
    let bundle: serde_json::Value =
        serde_json::from_slice(&batch.body(&record.state).unwrap()).unwrap();
    assert_eq!(bundle["type"], "transaction");
    assert!(!record.state.entries.is_empty());
    assert!(record.state.filed.is_some());
    let pacs = batch
        .due
        .iter()
        .find(|d| d.state.route == Route::Pacs)
        .unwrap()
        .clone();
    let begun = p.begin(&batch, &pacs);
    let sent = begun.state.sent.clone().unwrap();
    p.ward
        .parcel_step(
            &batch,
            &begun,
            ParcelStep::Verified,
            Some(Ack::Pacs(sent.clone())),
        )
        .unwrap()
        .unwrap();
    drop(batch);
    p.unlock();
    let m = p
        .manifest(photo)
        .expect("the record has not read it back yet");
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(m.delivery.verified, vec![Route::Pacs]);
    assert_eq!(m.delivery.sent, Some(sent));
    // Packed again for the record alone.
    assert_eq!(p.ward.pack_parcels(&routes).unwrap(), 1);
}

#[test]
fn a_store_the_unlock_could_not_destroy_sends_nothing_and_goes_before_the_next_pack() {
    let p = phone(1);
    p.fail_once(p.photos[0]);
    p.pack();
    p.lock();
    // As an unlock that could not destroy the store leaves it.
    std::fs::write(p.outbound.with_file_name("outbound.stale"), b"").unwrap();
    assert!(p.ward.parcels_due(Timestamp::now()).unwrap().is_none());
    std::fs::remove_file(p.outbound.with_file_name("outbound.stale")).unwrap();
    assert_eq!(p.batch().due.len(), 1);
}

#[test]
fn without_an_outbound_store_nothing_is_packed_and_a_lock_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Arc::new(MemoryKeyStore::new());
    let ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 600_000,
            allow_development_unlock: false,
        },
        Arc::new(TestClock::default()),
        Arc::new(FixedSpace(None)),
    );
    ward.use_key_gate(dir.path().join("vault"), KeyGate::new(keys))
        .unwrap();
    ward.set_up(&pin(), "Dr A Jones").unwrap();
    assert_eq!(ward.pack_parcels(&[(Route::Pacs, PACS.into())]).unwrap(), 0);
    ward.lock_now(LockReason::User).unwrap();
    assert!(ward.parcels_due(Timestamp::now()).unwrap().is_none());
    assert!(outbound_store_gone(
        &dir.path().join("vault").join(OUTBOUND_DIR)
    ));
}

#[test]
fn packing_is_refused_while_locked_and_items_are_of_the_parcel_kinds_only() {
    let p = phone(1);
    p.fail_once(p.photos[0]);
    p.lock();
    assert_eq!(
        p.ward
            .pack_parcels(&[(Route::Pacs, PACS.to_owned())])
            .unwrap_err()
            .code(),
        "session.locked"
    );
    p.unlock();
    p.pack();
    let kinds: Vec<ItemKind> = {
        let v = Vault::open(&p.outbound, p.delivery.as_ref()).unwrap();
        v.list().unwrap().into_iter().map(|m| m.kind).collect()
    };
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&ItemKind::Parcel) && kinds.contains(&ItemKind::ParcelState));
    // And the main vault never holds one.
    let main = p.ward.vault().unwrap();
    assert!(main
        .list()
        .unwrap()
        .iter()
        .all(|m| !matches!(m.kind, ItemKind::Parcel | ItemKind::ParcelState)));
}
