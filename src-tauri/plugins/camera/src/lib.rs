//! WardCam's in-app camera for Android and iOS.
//!
//! The WebView drives the preview (open, close, torch, flash, tap-to-focus, permission) through
//! the commands in `permissions/default.toml`. Taking a photo is Rust-only:
//! [`Camera::capture`] returns a [`CapturedPhoto`] whose bytes live in wiping memory and never
//! pass through JS, a file, a cache folder, the gallery or a system camera app.
//!
//! On desktop the plugin registers but every call returns [`Error::Unsupported`]: desktop uses
//! the WebView's own camera (`getUserMedia`). The Kotlin and Swift halves have never been
//! compiled on the development machines; see README.md.
//!
//! ```ignore
//! use tauri_plugin_wardcam_camera::{CameraExt, CaptureOptions};
//! let photo = app.camera().capture(CaptureOptions::default()).await?;
//! // photo.bytes: Zeroizing<Vec<u8>>, a JPEG straight from the encoder: run intake on it next.
//! ```

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]

use tauri::{
    plugin::{Builder, TauriPlugin},
    Manager, Runtime,
};

mod commands;
#[cfg(desktop)]
mod desktop;
mod error;
#[cfg(mobile)]
mod mobile;
mod models;

#[cfg(desktop)]
pub use desktop::Camera;
pub use error::{Error, NativeErrorCode, Result};
#[cfg(mobile)]
pub use mobile::Camera;
pub use models::{
    CaptureOptions, CapturedPhoto, Facing, FlashMode, FocusPoint, PreviewOptions, MAX_PHOTO_BYTES,
};

/// Gives [`tauri::App`], [`tauri::AppHandle`], windows and webviews `.camera()`.
pub trait CameraExt<R: Runtime> {
    /// The camera, once [`init`] has been registered.
    fn camera(&self) -> &Camera<R>;
}

impl<R: Runtime, T: Manager<R>> CameraExt<R> for T {
    fn camera(&self) -> &Camera<R> {
        self.state::<Camera<R>>().inner()
    }
}

/// The plugin, to pass to `tauri::Builder::plugin`.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("wardcam-camera")
        .invoke_handler(tauri::generate_handler![
            commands::open_preview,
            commands::close_preview,
            commands::set_torch,
            commands::set_flash,
            commands::focus_at,
        ])
        .setup(|app, api| {
            #[cfg(mobile)]
            let camera = mobile::init(app, api)?;
            #[cfg(desktop)]
            let camera = desktop::init(app, api)?;
            app.manage(camera);
            Ok(())
        })
        .build()
}

#[cfg(test)]
mod tests;
