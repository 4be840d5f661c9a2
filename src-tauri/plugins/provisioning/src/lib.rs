//! WardCam's reader for the policy a device manager (MDM) sets: Android managed configuration
//! (`RestrictionsManager`, keys declared in `android/src/main/res/xml/app_restrictions.xml`) and
//! iOS AppConfig (`UserDefaults` key `com.apple.configuration.managed`, keys described for MDM
//! consoles by `appconfig/specfile.xml`).
//!
//! The native halves are thin: they hand over the raw values as a JSON object and nothing else.
//! `wardcam_core::policy::Policy::from_managed` decides what they mean and refuses what is wrong.
//! On desktop there is no MDM: [`Provisioning::managed_config`] is `Ok(None)`.
//!
//! ```ignore
//! use tauri_plugin_wardcam_provisioning::ProvisioningExt;
//! if let Some(values) = app.provisioning().managed_config()? {
//!     let policy = wardcam_core::policy::Policy::from_managed(&values)?;
//! }
//! // Re-read when the device manager changes it (the handler runs on the native callback's
//! // thread: hand the work to another thread, do not block).
//! app.provisioning().on_managed_config_changed(move || { /* schedule a re-read */ })?;
//! ```
//!
//! The Kotlin and Swift halves have never been compiled on the development machines; see
//! README.md.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use tauri::{
    plugin::{Builder, TauriPlugin},
    AppHandle, Manager, Runtime,
};

mod config;
#[cfg(desktop)]
mod desktop;
mod error;
#[cfg(mobile)]
mod mobile;

pub use config::nest_dotted_keys;
#[cfg(desktop)]
pub use desktop::Provisioning;
pub use error::{Error, Result};
#[cfg(mobile)]
pub use mobile::Provisioning;

/// The plugin's name: `plugin:wardcam-provisioning|…` and the capability prefix.
pub const PLUGIN_NAME: &str = "wardcam-provisioning";

/// The event the native side triggers when the device manager changed the managed
/// configuration. It carries an empty object: re-read with [`Provisioning::managed_config`].
pub const MANAGED_CONFIG_CHANGED: &str = "managedConfigChanged";

/// Gives [`tauri::App`], [`tauri::AppHandle`], windows and webviews `.provisioning()`.
pub trait ProvisioningExt<R: Runtime> {
    /// The managed-configuration reader. Panics if [`init`] was not registered; the free function
    /// [`managed_config`] returns [`Error::NotRegistered`] instead.
    fn provisioning(&self) -> &Provisioning<R>;
}

impl<R: Runtime, T: Manager<R>> ProvisioningExt<R> for T {
    fn provisioning(&self) -> &Provisioning<R> {
        self.state::<Provisioning<R>>().inner()
    }
}

/// The values the device manager set for WardCam, as a JSON object of
/// `wardcam_core::policy::MANAGED_KEYS` (endpoint bundles as nested objects), or `None` when it
/// set nothing. Always `None` on desktop. Not validated here: give it to `Policy::from_managed`.
///
/// Blocks until the native side answers (a local read; it does not wait for the main thread), so
/// call it from `setup`, an `async` command or a background thread rather than a synchronous
/// command.
pub fn managed_config<R: Runtime>(app: &AppHandle<R>) -> Result<Option<serde_json::Value>> {
    match app.try_state::<Provisioning<R>>() {
        Some(p) => p.managed_config(),
        None => Err(Error::NotRegistered),
    }
}

/// The plugin, to pass to `tauri::Builder::plugin`.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new(PLUGIN_NAME)
        .setup(|app, api| {
            #[cfg(mobile)]
            let provisioning = mobile::init(app, api)?;
            #[cfg(desktop)]
            let provisioning = desktop::init(app, api)?;
            app.manage(provisioning);
            Ok(())
        })
        .build()
}

#[cfg(test)]
mod tests;
