//! What the app's comings and goings mean for the session. The shell translates its platform's
//! events into an [`AppEvent`] and does what [`respond`] says; it decides nothing itself.

use serde::{Deserialize, Serialize};

use crate::session::LockReason;

/// Something the platform said about the app's place on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppEvent {
    /// The app stopped being the one in front (Android `onPause`, iOS
    /// `applicationWillResignActive`): home, app switcher, a call, a system prompt over it.
    Suspended,
    /// The app is back in front (Android `onResume`, iOS `applicationWillEnterForeground`).
    Resumed,
    /// The desktop window was minimised: off screen, as a phone app in the background is.
    Minimised,
    /// The desktop window lost the keyboard focus but is still on screen.
    FocusLost,
}

/// What the shell must do about an [`AppEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AppResponse {
    /// Lock the session now, with this reason (and tell the window).
    pub lock: Option<LockReason>,
    /// Ask the platform about its lock screen again and report it to the ward: the passcode may
    /// have been removed while the app was away.
    pub recheck_lock_screen: bool,
}

/// What `event` means for the session.
///
/// - Leaving the screen locks at once, before the platform takes its app-switcher snapshot and
///   before anyone else can pick the phone up. `Suspended` also comes for transient overlays (an
///   Android permission dialog, an iOS system prompt); locking then costs one unlock, and telling
///   those apart needs native hooks the mobile-hardening work adds.
/// - Losing focus on desktop does not lock: the window is still in front of the clinician (a
///   second monitor, a dialog of another app), and the idle lock covers a walk-away.
/// - Coming back re-checks the lock screen, so a passcode removed meanwhile blocks the app.
pub fn respond(event: AppEvent) -> AppResponse {
    match event {
        AppEvent::Suspended | AppEvent::Minimised => AppResponse {
            lock: Some(LockReason::Background),
            recheck_lock_screen: false,
        },
        AppEvent::Resumed => AppResponse {
            lock: None,
            recheck_lock_screen: true,
        },
        AppEvent::FocusLost => AppResponse {
            lock: None,
            recheck_lock_screen: false,
        },
    }
}
