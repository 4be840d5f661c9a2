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
use super::ward::{Inner, Ward};
use crate::audit::{append_locked, write_export, AuditError, AuditStatus, Entry, Event, Journal};
use crate::patient::NHS_NUMBER_SYSTEM;
use crate::session::{LockReason, SessionError, UnlockMethod};
use crate::vault::Vault;
use crate::Error;

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
}

impl Trail {
    pub(super) fn new(clock: Arc<dyn Clock>) -> Trail {
        Trail {
            journal: None,
            dir: None,
            clock,
            lost: 0,
            last_error: None,
        }
    }

    /// Where locked entries go before any vault was opened in this run (the key gate's folder).
    pub(super) fn set_dir(&mut self, dir: &Path) {
        self.dir = Some(dir.to_path_buf());
    }

    /// Opens the journal with the vault (folding in what was recorded while locked). A failure
    /// leaves it shut: entries then go the locked way, and the failure shows in the status.
    pub(super) fn open(&mut self, vault: &Vault) {
        self.dir = Some(vault.dir().to_path_buf());
        match Journal::open(vault, self.clock.wall()) {
            Ok(journal) => {
                self.journal = Some(journal);
                self.last_error = None;
                if self.lost > 0 {
                    // Written now so the gap sits where it happened, not at the next event.
                    self.record_gap();
                }
            }
            Err(e) => {
                self.journal = None;
                self.last_error = Some(e);
            }
        }
    }

    /// The vault shut: the journal's keys leave memory with it.
    pub(super) fn close(&mut self) {
        self.journal = None;
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
                Some(dir) => append_locked(dir, event, now).map(drop).inspect_err(|_| {
                    self.lost += 1;
                }),
                // No vault on this phone yet: there is no log to add to.
                None => Ok(()),
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

impl Inner {
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
