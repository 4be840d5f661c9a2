//! The [`Ward`]: the one owner of the phone's clinical state. Every operation is a transaction
//! under one lock: it checks the session's rules on a copy of the session, seals what must outlive
//! a crash, and only then makes the copy the session. Slow work (intake, redaction, PBKDF2) runs
//! outside the lock between a check and a commit that looks again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::Value;
use zeroize::Zeroizing;

use super::audit::{code_of, identified_how, lock_reason, unlock_method};
use super::clock::{space_needed, Clock, FileSystemStorage, Storage, SystemClock};
use super::error::VisitError;
use super::gate::GateSlot;
use super::identity::{Candidate, DeliveryGate, Override, PatientIdentity, RecheckOutcome};
use super::ids::{PhotoId, VisitId};
use super::manifest::{
    decode, encode, ConsentLink, LabelRecord, LocalState, PhotoManifest, ReceiptRecord,
    RedactionStep, VisitRecord, WithdrawalRecord,
};
use super::pins::{PinStatus, Pins};
use super::recover::{recover, RecoveryReport, Stored};
use super::views::{PatientLine, PhotoView};
use crate::audit::Event as AuditEvent;
use crate::consent::{
    fhir, Clinician, ConsentError, ConsentForm, ConsentId, ConsentPatient, ConsentRecord,
    ConsentText, Decision, Method, RecordContext,
};
use crate::device::PasscodePolicy;
use crate::intake::{self, IntakePolicy, Redaction, SealedPhoto};
use crate::patient::{
    BirthDate, OverrideReason, PatientError, PatientPolicy, RecordPolicy, WristbandData,
};
use crate::policy::PolicyError;
use crate::review::{check_ready_to_queue, Label};
use crate::session::{
    Consent, ConsentRef, Event, LockReason, PatientRef, Photo, PhotoRef, Purpose, ResumedVisit,
    Session, SessionError, SessionPolicy, SessionView, State, UnlockMethod,
};
use crate::vault::{ItemId, ItemKind, Scrub, Timestamp, Vault, VaultError};
use crate::Error;

/// The visit open now.
#[derive(Debug)]
struct OpenVisit {
    id: VisitId,
    /// The consent record in force, or the last one withdrawn (its FHIR form is `inactive`).
    consent: Option<(ConsentRecord, bool)>,
}

#[derive(Debug)]
pub(super) struct Inner {
    /// Reached from `platform.rs` for the passcode gate's report.
    pub(super) session: Session,
    vault: Option<Arc<Vault>>,
    candidate: Option<Candidate>,
    visit: Option<OpenVisit>,
    /// Every photo on the phone not yet delivered, of any visit.
    pub(super) photos: BTreeMap<PhotoId, Stored<PhotoManifest>>,
    /// Every visit record still needed.
    pub(super) visits: BTreeMap<VisitId, Stored<VisitRecord>>,
    /// What remains of delivered photos and their consents.
    pub(super) receipts: Vec<Stored<ReceiptRecord>>,
    recovery: Option<RecoveryReport>,
    /// What the trust allows when the record cannot vouch for a patient.
    pub(super) record_policy: RecordPolicy,
    /// Shreds whose keys are gone but whose files could not be removed; the next open finishes them.
    pub(super) cleanup_pending: usize,
    /// Receipts replaced photos since the index log was last truncated (see `seal_receipt`).
    pub(super) scrub_due: bool,
    /// The vault is behind a key gate: shut while locked.
    pub(super) gated: bool,
    /// The audit trail (`audit.rs`): its journal is open while the vault is.
    pub(super) trail: super::audit::Trail,
    /// The last time a trust server vouched for, not yet folded into the sealed retention record
    /// (`retention.rs`): kept while the vault is shut.
    pub(super) vouched: Option<super::retention::Vouch>,
    /// What the last retention pass found (counts only), for the Outbox's banner.
    pub(super) retention_view: Option<super::retention::RetentionView>,
    /// The outbound store's folder and delivery keystore, when the shell gave them
    /// (`outbound.rs`).
    pub(super) outbound: Option<super::outbound::OutboundSlot>,
    /// The outbound store, open while unlocked once something was packed or unpacked.
    pub(super) outbound_vault: Option<Arc<Vault>>,
    /// The parcels packed since the last unlock, by photo (every unlock empties the store).
    pub(super) parceled: BTreeMap<PhotoId, Vec<super::outbound::DueParcel>>,
    /// Bumped at every unlock: a locked drain that began before it may seal no further step.
    pub(super) outbound_generation: u64,
}

/// The state of the ward's storage, for the Device screen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WardStatus {
    /// What opening the vault found and did; `None` until it is open.
    pub recovery: Option<RecoveryReport>,
    /// Photos on the phone, not yet delivered.
    pub photos: usize,
    /// Shreds to be finished at the next open.
    pub cleanup_pending: usize,
}

/// What the confirmation screen may offer for a patient awaiting confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CandidateOffers {
    /// Confirming the patient would be accepted now.
    pub confirm: bool,
    /// Recording an override of the record check would be accepted now.
    #[serde(rename = "override")]
    pub override_: bool,
}

/// What a capture learnt before the slow work, checked again at commit.
#[derive(Debug)]
pub(crate) struct Ticket {
    photo_id: PhotoId,
    visit_id: VisitId,
    patient: PatientIdentity,
    consent: ConsentLink,
    clinician: Option<String>,
}

/// One phone's clinical state. See the module documentation.
#[derive(Debug)]
pub struct Ward {
    pub(super) inner: Mutex<Inner>,
    /// Its own lock: PBKDF2 runs under it, never under `inner`'s. When both are needed, `inner` is
    /// taken first.
    pins: Mutex<Pins>,
    pub(super) clock: Arc<dyn Clock>,
    storage: Arc<dyn Storage>,
    pub(super) text: Result<Arc<ConsentText>, ConsentError>,
    intake: IntakePolicy,
    /// The trust's rules for identifiers, the passcode minimum, and why nothing may unlock (no
    /// policy, a suspended or refused one): set once from the policy (`trust.rs`).
    pub(super) patient_policy: PatientPolicy,
    pub(super) passcode_policy: PasscodePolicy,
    pub(super) admission: Option<PolicyError>,
    /// The key gate, when the app keeps its key behind one (the shell's product path; see
    /// `gate.rs`). Tests that attach a vault directly have none.
    pub(super) gate: OnceLock<GateSlot>,
    /// How long undelivered photos may wait before a warning, and whether the trust lets any be
    /// purged (`retention.rs`); set from the policy (`trust.rs`).
    pub(super) retention_policy: crate::policy::RetentionSettings,
    /// The policy the ward runs under, its version and where it came from, for the device status
    /// (`status.rs`); set with the policy (`trust.rs`).
    pub(super) policy_in_force: Option<super::status::PolicyInForce>,
}

fn patient_ref(id: VisitId) -> PatientRef {
    PatientRef(id.handle())
}

fn photo_ref(id: PhotoId) -> PhotoRef {
    PhotoRef(id.handle())
}

/// Like [`VisitId::handle`]: 53 bits, exact in JavaScript.
fn consent_ref(id: &ConsentId) -> ConsentRef {
    let mut first = [0u8; 8];
    first.copy_from_slice(&id.as_bytes()[..8]);
    ConsentRef(u64::from_be_bytes(first) >> 11)
}

fn session_consent(link: &ConsentLink, visit: VisitId) -> Consent {
    Consent {
        id: consent_ref(&link.consent_id),
        patient: patient_ref(visit),
        purposes: link.purposes,
        digest: link.digest,
    }
}

