//! The ward's audit trail ([`crate::audit`]): every clinical step the ward commits is recorded
//! after it commits, through [`Inner::audit`].
//!
//! - **While the vault is open** the [`Journal`] is open with it (opened in
//!   [`Ward::attach_vault`]) and entries join the chain at once.
//! - **While it is shut** (behind the key gate, locked) the journal's keys have left memory with
//!   the vault's; entries are sealed to the audit public key ([`append_locked`]) and fold into the
//!   chain when the next unlock opens the journal.
//! - **A failed audit write never undoes or refuses the clinical step** (a photo is never lost
//!   for want of its log line): the failure is counted, shown in [`Ward::audit_status`], and the
//!   next entry that can be written is preceded by an [`Event::EntriesLost`] saying how many went
//!   missing, so the gap is in the chain, not hidden.
//!
//! No event carries a patient identifier: a patient is named by [`Journal::patient_hash`] only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::clock::Clock;
use super::identity::{IdentifiedBy, PatientIdentity, Verdict};
use super::manifest::Route;
use super::policy_applied::PolicyOrigin;
use super::ward::{Inner, Ward};
use crate::audit::{append_locked, write_export, AuditError, AuditStatus, Entry, Event, Journal};
use crate::delivery::fhir::{audit_bundle, patient_reference, AuditBundle, AuditContext};
use crate::patient::NHS_NUMBER_SYSTEM;
use crate::session::{LockReason, SessionError, UnlockMethod};
use crate::vault::Vault;
use crate::Error;

/// At most this many entries wait for a phone's first log ([`Trail::wait`]).
const MAX_WAITING: usize = 64;

/// The audit log as the ward holds it.
#[derive(Debug)]
pub(super) struct Trail {
    /// Open while the vault is: its keys are in memory only then.
    journal: Option<Journal>,
    /// The vault's folder, kept while it is shut so locked entries know where to go.
    dir: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    /// Entries that could not be written while no journal was open; recorded as a gap by the
    /// next entry that reaches the chain.
    lost: u64,
    /// The last failure, until a write succeeds again.
    last_error: Option<AuditError>,
    /// Entries made before this phone had a log to take them (no vault folder known yet, or no
    /// vault yet: the policy that provisions a new phone comes before its first set-up), with
    /// when they happened. Sealed to the log as soon as one exists, or written when it opens.
    waiting: Vec<(Event, crate::vault::Timestamp)>,
    /// The policy in force and how it came (`Ward::policy_applied`): a new log begins by naming
    /// it, so a policy that came before the phone's first vault is not lost if WardCam stopped
    /// before its entry could join a log (or a wipe took the log it was in).
    policy: Option<(u64, PolicyOrigin)>,
}

impl Trail {
    pub(super) fn new(clock: Arc<dyn Clock>) -> Trail {
        Trail {
            journal: None,
            dir: None,
            clock,
            lost: 0,
            last_error: None,
            waiting: Vec::new(),
            policy: None,
        }
    }

    /// Notes the policy in force, for the next new log ([`Trail::open`]).
    pub(super) fn note_policy(&mut self, version: u64, origin: PolicyOrigin) {
        self.policy = Some((version, origin));
    }

    /// A new log (no entry yet) begins with the policy in force, unless its entry is waiting.
    fn name_policy_in_new_log(&mut self, journal: &Journal) {
        let Some((version, origin)) = self.policy else {
            return;
        };
        let waiting = self
            .waiting
            .iter()
            .any(|(e, _)| matches!(e, Event::PolicyApplied { version: v, .. } if *v == version));
        if journal.status().head.entries == 0 && !waiting {
            let event = Event::PolicyApplied {
                version,
                source: origin.as_str().to_owned(),
            };
            self.waiting.insert(0, (event, self.clock.wall()));
        }
    }

    /// Where locked entries go before any vault was opened in this run (the key gate's folder).
    /// What was waiting for it is sealed there now, if the log exists.
    pub(super) fn set_dir(&mut self, dir: &Path) {
        self.dir = Some(dir.to_path_buf());
        self.flush_waiting();
    }

