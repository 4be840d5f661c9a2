//! Delivery while locked against the real PACS (`orthanc_tests`' shared Orthanc and its fault
//! fronts), behind the key gate as a release build runs: photos queued while the PACS could not be
//! reached go while the app is locked, exactly once, and are shredded at the next unlock; a trust
//! that did not opt in sends nothing while locked; a hostile or failing server while locked loses
//! nothing and leaves the judgement to the unlocked courier.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::orthanc_tests::{block_on, drain, drain_with, server, shared, Server};
use super::{uids, Courier};
use crate::session::LockReason;
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{KeyStore, Vault};
use crate::visit::testing::{gated_ward, queue_photos, GATED_PIN};
use crate::visit::{
    outbound_store_gone, FileSystemStorage, LocalState, PhotoId, ReceiptRecord, Route, SystemClock,
    Ward, OUTBOUND_DIR,
};

struct Phone {
    _dir: tempfile::TempDir,
    outbound: PathBuf,
    delivery: Arc<MemoryKeyStore>,
    ward: Arc<Ward>,
    photos: Vec<PhotoId>,
}

fn pin() -> Zeroizing<String> {
    Zeroizing::new(GATED_PIN.to_owned())
}

/// A phone behind the key gate with `n` labelled photos (`jpeg(seed + i)`) queued.
fn phone(n: usize, seed: u64) -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let delivery = Arc::new(MemoryKeyStore::new());
    let ward = gated_ward(
        &path,
        Arc::new(MemoryKeyStore::new()),
        delivery.clone(),
        Arc::new(SystemClock::new()),
        Arc::new(FileSystemStorage),
    );
    let photos = queue_photos(&ward, n, seed, true);
    Phone {
        _dir: dir,
        outbound: path.join(OUTBOUND_DIR),
        delivery,
        ward: Arc::new(ward),
        photos,
    }
}

impl Phone {
    fn copies(&self, s: &Server, p: PhotoId) -> usize {
        s.copies(&uids::sop_instance_uid(p))
    }

    fn lock(&self) {
        self.ward.lock_now(LockReason::User).unwrap();
    }

    fn unlock(&self) {
        self.ward.unlock_with_pin(&pin()).unwrap();
    }

    fn live_parcel_items(&self) -> usize {
        Vault::live_items_in(&self.outbound).unwrap()
    }

    /// The PACS could not be reached when the photos were queued: each tried once, waiting.
    fn tried_offline(&self, s: &Server) {
        block_on(async {
            let report = drain(&Courier::new(s.pacs("refused")), &self.ward).await;
            assert_eq!(
                report.waiting + report.not_tried,
                self.photos.len(),
                "{report:?}"
            );
        });
        // One photo (these tests use one) tried and waiting.
        let m = self.ward.manifest(self.photos[0]).unwrap().unwrap();
        assert_eq!(m.state, LocalState::Queued);
        assert_eq!(m.delivery.attempts, 1);
        assert!(m.delivery.next_attempt_at.is_some());
    }
}

#[test]
fn photos_queued_offline_go_while_locked_once_and_are_shredded_at_the_unlock() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let p = phone(2, 40_000);
    // Offline: the first photo is tried and waits; the drain stops there (server-wide), so the
    // second is never tried. Then each drain with the PACS back but the photos' waits not over
    // (no "Send now") ends by packing what waits: the tried one now, the other once tried.
    let good = Courier::new(s.pacs("good")).sending_while_locked(true);
    block_on(async {
        let report = drain(&Courier::new(s.pacs("refused")), &p.ward).await;
        assert_eq!(report.delivered, 0, "{report:?}");
        let report = drain(&good, &p.ward).await;
        assert_eq!(report.delivered, 0, "waits are kept: {report:?}");
        assert!(report.packed >= 1, "{report:?}");
    });
    let tried: Vec<PhotoId> = p
        .photos
        .iter()
        .copied()
        .filter(|ph| p.ward.manifest(*ph).unwrap().unwrap().delivery.attempts >= 1)
        .collect();
    assert!(!tried.is_empty());
    for ph in &p.photos {
        assert_eq!(p.copies(s, *ph), 0);
    }

    p.lock();
    assert_eq!(p.ward.vault().unwrap_err().code(), "session.locked");
    let report = block_on(drain(&good, &p.ward));
    assert!(report.locked, "{report:?}");
    assert_eq!(report.delivered, tried.len(), "{report:?}");
    // On the PACS while the app is still locked, once each; the photos' own copies are still in
    // the shut vault (shredded only when the unlock records the verification).
    for ph in &tried {
        assert_eq!(p.copies(s, *ph), 1, "{ph}");
    }
    assert_eq!(
        p.live_parcel_items(),
        tried.len(),
        "only the verified states"
    );
    // Nothing more is due: a second locked drain sends nothing.
    let again = block_on(drain(&good, &p.ward));
    assert_eq!(again.delivered, 0, "{again:?}");

    p.unlock();
    for ph in &tried {
        assert!(p.ward.manifest(*ph).unwrap().is_none(), "{ph} shredded");
        let receipts: Vec<_> = p
            .ward
            .receipts()
            .unwrap()
            .into_iter()
            .filter(|r| matches!(r, ReceiptRecord::Deletion { photo_id, sent: Some(_), .. } if photo_id == ph))
            .collect();
        assert_eq!(receipts.len(), 1, "{ph}");
    }
    assert!(outbound_store_gone(&p.outbound));
    // The unlocked courier delivers whatever was never tried, and nothing twice.
    block_on(async {
        let (report, _) = drain_with(&good, &p.ward, true).await;
        assert_eq!(report.delivered, p.photos.len() - tried.len(), "{report:?}");
    });
    for ph in &p.photos {
        assert_eq!(p.copies(s, *ph), 1, "{ph}");
        assert!(p.ward.manifest(*ph).unwrap().is_none());
    }
    // The trail holds the locked deliveries, made while locked, in an intact chain.
    let entries = p.ward.audit_entries().unwrap();
    let locked: Vec<&str> = entries
        .iter()
        .filter(|e| e.made_while_locked.is_some())
        .map(|e| e.event.kind())
        .collect();
    assert_eq!(
        locked.iter().filter(|k| **k == "read_back_matched").count(),
        tried.len(),
        "{locked:?}"
    );
    assert!(crate::audit::verify_chain(&entries, None, None).is_ok());
}

