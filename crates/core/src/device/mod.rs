//! What the platform reports about the phone, and what core decides from it.
//!
//! The shell only reports: whether the phone has a secure lock screen (Android's
//! `KeyguardManager` and `DevicePolicyManager`, iOS's `LAContext`, or "development platform" on
//! desktop), and when the app leaves or returns to the foreground. Every decision is made here, so
//! it is the same on every platform and tested without a phone.
//!
//! - [`PasscodeStatus::decide`], the passcode gate: WardCam's data is only as safe as the phone's
//!   lock screen, so without one that meets the [`PasscodePolicy`] the session refuses to unlock
//!   at all ([`SessionError::PasscodeRequired`](crate::session::SessionError::PasscodeRequired))
//!   and the app shows one screen saying how to set a passcode. It fails closed: a phone that
//!   cannot say is blocked; only a platform that says it is for development is excused.
//! - [`respond`]: what the app going to the background (or coming back) means for the session.
//! - [`ReleaseAction::decide`]: what the platform's answer to "release the app lock's key" means
//!   (unlock, stay locked, fall back to the PIN, set up, or block).
//! - [`KioskPinning::decide`]: whether the platform confines the phone to WardCam while the
//!   patient holds it (Android lock task mode, iOS Guided Access), and what to tell the clinician
//!   when it does not.
//!
//! It does not ask the platform anything itself: reports come in as values, so tests pass fakes.

mod kiosk;
mod lifecycle;
mod passcode;
#[cfg(test)]
mod platform_tests;
mod release;
#[cfg(test)]
mod tests;

pub use kiosk::{KioskHold, KioskNotice, KioskPinning, PinAnswer};
pub use lifecycle::{respond, AppEvent, AppResponse};
pub use passcode::{
    Complexity, LockScreen, LockScreenReport, PasscodeDecision, PasscodePolicy, PasscodeStatus,
    Platform,
};
pub use release::{PlatformRelease, ReleaseAction, ReleaseContext, ReleaseNotice};
