//! What the shell keeps between commands: the core session, the patient being identified and the
//! confirmed patient, all in memory only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde::Serialize;
use wardcam_core::consent::ConsentPatient;
use wardcam_core::patient::{ScanSource, Verification, WristbandData};
use wardcam_core::session::{
    Consent, Event, Millis, PatientRef, Photo, PhotoRef, Purpose, Session, SessionError,
    SessionPolicy, SessionView, State,
};
use wardcam_core::vault::PatientFields;

use crate::error::CommandError;

/// How the patient was identified, for the confirmation screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PatientSource {
    /// A wristband barcode (GS1 DataMatrix, its human-readable form, or a linear NHS number).
    Wristband,
    /// The NHS number was typed twice by the clinician.
    ManualEntry,
}

impl From<ScanSource> for PatientSource {
    fn from(source: ScanSource) -> Self {
        match source {
            ScanSource::ManualEntry => PatientSource::ManualEntry,
            _ => PatientSource::Wristband,
        }
    }
}

/// A patient read from a band or typed, with what the record said. Held in memory only.
#[derive(Debug, Clone)]
pub(crate) struct Identified {
    pub(crate) band: WristbandData,
    pub(crate) verification: Verification,
}

/// The patient the session is fixed to. The session itself sees only `reference`.
#[derive(Debug, Clone)]
struct ConfirmedPatient {
    reference: PatientRef,
    identified: Identified,
}

/// The record's details as the confirmation screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecordSummary {
    family_name: Option<String>,
    given_names: Vec<String>,
    /// `18-Jan-1980`.
    date_of_birth: Option<String>,
}

/// Whether the record vouched for the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VerificationStatus {
    /// The record agrees with the band.
    Verified,
    /// The band's details stand; photos are marked "not verified against the record".
    NotVerified,
    /// The record contradicts the band or is ambiguous: the patient cannot be confirmed.
    Blocked,
}

/// What the UI may show about a patient being identified or confirmed (never while locked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PatientSummary {
    /// The NHS number grouped 3-3-4.
    pub nhs_number: Option<String>,
    /// A local hospital number and its issuer, `RX1: A1234567`.
    pub local_id: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    /// `18-Jan-1980`.
    pub date_of_birth: Option<String>,
    pub source: PatientSource,
    pub status: VerificationStatus,
    /// Why the record did not vouch, or why the patient is blocked.
    pub reason: Option<CommandError>,
    /// The record's details, when one record was found.
    pub record: Option<RecordSummary>,
    /// Whether the record vouched for the patient (kept for the header badge).
    pub verified: bool,
}

impl From<&Identified> for PatientSummary {
    fn from(p: &Identified) -> Self {
        let band = &p.band;
        let v = &p.verification;
        PatientSummary {
            nhs_number: band.nhs_number.as_ref().map(|n| n.formatted()),
            local_id: band
                .local_id
                .as_ref()
                .map(|l| format!("{}: {}", l.issuer(), l.value())),
            family_name: band.family_name.clone(),
            given_name: band.given_name.clone(),
            date_of_birth: band.date_of_birth.as_ref().map(|d| d.formatted()),
            source: band.source.into(),
            status: if v.is_verified() {
                VerificationStatus::Verified
            } else if v.blocks_session() {
                VerificationStatus::Blocked
            } else {
                VerificationStatus::NotVerified
            },
            reason: v.reason().copied().map(CommandError::from),
            record: v.record().map(|r| RecordSummary {
                family_name: r.family_name.clone(),
                given_names: r.given_names.clone(),
                date_of_birth: r.birth_date.as_ref().map(|d| d.formatted()),
            }),
            verified: v.is_verified(),
        }
    }
}

/// Shared state behind every command.
#[derive(Debug)]
pub(crate) struct AppState {
    session: Mutex<Session>,
    candidate: Mutex<Option<Identified>>,
    patient: Mutex<Option<ConfirmedPatient>>,
    started: Instant,
    next_ref: AtomicU64,
}

impl AppState {
    pub(crate) fn new(policy: SessionPolicy) -> Self {
        let started = Instant::now();
        AppState {
            session: Mutex::new(Session::new(policy, Millis(0))),
            candidate: Mutex::new(None),
            patient: Mutex::new(None),
            started,
            next_ref: AtomicU64::new(1),
        }
    }