    /// Keeps `event` until a log exists; past [`MAX_WAITING`] it is counted as lost instead (a
    /// phone left unprovisioned must not grow this without bound).
    fn wait(&mut self, event: Event, at: crate::vault::Timestamp) {
        if self.waiting.len() < MAX_WAITING {
            self.waiting.push((event, at));
        } else {
            self.lost += 1;
        }
    }

    /// Moves the waiting entries to the journal, or seals them to the log's public key; those
    /// that still have nowhere to go keep waiting. A failure counts them as lost (a gap).
    fn flush_waiting(&mut self) {
        for (event, at) in std::mem::take(&mut self.waiting) {
            let written = match (self.journal.as_mut(), &self.dir) {
                (Some(journal), _) => journal.append(event, at).map(|_| None),
                (None, Some(dir)) => match append_locked(dir, event.clone(), at) {
                    Ok(true) => Ok(None),
                    Ok(false) => Ok(Some((event, at))),
                    Err(e) => {
                        self.lost += 1;
                        Err(e)
                    }
                },
                (None, None) => Ok(Some((event, at))),
            };
            match written {
                Ok(Some(still)) => self.waiting.push(still),
                Ok(None) => {}
                Err(e) => self.last_error = Some(e),
            }
        }
    }

    /// Opens the journal with the vault (folding in what was recorded while locked). A failure
    /// leaves it shut: entries then go the locked way, and the failure shows in the status.
    pub(super) fn open(&mut self, vault: &Vault) {
        self.dir = Some(vault.dir().to_path_buf());
        match Journal::open(vault, self.clock.wall()) {
            Ok(journal) => {
                self.name_policy_in_new_log(&journal);
                self.journal = Some(journal);
                self.last_error = None;
                if self.lost > 0 {
                    // Written now so the gap sits where it happened, not at the next event.
                    self.record_gap();
                }
                self.flush_waiting();
            }
            Err(e) => {
                self.journal = None;
                self.last_error = Some(e);
            }
        }
    }

    /// The vault shut: the journal's keys leave memory with it (after it notes how far its chain
    /// is verified, so the next open checks only what comes after).
    pub(super) fn close(&mut self) {
        if let Some(journal) = self.journal.take() {
            journal.save_checkpoint();
        }
    }

    /// Writes the pending gap entry; `false` if it could not be.
    fn record_gap(&mut self) -> bool {
        let Some(journal) = self.journal.as_mut() else {
            return false;
        };
        let gap = Event::EntriesLost {
            count: self.lost,
            why: "write_failed".to_owned(),
        };
        match journal.append(gap, self.clock.wall()) {
            Ok(_) => {
                self.lost = 0;
                true
            }
            Err(e) => {
                // The journal counts this failure itself (and records it with its next entry).
                self.last_error = Some(e);
                false
            }
        }
    }

    /// Records `event`; see the module documentation for what a failure does.
    pub(super) fn record(&mut self, event: Event) -> Result<(), AuditError> {
        if self.journal.is_some() && self.lost > 0 && !self.record_gap() {
            // The gap's own failure is counted by the journal; this event is lost as well.
            self.lost += 1;
            return Err(self
                .last_error
                .clone()
                .unwrap_or(AuditError::Crypto("write an audit entry")));
        }
        let now = self.clock.wall();
        let result = match self.journal.as_mut() {
            // A journal's failure is counted by the journal itself (its status's `lost`).
            Some(journal) => journal.append(event, now).map(drop),
            None => match &self.dir {
                Some(dir) => match append_locked(dir, event.clone(), now) {
                    Ok(true) => Ok(()),
                    // No vault on this phone yet: it waits for the first log.
                    Ok(false) => {
                        self.wait(event, now);
                        Ok(())
                    }
                    Err(e) => {
                        self.lost += 1;
                        Err(e)
                    }
                },
                // The key gate's folder is not known yet (start): it waits for it.
                None => {
                    self.wait(event, now);
                    Ok(())
                }
            },
        };
        match &result {
            Ok(()) => self.last_error = None,
            Err(e) => self.last_error = Some(e.clone()),
        }
        result
    }

    fn status(&self) -> Option<AuditStatus> {
        let journal = self.journal.as_ref()?;
        let mut status = journal.status();
        status.lost += self.lost;
        Some(status)
    }

