//! The outbox's side of the ward: each step of a photo's delivery as a transaction on its sealed
//! manifest, so a crash at any point leaves the photo where delivery can pick it up again.
//!
//! ```text
//! queued --begin--> sending --acknowledged--> uploaded --verified--> (shredded, receipt kept)
//!    ^                 |                         |
//!    +----failed-------+----not on the server----+
//!   held <--refused / frame differs-- (a person decides: send again, or withdraw)
//! ```
//!
//! The courier (`crate::delivery::Courier`) drives these; nothing here talks to a server. The
//! local copy goes only in [`Ward::delivery_verified`], which the courier calls once the server's
//! copy has been read back and its frame matched the digest sealed at acknowledgement.

use serde::Serialize;
use zeroize::Zeroizing;

use super::error::VisitError;
use super::identity::DeliveryGate;
use super::ids::{PhotoId, VisitId};
use super::manifest::{LocalState, PhotoManifest, Problem, ReceiptRecord, SentFile, SentRecord};
use super::recover::Stored;
use super::ward::Inner;
use super::Ward;
use crate::delivery::{self, reply, uids};
use crate::review::{BodySite, Laterality};
use crate::vault::{Timestamp, Vault};
use crate::Error;

/// What the outbox holds now, for the courier and the Outbox screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryPlan {
    /// Photos that may be sent or verified now, oldest first.
    pub due: Vec<PhotoId>,
    /// Some photo waits for its patient to be checked against the record again.
    pub rechecks_due: bool,
    /// The earliest time a photo not due now becomes due.
    pub next_at: Option<Timestamp>,
    /// Photos in the outbox and not held.
    pub waiting: usize,
    /// Photos held (by the server or by the patient check) until a person acts.
    pub held: usize,
}

/// The next step for one photo, handed to the courier.
#[derive(Debug)]
pub enum DeliveryJob {
    /// Send this DICOM object; its frame's digest is in `sent` (whose `at` is the start).
    Send {
        /// The photo.
        photo: PhotoId,
        /// The DICOM Part-10 file, wiped on drop.
        part10: Zeroizing<Vec<u8>>,
        /// The identifiers and digest to seal once the server acknowledges.
        sent: SentRecord,
    },
    /// The server acknowledged this photo earlier: read its copy back and compare.
    Verify {
        /// The photo.
        photo: PhotoId,
        /// What was acknowledged.
        sent: SentRecord,
    },
}

/// A delivered photo as the Outbox's "Sent" list shows it: no patient identifier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentView {
    /// The photo id.
    pub photo: PhotoId,
    /// When its local copy was shredded after the server's matched.
    pub sent_at: Timestamp,
    /// Its body site, if it still reads against today's list.
    pub body_site: Option<BodySite>,
    /// Its side.
    pub laterality: Option<Laterality>,
    /// The server's base address.
    pub server: String,
    /// The SOP Instance UID it is stored under there, for IT to find it.
    pub sop_uid: String,
}

impl Inner {
    /// Whether any photo of `visit` has been delivered.
    pub(super) fn delivered_any(&self, visit: VisitId) -> bool {
        self.receipts.iter().any(
            |r| matches!(&r.record, ReceiptRecord::Deletion { visit_id, .. } if *visit_id == visit),
        )
    }

    /// Retires a visit whose photos have all gone and some reached the record: the consent and
    /// its signature are shredded with the visit record, leaving a sealed consent receipt naming
    /// where the photos went (sealed first, so a crash leaves both, never neither; recovery
    /// finishes).
    pub(super) fn retire_visit(
        &mut self,
        vault: &Vault,
        visit: VisitId,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(stored) = self.visits.get(&visit) else {
            return Ok(());
        };
        let stub = consent_receipt(&stored.record, &self.receipts, now);
        let mut items: Vec<_> = stored.record.items().collect();
        items.push(stored.item);
        match stub {
            // The receipt takes the consent's place in one commit.
            Some(stub) => self.seal_receipt(vault, stub, &items, now)?,
            None => self.shred(vault, &items)?,
        }
        self.visits.remove(&visit);
        Ok(())
    }
}