fn poisoned() -> Error {
    Error::Vault(VaultError::ApiMisuse(
        "the visit lock was poisoned by a panic",
    ))
}

impl Inner {
    pub(super) fn vault(&self) -> Result<Arc<Vault>, Error> {
        match &self.vault {
            Some(vault) => Ok(Arc::clone(vault)),
            // Behind a key gate the vault is shut while locked: say so, not "still opening".
            None if self.gated && self.session.state() == State::Locked => {
                Err(SessionError::Locked.into())
            }
            None => Err(Error::Visit(VisitError::VaultOpening)),
        }
    }

    /// With a key gate (`gated`), a locked session shuts the vault: its master key and everything
    /// read from it (photos, visits, receipts, the patient awaiting confirmation) leave memory.
    /// The session keeps only its opaque handles; the next unlock reads the vault again, as after
    /// a restart ([`Ward::attach_vault`]). Returns whether it shut it now.
    pub(super) fn forget_if_locked(&mut self, gated: bool) -> bool {
        if !gated || self.session.state() != State::Locked || self.vault.is_none() {
            return false;
        }
        self.forget_vault();
        true
    }

    /// Shuts the vault and forgets everything read from it (the next open reads it again).
    fn forget_vault(&mut self) {
        self.vault = None;
        self.trail.close();
        self.candidate = None;
        self.visit = None;
        self.photos.clear();
        self.visits.clear();
        self.receipts.clear();
        self.scrub_due = false;
        // The delivery key leaves memory with the store; what was packed stays sealed in it.
        self.outbound_vault = None;
        self.parceled.clear();
    }

    /// A remote wipe (`wipe.rs`): the vault is shut and everything read from it forgotten,
    /// behind a key gate or not.
    pub(super) fn shut_for_wipe(&mut self) {
        self.forget_vault();
        // What the last open recovered and left to clean up concerned the vault now gone.
        self.recovery = None;
        self.cleanup_pending = 0;
    }

    pub(super) fn unlocked(&self) -> Result<(), Error> {
        if self.session.state() == State::Locked {
            return Err(SessionError::Locked.into());
        }
        Ok(())
    }

    /// Unlocked and the clinician holds the phone.
    pub(super) fn clinician_holds(&self) -> Result<(), Error> {
        self.unlocked()?;
        if self.session.kiosk() {
            return Err(SessionError::KioskActive.into());
        }
        Ok(())
    }

    pub(super) fn open_visit(&self) -> Result<(VisitId, &VisitRecord), Error> {
        let id = self.visit.as_ref().ok_or(SessionError::NoPatient)?.id;
        let record = &self.visits.get(&id).ok_or(SessionError::NoPatient)?.record;
        Ok((id, record))
    }

    /// Crypto-shreds `items` at once. If the vault fails after their keys are gone, the items are
    /// already unreadable: the failure is counted and the next open finishes the job. If the keys
    /// are still there, nothing happened and the error is returned.
    pub(super) fn shred(&mut self, vault: &Vault, items: &[ItemId]) -> Result<(), Error> {
        match vault.shred_all(items) {
            Ok(_) => Ok(()),
            Err(e) => {
                if items.iter().any(|id| vault.meta(*id).is_ok()) {
                    Err(e.into())
                } else {
                    self.cleanup_pending += 1;
                    Ok(())
                }
            }
        }
    }

    /// Seals `record` as the next revision of visit `id` (or its first), then shreds the old one.
    pub(super) fn save_visit(
        &mut self,
        vault: &Vault,
        mut record: VisitRecord,
        now: Timestamp,
    ) -> Result<(), Error> {
        let old = self
            .visits
            .get(&record.visit_id)
            .map(|s| (s.item, s.record.revision));
        record.revision = old.map_or(1, |(_, r)| r + 1);
        let retire: Vec<ItemId> = old.map(|(i, _)| i).into_iter().collect();
        let item = self.seal_replacing(
            vault,
            ItemKind::Visit,
            &encode(&record)?,
            &retire,
            Scrub::Later,
            now,
        )?;
        self.visits.insert(record.visit_id, Stored { item, record });
        Ok(())
    }

    /// Seals `record` as the next revision of its photo, then shreds the old manifest and `also`
    /// (items the new revision no longer names) at once.
    pub(super) fn save_photo(
        &mut self,
        vault: &Vault,
        mut record: PhotoManifest,
        also: &[ItemId],
        now: Timestamp,
    ) -> Result<(), Error> {
        // Parcels this change makes stale go first: a crash after it leaves the photo as it
        // was, with no parcel, never a parcel for a photo that may no longer be sent so.
        if self.parcels_stale_after(&record)? {
            self.unparcel(record.photo_id)?;
        }
        let old = self
            .photos
            .get(&record.photo_id)
            .map(|s| (s.item, s.record.revision));
        record.revision = old.map_or(1, |(_, r)| r + 1);
        let mut retire: Vec<ItemId> = old.map(|(i, _)| i).into_iter().collect();
        retire.extend_from_slice(also);
        // What `also` names (a redacted image's original) is scrubbed at once.
        let scrub = if also.is_empty() {
            Scrub::Later
        } else {
            Scrub::Now
        };
        let item = self.seal_replacing(
            vault,
            ItemKind::Manifest,
            &encode(&record)?,
            &retire,
            scrub,
            now,
        )?;
        self.photos.insert(record.photo_id, Stored { item, record });
        Ok(())
    }

    /// Seals `bytes` as the next revision of a record, shredding `retire` in the same commit (one
    /// durable step, not two). A superseded revision's key leaves the index log at the next scrub:
    /// its content lives on in the new revision ([`Scrub::Later`]).
    fn seal_replacing(
        &mut self,
        vault: &Vault,
        kind: ItemKind,
        bytes: &[u8],
        retire: &[ItemId],
        scrub: Scrub,
        now: Timestamp,
    ) -> Result<ItemId, Error> {
        let done = vault.seal_replacing(kind, bytes, None, now, retire, scrub)?;
        if done.scrub_pending {
            self.cleanup_pending += 1;
        }
        Ok(done.id)
    }

    /// Seals `receipt` in place of `items` (one commit) and scrubs the index log: the shred the
    /// user was promised, with its proof.
    pub(super) fn seal_receipt(
        &mut self,
        vault: &Vault,
        receipt: ReceiptRecord,
        items: &[ItemId],
        now: Timestamp,
    ) -> Result<(), Error> {
        let bytes = encode(&receipt)?;
        // The shred is committed now; the index log's page images of the destroyed keys go at the
        // drain's end (`Ward::scrub_delivered`), one truncation for many photos, or at the next
        // open if the app dies first.
        let item =
            self.seal_replacing(vault, ItemKind::Receipt, &bytes, items, Scrub::Later, now)?;
        if !items.is_empty() {
            self.scrub_due = true;
        }
        self.receipts.push(Stored {
            item,
            record: receipt,
        });
        Ok(())
    }

    /// Seals `receipt` as the next revision of the receipt at `index` (a withdrawal's progress),
    /// retiring the old one in the same commit.
    pub(super) fn replace_receipt(
        &mut self,
        vault: &Vault,
        index: usize,
        receipt: ReceiptRecord,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(old) = self.receipts.get(index).map(|r| r.item) else {
            return Ok(());
        };
        let bytes = encode(&receipt)?;
        let item =
            self.seal_replacing(vault, ItemKind::Receipt, &bytes, &[old], Scrub::Later, now)?;
        self.receipts[index] = Stored {
            item,
            record: receipt,
        };
        Ok(())
    }

