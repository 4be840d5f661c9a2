//! The outbox's side of the ward: each step of a photo's delivery as a transaction on its sealed
//! manifest, so a crash at any point leaves the photo where delivery can pick it up again.
//!
//! ```text
//! queued --begin--> sending --(answered; read back at once)-----------> verified
//!    ^                 |   \--acknowledged (read-back must wait)--> uploaded --verified--^
//!    +----failed-------+----not on the server----+
//! verified: shredded, receipt kept; or, with another route to go, queued for it
//!   held <--refused / frame differs-- (a person decides: send again, or withdraw)
//! ```
//!
//! A trust configures one or two routes ([`Route`]: the PACS, the FHIR record). A photo takes
//! them one after another, `sending` and `uploaded` being steps of the route it is on
//! ([`DeliveryRecord::route`](super::DeliveryRecord)); a route read back is listed as verified,
//! with its proof kept, and the photo is queued for the next. It is shredded only when every
//! configured route has read it back ([`Destinations::required`]). A route whose server is
//! paused is passed over for the other, so a PACS that is down does not keep photos from the
//! record.
//!
//! The courier (`crate::delivery::Courier`) drives these; nothing here talks to a server. The
//! local copy goes only in [`Ward::delivery_verified_with`], which the courier calls once the
//! server's copy has been read back and matched the digest sealed with the attempt.

use serde::Serialize;
use zeroize::Zeroizing;

use super::audit::route_name;
use super::error::VisitError;
use super::identity::DeliveryGate;
use super::ids::{PhotoId, VisitId};
use super::manifest::{
    ConsentCopy, FiledRecord, LocalState, PhotoManifest, Problem, ReceiptRecord, Route, SentFile,
    SentRecord,
};
use super::recover::Stored;
use super::ward::{read_consent, Inner};
use super::Ward;
use crate::audit::Event as AuditEvent;
use crate::delivery::fhir::{self, TransactionBundle};
use crate::delivery::ConsentVisit;
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

/// Where the courier may deliver: every route the trust configured, and those open now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destinations {
    /// Every configured route: a photo is shredded only once each has read it back.
    pub required: Vec<Route>,
    /// The routes that may be tried now (configured, not paused), each with its server's base
    /// address, in the order to try them.
    pub open: Vec<(Route, String)>,
}

impl Destinations {
    /// The PACS at `server`, alone.
    pub fn pacs(server: &str) -> Destinations {
        Destinations {
            required: vec![Route::Pacs],
            open: vec![(Route::Pacs, server.to_owned())],
        }
    }

    fn server(&self, route: Route) -> Option<&str> {
        self.open
            .iter()
            .find(|(r, _)| *r == route)
            .map(|(_, s)| s.as_str())
    }

    /// Whether a visit's consent needs its own copy in the PACS (an Encapsulated PDF): the PACS
    /// is a route and the record, which would get the FHIR `Consent` with each photo, is not.
    pub fn requires_consent_copy(&self) -> bool {
        self.required.contains(&Route::Pacs) && !self.required.contains(&Route::Record)
    }
}

/// The next step of a visit's consent copy, handed to the courier.
#[derive(Debug)]
pub enum ConsentCopyJob {
    /// Send this Encapsulated PDF instance; `sent` holds its digests.
    Send {
        /// The visit.
        visit: VisitId,
        /// The DICOM Part-10 file, wiped on drop.
        part10: Zeroizing<Vec<u8>>,
        /// What to seal once the PACS acknowledges.
        sent: SentRecord,
    },
    /// The PACS acknowledged it earlier: read it back and compare.
    Verify {
        /// The visit.
        visit: VisitId,
        /// What was acknowledged.
        sent: SentRecord,
    },
}