/// The consent receipt for `record`'s consent, unless one was already sealed (a crash between
/// sealing it and shredding the visit) or the visit has no consent in force.
pub(super) fn consent_receipt(
    record: &super::manifest::VisitRecord,
    receipts: &[Stored<ReceiptRecord>],
    now: Timestamp,
) -> Option<ReceiptRecord> {
    let link = record.consent.as_ref()?;
    let already = receipts.iter().any(|r| {
        matches!(&r.record, ReceiptRecord::Consent { visit_id, consent_id, .. }
            if *visit_id == record.visit_id && *consent_id == link.consent_id)
    });
    if already {
        return None;
    }
    let delivered = receipts
        .iter()
        .filter_map(|r| match &r.record {
            ReceiptRecord::Deletion {
                visit_id,
                consent_id,
                sent,
                ..
            } if *visit_id == record.visit_id && *consent_id == link.consent_id => {
                Some(sent.clone())
            }
            _ => None,
        })
        .collect();
    Some(ReceiptRecord::Consent {
        visit_id: record.visit_id,
        consent_id: link.consent_id,
        consent_sha256: link.digest,
        purposes: link.purposes,
        delivered,
        shredded_at: now,
    })
}

fn problem_of(code: &str, message: impl std::fmt::Display) -> Problem {
    Problem {
        code: code.to_owned(),
        message: message.to_string(),
    }
}

impl Ward {
    /// What the outbox holds at `now`: the photos due, whether a patient re-check is needed first,
    /// and when the next photo becomes due.
    pub fn delivery_plan(&self, now: Timestamp) -> Result<DeliveryPlan, Error> {
        let inner = self.lock()?;
        let mut plan = DeliveryPlan::default();
        let mut due: Vec<(Timestamp, PhotoId)> = Vec::new();
        for s in inner.photos.values() {
            let m = &s.record;
            if !m.state.in_outbox() {
                continue;
            }
            let gate = m.patient.delivery_gate();
            if m.state == LocalState::Held || matches!(gate, DeliveryGate::Held { .. }) {
                plan.held += 1;
                continue;
            }
            plan.waiting += 1;
            if gate == DeliveryGate::NeedsRecheck {
                plan.rechecks_due = true;
                continue;
            }
            match m.delivery.next_attempt_at {
                Some(at) if at > now => {
                    plan.next_at = Some(plan.next_at.map_or(at, |n| n.min(at)));
                }
                _ => due.push((m.captured_at, m.photo_id)),
            }
        }
        due.sort();
        plan.due = due.into_iter().map(|(_, id)| id).collect();
        Ok(plan)
    }

