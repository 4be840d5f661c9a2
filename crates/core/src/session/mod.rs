//! The clinical flow's spine: one [`Session`] per phone, moving through
//! Locked → Unlocked → PatientConfirmed → Consented → Capturing → Reviewing → Queued.
//!
//! The session is the single authority on what a clinician may do next. The UI shows only the
//! screens [`Session::view`] lists, but hiding buttons is not the safeguard: every action goes
//! through [`Session::apply`], which refuses anything out of order with a [`SessionError`] and
//! leaves the session unchanged when it does.
//!
//! Promises kept here:
//! - no photo is accepted before consent is recorded for the confirmed patient, and only for a
//!   use that consent covers;
//! - a photo of any other patient is refused, so photos cannot straddle two patients;
//! - a second patient cannot be started while the first has photos not yet queued (nothing lost);
//! - idle time or backgrounding locks the session from any state, and unlocking resumes it;
//! - while the passcode gate ([`crate::device`]) says the phone's lock screen is not good enough,
//!   the session is locked and nothing unlocks it;
//! - while the phone is with the patient (kiosk mode) only the consent screen is reachable and
//!   only consent, decline, lock and a re-authenticated hand-back are accepted;
//! - a decline ends the patient's session (at hand-back in kiosk mode); a withdrawal removes the
//!   consent and hands every photo of the visit to the app to crypto-shred.
//!
//! It does not hold patient identifiers: a patient is an opaque [`PatientRef`] issued by the shell,
//! so the session (and anything that logs it) carries no NHS number or name.

mod digest;
mod error;
mod model;
#[cfg(test)]
mod tests;

use crate::device::PasscodeStatus;
pub use digest::ConsentDigest;
pub use error::SessionError;
pub use model::{
    Consent, ConsentRef, Event, LockReason, Millis, PatientRef, Photo, PhotoRef, Purpose, Purposes,
    Screen, SessionPolicy, SessionView, State, UnlockMethod,
};

/// A visit rebuilt from the vault, for [`Session::resume_visit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumedVisit {
    /// The visit's patient.
    pub patient: PatientRef,
    /// The consent in force, if one was recorded and not withdrawn.
    pub consent: Option<Consent>,
    /// Photos taken and not yet queued, oldest first.
    pub pending: Vec<Photo>,
    /// Photos of this visit in the outbox.
    pub queued: Vec<PhotoRef>,
}

/// What the session knows about the patient being photographed. Present from patient
/// confirmation until the session for that patient ends.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Visit {
    patient: PatientRef,
    consent: Option<Consent>,
    /// Photos taken but not yet queued for upload, in the order taken.
    pending: Vec<Photo>,
    /// Photos handed to the outbox during this visit.
    queued: Vec<PhotoRef>,
    /// The patient declined in kiosk mode; the visit ends at hand-back.
    declined: bool,
}

/// The state machine for one phone's clinical flow. See the module documentation.
#[derive(Debug, Clone)]
pub struct Session {
    policy: SessionPolicy,
    /// The stage the clinician is at; while locked, the stage unlocking returns to.
    stage: State,
    visit: Option<Visit>,
    /// `Some` while locked, with why.
    locked: Option<LockReason>,
    /// The phone is with the patient.
    kiosk: bool,
    /// Photos of withdrawn consents, until the app takes them to crypto-shred.
    to_shred: Vec<PhotoRef>,
    last_activity: Millis,
    /// The platform's last lock-screen report and the gate's decision; `None` until one arrives.
    /// The shell reports before it serves any command (`Ward::report_lock_screen`), so `None` is
    /// seen only by tests and tools, which have no lock screen to judge.
    passcode: Option<PasscodeStatus>,
}

impl Session {
    /// A new session, locked, as the app starts.
    pub fn new(policy: SessionPolicy, now: Millis) -> Self {
        Session {
            policy,
            stage: State::Unlocked,
            visit: None,
            locked: Some(LockReason::Start),
            kiosk: false,
            to_shred: Vec::new(),
            last_activity: now,
            passcode: None,
        }
    }

    /// Puts back a visit the app was in when it stopped (crash, kill, restart), as rebuilt from the
    /// vault: the patient, the consent in force (if any), the photos not yet queued and those
    /// queued. The lock is left as it is, so the clinician still has to unlock to see it. Refused
    /// with [`SessionError::PatientInSession`] if a visit is already open.
    pub fn resume_visit(&mut self, visit: ResumedVisit) -> Result<(), SessionError> {
        if self.visit.is_some() {
            return Err(SessionError::PatientInSession);
        }
        if visit.consent.is_some_and(|c| c.patient != visit.patient)
            || visit.pending.iter().any(|p| p.patient != visit.patient)
        {
            return Err(SessionError::WrongPatient);
        }
        self.stage = match (&visit.consent, visit.pending.is_empty()) {
            (None, _) => State::PatientConfirmed,
            (Some(_), true) => State::Consented,
            (Some(_), false) => State::Reviewing,
        };
        self.visit = Some(Visit {
            patient: visit.patient,
            consent: visit.consent,
            pending: visit.pending,
            queued: visit.queued,
            declined: false,
        });
        Ok(())
    }