#[test]
fn without_the_trusts_consent_a_locked_courier_sends_nothing() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let p = phone(1, 41_000);
    p.tried_offline(s);
    let good = Courier::new(s.pacs("good"));
    let report = block_on(drain(&good, &p.ward));
    assert_eq!(report.packed, 0);
    assert!(
        outbound_store_gone(&p.outbound),
        "nothing packed without the switch"
    );
    p.lock();
    let report = block_on(drain(&good, &p.ward));
    assert!(report.locked);
    assert_eq!(report.delivered, 0);
    assert_eq!(report.next_at, None, "waits for the unlock, not a timer");
    assert_eq!(p.copies(s, p.photos[0]), 0);
    // A courier allowed to, with nothing packed, sends nothing either.
    let allowed = Courier::new(s.pacs("good")).sending_while_locked(true);
    assert_eq!(block_on(drain(&allowed, &p.ward)).delivered, 0);
    assert_eq!(p.copies(s, p.photos[0]), 0);
}

/// Packs for the fault front `mode` (as if the trust's PACS were that server), locks, and drains
/// with a courier on it. Returns the locked drain's report.
fn locked_drain_on(s: &Server, p: &Phone, mode: &str) -> super::DrainReport {
    p.tried_offline(s);
    let faulty = Courier::new(s.pacs(mode)).sending_while_locked(true);
    let base = s.pacs(mode).base_url().to_owned();
    assert_eq!(p.ward.pack_parcels(&[(Route::Pacs, base)]).unwrap(), 1);
    p.lock();
    block_on(drain(&faulty, &p.ward))
}

#[test]
fn a_copy_that_differs_while_locked_stops_the_parcel_and_the_unlocked_courier_decides() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let p = phone(1, 42_000);
    let photo = p.photos[0];
    let attempts = {
        p.tried_offline(s);
        p.ward.manifest(photo).unwrap().unwrap().delivery.attempts
    };
    let faulty = Courier::new(s.pacs("readback_differs")).sending_while_locked(true);
    let base = s.pacs("readback_differs").base_url().to_owned();
    assert_eq!(p.ward.pack_parcels(&[(Route::Pacs, base)]).unwrap(), 1);
    p.lock();
    let report = block_on(drain(&faulty, &p.ward));
    assert_eq!(report.delivered, 0, "{report:?}");
    assert_eq!(report.held, 1, "{report:?}");
    // The parcel is gone (its state remains, stopped); a second locked drain sends nothing.
    assert_eq!(p.live_parcel_items(), 1);
    assert_eq!(block_on(drain(&faulty, &p.ward)).delivered, 0);

    p.unlock();
    let m = p.ward.manifest(photo).unwrap().expect("never shredded");
    assert_eq!(m.state, LocalState::Queued);
    assert_eq!(m.delivery.attempts, attempts + 1);
    assert_eq!(
        m.delivery.problem.as_ref().unwrap().code,
        "delivery.readback_mismatch"
    );
    assert!(m.delivery.verified.is_empty());
    // The unlocked courier meets the same server and holds it, as it always would.
    let unlocked = block_on(drain(&faulty, &p.ward));
    assert_eq!(unlocked.held, 1, "{unlocked:?}");
    assert_eq!(
        p.ward.manifest(photo).unwrap().unwrap().state,
        LocalState::Held
    );
}

#[test]
fn an_untrusted_server_while_locked_keeps_the_parcel_waiting_and_sends_nothing() {
    let Some(s) = server() else { return };
    let _gate = shared();
    for (i, (mode, code)) in [
        ("unpinned", "endpoint.pin_mismatch"),
        ("status500", "endpoint.unavailable"),
    ]
    .into_iter()
    .enumerate()
    {
        let p = phone(1, 43_000 + i as u64 * 10);
        let report = locked_drain_on(s, &p, mode);
        assert_eq!(report.delivered, 0, "{mode}: {report:?}");
        assert_eq!(report.waiting, 1, "{mode}: {report:?}");
        assert_eq!(
            report.server_problem.as_ref().map(|p| p.code.as_str()),
            Some(code),
            "{mode}"
        );
        assert!(report.next_at.is_some(), "{mode}");
        // Kept to try again later (parcel and state).
        assert_eq!(p.live_parcel_items(), 2, "{mode}");
        assert_eq!(p.copies(s, p.photos[0]), 0, "{mode}");
        let name = Vault::keystore_name_in(&p.outbound).unwrap().unwrap();
        assert!(p.delivery.load(&name).unwrap().is_some());
        p.unlock();
        let m = p.ward.manifest(p.photos[0]).unwrap().unwrap();
        assert_eq!(m.state, LocalState::Queued, "{mode}");
        assert_eq!(m.delivery.problem.as_ref().unwrap().code, code, "{mode}");
        assert!(m.delivery.next_attempt_at.is_some(), "{mode}");
        assert!(outbound_store_gone(&p.outbound), "{mode}");
        assert!(
            p.delivery.load(&name).unwrap().is_none(),
            "{mode}: key destroyed"
        );
    }
}
