//! Rebuilding the visit from the vault alone, as the app opens: every photo not yet delivered,
//! every visit still needed, the visit the app died in, the clinician PIN, and the finishing of
//! whatever a crash interrupted.
//!
//! The rules, in order:
//! 1. A photo with two manifests (a crash between sealing the new revision and shredding the old)
//!    keeps the higher revision; the lower one, and any item only it named, is shredded.
//! 2. A visit with two records keeps the higher revision likewise.
//! 3. A withdrawal record shreds every photo of its visit taken under its consent (an interrupted
//!    withdrawal finishes here), and moves that consent to the visit's withdrawn list.
//! 4. Photo, thumbnail, consent and signature items that no manifest or visit names are leftovers
//!    of an interrupted capture, redaction or shred, and are shredded, unless some record could not
//!    be read: then nothing is shredded by this rule, because an unreadable manifest may name them.
//! 5. A photo with a deletion receipt was verified on the server before the app stopped: it is
//!    shredded (the crash came between sealing the receipt and shredding the photo).
//! 6. A visit whose patient refused (in kiosk mode, before the hand-back that ends it) is ended.
//!    An ended visit with no photos and no consent record left is shredded; if a crash left more
//!    than one visit open, the newest stays open and the others are ended. An ended visit with no
//!    photos left and some delivered is retired once its consent has reached the record (with the
//!    photos' FHIR filings, or as its own copy in the PACS, read back): its consent receipt is
//!    sealed (unless already there) and the visit record, consent and signature are shredded. One
//!    whose consent has not (a PACS-only trust, the copy still to send) is left to the courier.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::ids::{PhotoId, VisitId};
use super::manifest::{
    decode, encode, LocalState, PhotoManifest, ReceiptRecord, Record, VisitRecord, WithdrawalRecord,
};
use super::outbox::consent_receipt;
use super::pins::Pins;
use crate::vault::{ItemId, ItemKind, ItemMeta, Timestamp, Vault};
use crate::Error;

/// A record and the vault item it is sealed in.
#[derive(Debug, Clone)]
pub(crate) struct Stored<T> {
    pub(crate) item: ItemId,
    pub(crate) record: T,
}

/// What opening found and did. Counts only, for the Device screen and the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecoveryReport {
    /// Photos listed again.
    pub photos: usize,
    /// Visit records kept (the open one and ended ones whose photos or consent wait).
    pub visits: usize,
    /// Whether the visit the app was in when it stopped was resumed.
    pub resumed_visit: bool,
    /// Superseded manifest or visit revisions shredded.
    pub stale_revisions: usize,
    /// Photos shredded to finish a withdrawal.
    pub withdrawn_photos_shredded: usize,
    /// Items no record named, shredded.
    pub unreferenced_items_shredded: usize,
    /// Records that could not be read (left in place; see the module rule 4).
    pub unreadable_records: usize,
    /// Photos verified on the server whose shredding a crash interrupted, shredded now.
    pub delivered_photos_shredded: usize,
    /// Visits whose photos had all gone to the record, retired to a consent receipt now.
    pub visits_retired: usize,
}

/// The vault's visit state, rebuilt.
#[derive(Debug, Default)]
pub(crate) struct Recovered {
    pub(crate) photos: BTreeMap<PhotoId, Stored<PhotoManifest>>,
    pub(crate) visits: BTreeMap<VisitId, Stored<VisitRecord>>,
    pub(crate) receipts: Vec<Stored<ReceiptRecord>>,
    pub(crate) open_visit: Option<VisitId>,
    pub(crate) pins: Pins,
    pub(crate) report: RecoveryReport,
    /// What recovery finished that the audit trail must hear of (recorded once the journal
    /// opens): photos shredded after their delivery, withdrawals completed.
    pub(crate) audit: Vec<crate::audit::Event>,
}

fn read<T: Record>(vault: &Vault, item: ItemId) -> Result<T, Error> {
    let bytes = vault.unseal(item)?;
    Ok(decode(&bytes)?)
}

/// Reads every item of `metas` as a `T` and keeps, per `key`, the record with the highest
/// revision; the others go to `stale`. Records that do not read are counted in `report`.
fn newest<K: Ord, T: Record>(
    vault: &Vault,
    metas: Vec<&ItemMeta>,
    key: impl Fn(&T) -> (K, u32),
    stale: &mut Vec<Stored<T>>,
    report: &mut RecoveryReport,
) -> BTreeMap<K, Stored<T>> {
    let mut kept: BTreeMap<K, (u32, Stored<T>)> = BTreeMap::new();
    for m in metas {
        let Ok(record) = read::<T>(vault, m.id) else {
            report.unreadable_records += 1;
            continue;
        };
        let (k, revision) = key(&record);
        let stored = Stored { item: m.id, record };
        match kept.get(&k) {
            Some((r, _)) if *r >= revision => stale.push(stored),
            _ => {
                if let Some((_, old)) = kept.insert(k, (revision, stored)) {
                    stale.push(old);
                }
            }
        }
    }
    report.stale_revisions += stale.len();
    kept.into_iter().map(|(k, (_, s))| (k, s)).collect()
}

