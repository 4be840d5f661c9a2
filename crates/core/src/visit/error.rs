//! Why the visit refused an action, in words a clinician can act on.

/// A visit operation refused or failed. Nothing of the visit changed when one is returned, except
/// where a variant says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VisitError {
    /// The vault is not open yet (the keystore can be slow to answer at start).
    #[error("WardCam is still opening its secure storage. Try again in a few seconds.")]
    VaultOpening,
    /// A photo that is not (or no longer) on this phone.
    #[error(
        "That photo is no longer on this phone (sent, deleted or withdrawn). Refresh the list."
    )]
    UnknownPhoto,
    /// A queued photo was to be relabelled or deleted.
    #[error("This photo is already in the outbox, so its label cannot change. Withdraw it or let it send.")]
    PhotoQueued,
    /// The patient changed (or consent was withdrawn) while a photo was being processed.
    #[error("The patient or their consent changed while this photo was being saved, so it was not kept. Take it again.")]
    PatientChanged,
    /// Not enough storage for another photo.
    #[error("Phone storage is full: send or delete photos first.")]
    StorageFull,
    /// Handing the phone to the patient with no way for the clinician to take it back.
    #[error(
        "No clinician PIN is set on this device. Set one before handing the phone to a patient."
    )]
    PinNotSet,
    /// Changing the clinician PIN without giving the current one.
    #[error("Enter the current PIN to change it.")]
    OldPinRequired,
    /// A sealed manifest or visit record that does not read.
    #[error("A stored photo record could not be read ({detail}). Nothing was deleted; tell IT.")]
    ManifestInvalid {
        /// What did not read (no patient data).
        detail: &'static str,
    },
    /// A manifest written by a newer WardCam.
    #[error("A stored photo record is from a newer version of WardCam ({version}). Update the app; nothing was deleted.")]
    ManifestVersion {
        /// The version found.
        version: u32,
    },
    /// Only a held photo (a later record check blocked its patient) may be discarded this way.
    #[error("This photo is not held, so it cannot be discarded from here. Withdraw consent for it, or let it send.")]
    NotHeld,
    /// The held photos belong to the visit open now: the visit must end first.
    #[error("The record check blocked the patient open now. Stop taking photos, end this patient's visit, then discard the held photos from the Outbox.")]
    HeldInOpenVisit,
    /// Redacting a photo whose sending has begun: the server may already hold it as it was.
    #[error("This photo is already being sent (or was), so it can no longer be redacted. If it must not reach the record, withdraw consent for it and tell IT.")]
    PhotoSending,
    /// Sending again a photo that is not held by delivery (a held patient is discarded instead).
    #[error("This photo is not stopped by the hospital server, so there is nothing to send again. Refresh the Outbox.")]
    NotHeldByServer,
    /// The system's random source failed.
    #[error(
        "WardCam could not make a new identifier (the system's random source failed). Try again."
    )]
    Random,
}

impl VisitError {
    /// A stable, dotted machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            VisitError::VaultOpening => "vault.opening",
            VisitError::UnknownPhoto => "visit.unknown_photo",
            VisitError::PhotoQueued => "visit.photo_queued",
            VisitError::PatientChanged => "visit.patient_changed",
            VisitError::StorageFull => "visit.storage_full",
            VisitError::PinNotSet => "auth.pin_not_set",
            VisitError::OldPinRequired => "auth.old_pin_required",
            VisitError::ManifestInvalid { .. } => "visit.manifest_invalid",
            VisitError::ManifestVersion { .. } => "visit.manifest_version",
            VisitError::Random => "visit.random",
            VisitError::NotHeld => "visit.not_held",
            VisitError::HeldInOpenVisit => "visit.held_in_open_visit",
            VisitError::PhotoSending => "visit.photo_sending",
            VisitError::NotHeldByServer => "visit.not_held_by_server",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "vault.opening",
        "visit.unknown_photo",
        "visit.photo_queued",
        "visit.patient_changed",
        "visit.storage_full",
        "auth.pin_not_set",
        "auth.old_pin_required",
        "visit.manifest_invalid",
        "visit.manifest_version",
        "visit.random",
        "visit.not_held",
        "visit.held_in_open_visit",
        "visit.photo_sending",
        "visit.not_held_by_server",
    ];
}
