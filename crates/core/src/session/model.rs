//! The session's vocabulary: states, events, references and the view given to the UI.

use serde::{Deserialize, Serialize};

use super::digest::ConsentDigest;

/// A reading of the caller's monotonic clock, in milliseconds. Only differences matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Millis(pub u64);

/// An opaque handle for a confirmed patient, issued by the shell. It carries no identifier, so the
/// session can be logged or inspected without revealing who the patient is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PatientRef(pub u64);

/// An opaque handle for a recorded consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConsentRef(pub u64);

/// An opaque handle for a photo held in the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PhotoRef(pub u64);

/// What a photo may be used for; consent is given per purpose (GMC guidance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The patient's own record and care.
    Care,
    /// A second opinion from clinicians within the trust.
    SecondOpinion,
    /// Teaching of clinicians and students.
    Teaching,
    /// Publication, for example in a journal.
    Publication,
}

impl Purpose {
    /// Every purpose, in the order the consent screen lists them.
    pub const ALL: [Purpose; 4] = [
        Purpose::Care,
        Purpose::SecondOpinion,
        Purpose::Teaching,
        Purpose::Publication,
    ];

    fn bit(self) -> u8 {
        match self {
            Purpose::Care => 1,
            Purpose::SecondOpinion => 2,
            Purpose::Teaching => 4,
            Purpose::Publication => 8,
        }
    }

    /// Plain words for messages shown to clinicians.
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Care => "the clinical record",
            Purpose::SecondOpinion => "a second opinion",
            Purpose::Teaching => "teaching",
            Purpose::Publication => "publication",
        }
    }
}

/// A set of [`Purpose`]s. Serialized as a list, such as `["care", "teaching"]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Vec<Purpose>", into = "Vec<Purpose>")]
pub struct Purposes(u8);

impl Purposes {
    /// The empty set.
    pub const NONE: Purposes = Purposes(0);

    /// Whether `purpose` is in the set.
    pub fn contains(self, purpose: Purpose) -> bool {
        self.0 & purpose.bit() != 0
    }

    /// The set with `purpose` added.
    #[must_use]
    pub fn with(self, purpose: Purpose) -> Purposes {
        Purposes(self.0 | purpose.bit())
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl FromIterator<Purpose> for Purposes {
    fn from_iter<I: IntoIterator<Item = Purpose>>(iter: I) -> Self {
        iter.into_iter().fold(Purposes::NONE, Purposes::with)
    }
}

impl From<Vec<Purpose>> for Purposes {
    fn from(list: Vec<Purpose>) -> Self {
        list.into_iter().collect()
    }
}

impl From<Purposes> for Vec<Purpose> {
    fn from(set: Purposes) -> Self {
        Purpose::ALL
            .into_iter()
            .filter(|p| set.contains(*p))
            .collect()
    }
}

/// A consent recorded for one patient, covering a set of purposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The vault item holding the full consent record.
    pub id: ConsentRef,
    /// Whose consent it is.
    pub patient: PatientRef,
    /// What the patient agreed to.
    pub purposes: Purposes,
    /// SHA-256 of the full consent record ([`crate::consent::ConsentRecord::sha256`]), bound
    /// into every photo taken under this consent.
    pub digest: ConsentDigest,
}

/// A photo as the session sees it: which patient it shows and what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// The vault item holding the sealed image.
    pub id: PhotoRef,
    /// The patient the capture was made for.
    pub patient: PatientRef,
    /// The use the clinician intends; consent must cover it.
    pub intended_use: Purpose,
}

/// How the clinician unlocked the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlockMethod {
    /// The phone's passcode or biometrics, checked by the platform.
    DeviceCredential,
    /// A button for development builds on desktop only; refused unless
    /// [`SessionPolicy::allow_development_unlock`] is set.
    Development,
    /// The clinician's PIN on desktop, until a platform app lock exists. The shell applies it
    /// only after [`crate::auth::PinLimiter::attempt`] accepted the PIN.
    ClinicianPin,
}

/// Why the session is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// The app has just started.
    Start,
    /// The clinician pressed Lock.
    User,
    /// No activity for the policy's idle timeout.
    Idle,
    /// The app went to the background.
    Background,
}

