//! The idle lock's clock: core decides when the session has idled out; this thread asks it every
//! second and tells the UI when it locked, so the screen goes blank without waiting for a tap.

use std::time::Duration;

use tauri::{AppHandle, Emitter};

/// The event the UI listens to for changes it did not cause.
pub(crate) const SESSION_CHANGED: &str = "session://changed";

/// Starts the watcher for the life of the app.
pub(crate) fn watch(app: AppHandle) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        match crate::ward(&app).lock_if_idle() {
            Ok(Some(view)) => {
                if let Err(e) = app.emit(SESSION_CHANGED, view) {
                    eprintln!("WardCam: could not tell the window it locked: {e}");
                }
            }
            Ok(None) => {}
            Err(_) => return, // poisoned state: commands report it; nothing more to watch
        }
    });
}
