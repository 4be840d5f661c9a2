//! The app leaving and coming back to the screen, from Tauri's window events to core: the shell
//! translates the event ([`app_event`]), core decides what it means
//! (`wardcam_core::device::respond`), and the shell does it: lock the ward and tell the window,
//! or report the lock screen again.
//!
//! The UI also locks when its page becomes hidden. This is the lock that does not depend on
//! JavaScript: a WebView paused in the background may not run it before the platform takes its
//! app-switcher snapshot, or at all.

use tauri::{Emitter, Manager, Runtime, Window, WindowEvent};
use wardcam_core::device::{respond, AppEvent};

use crate::idle::SESSION_CHANGED;

/// Handles one window event (registered with `Builder::on_window_event`). It runs on the main
/// thread, before the platform goes on with the pause, so the lock is in place when it returns.
pub(crate) fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let Some(app_event) = app_event(event, || window.is_minimized().unwrap_or(false)) else {
        return;
    };
    let app = window.app_handle();
    let ward = crate::ward(app);
    let response = respond(app_event);
    let mut locked = None;
    if response.recheck_lock_screen {
        let blocked = crate::passcode::report(app, &ward).is_some_and(|s| !s.allows_unlock());
        // A gate that now blocks has locked the session; the window hears it with the rest.
        if blocked {
            locked = ward.view().ok();
        }
    }
    if let Some(reason) = response.lock {
        // A poisoned ward refuses; the commands report that, and it cannot be unlocked either.
        locked = ward.lock_now(reason).ok();
    }
    if let Some(view) = locked {
        if let Err(e) = app.emit(SESSION_CHANGED, view) {
            eprintln!("WardCam: could not tell the window it locked: {e}");
        }
    }
}

/// Tauri's window event as core's [`AppEvent`], or `None` for one that says nothing about the
/// app's place on screen. `minimised` asks the window, and only on a resize: Tauri has no
/// minimise event, but a minimise arrives as a resize (tao reports one when GTK iconifies the
/// window; Windows resizes it to 0 x 0).
pub(crate) fn app_event(event: &WindowEvent, minimised: impl FnOnce() -> bool) -> Option<AppEvent> {
    match event {
        // Android `onPause` / iOS `applicationWillResignActive`, and back (Tauri 2.11+).
        #[cfg(mobile)]
        WindowEvent::Suspended => Some(AppEvent::Suspended),
        #[cfg(mobile)]
        WindowEvent::Resumed => Some(AppEvent::Resumed),
        WindowEvent::Resized(_) if minimised() => Some(AppEvent::Minimised),
        WindowEvent::Focused(false) => Some(AppEvent::FocusLost),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tauri::{PhysicalPosition, PhysicalSize};
    use wardcam_core::session::LockReason;

    use super::*;

    /// What an event ends up doing: core's lock decision for the translated event.
    fn lock_for(event: &WindowEvent, minimised: bool) -> Option<LockReason> {
        app_event(event, || minimised).and_then(|e| respond(e).lock)
    }

    #[test]
    fn a_minimised_window_locks() {
        let resized = WindowEvent::Resized(PhysicalSize::new(0, 0));
        assert_eq!(app_event(&resized, || true), Some(AppEvent::Minimised));
        assert_eq!(lock_for(&resized, true), Some(LockReason::Background));
    }

    #[test]
    fn a_resize_on_screen_does_not_lock() {
        let resized = WindowEvent::Resized(PhysicalSize::new(800, 600));
        assert_eq!(app_event(&resized, || false), None);
    }

    #[test]
    fn losing_focus_on_desktop_does_not_lock() {
        let blurred = WindowEvent::Focused(false);
        assert_eq!(app_event(&blurred, || false), Some(AppEvent::FocusLost));
        assert_eq!(lock_for(&blurred, false), None);
        assert_eq!(app_event(&WindowEvent::Focused(true), || false), None);
    }

    #[test]
    fn other_events_do_not_ask_the_window() {
        let moved = WindowEvent::Moved(PhysicalPosition::new(10, 10));
        assert_eq!(
            app_event(&moved, || panic!("asked the window on a move")),
            None
        );
        assert_eq!(
            app_event(&WindowEvent::Focused(false), || panic!("asked on focus")),
            Some(AppEvent::FocusLost)
        );
    }

    #[cfg(mobile)]
    #[test]
    fn the_app_going_to_the_background_locks_and_coming_back_rechecks() {
        assert_eq!(
            lock_for(&WindowEvent::Suspended, false),
            Some(LockReason::Background)
        );
        let back = app_event(&WindowEvent::Resumed, || false).unwrap();
        assert!(respond(back).recheck_lock_screen);
    }
}