/// The next step for one photo, handed to the courier.
#[derive(Debug)]
pub enum DeliveryJob {
    /// Send this DICOM object to the PACS; its frame's digest is in `sent` (whose `at` is the
    /// start).
    Send {
        /// The photo.
        photo: PhotoId,
        /// The DICOM Part-10 file, wiped on drop.
        part10: Zeroizing<Vec<u8>>,
        /// The identifiers and digest to seal once the server acknowledges.
        sent: SentRecord,
    },
    /// File this transaction Bundle in the FHIR record; `filed` holds the Binary's digest and the
    /// DocumentReference's identifier (the locations come with the answer).
    File {
        /// The photo.
        photo: PhotoId,
        /// The Bundle, wiped on drop.
        bundle: TransactionBundle,
        /// What to seal once the record acknowledges.
        filed: FiledRecord,
    },
    /// The PACS acknowledged this photo earlier: read its copy back and compare.
    Verify {
        /// The photo.
        photo: PhotoId,
        /// What was acknowledged.
        sent: SentRecord,
    },
    /// The record filed this photo earlier: read its Binary back and compare.
    VerifyFiled {
        /// The photo.
        photo: PhotoId,
        /// What was filed.
        filed: FiledRecord,
    },
    /// Every configured route had already read this photo back (the configuration changed, or
    /// a crash came between the last read-back and the shred): it was shredded now.
    Finished {
        /// The photo.
        photo: PhotoId,
    },
}

/// What a server's acknowledgement seals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ack {
    /// The PACS stored it.
    Pacs(SentRecord),
    /// The record filed it.
    Record(FiledRecord),
}

impl Ack {
    pub(crate) fn route(&self) -> Route {
        match self {
            Ack::Pacs(_) => Route::Pacs,
            Ack::Record(_) => Route::Record,
        }
    }
}

/// What a matched read-back did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Every configured route holds the photo: it was shredded and its receipt sealed.
    Shredded,
    /// This route holds it; another configured route does not yet. It is queued for that one.
    NextRoute,
    /// It was no longer waiting to be verified on that route (withdrawn meanwhile).
    NotWaiting,
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
    /// The first server's base address (the PACS when it went there).
    pub server: String,
    /// Every server it went to, PACS first.
    pub servers: Vec<String>,
    /// The SOP Instance UID it is stored under in the PACS, for IT to find it.
    pub sop_uid: Option<String>,
    /// Where the record filed its DocumentReference, for IT to find it.
    pub document_reference: Option<String>,
}

impl Inner {
    /// Seals `photo`'s deletion receipt (the proof of every route in `to.required`) in place of
    /// its manifest, image and thumbnail, in one commit; retires its visit if that was the last
    /// photo of an ended visit.
    pub(super) fn finish_delivery(
        &mut self,
        vault: &Vault,
        photo: PhotoId,
        to: &Destinations,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(s) = self.photos.get(&photo) else {
            return Ok(());
        };
        let m = &s.record;
        let required = |r: Route| to.required.contains(&r) && m.delivery.is_verified(r);
        let receipt = ReceiptRecord::Deletion {
            photo_id: photo,
            visit_id: m.visit_id,
            consent_id: m.consent.consent_id,
            sent: m.delivery.sent.clone().filter(|_| required(Route::Pacs)),
            filed: m.delivery.filed.clone().filter(|_| required(Route::Record)),
            body_site: m.label.as_ref().map(|l| l.body_site.clone()),
            laterality: m.label.as_ref().map(|l| l.laterality),
            shredded_at: now,
        };
        let items = [s.item, m.image, m.thumbnail];
        let visit = m.visit_id;
        self.unparcel(photo)?;
        // The receipt takes the photo's place (manifest, image, thumbnail) in one commit.
        self.seal_receipt(vault, receipt, &items, now)?;
        self.photos.remove(&photo);
        self.audit(AuditEvent::Shredded {
            photo: photo.to_string(),
        });
        self.retire_if_done(vault, visit, to, now)
    }

    /// Retires `visit` if it ended, none of its photos is left and its consent has reached the
    /// record: with its photos' FHIR filings, or, where the PACS is the only route, as its own
    /// copy read back.
    pub(super) fn retire_if_done(
        &mut self,
        vault: &Vault,
        visit: VisitId,
        to: &Destinations,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(v) = self.visits.get(&visit) else {
            return Ok(());
        };
        let consent_placed =
            v.record.consent.is_none() || !to.requires_consent_copy() || v.record.consent_copied();
        if v.record.ended && consent_placed && self.photos_of(visit).next().is_none() {
            self.retire_visit(vault, visit, now)?;
        }
        Ok(())
    }

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
    let mut delivered = Vec::new();
    let mut filed_all = Vec::new();
    for r in receipts {
        if let ReceiptRecord::Deletion {
            visit_id,
            consent_id,
            sent,
            filed,
            ..
        } = &r.record
        {
            if *visit_id == record.visit_id && *consent_id == link.consent_id {
                delivered.extend(sent.clone());
                filed_all.extend(filed.clone());
            }
        }
    }
    let consent_copy = record
        .consent_copy
        .as_ref()
        .filter(|c| c.consent_id == link.consent_id && c.verified_at.is_some())
        .and_then(|c| c.sent.clone());
    Some(ReceiptRecord::Consent {
        visit_id: record.visit_id,
        consent_id: link.consent_id,
        consent_sha256: link.digest,
        purposes: link.purposes,
        delivered,
        filed: filed_all,
        consent_copy,
        shredded_at: now,
    })
}

