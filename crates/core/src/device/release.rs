//! The platform key release for the app lock on phones: what the platform's answer means.
//!
//! On a phone the vault's master key is kept by the platform behind the phone's own lock screen:
//! an Android Keystore AES key that needs user authentication (a `BiometricPrompt` that allows the
//! device credential) wraps it, or an iOS Keychain item with `.userPresence` holds it. The device
//! plugin (`tauri-plugin-wardcam-device`) asks and reports one [`PlatformRelease`]; it decides
//! nothing. [`ReleaseAction::decide`] says what the app lock does with it:
//!
//! | answer | vault exists | PIN gate set up | action |
//! |---|---|---|---|
//! | key of the right length | yes | any | [`ReleaseAction::Unlock`] |
//! | key of the right length | no | any | [`ReleaseAction::SetUp`] (a leftover: iOS keeps Keychain items after the app is deleted) |
//! | key of another length | yes | yes / no | [`ReleaseAction::FallBackToPin`] / [`ReleaseAction::Block`] ([`ReleaseNotice::KeyUnusable`]) |
//! | cancelled | any | any | [`ReleaseAction::StayLocked`] ([`ReleaseNotice::Cancelled`]) |
//! | refused (not recognised) | any | any | [`ReleaseAction::StayLocked`] ([`ReleaseNotice::NotRecognised`]) |
//! | locked out | any | any | [`ReleaseAction::StayLocked`] ([`ReleaseNotice::LockedOut`]): never the PIN, so a lock-out is not bypassed |
//! | unavailable | any | yes / no | [`ReleaseAction::FallBackToPin`] / [`ReleaseAction::Block`] ([`ReleaseNotice::PlatformUnavailable`]) |
//! | missing (nothing stored, or the OS deleted the key with the screen lock) | no | any | [`ReleaseAction::SetUp`] |
//! | missing | yes | yes / no | [`ReleaseAction::FallBackToPin`] ([`ReleaseNotice::KeyReset`], re-enrol after) / [`ReleaseAction::Block`] ([`ReleaseNotice::KeyLost`]) |
//!
//! The desktop build has no platform release: its plugin answers `Unavailable`, and the existing
//! PIN gate ([`crate::auth::KeyGate`]) is used unchanged. The passcode gate
//! ([`super::PasscodeStatus`]) is checked before any of this, so "unavailable" on a phone without
//! a screen lock never gets this far.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::hazmat::{MasterKey, KEY_LEN};

/// What the platform answered when asked to release (or store) the app lock's key. The plugin
/// fills it in from the native answer and decides nothing.
pub enum PlatformRelease {
    /// The user authenticated and the platform handed back the stored bytes.
    Released(Zeroizing<Vec<u8>>),
    /// The user (or the system, e.g. a call coming in) cancelled the prompt.
    Cancelled,
    /// The platform did not recognise the user (wrong passcode, biometrics not matched).
    Refused,
    /// Too many attempts: the platform has paused authentication.
    LockedOut,
    /// The platform cannot authenticate now: no secure lock screen, no hardware, an error, or a
    /// platform without a release at all (desktop).
    Unavailable,
    /// Nothing is stored under the name, or the platform deleted it (Android invalidates the
    /// Keystore key and iOS deletes a `WhenPasscodeSetThisDeviceOnly` item when the screen lock
    /// is removed).
    Missing,
}

impl std::fmt::Debug for PlatformRelease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PlatformRelease::Released(_) => "Released(<redacted>)",
            PlatformRelease::Cancelled => "Cancelled",
            PlatformRelease::Refused => "Refused",
            PlatformRelease::LockedOut => "LockedOut",
            PlatformRelease::Unavailable => "Unavailable",
            PlatformRelease::Missing => "Missing",
        })
    }
}

/// What the app knows besides the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseContext {
    /// A vault exists (`Vault::keystore_name_in(dir)` found one): there is a key to release.
    pub vault_exists: bool,
    /// The clinician's PIN gate record exists ([`crate::auth::GateStatus::set_up`]): the PIN can
    /// release the key too.
    pub pin_fallback: bool,
}

/// Why the lock screen stays, falls back or blocks; the UI shows [`ReleaseNotice::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseNotice {
    /// The prompt was cancelled.
    Cancelled,
    /// The phone did not recognise the user.
    NotRecognised,
    /// The phone paused authentication after too many attempts.
    LockedOut,
    /// The phone cannot authenticate now.
    PlatformUnavailable,
    /// The phone's key for WardCam is gone (screen lock removed or reset) and the PIN can
    /// release the key instead: it is stored with the phone again afterwards.
    KeyReset,
    /// The phone's key for WardCam is gone and nothing else can release it.
    KeyLost,
    /// The phone handed back something that is not a key.
    KeyUnusable,
}

