//! Generates the allow/deny permissions for the plugin's listener commands and links the native
//! projects.
//!
//! The plugin has no commands of its own for the WebView. Reading the managed configuration is
//! Rust-only (`ProvisioningExt::provisioning().managed_config()`), so its values (endpoint
//! credentials among them) never pass through JS. The two commands listed here are the listener
//! commands every Tauri mobile plugin inherits (Kotlin `Plugin.registerListener`/`removeListener`,
//! Swift the same): `addPluginListener('wardcam-provisioning', 'managedConfigChanged', cb)` calls
//! them. The event carries no data.

/// The commands the WebView may be granted.
const COMMANDS: &[&str] = &["register_listener", "remove_listener"];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .ios_path("ios")
        .try_build()
        .unwrap_or_else(|e| panic!("tauri-plugin build failed: {e:#}"));
}
