//! Work that must not run on the main thread nor hold up the async runtime: disk and vault I/O,
//! image decoding, PBKDF2. Every command that does such work goes through [`blocking`].

use crate::error::CommandError;

/// Runs `work` on the blocking thread pool and returns its result; a panic in it becomes
/// `app.unexpected` rather than taking the command down silently.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CommandError> + Send + 'static,
) -> Result<T, CommandError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|_| CommandError::unexpected("background task failed"))?
}