    fn journal(&self) -> Result<&Journal, Error> {
        match (&self.journal, &self.last_error) {
            (Some(j), _) => Ok(j),
            (None, Some(e)) if self.dir.is_some() => Err(e.clone().into()),
            (None, _) => Err(SessionError::Locked.into()),
        }
    }
}

impl Inner {
    /// Records `event` in the audit trail, after the step it describes has committed. Never fails
    /// the step: a failed write is counted and recorded as a gap by the next entry (see
    /// [`Trail`]).
    pub(crate) fn audit(&mut self, event: Event) {
        let _ = self.trail.record(event);
    }

    /// The keyed hash naming a patient in the trail ([`Journal::patient_hash`]); `None` while
    /// the journal is shut (the clinical steps that name a patient happen only while it is open).
    pub(crate) fn patient_hash(&self, system: &str, value: &str) -> Option<String> {
        self.trail
            .journal
            .as_ref()
            .map(|j| j.patient_hash(system, value))
    }
}

impl Ward {
    /// Records `event` in the audit trail (the shell, and core's policy, wipe and retention).
    /// Works locked too (the entry joins the chain at the next unlock). The event is recorded
    /// or counted as lost either way; the error says only that it could not be written now.
    pub fn audit_event(&self, event: Event) -> Result<(), Error> {
        Ok(self.lock()?.trail.record(event)?)
    }

    /// The chain's head and health, for the Device screen and managed feedback; `None` while the
    /// journal is shut (locked, or it could not open: see [`Ward::audit_problem`]).
    pub fn audit_status(&self) -> Result<Option<AuditStatus>, Error> {
        Ok(self.lock()?.trail.status())
    }

    /// The last audit failure, until a write succeeds again (its code for the Device screen).
    pub fn audit_problem(&self) -> Result<Option<AuditError>, Error> {
        Ok(self.lock()?.trail.last_error.clone())
    }

    /// Every entry of the chain, in order (for the trust's AuditEvents). Refused while locked.
    pub fn audit_entries(&self) -> Result<Vec<Entry>, Error> {
        let inner = self.lock()?;
        Ok(inner.trail.journal()?.entries()?)
    }

    /// The next entries the trust's record does not hold yet (at most `max`), as a Bundle of
    /// AuditEvents ([`crate::delivery::fhir::audit_bundle`]); `None` when it holds them all, or
    /// while the journal is shut (locked: nothing is sent then).
    pub fn audit_due(&self, max: usize) -> Result<Option<AuditBundle>, Error> {
        let clinician = self.clinician_name().ok().flatten();
        let site = self.policy_in_force.as_ref().map(|p| p.ods_code.clone());
        let inner = self.lock()?;
        let Some(journal) = inner.trail.journal.as_ref() else {
            return Ok(None);
        };
        let entries = journal.entries()?;
        let start = unsent_from(&entries, journal.sent());
        let due = &entries[start..];
        if due.is_empty() {
            // Visits may have left the phone since the last entries went.
            inner.forget_subjects(journal, &entries, start)?;
            return Ok(None);
        }
        let mut ctx = AuditContext {
            chain: journal.chain_id(),
            site,
            clinician,
            subjects: journal.subjects()?,
            photo_visits: Default::default(),
        };
        ctx.learn(&entries);
        Ok(audit_bundle(&due[..due.len().min(max.max(1))], &ctx))
    }

    /// The trust's record holds every entry up to `seq` (hash `hash`): recorded. The patients of
    /// visits nothing more will be said about are forgotten by the next [`Ward::audit_due`] that
    /// finds nothing due (the courier asks again straight after, in the same drain), so the chain
    /// is read once per bundle, not twice.
    pub fn audit_sent(&self, seq: u64, hash: &str) -> Result<(), Error> {
        let inner = self.lock()?;
        let Some(journal) = inner.trail.journal.as_ref() else {
            return Err(SessionError::Locked.into());
        };
        Ok(journal.mark_sent(seq, hash)?)
    }

    /// The chain exported as JSON lines ([`write_export`]), for `wardcam-admin audit verify`.
    /// Refused while locked.
    pub fn audit_export(&self) -> Result<String, Error> {
        Ok(write_export(&self.audit_entries()?))
    }
}

