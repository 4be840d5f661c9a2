//! Generates the allow/deny permissions for the plugin's listener commands, links the native
//! projects and, on macOS hosts building iOS, declares the background task in the app's
//! Info.plist.
//!
//! The plugin has no commands for the WebView: every native command (`lockScreen`, `storeKey`,
//! `releaseKey`, `forgetKey`, `lockTask`, `excludeFromBackup`, `protectUntilFirstUnlock`,
//! `backgroundWakeDone`) is called
//! from the app's Rust code only (`DeviceExt::device()`), so no key and no lock-task switch is
//! reachable from JavaScript. The two commands listed are the listener commands every Tauri mobile
//! plugin inherits; Rust uses them to hear `backgroundWake`.

/// The commands the WebView may be granted.
const COMMANDS: &[&str] = &["register_listener", "remove_listener"];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .ios_path("ios")
        .try_build()
        .unwrap_or_else(|e| panic!("tauri-plugin build failed: {e:#}"));
    ios_background_task();
}

/// The `BGProcessingTask` identifier `ios/Sources/DevicePlugin.swift` registers; iOS refuses to
/// schedule one that the Info.plist does not list.
#[cfg(target_os = "macos")]
const DELIVERY_TASK: &str = "org.wardcam.app.delivery";

/// Adds `processing` to `UIBackgroundModes` and [`DELIVERY_TASK`] to
/// `BGTaskSchedulerPermittedIdentifiers` in the generated Xcode project's Info.plist (a no-op
/// outside `tauri ios build`/`dev`, which set `TAURI_IOS_PROJECT_PATH`). Existing entries are kept.
#[cfg(target_os = "macos")]
fn ios_background_task() {
    fn add(plist: &mut plist::Dictionary, key: &str, item: &str) {
        let entry = plist
            .entry(key.to_owned())
            .or_insert_with(|| plist::Value::Array(Vec::new()));
        if let Some(items) = entry.as_array_mut() {
            if !items.iter().any(|v| v.as_string() == Some(item)) {
                items.push(plist::Value::String(item.to_owned()));
            }
        }
    }
    tauri_plugin::mobile::update_info_plist(|plist| {
        add(plist, "UIBackgroundModes", "processing");
        add(plist, "BGTaskSchedulerPermittedIdentifiers", DELIVERY_TASK);
    })
    .unwrap_or_else(|e| panic!("could not declare the iOS background task: {e:#}"));
}

#[cfg(not(target_os = "macos"))]
fn ios_background_task() {}