    /// Takes `photo`'s next step. A photo acknowledged earlier is to be verified; any other is
    /// marked sending (sealed, attempts counted) and its DICOM object built for `server`. `None`
    /// when the photo is no longer due (gone, held, or not yet allowed by its patient check). A
    /// photo whose DICOM object cannot be built is held with the reason, and `None` returned.
    pub fn begin_delivery(
        &self,
        photo: PhotoId,
        server: &str,
    ) -> Result<Option<DeliveryJob>, Error> {
        let (vault, manifest) = {
            let mut inner = self.lock()?;
            let vault = inner.vault()?;
            let Some(s) = inner.photos.get(&photo) else {
                return Ok(None);
            };
            let m = &s.record;
            let ready = m.patient.delivery_gate() == DeliveryGate::Ready;
            if !ready
                || !matches!(
                    m.state,
                    LocalState::Queued | LocalState::Sending | LocalState::Uploaded
                )
            {
                return Ok(None);
            }
            if m.state == LocalState::Uploaded {
                if let Some(sent) = m.delivery.sent.clone() {
                    return Ok(Some(DeliveryJob::Verify { photo, sent }));
                }
            }
            let mut next = m.clone();
            next.state = LocalState::Sending;
            next.delivery.attempts = next.delivery.attempts.saturating_add(1);
            next.delivery.sent = None;
            inner.save_photo(&vault, next.clone(), &[], self.clock.wall())?;
            (vault, next)
        };
        // The slow part, outside the lock: unseal, build, digest.
        let now = self.clock.wall();
        let image = match vault.unseal(manifest.image) {
            Ok(image) => image,
            Err(e) => {
                // A sealed image that no longer opens (damaged or tampered storage) will not
                // open on a retry either.
                self.delivery_hold(photo, problem_of(e.code(), &e))?;
                return Ok(None);
            }
        };
        let built = match delivery::vl_photographic_image_with(&manifest, &image, now) {
            Ok(built) => built,
            Err(e) => {
                self.delivery_hold(photo, problem_of(e.code(), &e))?;
                return Ok(None);
            }
        };
        drop(image);
        // The frame digested is the very bytes sent, where the builder put them (the tests read
        // them back with dicom-rs and dcmdump), without the pad byte DICOM adds to an odd length:
        // a server may return it with or without.
        let range = built.frame.clone();
        let part10 = Zeroizing::new(built.part10);
        let Some(frame) = part10.get(range).filter(|f| f.len() == built.frame_len) else {
            // A bug, not the photo's fault; hold it so a person sees it rather than retrying.
            let e = reply::ReplyError::DicomDamaged;
            self.delivery_hold(photo, problem_of(e.code(), e))?;
            return Ok(None);
        };
        let sent = SentRecord {
            server: server.to_owned(),
            study_uid: uids::study_uid(manifest.visit_id),
            series_uid: uids::series_uid(manifest.visit_id),
            sop_uid: uids::sop_instance_uid(photo),
            frame_sha256: hex::encode(reply::frame_digest(frame)),
            frame_len: frame.len() as u64,
            file: Some(SentFile {
                sha256: hex::encode(reply::frame_digest(&part10)),
                len: part10.len() as u64,
            }),
            at: now,
        };
        Ok(Some(DeliveryJob::Send {
            photo,
            part10,
            sent,
        }))
    }