// --- What the entries say -------------------------------------------------------------------

/// `unlocked`'s method.
pub(super) fn unlock_method(method: UnlockMethod) -> &'static str {
    match method {
        UnlockMethod::DeviceCredential => "device_credential",
        UnlockMethod::Development => "development",
        UnlockMethod::ClinicianPin => "pin",
    }
}

/// `locked`'s reason.
pub(super) fn lock_reason(reason: LockReason) -> &'static str {
    match reason {
        LockReason::Start => "start",
        LockReason::User => "user",
        LockReason::Idle => "idle",
        LockReason::Background => "background",
    }
}

/// How a patient was identified and what the record said: `scan_verified`, `typed_overridden`...
pub(super) fn identified_how(p: &PatientIdentity) -> String {
    let by = match p.identified_by {
        IdentifiedBy::CameraScan => "scan",
        IdentifiedBy::BandText => "band_text",
        IdentifiedBy::TypedTwice => "typed",
    };
    let record = match (&p.verdict, &p.override_) {
        (_, Some(_)) => "overridden",
        (Verdict::Verified, None) => "verified",
        (Verdict::NotVerified { .. }, None) => "not_verified",
        (Verdict::NeedsOverride { .. }, None) => "needs_override",
        (Verdict::Blocked { .. }, None) => "blocked",
    };
    format!("{by}_{record}")
}

/// A stable snake_case code for a serialisable unit enum (an override's reason), or `other`.
pub(super) fn code_of<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "other".to_owned(),
    }
}

/// A route's name in the trail.
pub(super) fn route_name(route: Route) -> String {
    code_of(&route)
}

/// Where the entries the record does not hold begin: after the `sent` mark when the chain still
/// holds that entry, else at the start (everything goes again; the record files the same ids).
fn unsent_from(entries: &[Entry], sent: Option<(u64, String)>) -> usize {
    sent.and_then(|(seq, hash)| {
        entries
            .iter()
            .position(|e| e.seq == seq && e.hash() == hash)
            .map(|i| i + 1)
    })
    .unwrap_or(0)
}

impl Inner {
    /// Forgets the patients of visits nothing more will be said about: a visit is still spoken
    /// of while the phone holds it or any of its photos, or while an entry about it (from
    /// `start` in `entries`) has not reached the record.
    fn forget_subjects(
        &self,
        journal: &Journal,
        entries: &[Entry],
        start: usize,
    ) -> Result<(), Error> {
        let mut ctx = AuditContext::default();
        ctx.learn(entries);
        let mut keep: std::collections::BTreeSet<String> =
            self.visits.keys().map(ToString::to_string).collect();
        keep.extend(self.photos.values().map(|p| p.record.visit_id.to_string()));
        keep.extend(
            entries[start..]
                .iter()
                .filter_map(|e| ctx.visit_of(&e.event))
                .map(str::to_owned),
        );
        Ok(journal.keep_subjects(|v| keep.contains(v))?)
    }

    /// Keeps, sealed, how the record names the patient of `visit`, for the AuditEvents about it.
    /// Like every audit step it never refuses the clinical one: without it those AuditEvents go
    /// without the patient.
    pub(super) fn note_subject(&self, visit: &str, p: &PatientIdentity) {
        if let (Some(journal), Ok(reference)) = (self.trail.journal.as_ref(), patient_reference(p))
        {
            let _ = journal.note_subject(visit, &reference);
        }
    }

    /// The keyed hash naming `p` in the trail: of the NHS number, else of the local hospital
    /// number under its issuer; `unavailable` while the journal is shut or when the patient has
    /// neither. Never the identifier itself.
    pub(super) fn patient_in_trail(&self, p: &PatientIdentity) -> String {
        let nhs = [Some(&p.band), p.record.as_ref()]
            .into_iter()
            .flatten()
            .find_map(|d| d.nhs_number.clone());
        let hashed = match (nhs, &p.band.local_id) {
            (Some(n), _) => self.patient_hash(NHS_NUMBER_SYSTEM, &n),
            (None, Some(local)) => self.patient_hash(&local.issuer, &local.value),
            (None, None) => None,
        };
        hashed.unwrap_or_else(|| "unavailable".to_owned())
    }
}