/// Removes the photos `gone` selects from `photos`, queueing each one's manifest, image and
/// thumbnail in `shred`; returns how many went.
fn drop_photos(
    photos: &mut BTreeMap<PhotoId, Stored<PhotoManifest>>,
    shred: &mut Vec<ItemId>,
    gone: impl Fn(&PhotoManifest) -> bool,
) -> Vec<(PhotoId, VisitId)> {
    let mut dropped = Vec::new();
    photos.retain(|_, s| {
        let goes = gone(&s.record);
        if goes {
            shred.push(s.item);
            shred.extend(s.record.items());
            dropped.push((s.record.photo_id, s.record.visit_id));
        }
        !goes
    });
    dropped
}

/// The audit entries of photos shredded to finish withdrawals: one per visit, as a withdrawal
/// made without a crash records it.
fn withdrawals_finished(dropped: &[(PhotoId, VisitId)]) -> Vec<crate::audit::Event> {
    let mut per_visit: BTreeMap<VisitId, u64> = BTreeMap::new();
    for (_, visit) in dropped {
        *per_visit.entry(*visit).or_default() += 1;
    }
    per_visit
        .into_iter()
        .map(|(visit, photos)| crate::audit::Event::ConsentWithdrawn {
            visit: visit.to_string(),
            photos,
        })
        .collect()
}