impl ReleaseNotice {
    /// What happened, in the app's words; [`ReleaseAction::message`] adds what to do next.
    pub fn message(self) -> &'static str {
        match self {
            ReleaseNotice::Cancelled => "Unlocking was cancelled.",
            ReleaseNotice::NotRecognised => "The phone did not recognise you.",
            ReleaseNotice::LockedOut => {
                "Too many attempts: the phone has paused unlocking. Wait a little, or unlock the \
                 phone itself with its passcode first."
            }
            ReleaseNotice::PlatformUnavailable => "The phone cannot check your screen lock now.",
            ReleaseNotice::KeyReset => "The phone's screen lock was changed.",
            ReleaseNotice::KeyLost => {
                "WardCam's key on this phone is gone, usually because the screen lock was \
                 removed or reset. Photos not yet sent cannot be opened on this phone."
            }
            ReleaseNotice::KeyUnusable => "The phone returned an unusable key.",
        }
    }
}

/// What the app lock does with a [`PlatformRelease`].
pub enum ReleaseAction {
    /// Open the vault with this key and unlock the session.
    Unlock(MasterKey),
    /// No vault to open: set WardCam up (a new vault; its key stored with the platform).
    SetUp,
    /// Stay on the lock screen, show the notice; the clinician may try again.
    StayLocked(ReleaseNotice),
    /// Ask for the clinician's PIN instead (the PIN gate's own limiter applies). When
    /// `re_enrol` is set, store the released key with the platform again after the PIN unlock.
    FallBackToPin {
        /// Why the platform was not used.
        notice: ReleaseNotice,
        /// The platform's copy is gone: store it again once the PIN has released the key.
        re_enrol: bool,
    },
    /// Nothing on this phone can release the key: show the notice and offer nothing else.
    Block(ReleaseNotice),
}

impl std::fmt::Debug for ReleaseAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReleaseAction::Unlock(_) => f.write_str("Unlock(<redacted>)"),
            ReleaseAction::SetUp => f.write_str("SetUp"),
            ReleaseAction::StayLocked(n) => write!(f, "StayLocked({n:?})"),
            ReleaseAction::FallBackToPin { notice, re_enrol } => {
                write!(f, "FallBackToPin({notice:?}, re_enrol: {re_enrol})")
            }
            ReleaseAction::Block(n) => write!(f, "Block({n:?})"),
        }
    }
}

impl ReleaseAction {
    /// What the app lock does with `answer` (see the module's table). A pure function.
    pub fn decide(answer: PlatformRelease, context: ReleaseContext) -> ReleaseAction {
        let fall_back_or_block = |notice, re_enrol| {
            if context.pin_fallback {
                ReleaseAction::FallBackToPin { notice, re_enrol }
            } else {
                ReleaseAction::Block(notice)
            }
        };
        match answer {
            PlatformRelease::Released(_) | PlatformRelease::Missing if !context.vault_exists => {
                ReleaseAction::SetUp
            }
            PlatformRelease::Released(bytes) => {
                match <&[u8; KEY_LEN]>::try_from(bytes.as_slice()) {
                    Ok(key) => ReleaseAction::Unlock(MasterKey::from_bytes(key)),
                    Err(_) => fall_back_or_block(ReleaseNotice::KeyUnusable, true),
                }
            }
            PlatformRelease::Cancelled => ReleaseAction::StayLocked(ReleaseNotice::Cancelled),
            PlatformRelease::Refused => ReleaseAction::StayLocked(ReleaseNotice::NotRecognised),
            PlatformRelease::LockedOut => ReleaseAction::StayLocked(ReleaseNotice::LockedOut),
            PlatformRelease::Unavailable => {
                fall_back_or_block(ReleaseNotice::PlatformUnavailable, false)
            }
            PlatformRelease::Missing if context.pin_fallback => ReleaseAction::FallBackToPin {
                notice: ReleaseNotice::KeyReset,
                re_enrol: true,
            },
            PlatformRelease::Missing => ReleaseAction::Block(ReleaseNotice::KeyLost),
        }
    }

    /// What the lock screen says: what happened, then what to do next.
    pub fn message(&self) -> Option<String> {
        let next = match self {
            ReleaseAction::Unlock(_) | ReleaseAction::SetUp => return None,
            ReleaseAction::StayLocked(_) => "Tap Unlock to try again.",
            ReleaseAction::FallBackToPin { .. } => "Enter your WardCam PIN instead.",
            ReleaseAction::Block(ReleaseNotice::PlatformUnavailable) => {
                "Set a screen lock (PIN, pattern or password) in the phone's Settings, then open \
                 WardCam again."
            }
            ReleaseAction::Block(_) => {
                "Tell your ward's IT contact before setting WardCam up again."
            }
        };
        let notice = self.notice()?;
        Some(format!("{} {next}", notice.message()))
    }

    /// The notice to show, if any.
    pub fn notice(&self) -> Option<ReleaseNotice> {
        match self {
            ReleaseAction::Unlock(_) | ReleaseAction::SetUp => None,
            ReleaseAction::StayLocked(n) | ReleaseAction::Block(n) => Some(*n),
            ReleaseAction::FallBackToPin { notice, .. } => Some(*notice),
        }
    }
}
