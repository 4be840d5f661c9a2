//! The passcode gate's platform side: what this platform says about its lock screen, reported to
//! core, which decides (`wardcam_core::device`). Nothing is decided here.

use tauri::{AppHandle, Runtime, State};
use tauri_plugin_wardcam_device::DeviceExt;
use wardcam_core::device::{LockScreenReport, PasscodeStatus};
use wardcam_core::visit::Ward;

use crate::error::CommandError;
use crate::SharedWard;

/// What the platform says about its lock screen, through the project's device plugin: Android
/// `KeyguardManager.isDeviceSecure()` and `DevicePolicyManager.getPasswordComplexity()`, iOS
/// `LAContext().canEvaluatePolicy(.deviceOwnerAuthentication)`; on desktop "unknown, development
/// platform", which the default policy accepts (and the Device screen shows). A native side that
/// cannot answer says "unknown", and core fails closed on that.
pub(crate) fn lock_screen<R: Runtime>(app: &AppHandle<R>) -> LockScreenReport {
    app.device().lock_screen()
}

/// Reports the platform's lock screen to core: at start, before the window exists, and each time
/// the app comes back to the foreground. Returns core's decision, `None` if the ward refused.
pub(crate) fn report<R: Runtime>(app: &AppHandle<R>, ward: &Ward) -> Option<PasscodeStatus> {
    let status = ward.report_lock_screen(lock_screen(app));
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
    app: AppHandle,
    ward: State<'_, SharedWard>,
) -> Result<PasscodeStatus, CommandError> {
    match ward.passcode()? {
        Some(status) => Ok(status),
        // The start reports before any command can arrive; should that ever change, ask now
        // rather than answer without a report.
        None => Ok(ward.report_lock_screen(lock_screen(&app))?),
    }
}