    /// Milliseconds since start on a monotonic clock: wall-clock changes cannot defeat the idle lock.
    pub(crate) fn now(&self) -> Millis {
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

    fn candidate_slot(&self) -> Result<MutexGuard<'_, Option<Identified>>, CommandError> {
        self.candidate
            .lock()
            .map_err(|_| CommandError::unexpected("candidate lock poisoned"))
    }

    /// The session as the UI sees it, after locking it if it has idled out.
    pub(crate) fn view(&self) -> Result<SessionView, CommandError> {
        let mut session = self.session()?;
        session.check_idle(self.now());
        Ok(session.view())
    }

    /// Offers `event` to the core session; returns the new view, or core's refusal.
    pub(crate) fn apply(&self, event: Event) -> Result<SessionView, CommandError> {
        // Locks are always taken in the order candidate, patient, session.
        let mut candidate = self.candidate_slot()?;
        let mut session = self.session()?;
        session.apply(event, self.now())?;
        if session.state() == State::Locked {
            // A patient half-identified when the app locks is forgotten: whoever unlocks scans again.
            *candidate = None;
        }
        Ok(session.view())
    }

    /// Records user activity; returns whether the session is unlocked.
    pub(crate) fn touch(&self) -> Result<(), CommandError> {
        self.session()?.touch(self.now());
        Ok(())
    }

    /// Locks the session if idle; returns the new view when this call locked it.
    pub(crate) fn lock_if_idle(&self) -> Result<Option<SessionView>, CommandError> {
        let mut candidate = self.candidate_slot()?;
        let mut session = self.session()?;
        let locked = session.check_idle(self.now());
        if locked {
            *candidate = None;
        }
        Ok(locked.then(|| session.view()))
    }

    /// Refuses with `session.locked` while locked (for commands that change no session state).
    pub(crate) fn check_unlocked(&self) -> Result<(), CommandError> {
        if self.view()?.state == State::Locked {
            return Err(SessionError::Locked.into());
        }
        Ok(())
    }

    /// Refuses, as core would, to identify a patient while locked or while another is in session;
    /// asked before a band is looked up so nothing is sent for a patient who cannot be confirmed.
    pub(crate) fn check_new_patient(&self) -> Result<(), CommandError> {
        let mut session = self.session()?;
        session.check_idle(self.now());
        session.check_new_patient()?;
        Ok(())
    }

    /// Holds `identified` for the confirmation screen (replacing any earlier one) and returns what
    /// the screen shows. Refused while locked or while another patient is in session.
    pub(crate) fn set_candidate(
        &self,
        identified: Identified,
    ) -> Result<PatientSummary, CommandError> {
        let mut slot = self.candidate_slot()?;
        self.check_new_patient()?;
        let summary = PatientSummary::from(&identified);
        *slot = Some(identified);
        Ok(summary)
    }

    /// The patient awaiting confirmation, or `None` (always `None` while locked).
    pub(crate) fn candidate(&self) -> Result<Option<PatientSummary>, CommandError> {
        let mut slot = self.candidate_slot()?;
        if self.view()?.state == State::Locked {
            *slot = None;
        }
        Ok(slot.as_ref().map(PatientSummary::from))
    }

    /// Drops the patient awaiting confirmation ("scan again").
    pub(crate) fn discard_candidate(&self) -> Result<(), CommandError> {
        *self.candidate_slot()? = None;
        Ok(())
    }