    /// The policy this session enforces.
    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    /// The current state; [`State::Locked`] while locked, whatever stage lies beneath.
    pub fn state(&self) -> State {
        if self.locked.is_some() {
            State::Locked
        } else {
            self.stage
        }
    }

    /// The patient this session is fixed to, if one has been confirmed.
    pub fn patient(&self) -> Option<PatientRef> {
        self.visit.as_ref().map(|v| v.patient)
    }

    /// Whether a patient not yet in session could be confirmed now: the check
    /// [`Event::ConfirmPatient`] makes, without changing anything. The shell asks before it looks a
    /// wristband up, so no identifier is read or sent while locked or while another patient is open.
    pub fn check_new_patient(&self) -> Result<(), SessionError> {
        if self.locked.is_some() {
            return Err(SessionError::Locked);
        }
        if self.visit.is_some() {
            return Err(SessionError::PatientInSession);
        }
        Ok(())
    }

    /// The consent recorded for the current patient, if any.
    pub fn consent(&self) -> Option<&Consent> {
        self.visit.as_ref().and_then(|v| v.consent.as_ref())
    }

    /// The digest of the consent in force, to bind into each photo taken now.
    pub fn consent_digest(&self) -> Option<ConsentDigest> {
        self.consent().map(|c| c.digest)
    }

    /// Whether the phone is with the patient (kiosk mode).
    pub fn kiosk(&self) -> bool {
        self.kiosk
    }

    /// Every photo of this patient's session: pending ones in the order taken, then queued ones.
    pub fn photos(&self) -> Vec<PhotoRef> {
        self.visit.as_ref().map_or_else(Vec::new, |v| {
            v.pending
                .iter()
                .map(|p| p.id)
                .chain(v.queued.iter().copied())
                .collect()
        })
    }

    /// Takes the photos whose consent was withdrawn ([`Event::WithdrawConsent`]). **The app must
    /// crypto-shred each one** that has not been uploaded (and send the withdrawal to the record
    /// system for those that have), then record the withdrawal. Empty until a withdrawal.
    pub fn take_photos_to_shred(&mut self) -> Vec<PhotoRef> {
        std::mem::take(&mut self.to_shred)
    }

    /// Photos taken and not yet queued, in the order taken.
    pub fn pending_photos(&self) -> &[Photo] {
        self.visit.as_ref().map_or(&[], |v| v.pending.as_slice())
    }

    /// Takes the passcode gate's decision on the platform's latest lock-screen report. One that
    /// blocks locks the session at once (from any state, keeping the stage as any lock does), and
    /// while it blocks nothing unlocks it: [`SessionError::PasscodeRequired`]. The lock is recorded
    /// as [`LockReason::Background`]: a passcode can only be removed in the phone's Settings, with
    /// WardCam in the background.
    pub fn report_passcode(&mut self, status: PasscodeStatus) {
        if !status.allows_unlock() {
            self.locked.get_or_insert(LockReason::Background);
        }
        self.passcode = Some(status);
    }

    /// The passcode gate's latest decision, if the platform has reported.
    pub fn passcode(&self) -> Option<PasscodeStatus> {
        self.passcode
    }

    /// Records user activity (a tap, a scroll) that is not itself an event, postponing the idle lock.
    /// Activity while locked does not count: only unlocking does.
    pub fn touch(&mut self, now: Millis) {
        if !self.check_idle(now) && self.locked.is_none() {
            self.last_activity = now;
        }
    }

    /// Locks the session if it has been idle for the policy's timeout. Returns whether it is now
    /// locked because of this call. The shell calls this on a timer; [`Session::apply`] calls it too,
    /// so a late event after the timeout is refused even if the timer has not fired.
    pub fn check_idle(&mut self, now: Millis) -> bool {
        if self.locked.is_none()
            && now.0.saturating_sub(self.last_activity.0) >= self.policy.idle_timeout_ms
        {
            self.locked = Some(LockReason::Idle);
            return true;
        }
        false
    }

