//! Android and iOS: a thin shell over the Kotlin (`android/`) and Swift (`ios/`) plugin classes.
//! NEVER COMPILED on the development machines (no Android SDK or Xcode there): it mirrors the
//! official barcode-scanner/haptics plugins' `mobile.rs` and only uses `PluginHandle`'s API.

// The iOS binding macro declares the Swift entry point as an `extern "C"` function.
#![cfg_attr(target_os = "ios", allow(unsafe_code))]

use serde::{de::DeserializeOwned, Serialize};
use tauri::{
    plugin::{PluginApi, PluginHandle},
    AppHandle, Runtime,
};

use crate::error::Result;
use crate::models::{
    CaptureOptions, CaptureResponse, CapturedPhoto, FlashMode, FocusPoint, PreviewOptions,
    MAX_PHOTO_BYTES,
};

#[cfg(target_os = "android")]
const PLUGIN_IDENTIFIER: &str = "org.wardcam.camera";

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_wardcam_camera);

/// Registers the Kotlin or Swift plugin class.
pub(crate) fn init<R: Runtime, C: DeserializeOwned>(
    _app: &AppHandle<R>,
    api: PluginApi<R, C>,
) -> crate::Result<Camera<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin(PLUGIN_IDENTIFIER, "CameraPlugin")?;
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_wardcam_camera)?;
    Ok(Camera(handle))
}

/// Access to the native camera.
#[derive(Debug)]
pub struct Camera<R: Runtime>(PluginHandle<R>);

#[derive(Serialize)]
struct TorchPayload {
    on: bool,
}

#[derive(Serialize)]
struct FlashPayload {
    mode: FlashMode,
}

impl<R: Runtime> Camera<R> {
    async fn run<T: DeserializeOwned>(&self, command: &str, payload: impl Serialize) -> Result<T> {
        Ok(self.0.run_mobile_plugin_async(command, payload).await?)
    }

    /// Shows the live preview behind the (transparent) WebView.
    pub async fn open_preview(&self, options: PreviewOptions) -> Result<()> {
        self.run("openPreview", options).await
    }

    /// Stops the camera and removes the preview.
    pub async fn close_preview(&self) -> Result<()> {
        self.run("closePreview", ()).await
    }

    /// Turns the torch on or off.
    pub async fn set_torch(&self, on: bool) -> Result<()> {
        self.run("setTorch", TorchPayload { on }).await
    }

    /// Sets the flash mode for later captures.
    pub async fn set_flash(&self, mode: FlashMode) -> Result<()> {
        self.run("setFlash", FlashPayload { mode }).await
    }

    /// Focuses and meters at a point of the preview.
    pub async fn focus_at(&self, point: FocusPoint) -> Result<()> {
        self.run("focusAt", point.checked()?).await
    }

    /// Takes a photo into memory. The native side encodes it as base64 inside the plugin
    /// response (memory only: no file, cache or gallery); it is decoded here into wiping memory.
    pub async fn capture(&self, options: CaptureOptions) -> Result<CapturedPhoto> {
        let response: CaptureResponse = self.run("capture", options.checked()?).await?;
        response.into_photo(MAX_PHOTO_BYTES)
    }
}