/// What `route` at `server` will receive for the photo `manifest` describes: its DICOM object or
/// its transaction Bundle, with the digests to seal with the attempt. Built the same way for the
/// courier ([`Ward::begin_delivery_to`]) and for a parcel sent while locked (`outbound.rs`). A
/// photo whose image no longer opens or whose object cannot be built gives the problem to hold
/// it with.
pub(super) fn build_job(
    vault: &Vault,
    manifest: &PhotoManifest,
    route: Route,
    server: &str,
    now: Timestamp,
) -> Result<DeliveryJob, Problem> {
    let photo = manifest.photo_id;
    let image = vault
        .unseal(manifest.image)
        .map_err(|e| problem_of(e.code(), &e))?;
    match route {
        Route::Pacs => pacs_job(manifest, &image, server, now),
        Route::Record => {
            let consent = read_consent(vault, manifest.consent.record_item)
                .map_err(|e| problem_of(e.code(), &e))?;
            let bundle = fhir::transaction_bundle(manifest, &image, &consent, now)
                .map_err(|e| problem_of(e.code(), &e))?;
            drop(image);
            let binary = bundle.binary();
            let filed = FiledRecord {
                server: server.to_owned(),
                binary_id: binary.id.clone(),
                sha256: hex::encode(binary.sha256),
                len: binary.len,
                document_identifier: fhir::document_identifier(photo),
                document_reference: None,
                consent: None,
                at: now,
            };
            Ok(DeliveryJob::File {
                photo,
                bundle,
                filed,
            })
        }
    }
}

