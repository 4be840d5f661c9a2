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
    ios_data_protection();
}

/// iOS file protection Complete for every file the app creates (the vault's photos among them):
/// unreadable while the phone is locked. Tauri 2.12 has no `bundle > iOS > entitlements` setting,
/// so the entitlement is written into the generated Xcode project's
/// `<app>_iOS/<app>_iOS.entitlements` by this build script, which `tauri ios build`/`dev` run
/// with `TAURI_IOS_PROJECT_PATH` and `TAURI_IOS_APP_NAME` set (a no-op otherwise). Only macOS
/// hosts can build iOS, and the helper exists only there. Asserted by `scripts/check-mobile`.
/// Moves to the platform-gate plugin (issue 17, item 3) once that exists.
#[cfg(target_os = "macos")]
fn ios_data_protection() {
    tauri_plugin::mobile::update_entitlements(|entitlements| {
        entitlements.insert(
            "com.apple.developer.default-data-protection".into(),
            "NSFileProtectionComplete".into(),
        );
    })
    .unwrap_or_else(|e| panic!("updating the iOS entitlements failed: {e:#}"));
}

#[cfg(not(target_os = "macos"))]
fn ios_data_protection() {}
