//! Why the session refused an action, in words a clinician can act on.

use super::Purpose;

/// An action the clinical flow refused. The session is unchanged when one is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Every action but unlocking is refused while locked.
    #[error("WardCam is locked. Unlock it with the device passcode to continue.")]
    Locked,
    /// Unlock was asked for while already unlocked.
    #[error("WardCam is already unlocked.")]
    AlreadyUnlocked,
    /// The phone has no passcode that meets the policy (or cannot show that it has one), so
    /// WardCam stays locked.
    #[error("This phone has no screen lock passcode that WardCam accepts. Set one in the phone's Settings, then open WardCam again.")]
    PasscodeRequired,
    /// The development unlock was used in a build that does not allow it.
    #[error(
        "The development unlock is not available in this build. Unlock with the device passcode."
    )]
    DevelopmentUnlockRefused,
    /// The action needs a confirmed patient.
    #[error(
        "No patient is confirmed. Scan the patient's wristband or enter their NHS number first."
    )]
    NoPatient,
    /// Another patient was confirmed while one is in session.
    #[error("Another patient's session is open. End it before starting a new patient.")]
    PatientInSession,
    /// A consent or photo for a patient other than the confirmed one.
    #[error("This belongs to a different patient from the one confirmed, so it was not added. Check the wristband and start again.")]
    WrongPatient,
    /// Capture was asked for before consent was recorded.
    #[error(
        "Consent has not been recorded for this patient. Record consent before taking photos."
    )]
    ConsentRequired,
    /// Consent was recorded twice for the same session.
    #[error("Consent is already recorded for this patient.")]
    ConsentAlreadyRecorded,
    /// A consent covering no purpose at all.
    #[error("The consent covers no purpose. Choose at least one use the patient agrees to.")]
    NoPurpose,
    /// A photo intended for a use the consent does not cover.
    #[error("The patient's consent does not cover {}. Record consent for it or choose another use.", purpose.label())]
    PurposeNotCovered {
        /// The use the photo was intended for.
        purpose: Purpose,
    },
    /// A photo arrived while the camera is not open.
    #[error("The camera is not open. Open Capture to take photos.")]
    NotCapturing,
    /// The same photo was added twice.
    #[error("This photo is already in the session.")]
    DuplicatePhoto,
    /// Review or queueing was asked for with no photos.
    #[error("There are no photos to review yet. Take a photo first.")]
    NoPhotos,
    /// Queueing was asked for before review.
    #[error("Review the photos before sending them.")]
    NotReviewing,
    /// A photo that is not (or no longer) in this session.
    #[error("That photo is no longer in this session.")]
    UnknownPhoto,
    /// Ending a patient's session with photos not yet queued would lose them.
    #[error("{count} photo(s) have not been sent yet. Send or delete them before ending this patient's session.")]
    PhotosNotQueued {
        /// How many photos are pending.
        count: usize,
    },
    /// The phone is with the patient: only consent, decline and hand-back are possible.
    #[error("The phone is with the patient for consent. Take it back and unlock to continue.")]
    KioskActive,
    /// Hand-back was asked for while the phone is not with the patient.
    #[error("The phone is not in patient mode, so there is nothing to hand back.")]
    NotInKiosk,
    /// The patient declined; consent cannot be recorded in the same hand-over.
    #[error("The patient declined. Please hand the phone back to the clinician.")]
    ConsentDeclined,
    /// Withdrawal was asked for with no consent recorded.
    #[error("No consent is recorded for this patient, so there is nothing to withdraw.")]
    NoConsentToWithdraw,
}

impl SessionError {
    /// A stable, dotted machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::Locked => "session.locked",
            SessionError::AlreadyUnlocked => "session.already_unlocked",
            SessionError::PasscodeRequired => "session.passcode_required",
            SessionError::DevelopmentUnlockRefused => "session.development_unlock_refused",
            SessionError::NoPatient => "session.no_patient",
            SessionError::PatientInSession => "session.patient_in_session",
            SessionError::WrongPatient => "session.wrong_patient",
            SessionError::ConsentRequired => "session.consent_required",
            SessionError::ConsentAlreadyRecorded => "session.consent_already_recorded",
            SessionError::NoPurpose => "session.no_purpose",
            SessionError::PurposeNotCovered { .. } => "session.purpose_not_covered",
            SessionError::NotCapturing => "session.not_capturing",
            SessionError::DuplicatePhoto => "session.duplicate_photo",
            SessionError::NoPhotos => "session.no_photos",
            SessionError::NotReviewing => "session.not_reviewing",
            SessionError::UnknownPhoto => "session.unknown_photo",
            SessionError::PhotosNotQueued { .. } => "session.photos_not_queued",
            SessionError::KioskActive => "session.kiosk_active",
            SessionError::NotInKiosk => "session.not_in_kiosk",
            SessionError::ConsentDeclined => "session.consent_declined",
            SessionError::NoConsentToWithdraw => "session.no_consent_to_withdraw",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "session.locked",
        "session.already_unlocked",
        "session.passcode_required",
        "session.development_unlock_refused",
        "session.no_patient",
        "session.patient_in_session",
        "session.wrong_patient",
        "session.consent_required",
        "session.consent_already_recorded",
        "session.no_purpose",
        "session.purpose_not_covered",
        "session.not_capturing",
        "session.duplicate_photo",
        "session.no_photos",
        "session.not_reviewing",
        "session.unknown_photo",
        "session.photos_not_queued",
        "session.kiosk_active",
        "session.not_in_kiosk",
        "session.consent_declined",
        "session.no_consent_to_withdraw",
    ];
}
