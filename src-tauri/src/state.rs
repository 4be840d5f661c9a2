//! What the shell keeps between commands: the core session and the confirmed patient's identifier,
//! both in memory only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use wardcam_core::patient::NhsNumber;
use wardcam_core::session::{Event, Millis, PatientRef, Session, SessionPolicy, SessionView};

use crate::error::CommandError;

/// How the patient was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PatientSource {
    /// The NHS number was typed twice by the clinician.
    ManualEntry,
}

/// The patient the session is fixed to. Held in memory only; the session itself sees only `reference`.
#[derive(Debug, Clone)]
struct ConfirmedPatient {
    reference: PatientRef,
    nhs_number: NhsNumber,
    source: PatientSource,
    /// Whether the identity was checked against the trust's record (not yet possible: offline).
    verified: bool,
}

/// What the UI may show about the current patient (never while locked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PatientSummary {
    /// The NHS number grouped 3-3-4.
    pub nhs_number: String,
    pub source: PatientSource,
    pub verified: bool,
}

/// Shared state behind every command.
#[derive(Debug)]
pub(crate) struct AppState {
    session: Mutex<Session>,
    patient: Mutex<Option<ConfirmedPatient>>,
    started: Instant,
    next_ref: AtomicU64,
}

impl AppState {
    pub(crate) fn new(policy: SessionPolicy) -> Self {
        let started = Instant::now();
        AppState {
            session: Mutex::new(Session::new(policy, Millis(0))),
            patient: Mutex::new(None),
            started,
            next_ref: AtomicU64::new(1),
        }
    }

    /// Milliseconds since start on a monotonic clock: wall-clock changes cannot defeat the idle lock.
    fn now(&self) -> Millis {
        Millis(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn session(&self) -> Result<MutexGuard<'_, Session>, CommandError> {
        self.session
            .lock()
            .map_err(|_| CommandError::unexpected("session lock poisoned"))
    }

    fn patient_slot(&self) -> Result<MutexGuard<'_, Option<ConfirmedPatient>>, CommandError> {
        self.patient
            .lock()
            .map_err(|_| CommandError::unexpected("patient lock poisoned"))
    }

    /// The session as the UI sees it, after locking it if it has idled out.
    pub(crate) fn view(&self) -> Result<SessionView, CommandError> {
        let mut session = self.session()?;
        session.check_idle(self.now());
        Ok(session.view())
    }

    /// Offers `event` to the core session; returns the new view, or core's refusal.
    pub(crate) fn apply(&self, event: Event) -> Result<SessionView, CommandError> {
        let mut session = self.session()?;
        session.apply(event, self.now())?;
        Ok(session.view())
    }

    /// Records user activity; returns whether the session is unlocked.
    pub(crate) fn touch(&self) -> Result<(), CommandError> {
        self.session()?.touch(self.now());
        Ok(())
    }

    /// Locks the session if idle; returns the new view when this call locked it.
    pub(crate) fn lock_if_idle(&self) -> Result<Option<SessionView>, CommandError> {
        let mut session = self.session()?;
        Ok(session.check_idle(self.now()).then(|| session.view()))
    }

    /// Confirms `nhs_number` as the session's patient. Core decides whether a patient may be
    /// confirmed now; the identifier is kept here only if it accepts.
    pub(crate) fn confirm_patient(
        &self,
        nhs_number: NhsNumber,
        source: PatientSource,
    ) -> Result<SessionView, CommandError> {
        let mut slot = self.patient_slot()?;
        let mut session = self.session()?;
        // Confirming the same number again reuses its reference, so core treats it as a repeat.
        let reference = match slot.as_ref() {
            Some(p) if p.nhs_number == nhs_number && session.patient() == Some(p.reference) => {
                p.reference
            }
            _ => PatientRef(self.next_ref.fetch_add(1, Ordering::Relaxed)),
        };
        session.apply(Event::ConfirmPatient(reference), self.now())?;
        if slot.as_ref().map(|p| p.reference) != Some(reference) {
            *slot = Some(ConfirmedPatient {
                reference,
                nhs_number,
                source,
                verified: false,
            });
        }
        Ok(session.view())
    }

    /// Ends the patient's session (core refuses while photos are pending) and forgets the identifier.
    pub(crate) fn end_patient(&self) -> Result<SessionView, CommandError> {
        let mut slot = self.patient_slot()?;
        let mut session = self.session()?;
        session.apply(Event::EndPatient, self.now())?;
        *slot = None;
        Ok(session.view())
    }

    /// The confirmed patient for display, or `None` when there is none or the app is locked.
    pub(crate) fn current_patient(&self) -> Result<Option<PatientSummary>, CommandError> {
        let slot = self.patient_slot()?;
        let mut session = self.session()?;
        session.check_idle(self.now());
        if session.state() == wardcam_core::session::State::Locked {
            return Ok(None);
        }
        Ok(slot
            .as_ref()
            .filter(|p| session.patient() == Some(p.reference))
            .map(|p| PatientSummary {
                nhs_number: p.nhs_number.formatted(),
                source: p.source,
                verified: p.verified,
            }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wardcam_core::session::{LockReason, State, UnlockMethod};

    fn unlocked() -> AppState {
        let state = AppState::new(SessionPolicy {
            idle_timeout_ms: 60_000,
            allow_development_unlock: true,
        });
        state
            .apply(Event::Unlock(UnlockMethod::Development))
            .unwrap();
        state
    }

    fn nhs(s: &str) -> NhsNumber {
        NhsNumber::parse(s).unwrap()
    }

    #[test]
    fn patient_is_hidden_while_locked_and_shown_after_unlock() {
        let state = unlocked();
        state
            .confirm_patient(nhs("9434765919"), PatientSource::ManualEntry)
            .unwrap();
        assert_eq!(
            state.current_patient().unwrap().unwrap().nhs_number,
            "943 476 5919"
        );
        state.apply(Event::Lock(LockReason::User)).unwrap();
        assert_eq!(state.current_patient().unwrap(), None);
        state
            .apply(Event::Unlock(UnlockMethod::Development))
            .unwrap();
        assert!(state.current_patient().unwrap().is_some());
    }

    #[test]
    fn second_patient_is_refused_and_first_kept() {
        let state = unlocked();
        state
            .confirm_patient(nhs("9434765919"), PatientSource::ManualEntry)
            .unwrap();
        // The same patient again is a harmless repeat.
        state
            .confirm_patient(nhs("943 476 5919"), PatientSource::ManualEntry)
            .unwrap();
        let err = state
            .confirm_patient(nhs("4010232137"), PatientSource::ManualEntry)
            .unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap()["code"],
            "session.patient_in_session"
        );
        assert_eq!(
            state.current_patient().unwrap().unwrap().nhs_number,
            "943 476 5919"
        );
        let view = state.end_patient().unwrap();
        assert_eq!(view.state, State::Unlocked);
        assert_eq!(state.current_patient().unwrap(), None);
    }

    #[test]
    fn patient_cannot_be_confirmed_while_locked() {
        let state = AppState::new(SessionPolicy::default());
        let err = state
            .confirm_patient(nhs("9434765919"), PatientSource::ManualEntry)
            .unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap()["code"],
            "session.locked"
        );
        assert_eq!(state.current_patient().unwrap(), None);
    }
}