    /// The server acknowledged `sent`: the photo is uploaded, its digest sealed for read-back.
    /// Ignored for a photo no longer sending (withdrawn meanwhile).
    pub fn delivery_acknowledged(&self, photo: PhotoId, mut sent: SentRecord) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(mut m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(());
        };
        if m.state != LocalState::Sending {
            return Ok(());
        }
        let now = self.clock.wall();
        sent.at = now;
        m.state = LocalState::Uploaded;
        m.delivery.sent = Some(sent);
        m.delivery.problem = None;
        m.delivery.next_attempt_at = None;
        inner.save_photo(&vault, m, &[], now)
    }

    /// An attempt failed in a way that may pass: the photo waits until `retry_at` with `problem`
    /// shown. A sending photo goes back to queued; an uploaded one stays uploaded (its copy is
    /// still to be verified) unless `resend` (the server does not have it after all).
    pub fn delivery_failed(
        &self,
        photo: PhotoId,
        problem: Problem,
        retry_at: Timestamp,
        resend: bool,
    ) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(mut m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(());
        };
        match m.state {
            LocalState::Sending => m.state = LocalState::Queued,
            LocalState::Uploaded if resend => {
                m.state = LocalState::Queued;
                m.delivery.sent = None;
            }
            LocalState::Uploaded | LocalState::Queued => {}
            _ => return Ok(()),
        }
        m.delivery.problem = Some(problem);
        m.delivery.next_attempt_at = Some(retry_at);
        inner.save_photo(&vault, m, &[], self.clock.wall())
    }

    /// Holds `photo` until a person acts: the server refused it, or its copy differed.
    pub fn delivery_hold(&self, photo: PhotoId, reason: Problem) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(mut m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(());
        };
        if !m.state.in_outbox() {
            return Ok(());
        }
        m.state = LocalState::Held;
        m.delivery.hold = Some(reason);
        m.delivery.next_attempt_at = None;
        inner.save_photo(&vault, m, &[], self.clock.wall())
    }

    /// The clinician asks for a held photo to be sent again (after IT fixed the server, say). The
    /// hold is kept as the last problem, so the Outbox still says what happened. Refused for a
    /// photo not held by delivery, and while the patient holds the phone.
    pub fn send_again(&self, photo: PhotoId) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        inner.clinician_holds()?;
        let mut m = inner
            .photos
            .get(&photo)
            .map(|s| s.record.clone())
            .ok_or(VisitError::UnknownPhoto)?;
        if m.state != LocalState::Held {
            return Err(VisitError::NotHeldByServer.into());
        }
        m.state = LocalState::Queued;
        m.delivery.problem = m.delivery.hold.take();
        m.delivery.sent = None;
        m.delivery.next_attempt_at = None;
        inner.save_photo(&vault, m, &[], self.clock.wall())
    }

    /// The server's copy of `photo` matched what was sent: a deletion receipt is sealed, then
    /// the photo (manifest, image, thumbnail) is crypto-shredded. If it was the last photo of an
    /// ended visit, the visit's consent goes too, leaving its receipt. `false` when the photo was
    /// no longer waiting to be verified (withdrawn meanwhile).
    pub fn delivery_verified(&self, photo: PhotoId) -> Result<bool, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(false);
        };
        let Some(sent) = m
            .delivery
            .sent
            .clone()
            .filter(|_| m.state == LocalState::Uploaded)
        else {
            return Ok(false);
        };
        let now = self.clock.wall();
        let receipt = ReceiptRecord::Deletion {
            photo_id: photo,
            visit_id: m.visit_id,
            consent_id: m.consent.consent_id,
            sent,
            body_site: m.label.as_ref().map(|l| l.body_site.clone()),
            laterality: m.label.as_ref().map(|l| l.laterality),
            shredded_at: now,
        };
        // The receipt takes the photo's place (manifest, image, thumbnail) in one commit.
        let items = inner
            .photos
            .get(&photo)
            .map(|s| [s.item, s.record.image, s.record.thumbnail])
            .ok_or(VisitError::UnknownPhoto)?;
        inner.seal_receipt(&vault, receipt, &items, now)?;
        inner.photos.remove(&photo);
        let visit = m.visit_id;
        let ended = inner.visits.get(&visit).is_some_and(|v| v.record.ended);
        if ended && inner.photos_of(visit).next().is_none() {
            inner.retire_visit(&vault, visit, now)?;
        }
        Ok(true)
    }

    /// Photos delivered since `since`, newest first, for the Outbox's "Sent" list (none while
    /// locked or while the patient holds the phone).
    pub fn sent_since(&self, since: Timestamp) -> Result<Vec<SentView>, Error> {
        let inner = self.lock()?;
        if inner.clinician_holds().is_err() {
            return Ok(Vec::new());
        }
        let mut list: Vec<SentView> = inner
            .receipts
            .iter()
            .filter_map(|r| match &r.record {
                ReceiptRecord::Deletion {
                    photo_id,
                    sent,
                    body_site,
                    laterality,
                    shredded_at,
                    ..
                } if *shredded_at >= since => Some(SentView {
                    photo: *photo_id,
                    sent_at: *shredded_at,
                    body_site: body_site.as_deref().and_then(crate::review::find).copied(),
                    laterality: *laterality,
                    server: sent.server.clone(),
                    sop_uid: sent.sop_uid.clone(),
                }),
                _ => None,
            })
            .collect();
        list.sort_by_key(|s| std::cmp::Reverse(s.sent_at));
        Ok(list)
    }

    /// The sealed receipts (for tests, the audit trail and tools reading the vault).
    pub fn receipts(&self) -> Result<Vec<ReceiptRecord>, Error> {
        Ok(self
            .lock()?
            .receipts
            .iter()
            .map(|s| s.record.clone())
            .collect())
    }

    /// A photo's manifest as sealed now (for the courier's tests and the crash campaign).
    pub fn manifest(&self, photo: PhotoId) -> Result<Option<PhotoManifest>, Error> {
        Ok(self.lock()?.photos.get(&photo).map(|s| s.record.clone()))
    }
}