    /// Shreds a photo whole: manifest, image and thumbnail in one key transaction.
    pub(super) fn shred_photo(&mut self, vault: &Vault, id: PhotoId) -> Result<(), Error> {
        let Some(s) = self.photos.get(&id) else {
            return Ok(());
        };
        let items = [s.item, s.record.image, s.record.thumbnail];
        self.unparcel(id)?;
        self.shred(vault, &items)?;
        self.photos.remove(&id);
        Ok(())
    }

    /// Ends visit `id` in its record; a visit with no photo and no consent record left goes whole.
    pub(super) fn end_visit_record(
        &mut self,
        vault: &Vault,
        id: VisitId,
        now: Timestamp,
    ) -> Result<(), Error> {
        let Some(stored) = self.visits.get(&id) else {
            return Ok(());
        };
        let has_photos = self.photos.values().any(|p| p.record.visit_id == id);
        if !has_photos && self.delivered_any(id) {
            return self.retire_visit(vault, id, now);
        }
        if !has_photos && stored.record.items().next().is_none() {
            let item = stored.item;
            self.shred(vault, &[item])?;
            self.visits.remove(&id);
        } else if !stored.record.ended {
            let mut record = stored.record.clone();
            record.ended = true;
            self.save_visit(vault, record, now)?;
        }
        Ok(())
    }

    pub(super) fn photos_of(&self, visit: VisitId) -> impl Iterator<Item = &PhotoManifest> {
        self.photos
            .values()
            .map(|s| &s.record)
            .filter(move |m| m.visit_id == visit)
    }

    pub(super) fn is_current(&self, visit: VisitId) -> bool {
        self.visit.as_ref().is_some_and(|v| v.id == visit)
    }

    /// What the screens are shown of `photo`.
    pub(super) fn view_of(&self, photo: PhotoId) -> Result<PhotoView, Error> {
        let s = self.photos.get(&photo).ok_or(VisitError::UnknownPhoto)?;
        Ok(PhotoView::of(&s.record, self.is_current(s.record.visit_id)))
    }
}

pub(super) fn read_consent(vault: &Vault, item: ItemId) -> Result<ConsentRecord, Error> {
    let bytes = vault.unseal(item)?;
    serde_json::from_slice(&bytes).map_err(|_| {
        Error::Visit(VisitError::ManifestInvalid {
            detail: "a consent record did not read",
        })
    })
}

impl Ward {
    /// A ward with the system's clocks and file system, locked, with no vault yet.
    pub fn new(policy: SessionPolicy) -> Ward {
        Ward::with(
            policy,
            Arc::new(SystemClock::new()),
            Arc::new(FileSystemStorage),
        )
    }

    /// A ward reading time from `clock` and free space from `storage` (tests move both).
    pub fn with(policy: SessionPolicy, clock: Arc<dyn Clock>, storage: Arc<dyn Storage>) -> Ward {
        let now = clock.session();
        Ward {
            inner: Mutex::new(Inner {
                session: Session::new(policy, now),
                vault: None,
                candidate: None,
                visit: None,
                photos: BTreeMap::new(),
                visits: BTreeMap::new(),
                receipts: Vec::new(),
                recovery: None,
                record_policy: RecordPolicy::default(),
                cleanup_pending: 0,
                scrub_due: false,
                gated: false,
                trail: super::audit::Trail::new(Arc::clone(&clock)),
                vouched: None,
                retention_view: None,
                outbound: None,
                outbound_vault: None,
                parceled: BTreeMap::new(),
                outbound_generation: 0,
            }),
            pins: Mutex::new(Pins::default()),
            clock,
            storage,
            // The bundled text until the trust's policy gives its own (`Ward::under_policy`).
            text: ConsentText::default_text().map(Arc::new),
            intake: IntakePolicy::default(),
            patient_policy: PatientPolicy::default(),
            passcode_policy: PasscodePolicy::DEFAULT,
            admission: None,
            gate: OnceLock::new(),
            retention_policy: Default::default(),
            policy_in_force: None,
        }
    }