    /// Applies one event at time `now`. On error the session is left exactly as it was (beyond an
    /// idle lock that was already due).
    pub fn apply(&mut self, event: Event, now: Millis) -> Result<(), SessionError> {
        self.check_idle(now);
        let counts_as_activity = !matches!(event, Event::Lock(_));
        self.transition(event)?;
        if counts_as_activity {
            self.last_activity = now;
        }
        Ok(())
    }

    /// What the UI needs to draw: the state, which screens are reachable, and what is pending.
    pub fn view(&self) -> SessionView {
        let state = self.state();
        let pending = self.pending_photos().len();
        SessionView {
            state,
            lock_reason: self.locked,
            patient: self.patient(),
            consented_purposes: self.consent().map(|c| c.purposes),
            pending_photos: pending,
            queued_photos: self.visit.as_ref().map_or(0, |v| v.queued.len()),
            screens: Screen::reachable(state, pending, self.kiosk),
            home: Screen::home(state, self.kiosk),
            idle_timeout_ms: self.policy.idle_timeout_ms,
            kiosk: self.kiosk,
            consent_declined: self.visit.as_ref().is_some_and(|v| v.declined),
        }
    }

    fn transition(&mut self, event: Event) -> Result<(), SessionError> {
        if let Event::Lock(reason) = event {
            // Locking is always allowed and keeps the stage, so unlocking resumes where the
            // clinician was. A second lock keeps the first reason: it is what the user was told.
            self.locked.get_or_insert(reason);
            return Ok(());
        }
        if self.locked.is_some() {
            return match event {
                Event::Unlock(method) => {
                    self.check_unlock_method(method)?;
                    self.locked = None;
                    // Unlocking is a clinician re-authentication, so it also ends kiosk mode.
                    self.leave_kiosk();
                    Ok(())
                }
                _ => Err(SessionError::Locked),
            };
        }
        if self.kiosk {
            return match event {
                Event::RecordConsent(consent) => self.record_consent(consent),
                Event::DeclineConsent => self.decline_consent(),
                Event::HandBack(method) => {
                    self.check_unlock_method(method)?;
                    self.leave_kiosk();
                    Ok(())
                }
                _ => Err(SessionError::KioskActive),
            };
        }
        match event {
            Event::Lock(_) => Ok(()), // handled above; kept for an exhaustive match
            Event::Unlock(_) => Err(SessionError::AlreadyUnlocked),
            Event::ConfirmPatient(patient) => self.confirm_patient(patient),
            Event::EndPatient => self.end_patient(),
            Event::RecordConsent(consent) => self.record_consent(consent),
            Event::StartCapture => self.start_capture(),
            Event::PhotoTaken(photo) => self.photo_taken(photo),
            Event::DiscardPhoto(photo) => self.discard_photo(photo),
            Event::Review => self.review(),
            Event::Queue => self.queue(),
            Event::DeclineConsent => self.decline_consent(),
            Event::HandToPatient => self.hand_to_patient(),
            Event::HandBack(_) => Err(SessionError::NotInKiosk),
            Event::WithdrawConsent => self.withdraw_consent(),
        }
    }

    fn check_unlock_method(&self, method: UnlockMethod) -> Result<(), SessionError> {
        if self.passcode.is_some_and(|p| !p.allows_unlock()) {
            return Err(SessionError::PasscodeRequired);
        }
        if method == UnlockMethod::Development && !self.policy.allow_development_unlock {
            return Err(SessionError::DevelopmentUnlockRefused);
        }
        Ok(())
    }

    /// Ends kiosk mode; a decline made in it ends the patient's session now.
    fn leave_kiosk(&mut self) {
        if !std::mem::take(&mut self.kiosk) {
            return;
        }
        if self.visit.as_ref().is_some_and(|v| v.declined) {
            self.visit = None;
            self.stage = State::Unlocked;
        }
    }

    fn hand_to_patient(&mut self) -> Result<(), SessionError> {
        let visit = self.visit.as_ref().ok_or(SessionError::NoPatient)?;
        if visit.consent.is_some() {
            return Err(SessionError::ConsentAlreadyRecorded);
        }
        self.kiosk = true;
        Ok(())
    }

    fn decline_consent(&mut self) -> Result<(), SessionError> {
        let kiosk = self.kiosk;
        let visit = self.visit_mut()?;
        if visit.consent.is_some() {
            return Err(SessionError::ConsentAlreadyRecorded);
        }
        if visit.declined {
            return Err(SessionError::ConsentDeclined);
        }
        if kiosk {
            // The patient holds the phone: keep the consent screen ("please hand the phone
            // back") until the clinician takes it back.
            visit.declined = true;
        } else {
            self.visit = None;
            self.stage = State::Unlocked;
        }
        Ok(())
    }

