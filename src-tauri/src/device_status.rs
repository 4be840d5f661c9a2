//! The device status (issue 19): core's [`Ward::device_status`] for the Device screen, and the
//! same status pushed where MDM reads it (iOS managed app feedback, through the device plugin).
//! It translates only: the shell supplies what only it knows (the app's version, a fresh
//! lock-screen report, the time) and core decides what is reported, and what is not while locked.

use tauri::{AppHandle, Runtime, State};
use tauri_plugin_wardcam_device::DeviceExt;
use wardcam_core::vault::Timestamp;
use wardcam_core::visit::{DeviceStatus, StatusFacts, Ward};

use crate::background::blocking;
use crate::error::CommandError;
use crate::SharedWard;

/// The status now, with the platform asked afresh about its lock screen (which also updates the
/// passcode gate, as at every return to the foreground).
fn take<R: Runtime>(app: &AppHandle<R>, ward: &Ward) -> Result<DeviceStatus, wardcam_core::Error> {
    let passcode = crate::passcode::report(app, ward);
    ward.device_status(&StatusFacts {
        app_version: app.package_info().version.to_string(),
        passcode,
        now: Timestamp::now(),
    })
}

/// Hands the status's managed feedback to the platform (iOS: `com.apple.feedback.managed`;
/// Android and desktop: nothing). A failure is logged and otherwise ignored: the screen still
/// shows the status, and the next report tries again.
fn push<R: Runtime>(app: &AppHandle<R>, status: &DeviceStatus) {
    if let Err(e) = app.device().report_status(&status.feedback()) {
        eprintln!("WardCam: could not report the device status ({})", e.code());
    }
}

/// Takes the status and pushes it for MDM, off the calling thread: at start (locked, so only
/// what needs no vault key) and wherever the app wants MDM to see a change.
pub(crate) fn report_in_background<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let ward = crate::ward(&app);
        match take(&app, &ward) {
            Ok(status) => push(&app, &status),
            Err(e) => eprintln!("WardCam: could not take the device status ({})", e.code()),
        }
    });
}

/// The device status for the Device screen; also pushed for MDM.
#[tauri::command]
pub(crate) async fn device_status(
    app: AppHandle,
    ward: State<'_, SharedWard>,
) -> Result<DeviceStatus, CommandError> {
    let ward = SharedWard::clone(&ward);
    blocking(move || {
        let status = take(&app, &ward)?;
        push(&app, &status);
        Ok(status)
    })
    .await
}
