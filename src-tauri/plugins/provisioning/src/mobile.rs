//! Android and iOS: a thin shell over the Kotlin (`android/`) and Swift (`ios/`) plugin classes.
//! NEVER COMPILED on the development machines (no Android SDK or Xcode there): it mirrors the
//! camera plugin's and the official geolocation plugin's `mobile.rs` (a Rust-side `Channel`
//! handed to a native command) and only uses `PluginHandle`'s API.

// The iOS binding macro declares the Swift entry point as an `extern "C"` function.
#![cfg_attr(target_os = "ios", allow(unsafe_code))]

use serde::{de::DeserializeOwned, Serialize};
use tauri::{
    ipc::Channel,
    plugin::{PluginApi, PluginHandle},
    AppHandle, Runtime,
};

use crate::config::{from_response, ManagedConfigResponse};
use crate::error::Result;
use crate::MANAGED_CONFIG_CHANGED;

#[cfg(target_os = "android")]
const PLUGIN_IDENTIFIER: &str = "org.wardcam.provisioning";

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_wardcam_provisioning);

/// Registers the Kotlin or Swift plugin class.
pub(crate) fn init<R: Runtime, C: DeserializeOwned>(
    _app: &AppHandle<R>,
    api: PluginApi<R, C>,
) -> Result<Provisioning<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin(PLUGIN_IDENTIFIER, "ProvisioningPlugin")?;
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_wardcam_provisioning)?;
    Ok(Provisioning(handle))
}

/// Access to the managed configuration.
#[derive(Debug)]
pub struct Provisioning<R: Runtime>(PluginHandle<R>);

/// The payload of the `registerListener` command every Tauri mobile plugin inherits.
#[derive(Serialize)]
struct RegisterListener {
    event: &'static str,
    handler: Channel,
}

impl<R: Runtime> Provisioning<R> {
    /// The values the device manager set, or `None`; see [`crate::managed_config`].
    pub fn managed_config(&self) -> Result<Option<serde_json::Value>> {
        let response: ManagedConfigResponse = self.0.run_mobile_plugin("managedConfig", ())?;
        from_response(response)
    }

    /// Calls `handler` each time the native side triggers [`MANAGED_CONFIG_CHANGED`] (Android
    /// `ACTION_APPLICATION_RESTRICTIONS_CHANGED`; iOS a change of the managed dictionary). It runs
    /// on the native callback's thread: schedule the re-read elsewhere, do not block.
    pub fn on_managed_config_changed<F: Fn() + Send + Sync + 'static>(
        &self,
        handler: F,
    ) -> Result<()> {
        let channel = Channel::new(move |_empty| {
            handler();
            Ok(())
        });
        self.0.run_mobile_plugin::<()>(
            "registerListener",
            RegisterListener {
                event: MANAGED_CONFIG_CHANGED,
                handler: channel,
            },
        )?;
        Ok(())
    }
}