    /// Confirms the patient awaiting confirmation as the session's patient. Refused when there is
    /// none, when the record blocks it (mismatch, ambiguous), and by core (locked, another patient).
    pub(crate) fn confirm_candidate(&self) -> Result<SessionView, CommandError> {
        let mut candidate = self.candidate_slot()?;
        let mut slot = self.patient_slot()?;
        let mut session = self.session()?;
        let identified = candidate.as_ref().ok_or(SessionError::NoPatient)?;
        if let Verification::Blocked { reason, .. } = &identified.verification {
            return Err((*reason).into());
        }
        let reference = PatientRef(self.next_ref.fetch_add(1, Ordering::Relaxed));
        session.apply(Event::ConfirmPatient(reference), self.now())?;
        *slot = candidate.take().map(|identified| ConfirmedPatient {
            reference,
            identified,
        });
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

    /// What the vault seals with each photo of this patient: the identifiers, and the digest of the
    /// consent in force, so the record system can tell which consent covers the photo.
    pub(crate) fn photo_fields(&self) -> Result<PatientFields, CommandError> {
        let slot = self.patient_slot()?;
        let session = self.session()?;
        let patient = slot
            .as_ref()
            .filter(|p| session.patient() == Some(p.reference))
            .ok_or(SessionError::NoPatient)?;
        let digest = session
            .consent_digest()
            .ok_or(SessionError::ConsentRequired)?;
        let band = &patient.identified.band;
        Ok(PatientFields {
            nhs_number: band.nhs_number.as_ref().map(|n| n.digits()),
            family_name: band.family_name.clone(),
            given_names: band.given_name.clone(),
            date_of_birth: band.date_of_birth.as_ref().map(|d| d.iso()),
            note: Some(format!(
                "consent-sha256:{}; record:{}",
                digest.hex(),
                if patient.identified.verification.is_verified() {
                    "verified"
                } else {
                    "not verified"
                }
            )),
        })
    }

    /// Offers a sealed photo to the session for the confirmed patient; core refuses it unless the
    /// camera is open and the consent covers `intended_use`.
    pub(crate) fn photo_taken(
        &self,
        id: PhotoRef,
        intended_use: Purpose,
    ) -> Result<SessionView, CommandError> {
        let mut session = self.session()?;
        let patient = session.patient().ok_or(SessionError::NoPatient)?;
        session.apply(
            Event::PhotoTaken(Photo {
                id,
                patient,
                intended_use,
            }),
            self.now(),
        )?;
        Ok(session.view())
    }

    /// The confirmed patient for display, or `None` when there is none or the app is locked.
    pub(crate) fn current_patient(&self) -> Result<Option<PatientSummary>, CommandError> {
        let slot = self.patient_slot()?;
        let mut session = self.session()?;
        session.check_idle(self.now());
        if session.state() == State::Locked {
            return Ok(None);
        }
        Ok(slot
            .as_ref()
            .filter(|p| session.patient() == Some(p.reference))
            .map(|p| PatientSummary::from(&p.identified)))
    }
}

/// The confirmed patient as a consent record names them.
impl AppState {
    /// The session's patient reference and the patient as the consent record names them: the
    /// band's name, else the record's. Refused while locked or with no confirmed patient; core
    /// refuses a patient with no name ([`ConsentError::NoPatientName`]).
    ///
    /// [`ConsentError::NoPatientName`]: wardcam_core::consent::ConsentError::NoPatientName
    pub(crate) fn consent_patient(&self) -> Result<(PatientRef, ConsentPatient), CommandError> {
        let slot = self.patient_slot()?;
        let mut session = self.session()?;
        session.check_idle(self.now());
        if session.state() == State::Locked {
            return Err(SessionError::Locked.into());
        }
        let confirmed = slot
            .as_ref()
            .filter(|p| session.patient() == Some(p.reference))
            .ok_or(SessionError::NoPatient)?;
        let band = &confirmed.identified.band;
        let record = confirmed.identified.verification.record();
        let family = band
            .family_name
            .clone()
            .or_else(|| record.and_then(|r| r.family_name.clone()))
            .unwrap_or_default();
        let given = band
            .given_name
            .clone()
            .or_else(|| record.map(|r| r.given_names.join(" ")))
            .unwrap_or_default();
        let birth = band
            .date_of_birth
            .or_else(|| record.and_then(|r| r.birth_date));
        let patient =
            ConsentPatient::new(band, &family, &given, birth).map_err(wardcam_core::Error::from)?;
        Ok((confirmed.reference, patient))
    }

    /// Applies `event` and, if it ended the patient's session (a decline handed back), forgets
    /// the patient's identifiers too.
    pub(crate) fn apply_forgetting_ended(&self, event: Event) -> Result<SessionView, CommandError> {
        let mut slot = self.patient_slot()?;
        let mut session = self.session()?;
        session.apply(event, self.now())?;
        if session.patient().is_none() {
            *slot = None;
        }
        Ok(session.view())
    }