/// Rebuilds the visit state from `vault` and shreds what the rules above say. `now` dates the
/// records it seals again.
pub(crate) fn recover(vault: &Vault, now: Timestamp) -> Result<Recovered, Error> {
    let items = vault.list()?;
    let of_kind =
        |kind: ItemKind| -> Vec<&ItemMeta> { items.iter().filter(|m| m.kind == kind).collect() };
    let mut report = RecoveryReport::default();
    let mut shred: Vec<ItemId> = Vec::new();
    let mut audit = Vec::new();

    // Manifests, newest revision per photo.
    let mut stale = Vec::new();
    let mut photos = newest(
        vault,
        of_kind(ItemKind::Manifest),
        |m: &PhotoManifest| (m.photo_id, m.revision),
        &mut stale,
        &mut report,
    );
    let live_images: HashSet<ItemId> = photos.values().flat_map(|s| s.record.items()).collect();
    for s in &stale {
        shred.push(s.item);
        shred.extend(
            s.record
                .items()
                .into_iter()
                .filter(|i| !live_images.contains(i)),
        );
    }

    // Visit records, newest revision per visit.
    let mut stale_visits = Vec::new();
    let mut visits = newest(
        vault,
        of_kind(ItemKind::Visit),
        |v: &VisitRecord| (v.visit_id, v.revision),
        &mut stale_visits,
        &mut report,
    );
    shred.extend(stale_visits.iter().map(|s| s.item));

    // Withdrawals: finish them.
    let mut withdrawal_items = Vec::new();
    let mut resealed: HashSet<VisitId> = HashSet::new();
    for m in of_kind(ItemKind::Withdrawal) {
        let Ok(w) = read::<WithdrawalRecord>(vault, m.id) else {
            report.unreadable_records += 1;
            continue;
        };
        withdrawal_items.push(m.id);
        let dropped = drop_photos(&mut photos, &mut shred, |m| {
            m.visit_id == w.visit_id && m.consent.consent_id == w.consent_id
        });
        report.withdrawn_photos_shredded += dropped.len();
        audit.extend(withdrawals_finished(&dropped));
        if let Some(v) = visits.get_mut(&w.visit_id) {
            if v.record
                .consent
                .as_ref()
                .is_some_and(|c| c.consent_id == w.consent_id)
            {
                if let Some(link) = v.record.consent.take() {
                    v.record.withdrawn.push(link);
                }
                resealed.insert(w.visit_id);
            }
        }
    }
    // Receipts, and the photos they say were delivered.
    let mut receipts: Vec<Stored<ReceiptRecord>> = Vec::new();
    for m in of_kind(ItemKind::Receipt) {
        match read::<ReceiptRecord>(vault, m.id) {
            Ok(record) => receipts.push(Stored { item: m.id, record }),
            Err(_) => report.unreadable_records += 1,
        }
    }
    let delivered: HashSet<PhotoId> = receipts
        .iter()
        .filter_map(|r| match &r.record {
            ReceiptRecord::Deletion { photo_id, .. } => Some(*photo_id),
            ReceiptRecord::Consent { .. } | ReceiptRecord::Withdrawn { .. } => None,
        })
        .collect();
    let dropped = drop_photos(&mut photos, &mut shred, |m| delivered.contains(&m.photo_id));
    report.delivered_photos_shredded += dropped.len();
    audit.extend(
        dropped
            .iter()
            .map(|(photo, _)| crate::audit::Event::Shredded {
                photo: photo.to_string(),
            }),
    );

    // A manifest left marked withdrawn is as good as shredded.
    let dropped = drop_photos(&mut photos, &mut shred, |m| {
        m.state == LocalState::Withdrawn
    });
    report.withdrawn_photos_shredded += dropped.len();
    audit.extend(withdrawals_finished(&dropped));

    // A refusal made in kiosk mode ends its visit at hand-back; if the app died before the
    // hand-back, the visit ends now, so the refusal can never be followed by photos.
    for v in visits.values_mut() {
        if !v.record.ended && v.record.declined.is_some() {
            v.record.ended = true;
            resealed.insert(v.record.visit_id);
        }
    }
    // Visits: one open at most; ended ones with nothing left go.
    let open: Vec<(Timestamp, VisitId)> = visits
        .values()
        .filter(|v| !v.record.ended)
        .map(|v| (v.record.confirmed_at, v.record.visit_id))
        .collect();
    let open_visit = open.iter().max().map(|(_, id)| *id);
    for (_, id) in &open {
        if Some(*id) != open_visit {
            if let Some(v) = visits.get_mut(id) {
                v.record.ended = true;
                resealed.insert(*id);
            }
        }
    }
    let with_photos: HashSet<VisitId> = photos.values().map(|s| s.record.visit_id).collect();
    let finished: Vec<VisitId> = visits
        .values()
        .filter(|v| {
            v.record.ended
                && !with_photos.contains(&v.record.visit_id)
                && v.record.items().next().is_none()
        })
        .map(|v| v.record.visit_id)
        .collect();
    for id in finished {
        if let Some(v) = visits.remove(&id) {
            shred.push(v.item);
            resealed.remove(&id);
        }
    }
    let delivered_visits: HashSet<VisitId> = receipts
        .iter()
        .filter(|r| matches!(r.record, ReceiptRecord::Deletion { .. }))
        .map(|r| r.record.visit_id())
        .collect();
    // A visit whose consent went to the record with its photos' FHIR filings, or to the PACS as its
    // own copy read back. Otherwise (a PACS-only trust, the copy not yet sent) the courier sends the
    // copy first and retires the visit then: the consent must not go before it has reached the record.
    let filed_visits: HashSet<VisitId> = receipts
        .iter()
        .filter(|r| matches!(r.record, ReceiptRecord::Deletion { filed: Some(_), .. }))
        .map(|r| r.record.visit_id())
        .collect();
    let retired: Vec<VisitId> = visits
        .values()
        .filter(|v| {
            let consent_placed = v.record.consent.is_none()
                || v.record.consent_copied()
                || filed_visits.contains(&v.record.visit_id);
            v.record.ended
                && !with_photos.contains(&v.record.visit_id)
                && delivered_visits.contains(&v.record.visit_id)
                && consent_placed
        })
        .map(|v| v.record.visit_id)
        .collect();
    for id in retired {
        if let Some(v) = visits.remove(&id) {
            if let Some(stub) = consent_receipt(&v.record, &receipts, now) {
                let item = vault.seal(ItemKind::Receipt, &encode(&stub)?, None, now)?;
                receipts.push(Stored { item, record: stub });
            }
            shred.push(v.item);
            shred.extend(v.record.items());
            resealed.remove(&id);
            report.visits_retired += 1;
        }
    }
    for id in resealed {
        if let Some(v) = visits.get_mut(&id) {
            v.record.revision += 1;
            let json = encode(&v.record)?;
            let item = vault.seal(ItemKind::Visit, &json, None, now)?;
            shred.push(std::mem::replace(&mut v.item, item));
        }
    }

    // The clinician PIN (the newest item, if a crash left two).
    let pin_items = of_kind(ItemKind::ClinicianPin)
        .iter()
        .map(|m| (m.id, m.created_at))
        .collect();
    let (pins, old_pins) = Pins::load(vault, pin_items)?;
    shred.extend(old_pins);

    // Anything of the visit's kinds that nothing names.
    if report.unreadable_records == 0 {
        let mut named: HashSet<ItemId> = HashSet::new();
        for s in photos.values() {
            named.insert(s.item);
            named.extend(s.record.items());
        }
        for v in visits.values() {
            named.insert(v.item);
            named.extend(v.record.items());
        }
        named.extend(withdrawal_items.iter().copied());
        named.extend(pins.item());
        let already: HashSet<ItemId> = shred.iter().copied().collect();
        for m in &items {
            let ours = matches!(
                m.kind,
                ItemKind::Photo | ItemKind::Thumbnail | ItemKind::Consent | ItemKind::Signature
            );
            if ours && !named.contains(&m.id) && !already.contains(&m.id) {
                shred.push(m.id);
                report.unreferenced_items_shredded += 1;
            }
        }
    }

    shred.sort();
    shred.dedup();
    if !shred.is_empty() {
        vault.shred_all(&shred)?;
    }
    report.photos = photos.len();
    report.visits = visits.len();
    Ok(Recovered {
        photos,
        visits,
        receipts,
        open_visit,
        pins,
        report,
        audit,
    })
}
