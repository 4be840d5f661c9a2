//! Desktop: there is no native camera plugin. The Capture screen uses the WebView's own camera
//! (`getUserMedia`) and sends its snapshot to the app's `capture_photo` command instead; every
//! call here says so with [`Error::Unsupported`], so a desktop build fails loudly, not silently.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use tauri::{plugin::PluginApi, AppHandle, Runtime};

use crate::error::{Error, Result};
use crate::models::{CaptureOptions, CapturedPhoto, FlashMode, FocusPoint, PreviewOptions};

pub(crate) fn init<R: Runtime, C: DeserializeOwned>(
    _app: &AppHandle<R>,
    _api: PluginApi<R, C>,
) -> crate::Result<Camera<R>> {
    Ok(Camera::unavailable())
}

/// Access to the native camera; on desktop every method returns [`Error::Unsupported`].
#[derive(Debug)]
pub struct Camera<R: Runtime>(PhantomData<fn() -> R>);

impl<R: Runtime> Camera<R> {
    pub(crate) fn unavailable() -> Self {
        Camera(PhantomData)
    }

    /// Shows the live preview behind the WebView.
    pub async fn open_preview(&self, _options: PreviewOptions) -> Result<()> {
        Err(Error::Unsupported)
    }

    /// Stops the camera and removes the preview.
    pub async fn close_preview(&self) -> Result<()> {
        Err(Error::Unsupported)
    }

    /// Turns the torch on or off.
    pub async fn set_torch(&self, _on: bool) -> Result<()> {
        Err(Error::Unsupported)
    }

    /// Sets the flash mode for later captures.
    pub async fn set_flash(&self, _mode: FlashMode) -> Result<()> {
        Err(Error::Unsupported)
    }

    /// Focuses and meters at a point of the preview.
    pub async fn focus_at(&self, _point: FocusPoint) -> Result<()> {
        Err(Error::Unsupported)
    }

    /// Takes a photo into memory.
    pub async fn capture(&self, _options: CaptureOptions) -> Result<CapturedPhoto> {
        Err(Error::Unsupported)
    }
}
