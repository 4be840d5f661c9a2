//! The native answers as `wardcam-core`'s types. Platform-independent, so it is unit-tested on
//! desktop. It maps and decides nothing: an answer it does not know becomes "cannot say"
//! (unknown, unavailable), which core treats as failing closed.

// Only mobile.rs calls the mappings; desktop builds use them in the tests alone.
#![cfg_attr(not(mobile), allow(dead_code))]

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use wardcam_core::device::{
    Complexity, LockScreen, LockScreenReport, PinAnswer, Platform, PlatformRelease,
};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The app lock's key is 32 bytes; base64 of it is 43 characters. Anything much longer is not
/// decoded at all.
const MAX_SECRET_TEXT: usize = 128;

/// URL-safe base64 (org.json and `JSONSerialization` escape `/` in the standard alphabet), with or
/// without padding.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// What Kotlin's and Swift's `lockScreen` resolve with.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LockScreenResponse {
    /// Android `KeyguardManager.isDeviceSecure`; iOS `canEvaluatePolicy(.deviceOwnerAuthentication)`
    /// (false only for `LAError.passcodeNotSet`). `null`: the platform could not say.
    #[serde(default)]
    pub(crate) device_secure: Option<bool>,
    /// Android 10+ `getPasswordComplexity`: `none`, `low`, `medium`, `high`; `null` elsewhere.
    #[serde(default)]
    pub(crate) complexity: Option<String>,
}

/// The report for core's passcode gate.
pub(crate) fn lock_screen_report(platform: Platform, r: LockScreenResponse) -> LockScreenReport {
    LockScreenReport {
        platform,
        lock_screen: match r.device_secure {
            Some(true) => LockScreen::Secure,
            Some(false) => LockScreen::Insecure,
            None => LockScreen::Unknown,
        },
        complexity: match r.complexity.as_deref() {
            Some("none") => Some(Complexity::None),
            Some("low") => Some(Complexity::Low),
            Some("medium") => Some(Complexity::Medium),
            Some("high") => Some(Complexity::High),
            // Not reported, or a bucket this build does not know: core then refuses a policy that
            // needs more than "any passcode".
            _ => None,
        },
        development_platform: false,
    }
}

/// The answer words the native side uses for key release, storage and lock task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum AnswerWord {
    Released,
    Stored,
    Forgotten,
    Cancelled,
    Refused,
    LockedOut,
    Unavailable,
    Missing,
    Locked,
    PinningRequested,
    Stopped,
    #[serde(other)]
    Other,
}

/// What `releaseKey`, `storeKey`, `forgetKey` and `lockTask` resolve with.
#[derive(Deserialize)]
pub(crate) struct AnswerResponse {
    pub(crate) answer: AnswerWord,
    /// `releaseKey` only: the key, URL-safe base64.
    #[serde(default)]
    pub(crate) secret: Option<Zeroizing<String>>,
}

/// The key release's answer for core's `ReleaseAction::decide`. A "released" answer whose key is
/// missing or not base64 is handed on with no bytes: core judges it unusable.
pub(crate) fn release_from(r: AnswerResponse) -> PlatformRelease {
    match r.answer {
        AnswerWord::Released => {
            let bytes = r
                .secret
                .filter(|s| s.len() <= MAX_SECRET_TEXT)
                .and_then(|s| B64.decode(s.trim().as_bytes()).ok())
                .unwrap_or_default();
            PlatformRelease::Released(Zeroizing::new(bytes))
        }
        AnswerWord::Cancelled => PlatformRelease::Cancelled,
        AnswerWord::Refused => PlatformRelease::Refused,
        AnswerWord::LockedOut => PlatformRelease::LockedOut,
        AnswerWord::Missing => PlatformRelease::Missing,
        _ => PlatformRelease::Unavailable,
    }
}

/// What the platform answered when asked to keep the app lock's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreAnswer {
    /// The platform keeps the key behind the phone's lock screen (Android: after the user
    /// authenticated, since the Keystore key needs it for every use).
    Stored,
    /// The prompt was cancelled: nothing was stored.
    Cancelled,
    /// The user was not recognised: nothing was stored.
    Refused,
    /// Too many attempts: nothing was stored.
    LockedOut,
    /// The platform cannot keep it (no secure lock screen, an error, desktop): nothing was stored.
    Unavailable,
}

pub(crate) fn store_from(r: &AnswerResponse) -> StoreAnswer {
    match r.answer {
        AnswerWord::Stored => StoreAnswer::Stored,
        AnswerWord::Cancelled => StoreAnswer::Cancelled,
        AnswerWord::Refused => StoreAnswer::Refused,
        AnswerWord::LockedOut => StoreAnswer::LockedOut,
        _ => StoreAnswer::Unavailable,
    }
}

/// The lock task / Guided Access answer for core's `KioskPinning::decide`.
pub(crate) fn pin_from(r: &AnswerResponse) -> PinAnswer {
    match r.answer {
        AnswerWord::Locked => PinAnswer::Locked,
        AnswerWord::PinningRequested => PinAnswer::PinningRequested,
        AnswerWord::Refused => PinAnswer::Refused,
        _ => PinAnswer::Unavailable,
    }
}

/// The key to store, as the native side reads it.
pub(crate) fn encode_secret(secret: &[u8; 32]) -> Zeroizing<String> {
    Zeroizing::new(B64.encode(secret))
}

/// Key names become a Keystore alias, a file name (Android) and a Keychain account (iOS): only
/// 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
pub fn check_alias(alias: &str) -> Result<()> {
    let ok = (1..=64).contains(&alias.len())
        && !alias.starts_with('.')
        && alias
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::BadAlias)
    }
}