/// Something that happened, offered to [`crate::session::Session::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The clinician proved who they are.
    Unlock(UnlockMethod),
    /// Lock now; allowed from any state.
    Lock(LockReason),
    /// The clinician confirmed which patient is being photographed.
    ConfirmPatient(PatientRef),
    /// The patient's session is over; the next patient can be started.
    EndPatient,
    /// Consent was recorded.
    RecordConsent(Consent),
    /// The patient declined consent: no photo can be taken. Outside kiosk mode the patient's
    /// session ends at once; in kiosk mode it ends when the phone is handed back.
    DeclineConsent,
    /// The clinician hands the phone to the patient to read and sign: kiosk mode, where only the
    /// consent screen is reachable until the clinician re-authenticates.
    HandToPatient,
    /// The clinician took the phone back and re-authenticated, leaving kiosk mode.
    HandBack(UnlockMethod),
    /// The patient withdrew consent before upload: the session returns to the confirmed patient
    /// without consent, and its photos are listed by
    /// [`crate::session::Session::take_photos_to_shred`] for the app to crypto-shred.
    WithdrawConsent,
    /// The clinician opened the camera.
    StartCapture,
    /// A photo was taken and sealed.
    PhotoTaken(Photo),
    /// A photo was deleted (crypto-shredded) before queueing.
    DiscardPhoto(PhotoRef),
    /// The clinician moved from the camera to reviewing the photos.
    Review,
    /// The reviewed photos were handed to the outbox for upload.
    Queue,
}

/// A state of the clinical flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Nothing can be seen or done until the clinician unlocks.
    Locked,
    /// Unlocked, no patient yet.
    Unlocked,
    /// A patient is confirmed; consent is next.
    PatientConfirmed,
    /// Consent is recorded; photos may be taken for the purposes it covers.
    Consented,
    /// The camera is open.
    Capturing,
    /// The clinician is reviewing photos before queueing them.
    Reviewing,
    /// The photos are in the outbox; more may be taken under the same consent.
    Queued,
}

/// A screen of the app. The UI shows only those in [`SessionView::screens`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Screen {
    /// Unlock with the device credential.
    Lock,
    /// Identify and confirm the patient.
    Patient,
    /// Record the patient's consent.
    Consent,
    /// Take photos.
    Capture,
    /// Review, label and redact photos.
    Review,
    /// Photos waiting for or in upload.
    Outbox,
    /// Provisioning and device health.
    Device,
}

impl Screen {
    /// The screens reachable in `state` with `pending` photos not yet queued, in or out of kiosk
    /// mode. In kiosk mode (and unlocked) only the consent screen is reachable.
    pub fn reachable(state: State, pending: usize, kiosk: bool) -> Vec<Screen> {
        use Screen::*;
        match state {
            State::Locked => vec![Lock],
            _ if kiosk => vec![Consent],
            State::Unlocked => vec![Patient, Outbox, Device],
            State::PatientConfirmed => vec![Patient, Consent, Outbox, Device],
            State::Consented | State::Queued => vec![Patient, Consent, Capture, Outbox, Device],
            State::Capturing if pending == 0 => vec![Patient, Consent, Capture, Outbox, Device],
            State::Capturing | State::Reviewing => {
                vec![Patient, Consent, Capture, Review, Outbox, Device]
            }
        }
    }

    /// The screen to show on entering `state`, in or out of kiosk mode.
    pub fn home(state: State, kiosk: bool) -> Screen {
        match state {
            State::Locked => Screen::Lock,
            _ if kiosk => Screen::Consent,
            State::Unlocked => Screen::Patient,
            State::PatientConfirmed => Screen::Consent,
            State::Consented | State::Capturing => Screen::Capture,
            State::Reviewing => Screen::Review,
            State::Queued => Screen::Outbox,
        }
    }
}

/// Settings the session enforces; provisioning sets them on managed phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// Lock after this long without activity.
    pub idle_timeout_ms: u64,
    /// Whether [`UnlockMethod::Development`] is honoured. The shell sets this only in debug builds.
    pub allow_development_unlock: bool,
}

impl Default for SessionPolicy {
    /// Two minutes idle, as NHS mobile guidance suggests for clinical apps; no development unlock.
    fn default() -> Self {
        SessionPolicy {
            idle_timeout_ms: 120_000,
            allow_development_unlock: false,
        }
    }
}

/// A snapshot of the session for the UI. It carries no patient identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// The current state.
    pub state: State,
    /// Why the session is locked, while it is.
    pub lock_reason: Option<LockReason>,
    /// The confirmed patient, if any.
    pub patient: Option<PatientRef>,
    /// The purposes the recorded consent covers, once consent is recorded.
    pub consented_purposes: Option<Purposes>,
    /// Photos taken and not yet queued.
    pub pending_photos: usize,
    /// Photos queued during this patient's session.
    pub queued_photos: usize,
    /// Screens the clinician may open now.
    pub screens: Vec<Screen>,
    /// The screen to show on entering this state.
    pub home: Screen,
    /// The idle timeout in force, so the UI can say when it will lock.
    pub idle_timeout_ms: u64,
    /// Whether the phone is with the patient (kiosk mode): only the consent screen, and handing
    /// back needs the clinician to re-authenticate.
    pub kiosk: bool,
    /// Whether the patient declined in kiosk mode: the screen asks them to hand the phone back.
    pub consent_declined: bool,
}
