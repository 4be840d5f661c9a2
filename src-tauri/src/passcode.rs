//! The passcode gate's platform side: what this platform says about its lock screen, reported to
//! core, which decides (`wardcam_core::device`). Nothing is decided here.

use tauri::State;
use wardcam_core::device::{LockScreenReport, PasscodeStatus, Platform};
use wardcam_core::visit::Ward;

use crate::error::CommandError;
use crate::SharedWard;

/// What the desktop build says: it is for development and testing and has no phone lock screen to
/// ask about, so "unknown, development platform", which the default policy accepts (and the Device
/// screen shows).
#[cfg(desktop)]
pub(crate) fn lock_screen() -> LockScreenReport {
    LockScreenReport::development(Platform::Desktop)
}

/// MOBILE SEAM, filled in by the mobile-hardening work: ask the platform, through native code
/// (Android `KeyguardManager.isDeviceSecure()` and `DevicePolicyManager.getPasswordComplexity()`,
/// which needs `REQUEST_PASSWORD_COMPLEXITY`; iOS
/// `LAContext().canEvaluatePolicy(.deviceOwnerAuthentication)`, which says only set or not set).
///
/// Until then it says what it knows: nothing, and not a development platform. Core fails closed on
/// that: a phone build stops at the passcode screen until the native check exists, rather than run
/// on a phone whose lock screen nobody checked.
#[cfg(mobile)]
pub(crate) fn lock_screen() -> LockScreenReport {
    LockScreenReport {
        platform: if cfg!(target_os = "ios") {
            Platform::Ios
        } else {
            Platform::Android
        },
        lock_screen: wardcam_core::device::LockScreen::Unknown,
        complexity: None,
        development_platform: false,
    }
}

/// Reports the platform's lock screen to core: at start, before the window exists, and each time
/// the app comes back to the foreground. Returns core's decision, `None` if the ward refused.
pub(crate) fn report(ward: &Ward) -> Option<PasscodeStatus> {
    let status = ward.report_lock_screen(lock_screen());
    if status.is_err() {
        // Only a poisoned ward fails here, and every command then reports it; the session it
        // guards cannot be unlocked either.
        eprintln!("WardCam: could not report the lock screen to the ward");
    }
    status.ok()
}

/// The passcode gate's decision, asked by the UI at start and when it comes back on screen: when
/// it blocks, the UI shows only how to set a passcode (core refuses the rest anyway).
#[tauri::command]
pub(crate) async fn device_passcode(
    ward: State<'_, SharedWard>,
) -> Result<PasscodeStatus, CommandError> {
    match ward.passcode()? {
        Some(status) => Ok(status),
        // The start reports before any command can arrive; should that ever change, ask now
        // rather than answer without a report.
        None => Ok(ward.report_lock_screen(lock_screen())?),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use wardcam_core::device::PasscodeDecision;
    use wardcam_core::session::{SessionPolicy, UnlockMethod};

    use super::*;

    #[cfg(desktop)]
    #[test]
    fn the_desktop_build_reports_a_development_platform_and_may_unlock() {
        let ward = Ward::new(SessionPolicy {
            allow_development_unlock: true,
            ..SessionPolicy::default()
        });
        report(&ward);
        let status = ward.passcode().unwrap().unwrap();
        assert_eq!(status.decision(), PasscodeDecision::DevelopmentPlatform);
        assert!(status.report().development_platform);
        ward.unlock(UnlockMethod::Development).unwrap();
    }
}
