//! WardCam's platform facts for `wardcam-core`: what the phone says, never what it means.
//!
//! | Rust (`app.device()`) | Android | iOS | core decides with |
//! |---|---|---|---|
//! | [`Device::lock_screen`] | `KeyguardManager.isDeviceSecure`, API 29+ `DevicePolicyManager.getPasswordComplexity` | `LAContext.canEvaluatePolicy(.deviceOwnerAuthentication)` | `PasscodeStatus::decide` |
//! | [`Device::store_key`] / [`Device::release_key`] / [`Device::forget_key`] | AES-256-GCM Keystore key needing user authentication, `BiometricPrompt` allowing the device credential; the wrapped key in `noBackupFilesDir` | Keychain item, `WhenPasscodeSetThisDeviceOnly` + `.userPresence` | `ReleaseAction::decide` |
//! | [`Device::start_lock_task`] / [`Device::stop_lock_task`] | `Activity.startLockTask` / `stopLockTask` | `UIAccessibility.requestGuidedAccessSession` | `KioskPinning::decide` |
//! | [`Device::exclude_from_backup`] | (the app manifest's backup rules) | `isExcludedFromBackup` (Application Support is excluded at load too) | - |
//! | [`Device::protect_until_first_unlock`] | (credential-encrypted storage: readable after the first unlock) | `FileProtectionType.completeUntilFirstUserAuthentication` on the folder | - |
//! | [`Device::report_status`] | nothing (keyed app states need `androidx.enterprise`, not reachable here) | `UserDefaults` `com.apple.feedback.managed`, merged | `Ward::device_status` |
//! | [`Device::on_background_wake`] | WorkManager periodic work, network required | `BGProcessingTask`, network required | the courier's drain |
//!
//! The iOS half also covers the window while the app is not active (a blank app-switcher
//! snapshot) and while the screen is captured (recording, AirPlay mirroring); Android does both
//! with `FLAG_SECURE` in `MainActivity.kt`.
//!
//! On desktop every call answers what a development machine can: an unknown lock screen from a
//! development platform, no key release (the PIN gate, `wardcam_core::auth::KeyGate`, is used), no
//! kiosk pinning, no background wake.
//!
//! ```ignore
//! use tauri_plugin_wardcam_device::DeviceExt;
//! let report = app.device().lock_screen();                  // -> ward.report_lock_screen(report)
//! let answer = app.device().release_key("vault", "Unlock WardCam").await?;
//! match wardcam_core::device::ReleaseAction::decide(answer, context) { /* … */ }
//! ```
//!
//! The Kotlin and Swift halves have never been compiled on the development machines; see
//! README.md.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use tauri::{
    plugin::{Builder, TauriPlugin},
    Manager, Runtime,
};

mod answers;
#[cfg(desktop)]
mod desktop;
mod error;
#[cfg(mobile)]
mod mobile;

pub use answers::{check_alias, StoreAnswer};
#[cfg(desktop)]
pub use desktop::Device;
pub use error::{Error, Result};
#[cfg(mobile)]
pub use mobile::Device;

/// The plugin's name: `plugin:wardcam-device|…` and the capability prefix.
pub const PLUGIN_NAME: &str = "wardcam-device";

/// The event the native side triggers when the platform gives the app time to deliver in the
/// background (Android WorkManager, iOS `BGProcessingTask`). It carries an empty object.
pub const BACKGROUND_WAKE: &str = "backgroundWake";

/// One background wake. The platform gives a bounded time (the native side waits up to
/// `WAKE_BUDGET_SECONDS`, 25 s, and iOS may expire the task sooner); call [`BackgroundWake::done`]
/// when the drain has finished so the platform can suspend the app again. Dropping it without
/// calling `done` reports nothing and the native side gives up at its deadline.
pub struct BackgroundWake {
    finish: Option<Box<dyn FnOnce(bool) + Send>>,
}

impl std::fmt::Debug for BackgroundWake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackgroundWake")
    }
}

impl BackgroundWake {
    #[cfg_attr(not(mobile), allow(dead_code))]
    pub(crate) fn new(finish: impl FnOnce(bool) + Send + 'static) -> BackgroundWake {
        BackgroundWake {
            finish: Some(Box::new(finish)),
        }
    }

    /// Tells the platform the work is over; `ok` is false when it could not be done (iOS then
    /// reports the task as failed).
    pub fn done(mut self, ok: bool) {
        if let Some(finish) = self.finish.take() {
            finish(ok);
        }
    }
}

/// Gives [`tauri::App`], [`tauri::AppHandle`], windows and webviews `.device()`.
pub trait DeviceExt<R: Runtime> {
    /// The platform facts. Panics if [`init`] was not registered.
    fn device(&self) -> &Device<R>;
}

impl<R: Runtime, T: Manager<R>> DeviceExt<R> for T {
    fn device(&self) -> &Device<R> {
        self.state::<Device<R>>().inner()
    }
}

/// The plugin, to pass to `tauri::Builder::plugin`.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new(PLUGIN_NAME)
        .setup(|app, api| {
            #[cfg(mobile)]
            let device = mobile::init(app, api)?;
            #[cfg(desktop)]
            let device = desktop::init(app, api)?;
            app.manage(device);
            Ok(())
        })
        .build()
}

#[cfg(test)]
mod tests;
