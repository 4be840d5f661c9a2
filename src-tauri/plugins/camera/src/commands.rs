//! The commands the WebView may call (see `permissions/default.toml`). Each is a thin call into
//! [`crate::CameraExt::camera`]. There is deliberately no `capture` command: photos go to Rust only.

use tauri::{command, AppHandle, Runtime};

use crate::models::{FlashMode, FocusPoint, PreviewOptions};
use crate::{CameraExt, Result};

#[command]
pub(crate) async fn open_preview<R: Runtime>(
    app: AppHandle<R>,
    options: Option<PreviewOptions>,
) -> Result<()> {
    app.camera().open_preview(options.unwrap_or_default()).await
}

#[command]
pub(crate) async fn close_preview<R: Runtime>(app: AppHandle<R>) -> Result<()> {
    app.camera().close_preview().await
}

#[command]
pub(crate) async fn set_torch<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<()> {
    app.camera().set_torch(on).await
}

#[command]
pub(crate) async fn set_flash<R: Runtime>(app: AppHandle<R>, mode: FlashMode) -> Result<()> {
    app.camera().set_flash(mode).await
}

#[command]
pub(crate) async fn focus_at<R: Runtime>(app: AppHandle<R>, x: f64, y: f64) -> Result<()> {
    let point = FocusPoint { x, y }.checked()?;
    app.camera().focus_at(point).await
}