    pub(super) fn lock(&self) -> Result<MutexGuard<'_, Inner>, Error> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        if inner.session.check_idle(self.clock.session()) {
            inner.candidate = None;
            inner.audit(AuditEvent::Locked {
                reason: lock_reason(LockReason::Idle).to_owned(),
            });
            self.forget_if_locked(&mut inner);
        }
        Ok(inner)
    }

    /// Whether the session is locked (an idle session is locked first): the courier sends only
    /// parcels then (`outbound.rs`).
    pub fn is_locked(&self) -> Result<bool, Error> {
        Ok(self.lock()?.session.state() == State::Locked)
    }

    /// The unlock that follows the key gate's release of the vault's key, once the vault is
    /// attached ([`Ward::attach_vault`]).
    pub(super) fn unlock_released(&self) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        // A lock that came while the vault was being read shut it again.
        if inner.vault.is_none() {
            return Err(SessionError::Locked.into());
        }
        inner.session = self.trial(&inner, Event::Unlock(UnlockMethod::ClinicianPin))?;
        Ok(inner.session.view())
    }

    /// [`Inner::forget_if_locked`], and the clinician's PIN record with it.
    pub(super) fn forget_if_locked(&self, inner: &mut Inner) {
        if inner.forget_if_locked(inner.gated) {
            // `inner` is held, so `pins` is taken second, as everywhere.
            if let Ok(mut pins) = self.pins.lock() {
                *pins = Pins::default();
            }
        }
    }

    pub(super) fn pins(&self) -> Result<MutexGuard<'_, Pins>, Error> {
        self.pins.lock().map_err(|_| poisoned())
    }

    /// Applies `event` to a copy of the session and returns it, leaving the session as it was.
    fn trial(&self, inner: &Inner, event: Event) -> Result<Session, Error> {
        let mut next = inner.session.clone();
        next.apply(event, self.clock.session())?;
        Ok(next)
    }

    /// Attaches the opened vault and rebuilds everything from it ([`recover`]): the photos not yet
    /// delivered, the visit the app died in (resumed behind the lock), the clinician PIN.
    pub fn attach_vault(&self, vault: Arc<Vault>) -> Result<RecoveryReport, Error> {
        let mut inner = self.lock()?;
        let mut recovered = recover(&vault, self.clock.wall())?;
        let mut open = None;
        if let Some(id) = recovered.open_visit {
            let stored = recovered.visits.get(&id).map(|s| s.record.clone());
            if let Some(record) = stored {
                let mut pending: Vec<&PhotoManifest> = recovered
                    .photos
                    .values()
                    .map(|s| &s.record)
                    .filter(|m| m.visit_id == id)
                    .collect();
                pending.sort_by_key(|m| m.captured_at);
                let resumed = ResumedVisit {
                    patient: patient_ref(id),
                    consent: record.consent.as_ref().map(|c| session_consent(c, id)),
                    pending: pending
                        .iter()
                        .filter(|m| m.state == LocalState::Captured)
                        .map(|m| Photo {
                            id: photo_ref(m.photo_id),
                            patient: patient_ref(id),
                            intended_use: m.intended_use,
                        })
                        .collect(),
                    queued: pending
                        .iter()
                        .filter(|m| m.state.in_outbox())
                        .map(|m| photo_ref(m.photo_id))
                        .collect(),
                };
                let consent = match record.consent.as_ref().or(record.withdrawn.last()) {
                    Some(link) => Some((
                        read_consent(&vault, link.record_item)?,
                        record.consent.is_none(),
                    )),
                    None => None,
                };
                // After a gated lock the session still holds the visit (the vault was shut, not
                // the app): nothing to resume.
                if inner.session.patient() != Some(patient_ref(id)) {
                    inner.session.resume_visit(resumed)?;
                }
                open = Some(OpenVisit { id, consent });
                recovered.report.resumed_visit = true;
            }
        }
        *self.pins()? = std::mem::take(&mut recovered.pins);
        inner.visit = open;
        inner.photos = recovered.photos;
        inner.visits = recovered.visits;
        inner.receipts = recovered.receipts;
        inner.recovery = Some(recovered.report.clone());
        // After recovery, so what the journal seals (its key, the first time) is not taken for
        // a leftover; entries made while locked join the chain now.
        inner.trail.open(&vault);
        inner.vault = Some(Arc::clone(&vault));
        // What recovery finished, now that the journal is open (or, failing that, sealed for
        // the next unlock).
        for event in std::mem::take(&mut recovered.audit) {
            inner.audit(event);
        }
        // What the courier sent while locked joins the photos' manifests before anything else
        // reads them (`outbound.rs`).
        inner.reconcile_outbound(&vault, self.clock.wall());
        Ok(recovered.report)
    }

    /// The open vault (for the Device screen's health line).
    pub fn vault(&self) -> Result<Arc<Vault>, Error> {
        self.lock()?.vault()
    }

    /// The storage state for the Device screen.
    pub fn status(&self) -> Result<WardStatus, Error> {
        let inner = self.lock()?;
        Ok(WardStatus {
            recovery: inner.recovery.clone(),
            photos: inner.photos.len(),
            cleanup_pending: inner.cleanup_pending,
        })
    }

    // --- The session --------------------------------------------------------------------------

    /// The session as the UI sees it, after locking it if it has idled out.
    pub fn view(&self) -> Result<SessionView, Error> {
        Ok(self.lock()?.session.view())
    }

    /// The session policy in force.
    pub fn policy(&self) -> Result<SessionPolicy, Error> {
        Ok(*self.lock()?.session.policy())
    }

    /// Applies a flow event that needs no bookkeeping: lock, unlock, open the camera, review.
    fn apply(&self, event: Event) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        if matches!(event, Event::Unlock(_)) && inner.gated && inner.vault.is_none() {
            // Behind the key gate only the credential unlocks ([`Ward::unlock_with_pin`]).
            return Err(SessionError::Locked.into());
        }
        let was_locked = inner.session.state() == State::Locked;
        inner.session = self.trial(&inner, event)?;
        let is_locked = inner.session.state() == State::Locked;
        match event {
            Event::Unlock(method) if was_locked && !is_locked => {
                inner.audit(AuditEvent::Unlocked {
                    method: unlock_method(method).to_owned(),
                });
                // A vault not behind the gate stayed open while locked: what the courier sent
                // meanwhile is applied now (behind the gate, `attach_vault` did it).
                if let Some(vault) = inner.vault.clone() {
                    inner.reconcile_outbound(&vault, self.clock.wall());
                }
            }
            // Recorded before the vault shuts, so it joins the chain directly.
            Event::Lock(reason) if !was_locked => inner.audit(AuditEvent::Locked {
                reason: lock_reason(reason).to_owned(),
            }),
            _ => {}
        }
        if is_locked {
            // A patient half-identified when the app locks is forgotten: whoever unlocks scans again.
            inner.candidate = None;
            // The delivery key leaves memory too; a locked drain opens the store for itself.
            inner.outbound_vault = None;
            self.forget_if_locked(&mut inner);
        }
        Ok(inner.session.view())
    }

    /// Locks now.
    pub fn lock_now(&self, reason: LockReason) -> Result<SessionView, Error> {
        self.apply(Event::Lock(reason))
    }

    /// Unlocks.
    pub fn unlock(&self, method: UnlockMethod) -> Result<SessionView, Error> {
        self.apply(Event::Unlock(method))
    }

    /// Opens the camera; refused before consent.
    pub fn start_capture(&self) -> Result<SessionView, Error> {
        self.apply(Event::StartCapture)
    }

    /// From the camera to reviewing the photos taken.
    pub fn review(&self) -> Result<SessionView, Error> {
        self.apply(Event::Review)
    }

    /// Records user activity that postpones the idle lock.
    pub fn touch(&self) -> Result<(), Error> {
        let now = self.clock.session();
        self.lock()?.session.touch(now);
        Ok(())
    }

    /// Locks the session if it has idled out; returns the new view when this call locked it.
    pub fn lock_if_idle(&self) -> Result<Option<SessionView>, Error> {
        let mut inner = self.inner.lock().map_err(|_| poisoned())?;
        let locked = inner.session.check_idle(self.clock.session());
        if locked {
            inner.candidate = None;
            inner.audit(AuditEvent::Locked {
                reason: lock_reason(LockReason::Idle).to_owned(),
            });
            self.forget_if_locked(&mut inner);
        }
        Ok(locked.then(|| inner.session.view()))
    }

    // --- The patient --------------------------------------------------------------------------

    /// Refuses, as confirming would, while locked or while another patient is in session; asked
    /// before a band is looked up so nothing is sent for a patient who cannot be confirmed.
    pub fn check_new_patient(&self) -> Result<(), Error> {
        Ok(self.lock()?.session.check_new_patient()?)
    }

    /// Holds `candidate` for the confirmation screen, replacing any earlier one.
    pub fn identify(&self, candidate: Candidate) -> Result<Candidate, Error> {
        let mut inner = self.lock()?;
        inner.session.check_new_patient()?;
        inner.candidate = Some(candidate.clone());
        Ok(candidate)
    }

    /// The patient awaiting confirmation (never while locked).
    pub fn candidate(&self) -> Result<Option<Candidate>, Error> {
        let mut inner = self.lock()?;
        if inner.session.state() == State::Locked {
            inner.candidate = None;
        }
        Ok(inner.candidate.clone())
    }

    /// Drops the patient awaiting confirmation ("scan again").
    pub fn discard_candidate(&self) -> Result<(), Error> {
        self.lock()?.candidate = None;
        Ok(())
    }

    /// Confirms the patient awaiting confirmation: a new visit, sealed, and the session fixed to
    /// it. Refused when there is none, when the record blocks it, and by the session.
    pub fn confirm(&self) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let candidate = inner.candidate.clone().ok_or(SessionError::NoPatient)?;
        candidate
            .verification
            .confirmable(candidate.identity.override_.is_some(), &inner.record_policy)?;
        let id = VisitId::random()?;
        let next = self.trial(&inner, Event::ConfirmPatient(patient_ref(id)))?;
        let identified = AuditEvent::PatientIdentified {
            visit: id.to_string(),
            how: identified_how(&candidate.identity),
            patient: inner.patient_in_trail(&candidate.identity),
        };
        let overridden =
            candidate
                .identity
                .override_
                .as_ref()
                .map(|o| AuditEvent::RecordCheckOverridden {
                    visit: id.to_string(),
                    reason: code_of(&o.reason),
                });
        let record_patient = candidate.identity.clone();
        let record = VisitRecord {
            visit_id: id,
            revision: 0,
            patient: candidate.identity,
            confirmed_at: self.clock.wall(),
            consent: None,
            withdrawn: Vec::new(),
            declined: None,
            ended: false,
            consent_copy: None,
            last_label: None,
        };
        inner.save_visit(&vault, record, self.clock.wall())?;
        inner.session = next;
        inner.candidate = None;
        inner.visit = Some(OpenVisit { id, consent: None });
        inner.note_subject(&id.to_string(), &record_patient);
        inner.audit(identified);
        if let Some(overridden) = overridden {
            inner.audit(overridden);
        }
        Ok(inner.session.view())
    }

    /// Records the clinician's decision to go on although the record check needs an override (no
    /// such patient in the record, or the record system not answering properly): a reason from
    /// the short list, their own words, and who they are (the name set with their PIN). Refused
    /// for any other outcome, when the trust forbids it, and without words or a name.
    pub fn override_record_check(
        &self,
        reason: OverrideReason,
        detail: &str,
    ) -> Result<Candidate, Error> {
        let mut inner = self.lock()?;
        inner.clinician_holds()?;
        let policy = inner.record_policy;
        let candidate = inner.candidate.as_mut().ok_or(SessionError::NoPatient)?;
        candidate.verification.may_override(&policy)?;
        let detail = detail.trim();
        // Taken after `inner`, as everywhere else.
        let by = self.clinician_name()?;
        let (Some(by), false) = (by, detail.chars().count() < 3) else {
            return Err(PatientError::OverrideIncomplete.into());
        };
        let overrode = candidate
            .verification
            .reason()
            .map(Into::into)
            .ok_or(PatientError::OverrideNotAllowed)?;
        candidate.identity.override_ = Some(Override {
            overrode,
            reason,
            detail: detail.chars().take(500).collect(),
            by,
            at: self.clock.wall(),
        });
        Ok(candidate.clone())
    }

    /// What the confirmation screen may offer for `candidate` under this trust's policy: confirm,
    /// and recording an override. Core decides; the screen only shows the buttons it is given.
    pub fn offers(&self, candidate: &Candidate) -> Result<CandidateOffers, Error> {
        let policy = self.lock()?.record_policy;
        let v = &candidate.verification;
        Ok(CandidateOffers {
            confirm: v
                .confirmable(candidate.identity.override_.is_some(), &policy)
                .is_ok(),
            override_: candidate.identity.override_.is_none() && v.may_override(&policy).is_ok(),
        })
    }

    /// Sets what the trust allows when the record cannot vouch (provisioning).
    pub fn set_record_policy(&self, policy: RecordPolicy) -> Result<(), Error> {
        self.lock()?.record_policy = policy;
        Ok(())
    }

    /// The visits that must be checked against the record again before their photos go, with the
    /// band to check (visits with no NHS number have nothing to check and are not listed).
    pub fn rechecks_due(&self) -> Result<Vec<(VisitId, WristbandData)>, Error> {
        let inner = self.lock()?;
        Ok(inner
            .visits
            .values()
            .map(|s| &s.record)
            .filter(|r| r.patient.recheck_due && r.patient.hold.is_none())
            .filter(|r| inner.photos_of(r.visit_id).next().is_some() || !r.ended)
            .filter_map(|r| Some((r.visit_id, r.patient.band_for_recheck()?)))
            .collect())
    }

    /// Applies a later check against the record to `visit`: its record and every photo's manifest
    /// are sealed anew with the result (see [`PatientIdentity::apply_recheck`]). `None` when the
    /// visit has gone meanwhile (its photos withdrawn or discarded while the record was asked).
    pub fn apply_recheck(
        &self,
        visit: VisitId,
        verification: &crate::patient::Verification,
    ) -> Result<Option<RecheckOutcome>, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let now = self.clock.wall();
        let Some(mut record) = inner.visits.get(&visit).map(|s| s.record.clone()) else {
            return Ok(None);
        };
        let outcome = record.patient.apply_recheck(verification, now);
        let patient = record.patient.clone();
        inner.save_visit(&vault, record, now)?;
        let photos: Vec<PhotoManifest> = inner.photos_of(visit).cloned().collect();
        for mut m in photos {
            m.patient = patient.clone();
            inner.save_photo(&vault, m, &[], now)?;
        }
        Ok(Some(outcome))
    }

    /// The clinician discards the photos of a held visit (a later record check blocked its
    /// patient): the one way out of a hold, since reassigning is not offered. Every photo of
    /// `photo`'s visit is shredded whole; the visit record keeps the hold for the audit. Refused
    /// for a photo that is not held, and while the held visit is the one open now.
    pub fn discard_held(&self, photo: PhotoId) -> Result<(), Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        inner.clinician_holds()?;
        let m = &inner
            .photos
            .get(&photo)
            .ok_or(VisitError::UnknownPhoto)?
            .record;
        if !matches!(m.patient.delivery_gate(), DeliveryGate::Held { .. }) {
            return Err(VisitError::NotHeld.into());
        }
        let visit = m.visit_id;
        if inner.is_current(visit) {
            return Err(VisitError::HeldInOpenVisit.into());
        }
        let photos: Vec<PhotoId> = inner.photos_of(visit).map(|m| m.photo_id).collect();
        for id in photos {
            inner.shred_photo(&vault, id)?;
            inner.audit(AuditEvent::Discarded {
                photo: id.to_string(),
            });
        }
        inner.end_visit_record(&vault, visit, self.clock.wall())
    }

    /// Whether `photo` may be delivered as far as its patient's identity goes. Delivery asks this
    /// before every send; [`DeliveryGate::NeedsRecheck`] means: check the record first.
    pub fn delivery_gate(&self, photo: PhotoId) -> Result<DeliveryGate, Error> {
        let inner = self.lock()?;
        let m = inner.photos.get(&photo).ok_or(VisitError::UnknownPhoto)?;
        Ok(m.record.patient.delivery_gate())
    }

    /// The confirmed patient (never while locked).
    pub fn current_patient(&self) -> Result<Option<PatientIdentity>, Error> {
        let inner = self.lock()?;
        if inner.session.state() == State::Locked {
            return Ok(None);
        }
        Ok(inner.open_visit().ok().map(|(_, r)| r.patient.clone()))
    }

    /// Ends the visit (the session refuses while photos are not queued). Its queued photos stay in
    /// the outbox; its record stays while they, or its consent, wait.
    pub fn end_visit(&self) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let next = self.trial(&inner, Event::EndPatient)?;
        if let Some(id) = inner.visit.as_ref().map(|v| v.id) {
            inner.end_visit_record(&vault, id, self.clock.wall())?;
        }
        inner.session = next;
        inner.visit = None;
        Ok(inner.session.view())
    }

    // --- Consent ------------------------------------------------------------------------------

    /// The consent text in force.
    pub fn consent_text(&self) -> Result<Arc<ConsentText>, Error> {
        self.text.clone().map_err(Error::from)
    }

    /// Records the patient's consent or refusal from the consent screen's form: the record is
    /// built by core's rules, sealed with its signature, the session moves on, and the visit
    /// record names it. A refusal outside kiosk mode ends the visit at once; in kiosk mode at
    /// hand-back.
    pub fn record_consent(&self, form: ConsentForm) -> Result<SessionView, Error> {
        let text = self.consent_text()?;
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        inner.unlocked()?;
        let (visit_id, visit) = inner.open_visit()?;
        let patient = consent_patient(&visit.patient)?;
        let clinician = self.pins()?.clinician().unwrap_or_default();
        let wall = self.clock.wall();
        let record = ConsentRecord::build(
            form,
            RecordContext {
                id: ConsentId::random()?,
                patient,
                clinician: Clinician {
                    name: clinician,
                    identifier: None,
                },
                organization: None,
                text: &text,
                recorded_at: wall,
            },
        )?;
        let permit = record.decision == Decision::Permit;
        let recorded = AuditEvent::ConsentRecorded {
            visit: visit_id.to_string(),
            consent: record.id.to_string(),
            how: match (&record.method, permit) {
                (_, false) => "declined",
                (Method::Signature { .. }, true) => "signed",
                (_, true) => "verbal",
            }
            .to_owned(),
        };
        let event = if permit {
            Event::RecordConsent(
                record.session_consent(consent_ref(&record.id), patient_ref(visit_id))?,
            )
        } else {
            Event::DeclineConsent
        };
        let next = self.trial(&inner, event)?;
        let link = seal_consent(&vault, &record)?;
        let mut visit = visit.clone();
        if permit {
            visit.consent = Some(link.clone());
        } else {
            visit.declined = Some(link.clone());
        }
        if let Err(e) = inner.save_visit(&vault, visit, wall) {
            let items: Vec<ItemId> = link.items().collect();
            inner.shred(&vault, &items)?;
            return Err(e);
        }
        inner.session = next;
        inner.audit(recorded);
        if let Some(open) = inner.visit.as_mut() {
            open.consent = permit.then_some((record, false));
        }
        if inner.session.patient().is_none() {
            inner.end_visit_record(&vault, visit_id, wall)?;
            inner.visit = None;
        }
        Ok(inner.session.view())
    }

    /// The clinician hands the phone to the patient (kiosk mode). Refused when there would be no
    /// way back: no clinician PIN set and no development unlock in the session policy.
    pub fn hand_to_patient(&self) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        if !inner.session.policy().allow_development_unlock && !self.pins()?.is_set() {
            inner.unlocked()?;
            return Err(VisitError::PinNotSet.into());
        }
        inner.session = self.trial(&inner, Event::HandToPatient)?;
        Ok(inner.session.view())
    }

    /// The clinician takes the phone back: with the PIN (rate-limited, the count sealed after each
    /// attempt), or with `None` the development unlock where the session policy allows it. A
    /// refusal the patient made in kiosk mode ends the visit now.
    pub fn hand_back(&self, pin: Option<&Zeroizing<String>>) -> Result<SessionView, Error> {
        let method = {
            let inner = self.lock()?;
            // Checked before the PIN, so PIN guesses are possible only where a hand-back is.
            inner.unlocked()?;
            if !inner.session.kiosk() {
                return Err(SessionError::NotInKiosk.into());
            }
            match pin {
                None => UnlockMethod::Development,
                Some(_) => UnlockMethod::ClinicianPin,
            }
        };
        if let Some(pin) = pin {
            let checked = if let Some(slot) = self.gate.get() {
                // The app lock's own credential and limiter (`auth::gate`).
                slot.gate.verify(&slot.dir, pin, self.clock.wall())
            } else {
                let vault = self.lock()?.vault()?;
                self.pins()?
                    .attempt(&vault, pin, self.clock.session(), self.clock.wall())
            };
            if let Err(e) = checked {
                self.lock()?.audit(AuditEvent::UnlockRefused {
                    code: e.code().to_owned(),
                });
                return Err(e);
            }
        }
        let mut inner = self.lock()?;
        let next = self.trial(&inner, Event::HandBack(method))?;
        let visit = inner.visit.as_ref().map(|v| v.id);
        if let (Some(id), None) = (visit, next.patient()) {
            let vault = inner.vault()?;
            inner.end_visit_record(&vault, id, self.clock.wall())?;
            inner.visit = None;
        }
        inner.session = next;
        inner.audit(AuditEvent::Unlocked {
            method: "kiosk_hand_back".to_owned(),
        });
        Ok(inner.session.view())
    }

    /// The patient withdraws consent: for the open visit (`photo` = `None`), or for the visit
    /// that took `photo`, from the Outbox, whichever visit that was. The withdrawal is sealed
    /// first, naming every photo it covers; then each is crypto-shredded. An interruption is
    /// finished at the next open, so it is all or nothing.
    pub fn withdraw(&self, photo: Option<PhotoId>) -> Result<SessionView, Error> {
        let visit = match photo {
            Some(p) => Some(
                self.lock()?
                    .photos
                    .get(&p)
                    .ok_or(VisitError::UnknownPhoto)?
                    .record
                    .visit_id,
            ),
            None => None,
        };
        self.withdraw_visit(visit)
    }

    /// Withdraws the consent in force of `visit` (the open visit when `None`); see
    /// [`Ward::withdraw`]. If some of its photos already reached the record, a withdrawal receipt
    /// names them for the record team, and the record's `Consent` is to be made inactive.
    pub(super) fn withdraw_visit(&self, visit: Option<VisitId>) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        inner.clinician_holds()?;
        let visit_id = match visit {
            Some(v) => v,
            None => inner.open_visit()?.0,
        };
        let record = inner
            .visits
            .get(&visit_id)
            .map(|s| s.record.clone())
            .ok_or(VisitError::UnknownPhoto)?;
        let link = record
            .consent
            .clone()
            .ok_or(SessionError::NoConsentToWithdraw)?;
        let current = inner.is_current(visit_id);
        let next = if current {
            let mut next = self.trial(&inner, Event::WithdrawConsent)?;
            // The ward knows the photos; the session's list is only its own copy.
            next.take_photos_to_shred();
            Some(next)
        } else {
            None
        };
        let photos: Vec<PhotoId> = inner
            .photos_of(visit_id)
            .filter(|m| m.consent.consent_id == link.consent_id)
            .map(|m| m.photo_id)
            .collect();
        let wall = self.clock.wall();
        let withdrawal = WithdrawalRecord {
            visit_id,
            consent_id: link.consent_id,
            consent_sha256: link.digest,
            withdrawn_at: wall,
            clinician: self.pins()?.clinician(),
            photos: photos.clone(),
        };
        // No parcel of a withdrawn photo may outlive the withdrawal, whatever crashes.
        for id in &photos {
            inner.unparcel(*id)?;
        }
        vault.seal(ItemKind::Withdrawal, &encode(&withdrawal)?, None, wall)?;
        if inner.delivered_any(visit_id) {
            // Sealed before the consent leaves the visit record: what reached the record is named
            // while the visit still says where its consent went.
            let receipt = super::after_delivery::withdrawn_receipt(
                &record,
                &link,
                &inner.receipts,
                None,
                withdrawal.clinician.clone(),
                wall,
            );
            inner.seal_receipt(&vault, receipt, &[], wall)?;
        }
        let mut updated = record;
        updated.consent = None;
        updated.withdrawn.push(link);
        inner.save_visit(&vault, updated, wall)?;
        let shredded = photos.len() as u64;
        for id in photos {
            inner.shred_photo(&vault, id)?;
        }
        inner.audit(AuditEvent::ConsentWithdrawn {
            visit: visit_id.to_string(),
            photos: shredded,
        });
        if let Some(next) = next {
            inner.session = next;
            if let Some((_, withdrawn)) = inner.visit.as_mut().and_then(|v| v.consent.as_mut()) {
                *withdrawn = true;
            }
        }
        Ok(inner.session.view())
    }

    /// The FHIR R4 `Consent` of the open visit's consent (`inactive` once withdrawn), if any.
    /// Refused while locked and in kiosk mode: it carries the patient's identifiers.
    pub fn consent_fhir(&self) -> Result<Option<Value>, Error> {
        let inner = self.lock()?;
        inner.clinician_holds()?;
        match inner.visit.as_ref().and_then(|v| v.consent.as_ref()) {
            Some((record, withdrawn)) => Ok(Some(fhir::consent_resource_with_status(
                record, *withdrawn,
            )?)),
            None => Ok(None),
        }
    }

    // --- The clinician PIN --------------------------------------------------------------------

    /// Whether a PIN is set, and whose (the name only while unlocked).
    pub fn pin_status(&self) -> Result<PinStatus, Error> {
        let (ready, locked, development) = {
            let inner = self.lock()?;
            (
                inner.vault.is_some(),
                inner.session.state() == State::Locked,
                inner.session.policy().allow_development_unlock,
            )
        };
        let mut status = self.pins()?.status(ready, development && !locked);
        if let Some(slot) = self.gate.get() {
            // Behind the gate the credential and its limiter live in the keystore.
            let gate = slot.gate.status(&slot.dir, self.clock.wall())?;
            status.ready = true;
            status.set = gate.set_up;
            status.failures = gate.failures;
            status.disabled = false;
        }
        if locked {
            status.clinician = None;
        }
        Ok(status)
    }

    /// Sets the clinician PIN and name. Only while unlocked and never in kiosk mode, so a patient
    /// holding the phone cannot set their own; changing a working PIN needs the current one.
    pub fn set_pin(
        &self,
        pin: &Zeroizing<String>,
        name: &str,
        old_pin: Option<&Zeroizing<String>>,
    ) -> Result<PinStatus, Error> {
        let (vault, development) = {
            let inner = self.lock()?;
            inner.clinician_holds()?;
            (
                inner.vault()?,
                inner.session.policy().allow_development_unlock,
            )
        };
        if let Some(slot) = self.gate.get() {
            // The app lock's credential changes with it: the current one must release the key.
            let old = old_pin.ok_or(Error::Visit(VisitError::OldPinRequired))?;
            slot.gate.change(&slot.dir, old, pin, self.clock.wall())?;
            self.pins()?.replace(&vault, pin, name, self.clock.wall())?;
            return self.pin_status();
        }
        let mut pins = self.pins()?;
        pins.set(
            &vault,
            pin,
            name,
            old_pin,
            self.clock.session(),
            self.clock.wall(),
        )?;
        Ok(pins.status(true, development))
    }

    /// The clinician's name, the one every record of this phone uses.
    pub fn clinician_name(&self) -> Result<Option<String>, Error> {
        Ok(self.pins()?.clinician())
    }

    // --- Photos -------------------------------------------------------------------------------

    /// Takes a photo's bytes for `use_`: checks the session would accept it (unlocked, camera
    /// open, consent covering the use) and that the phone has room, binds the photo to the visit
    /// and consent now, runs intake and seals it, then commits its manifest, unless the patient or
    /// consent changed meanwhile, in which case everything sealed is shredded.
    pub fn capture(&self, bytes: &[u8], use_: Purpose) -> Result<PhotoView, Error> {
        let (vault, ticket) = self.capture_ticket(bytes.len(), use_)?;
        let wall = self.clock.wall();
        let sealed = intake::seal_photo(&vault, bytes, &self.intake, None, wall)?;
        self.capture_commit(&vault, ticket, sealed, use_, wall)
    }

    fn capture_ticket(&self, len: usize, use_: Purpose) -> Result<(Arc<Vault>, Ticket), Error> {
        let inner = self.lock()?;
        let vault = inner.vault()?;
        let (visit_id, visit) = inner.open_visit()?;
        let photo_id = PhotoId::random()?;
        // The session's own check, on a copy: locked, kiosk, consent, use, camera open.
        self.trial(
            &inner,
            Event::PhotoTaken(Photo {
                id: photo_ref(photo_id),
                patient: patient_ref(visit_id),
                intended_use: use_,
            }),
        )?;
        let consent = visit.consent.clone().ok_or(SessionError::ConsentRequired)?;
        // A later record check blocked this patient: no more photos of them.
        if visit.patient.hold.is_some() {
            return Err(VisitError::HeldInOpenVisit.into());
        }
        if let Some(free) = self.storage.available(vault.dir()) {
            if free < space_needed(len) {
                return Err(VisitError::StorageFull.into());
            }
        }
        let ticket = Ticket {
            photo_id,
            visit_id,
            patient: visit.patient.clone(),
            consent,
            clinician: self.pins()?.clinician(),
        };
        Ok((vault, ticket))
    }

    fn capture_commit(
        &self,
        vault: &Vault,
        ticket: Ticket,
        sealed: SealedPhoto,
        use_: Purpose,
        wall: Timestamp,
    ) -> Result<PhotoView, Error> {
        // If this fails, the photo is sealed but no manifest names it: the next open's recovery
        // shreds it.
        let mut inner = self.lock()?;
        let outcome = (|| {
            let (visit_id, visit) = inner.open_visit().map_err(|_| VisitError::PatientChanged)?;
            let same_consent = visit
                .consent
                .as_ref()
                .is_some_and(|c| c.consent_id == ticket.consent.consent_id);
            if visit_id != ticket.visit_id || !same_consent {
                return Err(Error::Visit(VisitError::PatientChanged));
            }
            self.trial(
                &inner,
                Event::PhotoTaken(Photo {
                    id: photo_ref(ticket.photo_id),
                    patient: patient_ref(visit_id),
                    intended_use: use_,
                }),
            )
        })();
        let next = match outcome {
            Ok(next) => next,
            Err(e) => {
                inner.shred(vault, &[sealed.image, sealed.thumbnail])?;
                return Err(e);
            }
        };
        let manifest = PhotoManifest {
            photo_id: ticket.photo_id,
            visit_id: ticket.visit_id,
            revision: 0,
            patient: ticket.patient,
            clinician: ticket.clinician,
            consent: ticket.consent,
            intended_use: use_,
            label: None,
            captured_at: wall,
            info: sealed.info,
            quality: sealed.quality,
            image: sealed.image,
            thumbnail: sealed.thumbnail,
            redactions: Vec::new(),
            state: LocalState::Captured,
            delivery: Default::default(),
        };
        if let Err(e) = inner.save_photo(vault, manifest, &[], wall) {
            inner.shred(vault, &[sealed.image, sealed.thumbnail])?;
            return Err(e);
        }
        inner.session = next;
        inner.audit(AuditEvent::Captured {
            visit: ticket.visit_id.to_string(),
            photo: ticket.photo_id.to_string(),
        });
        inner.view_of(ticket.photo_id)
    }

    /// The open visit's photos, oldest first (none while locked).
    pub fn photos(&self) -> Result<Vec<PhotoView>, Error> {
        let inner = self.lock()?;
        if inner.session.state() == State::Locked {
            return Ok(Vec::new());
        }
        let Some(visit) = inner.visit.as_ref().map(|v| v.id) else {
            return Ok(Vec::new());
        };
        let mut list: Vec<PhotoView> = inner
            .photos_of(visit)
            .map(|m| PhotoView::of(m, true))
            .collect();
        list.sort_by_key(|p| p.captured_at);
        Ok(list)
    }

    /// Every photo on the phone not yet delivered, of any visit, oldest first, with its patient
    /// (none while locked, nor while the patient holds the phone).
    pub fn outbox(&self) -> Result<Vec<PhotoView>, Error> {
        let inner = self.lock()?;
        if inner.clinician_holds().is_err() {
            return Ok(Vec::new());
        }
        let mut list: Vec<PhotoView> = inner
            .photos
            .values()
            .map(|s| PhotoView::of(&s.record, inner.is_current(s.record.visit_id)))
            .collect();
        list.sort_by_key(|p| p.captured_at);
        Ok(list)
    }

    /// Sets a photo's label. Refused for a queued photo: its label cannot change once it waits to
    /// be sent.
    pub fn label(&self, photo: PhotoId, label: Label) -> Result<PhotoView, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        inner.clinician_holds()?;
        let mut record = inner
            .photos
            .get(&photo)
            .map(|s| s.record.clone())
            .ok_or(VisitError::UnknownPhoto)?;
        if record.state != LocalState::Captured {
            return Err(VisitError::PhotoQueued.into());
        }
        let visit = record.visit_id;
        record.label = Some(LabelRecord::from(&label));
        inner.save_photo(&vault, record, &[], self.clock.wall())?;
        inner.remember_label(&vault, visit, &label, self.clock.wall())?;
        inner.view_of(photo)
    }

    /// Deletes a photo not yet queued: the session lets go of it, then it is crypto-shredded.
    pub fn discard(&self, photo: PhotoId) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        inner.clinician_holds()?;
        let state = inner
            .photos
            .get(&photo)
            .map(|s| s.record.state)
            .ok_or(VisitError::UnknownPhoto)?;
        if state != LocalState::Captured {
            return Err(VisitError::PhotoQueued.into());
        }
        let next = self.trial(&inner, Event::DiscardPhoto(photo_ref(photo)))?;
        inner.shred_photo(&vault, photo)?;
        inner.session = next;
        inner.audit(AuditEvent::Discarded {
            photo: photo.to_string(),
        });
        Ok(inner.session.view())
    }

    /// Redacts a photo: solid rectangles and a crop on the full image, re-encoded once. The new
    /// version is sealed, the manifest names it (same photo id, same state: a queued photo stays
    /// queued), then the original is crypto-shredded. Refused while locked or in kiosk mode.
    pub fn redact(&self, photo: PhotoId, redaction: &Redaction) -> Result<PhotoView, Error> {
        let (vault, image, revision) = {
            let inner = self.lock()?;
            let vault = inner.vault()?;
            inner.clinician_holds()?;
            let s = inner.photos.get(&photo).ok_or(VisitError::UnknownPhoto)?;
            // Once a send was attempted the server may hold the unredacted image, even if its
            // answer was lost and the photo is queued again (the first copy stored under its UID
            // stays): redacting here would leave the record and the phone disagreeing.
            if !matches!(s.record.state, LocalState::Captured | LocalState::Queued)
                || s.record.delivery.attempts > 0
            {
                return Err(VisitError::PhotoSending.into());
            }
            (vault, s.record.image, s.record.revision)
        };
        let original = vault.unseal(image)?;
        let redacted = intake::redact(&original, redaction, &self.intake)?;
        drop(original);
        let wall = self.clock.wall();
        let sealed = intake::seal_intake(&vault, &redacted, None, wall)?;
        let mut inner = self.lock()?;
        let current = inner
            .photos
            .get(&photo)
            .map(|s| s.record.clone())
            .filter(|r| r.revision == revision);
        // A delivery step in between changed the revision too, so this also refuses a photo
        // whose sending began while it was being redacted.
        let allowed = inner.clinician_holds();
        let Some(mut record) = current.filter(|_| allowed.is_ok()) else {
            inner.shred(&vault, &[sealed.image, sealed.thumbnail])?;
            allowed?;
            return Err(VisitError::UnknownPhoto.into());
        };
        let old = [record.image, record.thumbnail];
        record.redactions.push(RedactionStep {
            at: wall,
            replaced: record.image,
            fills: redaction.fills.len(),
            cropped: redaction.crop.is_some(),
        });
        record.image = sealed.image;
        record.thumbnail = sealed.thumbnail;
        record.info = sealed.info;
        record.quality = sealed.quality;
        if let Err(e) = inner.save_photo(&vault, record, &old, wall) {
            inner.shred(&vault, &[sealed.image, sealed.thumbnail])?;
            return Err(e);
        }
        inner.audit(AuditEvent::Redacted {
            photo: photo.to_string(),
        });
        inner.view_of(photo)
    }

    /// Hands the reviewed photos of the open visit to the outbox; refused while any lacks a
    /// body site.
    pub fn queue(&self) -> Result<SessionView, Error> {
        let mut inner = self.lock()?;
        let vault = inner.vault()?;
        let (visit_id, _) = inner.open_visit()?;
        let pending: Vec<PhotoManifest> = inner
            .photos_of(visit_id)
            .filter(|m| m.state == LocalState::Captured)
            .cloned()
            .collect();
        let labels: Vec<Option<Label>> = pending
            .iter()
            .map(|m| m.label.as_ref().and_then(LabelRecord::label))
            .collect();
        check_ready_to_queue(labels.iter().map(Option::as_ref))?;
        let next = self.trial(&inner, Event::Queue)?;
        let wall = self.clock.wall();
        for mut m in pending {
            m.state = LocalState::Queued;
            let photo = m.photo_id;
            inner.save_photo(&vault, m, &[], wall)?;
            inner.audit(AuditEvent::Queued {
                photo: photo.to_string(),
            });
        }
        inner.session = next;
        Ok(inner.session.view())
    }

    /// A photo's thumbnail, unsealed into memory (none while locked or in kiosk mode).
    pub fn thumbnail(&self, photo: PhotoId) -> Result<Zeroizing<Vec<u8>>, Error> {
        let inner = self.lock()?;
        let vault = inner.vault()?;
        inner.clinician_holds()?;
        let item = inner
            .photos
            .get(&photo)
            .ok_or(VisitError::UnknownPhoto)?
            .record
            .thumbnail;
        Ok(vault.unseal(item)?)
    }

    /// The patient line of the open visit, for the header (none while locked).
    pub fn patient_line(&self) -> Result<Option<PatientLine>, Error> {
        Ok(self.current_patient()?.as_ref().map(PatientLine::of))
    }
}