    /// Withdraws the consent and takes the photos core says must be crypto-shredded, under one
    /// lock so no photo can slip between the two.
    pub(crate) fn withdraw_consent(&self) -> Result<(SessionView, Vec<PhotoRef>), CommandError> {
        let mut session = self.session()?;
        session.apply(Event::WithdrawConsent, self.now())?;
        let photos = session.take_photos_to_shred();
        Ok((session.view(), photos))
    }

    /// The consent in force for the current patient, if any (none while locked).
    pub(crate) fn consent_in_force(&self) -> Result<Option<Consent>, CommandError> {
        let mut session = self.session()?;
        session.check_idle(self.now());
        if session.state() == State::Locked {
            return Ok(None);
        }
        Ok(session.consent().copied())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wardcam_core::patient::{NhsNumber, PatientError};
    use wardcam_core::session::{LockReason, UnlockMethod};

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

    fn typed(s: &str) -> Identified {
        Identified {
            band: WristbandData::manual_entry(NhsNumber::parse(s).unwrap()),
            verification: Verification::not_configured(),
        }
    }

    fn code(err: CommandError) -> String {
        serde_json::to_value(&err).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn patient_is_hidden_while_locked_and_shown_after_unlock() {
        let state = unlocked();
        state.set_candidate(typed("9434765919")).unwrap();
        state.confirm_candidate().unwrap();
        let shown = state.current_patient().unwrap().unwrap();
        assert_eq!(shown.nhs_number.as_deref(), Some("943 476 5919"));
        assert_eq!(shown.source, PatientSource::ManualEntry);
        assert_eq!(shown.status, VerificationStatus::NotVerified);
        state.apply(Event::Lock(LockReason::User)).unwrap();
        assert_eq!(state.current_patient().unwrap(), None);
        state
            .apply(Event::Unlock(UnlockMethod::Development))
            .unwrap();
        assert!(state.current_patient().unwrap().is_some());
    }

    #[test]
    fn locking_forgets_a_patient_awaiting_confirmation() {
        let state = unlocked();
        state.set_candidate(typed("9434765919")).unwrap();
        assert!(state.candidate().unwrap().is_some());
        state.apply(Event::Lock(LockReason::Idle)).unwrap();
        state
            .apply(Event::Unlock(UnlockMethod::Development))
            .unwrap();
        assert_eq!(state.candidate().unwrap(), None);
        assert_eq!(
            code(state.confirm_candidate().unwrap_err()),
            "session.no_patient"
        );
    }

    #[test]
    fn second_patient_is_refused_and_first_kept() {
        let state = unlocked();
        state.set_candidate(typed("9434765919")).unwrap();
        state.confirm_candidate().unwrap();
        let err = state.set_candidate(typed("4010232137")).unwrap_err();
        assert_eq!(code(err), "session.patient_in_session");
        assert_eq!(
            state
                .current_patient()
                .unwrap()
                .unwrap()
                .nhs_number
                .as_deref(),
            Some("943 476 5919")
        );
        let view = state.end_patient().unwrap();
        assert_eq!(view.state, State::Unlocked);
        assert_eq!(state.current_patient().unwrap(), None);
    }

    #[test]
    fn a_blocked_patient_cannot_be_confirmed() {
        let state = unlocked();
        let mut blocked = typed("9990000018");
        blocked.verification = Verification::from_outcome(Err(PatientError::RecordAmbiguous));
        let summary = state.set_candidate(blocked).unwrap();
        assert_eq!(summary.status, VerificationStatus::Blocked);
        assert_eq!(
            code(state.confirm_candidate().unwrap_err()),
            "patient.record_ambiguous"
        );
        assert_eq!(state.view().unwrap().state, State::Unlocked);
        assert_eq!(state.current_patient().unwrap(), None);
    }

    #[test]
    fn patient_cannot_be_identified_while_locked() {
        let state = AppState::new(SessionPolicy::default());
        let err = state.set_candidate(typed("9434765919")).unwrap_err();
        assert_eq!(code(err), "session.locked");
        assert_eq!(state.candidate().unwrap(), None);
        assert_eq!(state.current_patient().unwrap(), None);
    }
}