fn pacs_job(
    manifest: &PhotoManifest,
    image: &[u8],
    server: &str,
    now: Timestamp,
) -> Result<DeliveryJob, Problem> {
    let photo = manifest.photo_id;
    let built = delivery::vl_photographic_image_with(manifest, image, now)
        .map_err(|e| problem_of(e.code(), &e))?;
    // The frame digested is the very bytes sent, where the builder put them (the tests read
    // them back with dicom-rs and dcmdump), without the pad byte DICOM adds to an odd length:
    // a server may return it with or without.
    let range = built.frame.clone();
    let part10 = Zeroizing::new(built.part10);
    let Some(frame) = part10.get(range).filter(|f| f.len() == built.frame_len) else {
        // A bug, not the photo's fault; hold it so a person sees it rather than retrying.
        let e = reply::ReplyError::DicomDamaged;
        return Err(problem_of(e.code(), e));
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
    Ok(DeliveryJob::Send {
        photo,
        part10,
        sent,
    })
}

pub(super) fn problem_of(code: &str, message: impl std::fmt::Display) -> Problem {
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

    /// Takes `photo`'s next step on the PACS at `server` alone (a trust with no record route).
    pub fn begin_delivery(
        &self,
        photo: PhotoId,
        server: &str,
    ) -> Result<Option<DeliveryJob>, Error> {
        self.begin_delivery_to(photo, &Destinations::pacs(server))
    }

    /// Takes `photo`'s next step towards `to`. A photo acknowledged earlier on a route still open
    /// is to be verified there; one every configured route has verified is shredded now
    /// ([`DeliveryJob::Finished`]); any other is marked sending on the first open route that has
    /// not verified it (sealed, attempts counted) and its DICOM object or Bundle built. `None`
    /// when the photo is no longer due (gone, held, not yet allowed by its patient check) or no
    /// route it still needs is open. A photo whose object cannot be built is held with the
    /// reason, and `None` returned.
    pub fn begin_delivery_to(
        &self,
        photo: PhotoId,
        to: &Destinations,
    ) -> Result<Option<DeliveryJob>, Error> {
        let (vault, manifest, route, server) = {
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
            if !to.required.is_empty() && to.required.iter().all(|r| m.delivery.is_verified(*r)) {
                let now = self.clock.wall();
                inner.finish_delivery(&vault, photo, to, now)?;
                return Ok(Some(DeliveryJob::Finished { photo }));
            }
            if m.state == LocalState::Uploaded && m.delivery.acknowledged() {
                let route = m.delivery.route;
                if to.server(route).is_none() {
                    // Its copy waits to be read back on a route that is paused now.
                    return Ok(None);
                }
                return Ok(Some(match route {
                    Route::Pacs => match m.delivery.sent.clone() {
                        Some(sent) => DeliveryJob::Verify { photo, sent },
                        None => return Ok(None),
                    },
                    Route::Record => match m.delivery.filed.clone() {
                        Some(filed) => DeliveryJob::VerifyFiled { photo, filed },
                        None => return Ok(None),
                    },
                }));
            }
            let Some((route, server)) = to
                .open
                .iter()
                .find(|(r, _)| to.required.contains(r) && !m.delivery.is_verified(*r))
                .cloned()
            else {
                return Ok(None);
            };
            (vault, m.clone(), route, server)
        };
        // The slow part, outside the lock: unseal, build, digest.
        let now = self.clock.wall();
        let job = match build_job(&vault, &manifest, route, &server, now) {
            Ok(job) => job,
            Err(problem) => {
                // A sealed image that no longer opens (damaged or tampered storage), or an object
                // that cannot be built, will not do better on a retry: a person sees it.
                self.delivery_hold(photo, problem)?;
                return Ok(None);
            }
        };
        // The attempt, with what will be sent (its digest), is sealed before the request: a
        // crash after it resends (the identifiers make that replace), and the read-back that
        // follows a stored answer needs no further commit.
        let proof = match &job {
            DeliveryJob::Send { sent, .. } => Ack::Pacs(sent.clone()),
            DeliveryJob::File { filed, .. } => Ack::Record(filed.clone()),
            _ => return Ok(Some(job)),
        };
        let mut inner = self.lock()?;
        let Some(mut m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(None);
        };
        if m.revision != manifest.revision
            || !matches!(
                m.state,
                LocalState::Queued | LocalState::Sending | LocalState::Uploaded
            )
        {
            // Changed while it was built (withdrawn, discarded): not sent.
            return Ok(None);
        }
        m.state = LocalState::Sending;
        m.delivery.route = route;
        m.delivery.attempts = m.delivery.attempts.saturating_add(1);
        match proof {
            Ack::Pacs(sent) => m.delivery.sent = Some(sent),
            Ack::Record(filed) => m.delivery.filed = Some(filed),
        }
        inner.save_photo(&vault, m, &[], self.clock.wall())?;
        Ok(Some(job))
    }

    /// The PACS acknowledged `sent`: the photo is uploaded, its digest sealed for read-back.
    /// Ignored for a photo no longer sending (withdrawn meanwhile).
    pub fn delivery_acknowledged(&self, photo: PhotoId, sent: SentRecord) -> Result<(), Error> {
        self.delivery_acked(photo, Ack::Pacs(sent))
    }

    /// A server acknowledged the photo on the route it is being sent on: it is uploaded, what
    /// was acknowledged sealed for the read-back. Ignored for a photo no longer sending on that
    /// route (withdrawn meanwhile).
    pub fn delivery_acked(&self, photo: PhotoId, ack: Ack) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(mut m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(());
        };
        if m.state != LocalState::Sending || m.delivery.route != ack.route() {
            return Ok(());
        }
        let now = self.clock.wall();
        match ack {
            Ack::Pacs(mut sent) => {
                sent.at = now;
                m.delivery.sent = Some(sent);
            }
            Ack::Record(mut filed) => {
                filed.at = now;
                m.delivery.filed = Some(filed);
            }
        }
        m.state = LocalState::Uploaded;
        m.delivery.problem = None;
        m.delivery.next_attempt_at = None;
        let route = m.delivery.route;
        inner.save_photo(&vault, m, &[], now)?;
        inner.audit(AuditEvent::Delivered {
            photo: photo.to_string(),
            route: route_name(route),
        });
        Ok(())
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
            LocalState::Sending => {
                m.state = LocalState::Queued;
                m.delivery.forget_unverified_proof();
            }
            LocalState::Uploaded if resend => {
                m.state = LocalState::Queued;
                m.delivery.forget_unverified_proof();
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
        m.delivery.forget_unverified_proof();
        m.delivery.next_attempt_at = None;
        inner.save_photo(&vault, m, &[], self.clock.wall())
    }

    /// The PACS's copy of `photo` matched what was sent, and the PACS is the only route: see
    /// [`Ward::delivery_verified_on`]. `false` when the photo was no longer waiting to be
    /// verified (withdrawn meanwhile).
    pub fn delivery_verified(&self, photo: PhotoId) -> Result<bool, Error> {
        let to = Destinations {
            required: vec![Route::Pacs],
            open: Vec::new(),
        };
        Ok(self.delivery_verified_on(photo, Route::Pacs, &to)? == Verified::Shredded)
    }

    /// `route`'s copy of `photo` matched what was sent. When every route in `to.required` has now
    /// read it back, a deletion receipt is sealed and the photo (manifest, image, thumbnail) is
    /// crypto-shredded in one commit, and if it was the last photo of an ended visit, the
    /// visit's consent goes too, leaving its receipt. Otherwise the route is sealed as verified
    /// (its proof kept for the receipt) and the photo queued for the next route at once.
    pub fn delivery_verified_on(
        &self,
        photo: PhotoId,
        route: Route,
        to: &Destinations,
    ) -> Result<Verified, Error> {
        self.delivery_verified_with(photo, route, None, to)
    }

    /// As [`Ward::delivery_verified_on`], for a photo whose copy was read back straight after the
    /// server's answer, with no commit in between: it may still be sealed as sending, its proof
    /// sealed with the attempt; `ack` (the answer: the record's locations) replaces that proof.
    pub fn delivery_verified_with(
        &self,
        photo: PhotoId,
        route: Route,
        ack: Option<Ack>,
        to: &Destinations,
    ) -> Result<Verified, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(mut m) = inner.photos.get(&photo).map(|s| s.record.clone()) else {
            return Ok(Verified::NotWaiting);
        };
        let waiting = matches!(m.state, LocalState::Uploaded | LocalState::Sending);
        if !waiting || m.delivery.route != route || !m.delivery.acknowledged() {
            return Ok(Verified::NotWaiting);
        }
        // Still sealed as sending: the server's answer was not committed apart (no `Delivered`
        // entry yet); it is recorded with the read-back.
        let unrecorded_ack = m.state == LocalState::Sending;
        match ack {
            Some(Ack::Pacs(sent)) if route == Route::Pacs => m.delivery.sent = Some(sent),
            Some(Ack::Record(filed)) if route == Route::Record => m.delivery.filed = Some(filed),
            _ => {}
        }
        let now = self.clock.wall();
        if !m.delivery.is_verified(route) {
            m.delivery.verified.push(route);
        }
        let matched = |inner: &mut Inner| {
            if unrecorded_ack {
                inner.audit(AuditEvent::Delivered {
                    photo: photo.to_string(),
                    route: route_name(route),
                });
            }
            inner.audit(AuditEvent::ReadBackMatched {
                photo: photo.to_string(),
                route: route_name(route),
            });
        };
        if to.required.iter().all(|r| m.delivery.is_verified(*r)) {
            // Sealed as verified in the receipt itself, so no revision in between.
            inner.photos.entry(photo).and_modify(|s| s.record = m);
            // Recorded before the shred it leads to, in the order they happened; should the
            // receipt fail, the photo stays and is read back again (one more entry, no gap).
            matched(&mut inner);
            inner.finish_delivery(&vault, photo, to, now)?;
            return Ok(Verified::Shredded);
        }
        m.state = LocalState::Queued;
        m.delivery.problem = None;
        m.delivery.next_attempt_at = None;
        inner.save_photo(&vault, m, &[], now)?;
        matched(&mut inner);
        Ok(Verified::NextRoute)
    }

    /// Truncates the index log if photos were shredded since it last was: the page images of
    /// their destroyed keys leave the disk now. The courier calls this at the end of each drain
    /// (one truncation for the drain, not one per photo); a failure is left to the next open,
    /// which truncates it too, and is counted as a deletion pending.
    pub fn scrub_delivered(&self) -> Result<(), Error> {
        let mut inner = self.lock()?;
        if !inner.scrub_due {
            return Ok(());
        }
        let vault = inner.vault()?;
        inner.scrub_due = false;
        if vault.scrub().is_err() {
            inner.cleanup_pending += 1;
        }
        Ok(())
    }

    /// Retires every ended visit whose photos have all gone, some to the record, and whose consent
    /// has reached the record as `to` requires (a visit recovery left for the courier, or one whose
    /// trust's routes changed). Returns how many.
    pub fn retire_delivered_visits(&self, to: &Destinations) -> Result<usize, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let now = self.clock.wall();
        let ready: Vec<VisitId> = inner
            .visits
            .iter()
            .filter(|(id, v)| {
                v.record.ended
                    && inner.photos_of(**id).next().is_none()
                    && inner.delivered_any(**id)
            })
            .map(|(id, _)| *id)
            .collect();
        let before = inner.visits.len();
        for visit in ready {
            inner.retire_if_done(&vault, visit, to, now)?;
        }
        Ok(before - inner.visits.len())
    }

    /// Visits whose consent should go to the PACS as its own copy now (see
    /// [`Destinations::requires_consent_copy`]): the consent in force has no copy read back, the
    /// patient check lets the visit's photos go, something of the visit goes to the PACS (a photo
    /// in the outbox, or one delivered) and no failed attempt waits beyond `now`.
    pub fn consent_copies_due(
        &self,
        now: Timestamp,
        to: &Destinations,
    ) -> Result<Vec<VisitId>, Error> {
        if !to.requires_consent_copy() || to.server(Route::Pacs).is_none() {
            return Ok(Vec::new());
        }
        let inner = self.lock()?;
        let mut due = Vec::new();
        for (id, v) in &inner.visits {
            let r = &v.record;
            let Some(link) = &r.consent else { continue };
            if r.consent_copied() || r.patient.delivery_gate() != DeliveryGate::Ready {
                continue;
            }
            let waits = r
                .consent_copy
                .as_ref()
                .filter(|c| c.consent_id == link.consent_id)
                .and_then(|c| c.next_attempt_at)
                .is_some_and(|at| at > now);
            let going = inner.photos_of(*id).any(|m| {
                m.state.in_outbox()
                    && m.state != LocalState::Held
                    && m.consent.consent_id == link.consent_id
            }) || inner.delivered_any(*id);
            if going && !waits {
                due.push(*id);
            }
        }
        due.sort();
        Ok(due)
    }

    /// The next step of `visit`'s consent copy towards the PACS in `to`: read back one the PACS
    /// acknowledged, else build the Encapsulated PDF instance to send. `None` when no copy is due
    /// (no consent in force, already read back, no PACS open). A copy that cannot be built (the
    /// consent text changed since the patient read it, say) waits an hour with the reason; the
    /// consent stays on the phone.
    pub fn begin_consent_copy(
        &self,
        visit: VisitId,
        to: &Destinations,
    ) -> Result<Option<ConsentCopyJob>, Error> {
        let Some(server) = to.server(Route::Pacs).map(str::to_owned) else {
            return Ok(None);
        };
        let (vault, record) = {
            let inner = self.lock()?;
            let vault = inner.vault()?;
            let Some(v) = inner.visits.get(&visit) else {
                return Ok(None);
            };
            let r = &v.record;
            let Some(link) = &r.consent else {
                return Ok(None);
            };
            if r.consent_copied() {
                return Ok(None);
            }
            let acked = r
                .consent_copy
                .as_ref()
                .filter(|c| c.consent_id == link.consent_id)
                .and_then(|c| c.sent.clone());
            if let Some(sent) = acked {
                return Ok(Some(ConsentCopyJob::Verify { visit, sent }));
            }
            (vault, r.clone())
        };
        let now = self.clock.wall();
        let built = (|| {
            let none = VisitError::ManifestInvalid {
                detail: "the visit has no consent in force",
            };
            let link = record.consent.as_ref().ok_or(none.clone())?;
            let consent = read_consent(&vault, link.record_item)?;
            let text = self.consent_text()?;
            let of = ConsentVisit::of_visit(&record).ok_or(none)?;
            // Created when the consent was recorded, not now: a resend after a lost answer is then
            // the same bytes, which a PACS that keeps the first copy of an instance (Orthanc does)
            // still proves by the whole file's digest; the document has no frame to fall back on.
            delivery::encapsulated_consent(of, &consent, &text, link.recorded_at)
                .map_err(Error::from)
        })();
        match built {
            Ok(built) => {
                let sent = built.sent_record(&server, now);
                Ok(Some(ConsentCopyJob::Send {
                    visit,
                    part10: built.part10,
                    sent,
                }))
            }
            Err(e) => {
                let later = now.plus(std::time::Duration::from_secs(60 * 60));
                self.consent_copy_failed(visit, problem_of(e.code(), &e), later, true)?;
                Ok(None)
            }
        }
    }

    /// Updates the copy of `visit`'s consent in force (a new one if the consent changed) with
    /// `change`, sealed. `false` when the visit or its consent has gone.
    fn update_consent_copy(
        &self,
        visit: VisitId,
        change: impl FnOnce(&mut ConsentCopy, Timestamp),
    ) -> Result<bool, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let Some(mut r) = inner.visits.get(&visit).map(|v| v.record.clone()) else {
            return Ok(false);
        };
        let Some(consent_id) = r.consent.as_ref().map(|l| l.consent_id) else {
            return Ok(false);
        };
        let mut copy = r
            .consent_copy
            .take()
            .filter(|c| c.consent_id == consent_id)
            .unwrap_or_else(|| ConsentCopy::new(consent_id));
        let now = self.clock.wall();
        change(&mut copy, now);
        r.consent_copy = Some(copy);
        inner.save_visit(&vault, r, now)?;
        Ok(true)
    }

    /// The PACS acknowledged `visit`'s consent copy: sealed, to be read back.
    pub fn consent_copy_acked(&self, visit: VisitId, mut sent: SentRecord) -> Result<(), Error> {
        self.update_consent_copy(visit, |c, now| {
            sent.at = now;
            c.sent = Some(sent);
            c.problem = None;
            c.next_attempt_at = None;
        })
        .map(|_| ())
    }

    /// An attempt at `visit`'s consent copy failed: it waits until `retry_at` with `problem`;
    /// `resend` forgets an acknowledgement (the PACS does not hold it after all, or it differed).
    pub fn consent_copy_failed(
        &self,
        visit: VisitId,
        problem: Problem,
        retry_at: Timestamp,
        resend: bool,
    ) -> Result<(), Error> {
        self.update_consent_copy(visit, |c, _| {
            c.attempts = c.attempts.saturating_add(1);
            c.problem = Some(problem);
            c.next_attempt_at = Some(retry_at);
            if resend {
                c.sent = None;
            }
        })
        .map(|_| ())
    }

    /// `visit`'s consent copy was read back and matched: sealed as such, and the visit retired
    /// if it ended and all its photos have gone (its consent receipt naming the copy).
    pub fn consent_copy_verified(&self, visit: VisitId, to: &Destinations) -> Result<(), Error> {
        let placed = self.update_consent_copy(visit, |c, now| {
            c.verified_at = Some(now);
            c.problem = None;
            c.next_attempt_at = None;
        })?;
        if placed {
            let mut inner = self.lock()?;
            let vault = inner.vault()?;
            let now = self.clock.wall();
            inner.retire_if_done(&vault, visit, to, now)?;
        }
        Ok(())
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
                    filed,
                    body_site,
                    laterality,
                    shredded_at,
                    ..
                } if *shredded_at >= since => {
                    let servers: Vec<String> = sent
                        .iter()
                        .map(|s| s.server.clone())
                        .chain(filed.iter().map(|f| f.server.clone()))
                        .collect();
                    Some(SentView {
                        photo: *photo_id,
                        sent_at: *shredded_at,
                        body_site: body_site.as_deref().and_then(crate::review::find).copied(),
                        laterality: *laterality,
                        server: servers.first().cloned().unwrap_or_default(),
                        servers,
                        sop_uid: sent.as_ref().map(|s| s.sop_uid.clone()),
                        document_reference: filed
                            .as_ref()
                            .and_then(|f| f.document_reference.clone()),
                    })
                }
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