/// The patient as a consent record names them, from the visit's identity.
fn consent_patient(p: &PatientIdentity) -> Result<ConsentPatient, Error> {
    let local = p
        .band
        .local_id
        .as_ref()
        .map(|l| (l.issuer.clone(), l.value.clone()));
    Ok(ConsentPatient::from_identifiers(
        p.band.nhs(),
        local,
        p.family_name().unwrap_or_default(),
        &p.given_names().unwrap_or_default(),
        p.birth_date().and_then(BirthDate::parse_iso),
    )?)
}

/// Seals a consent record and its signature PNG; if the signature cannot be sealed, the record is
/// shredded again.
fn seal_consent(vault: &Vault, record: &ConsentRecord) -> Result<ConsentLink, Error> {
    let canonical = Zeroizing::new(record.canonical_bytes()?);
    let png = record.signature_png()?.map(Zeroizing::new);
    let record_item = vault.seal(ItemKind::Consent, &canonical, None, record.recorded_at)?;
    let signature_item = match png {
        None => None,
        Some(png) => match vault.seal(ItemKind::Signature, &png, None, record.recorded_at) {
            Ok(id) => Some(id),
            Err(e) => {
                vault.shred_all(&[record_item])?;
                return Err(e.into());
            }
        },
    };
    Ok(ConsentLink {
        consent_id: record.id,
        digest: record.sha256()?,
        record_item,
        signature_item,
        purposes: record.purposes,
        recorded_at: record.recorded_at,
    })
}

/// Decodes a sealed record (for tests and tools that read the vault directly).
pub fn read_manifest(vault: &Vault, item: ItemId) -> Result<PhotoManifest, Error> {
    let bytes = vault.unseal(item)?;
    Ok(decode(&bytes)?)
}

#[cfg(test)]
impl Ward {
    /// The first half of [`Ward::capture`], for tests that change the visit mid-capture.
    pub(crate) fn capture_ticket_for_tests(&self, use_: Purpose) -> (Arc<Vault>, Ticket) {
        self.capture_ticket(1, use_)
            .unwrap_or_else(|e| panic!("ticket: {e}"))
    }

    /// The second half of [`Ward::capture`].
    pub(crate) fn capture_commit_for_tests(
        &self,
        vault: &Vault,
        ticket: Ticket,
        bytes: &[u8],
    ) -> Result<PhotoView, Error> {
        let wall = self.clock.wall();
        let sealed = intake::seal_photo(vault, bytes, &self.intake, None, wall)?;
        self.capture_commit(vault, ticket, sealed, Purpose::Care, wall)
    }
}