    fn withdraw_consent(&mut self) -> Result<(), SessionError> {
        let visit = self.visit_mut()?;
        if visit.consent.take().is_none() {
            return Err(SessionError::NoConsentToWithdraw);
        }
        let photos: Vec<PhotoRef> = visit
            .pending
            .drain(..)
            .map(|p| p.id)
            .chain(visit.queued.drain(..))
            .collect();
        self.to_shred.extend(photos);
        self.stage = State::PatientConfirmed;
        Ok(())
    }

    fn visit_mut(&mut self) -> Result<&mut Visit, SessionError> {
        self.visit.as_mut().ok_or(SessionError::NoPatient)
    }

    fn confirm_patient(&mut self, patient: PatientRef) -> Result<(), SessionError> {
        match &self.visit {
            None => {
                self.visit = Some(Visit {
                    patient,
                    consent: None,
                    pending: Vec::new(),
                    queued: Vec::new(),
                    declined: false,
                });
                self.stage = State::PatientConfirmed;
                Ok(())
            }
            // Confirming the same patient twice (a double tap) changes nothing.
            Some(v) if v.patient == patient => Ok(()),
            Some(_) => Err(SessionError::PatientInSession),
        }
    }

    fn end_patient(&mut self) -> Result<(), SessionError> {
        let visit = self.visit.as_ref().ok_or(SessionError::NoPatient)?;
        if !visit.pending.is_empty() {
            return Err(SessionError::PhotosNotQueued {
                count: visit.pending.len(),
            });
        }
        self.visit = None;
        self.stage = State::Unlocked;
        Ok(())
    }

    fn record_consent(&mut self, consent: Consent) -> Result<(), SessionError> {
        let visit = self.visit_mut()?;
        if consent.patient != visit.patient {
            return Err(SessionError::WrongPatient);
        }
        if visit.consent.is_some() {
            return Err(SessionError::ConsentAlreadyRecorded);
        }
        if visit.declined {
            return Err(SessionError::ConsentDeclined);
        }
        if consent.purposes.is_empty() {
            return Err(SessionError::NoPurpose);
        }
        visit.consent = Some(consent);
        self.stage = State::Consented;
        Ok(())
    }

    fn start_capture(&mut self) -> Result<(), SessionError> {
        let visit = self.visit_mut()?;
        if visit.consent.is_none() {
            return Err(SessionError::ConsentRequired);
        }
        self.stage = State::Capturing;
        Ok(())
    }

    fn photo_taken(&mut self, photo: Photo) -> Result<(), SessionError> {
        let stage = self.stage;
        let visit = self.visit_mut()?;
        if photo.patient != visit.patient {
            return Err(SessionError::WrongPatient);
        }
        let consent = visit
            .consent
            .as_ref()
            .ok_or(SessionError::ConsentRequired)?;
        if !consent.purposes.contains(photo.intended_use) {
            return Err(SessionError::PurposeNotCovered {
                purpose: photo.intended_use,
            });
        }
        if stage != State::Capturing {
            return Err(SessionError::NotCapturing);
        }
        if visit.pending.iter().any(|p| p.id == photo.id) || visit.queued.contains(&photo.id) {
            return Err(SessionError::DuplicatePhoto);
        }
        visit.pending.push(photo);
        Ok(())
    }

    fn discard_photo(&mut self, id: PhotoRef) -> Result<(), SessionError> {
        let stage = self.stage;
        let visit = self.visit_mut()?;
        let index = visit
            .pending
            .iter()
            .position(|p| p.id == id)
            .ok_or(SessionError::UnknownPhoto)?;
        visit.pending.remove(index);
        if stage == State::Reviewing && visit.pending.is_empty() {
            // Nothing left to review: back to the camera rather than an empty review screen.
            self.stage = State::Capturing;
        }
        Ok(())
    }

    fn review(&mut self) -> Result<(), SessionError> {
        let stage = self.stage;
        let visit = self.visit_mut()?;
        if visit.consent.is_none() {
            return Err(SessionError::ConsentRequired);
        }
        if stage != State::Capturing && stage != State::Reviewing {
            return Err(SessionError::NotCapturing);
        }
        if visit.pending.is_empty() {
            return Err(SessionError::NoPhotos);
        }
        self.stage = State::Reviewing;
        Ok(())
    }

    fn queue(&mut self) -> Result<(), SessionError> {
        let stage = self.stage;
        let visit = self.visit_mut()?;
        if stage != State::Reviewing {
            return Err(if visit.pending.is_empty() {
                SessionError::NoPhotos
            } else {
                SessionError::NotReviewing
            });
        }
        visit.queued.extend(visit.pending.drain(..).map(|p| p.id));
        self.stage = State::Queued;
        Ok(())
    }
}
