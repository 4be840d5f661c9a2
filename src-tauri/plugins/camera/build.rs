//! Generates the allow/deny permission for each JS-facing command and links the native projects.
//!
//! `capture` is deliberately NOT listed: no permission exists for it, so the WebView can never
//! call it (Tauri checks every plugin command against the ACL). Only the app's Rust code reaches
//! it, through `CameraExt::camera().capture()`, so the photo's bytes never pass through JS.

/// The commands the WebView may be granted; same names as the Kotlin `@Command`s / Swift `@objc`
/// functions (camelCased there) and `guest-js/index.ts`.
const COMMANDS: &[&str] = &[
    "open_preview",
    "close_preview",
    "set_torch",
    "set_flash",
    "focus_at",
    "check_permissions",
    "request_permissions",
];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .ios_path("ios")
        .try_build()
        .unwrap_or_else(|e| panic!("tauri-plugin build failed: {e:#}"));
}
