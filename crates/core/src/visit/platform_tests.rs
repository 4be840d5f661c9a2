//! The ward under the passcode gate, and the idle lock across a suspend.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::testing::{candidate, jpeg, verbal, BAND};
use super::*;
use crate::device::{Complexity, LockScreen, LockScreenReport, PasscodeDecision, Platform};
use crate::session::{LockReason, Millis, Purpose, SessionPolicy, State, UnlockMethod};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::{Timestamp, Vault};
use crate::Error;

/// A clock that moves only when told: a suspend is a jump with nothing else happening.
#[derive(Debug, Default)]
struct FakeClock(AtomicU64);

impl FakeClock {
    fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn session(&self) -> Millis {
        Millis(self.0.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Timestamp {
        Timestamp(1_790_000_000_000 + self.0.load(Ordering::SeqCst))
    }
}

#[derive(Debug)]
struct Roomy;

impl Storage for Roomy {
    fn available(&self, _dir: &Path) -> Option<u64> {
        Some(u64::MAX)
    }
}

const IDLE_MS: u64 = 60_000;

fn ward(clock: Arc<FakeClock>) -> Ward {
    let policy = SessionPolicy {
        idle_timeout_ms: IDLE_MS,
        allow_development_unlock: true,
    };
    Ward::with(policy, clock, Arc::new(Roomy))
}

fn phone(lock_screen: LockScreen, complexity: Option<Complexity>) -> LockScreenReport {
    LockScreenReport {
        platform: Platform::Android,
        lock_screen,
        complexity,
        development_platform: false,
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.unwrap_err().code()
}

#[test]
fn a_phone_that_cannot_show_a_passcode_stays_locked() {
    let ward = ward(Arc::default());
    let status = ward
        .report_lock_screen(phone(LockScreen::Unknown, None))
        .unwrap();
    assert_eq!(status.decision(), PasscodeDecision::Unknown);
    assert_eq!(ward.passcode().unwrap(), Some(status));
    assert_eq!(
        code(ward.check_passcode_gate()),
        "session.passcode_required"
    );
    assert_eq!(
        code(ward.unlock(UnlockMethod::Development)),
        "session.passcode_required"
    );
    assert_eq!(ward.view().unwrap().state, State::Locked);
}

#[test]
fn the_desktop_build_unlocks_as_a_development_platform() {
    let ward = ward(Arc::default());
    let status = ward
        .report_lock_screen(LockScreenReport::development(Platform::Desktop))
        .unwrap();
    assert_eq!(status.decision(), PasscodeDecision::DevelopmentPlatform);
    ward.check_passcode_gate().unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
}

/// The passcode removed while WardCam was in the background, with a patient confirmed: on return
/// the ward locks, forgets nothing it must keep, and refuses the patient, the camera and the
/// consent until a passcode is back and the clinician unlocks.
#[test]
fn a_passcode_removed_in_the_background_locks_and_refuses_everything() {
    let dir = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let ward = ward(Arc::default());
    ward.attach_vault(Arc::new(
        Vault::open_or_create(&dir.path().join("vault"), &keys).unwrap(),
    ))
    .unwrap();
    ward.report_lock_screen(phone(LockScreen::Secure, Some(Complexity::Medium)))
        .unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward.identify(candidate(BAND)).unwrap();
    ward.confirm().unwrap();

    let status = ward
        .report_lock_screen(phone(LockScreen::Insecure, Some(Complexity::None)))
        .unwrap();
    assert!(!status.allows_unlock());
    let view = ward.view().unwrap();
    assert_eq!(view.state, State::Locked);
    assert_eq!(view.lock_reason, Some(LockReason::Background));
    assert!(ward.current_patient().unwrap().is_none());

    assert_eq!(
        code(ward.unlock(UnlockMethod::Development)),
        "session.passcode_required"
    );
    assert_eq!(
        code(ward.unlock(UnlockMethod::ClinicianPin)),
        "session.passcode_required"
    );
    assert_eq!(code(ward.check_new_patient()), "session.locked");
    assert_eq!(code(ward.start_capture()), "session.locked");
    assert_eq!(
        code(ward.capture(&jpeg(1), Purpose::Care)),
        "session.locked"
    );
    assert_eq!(code(ward.record_consent(verbal())), "session.locked");
    assert_eq!(code(ward.end_visit()), "session.locked");

    // A passcode set again: still locked until the clinician unlocks, then the same patient.
    ward.report_lock_screen(phone(LockScreen::Secure, Some(Complexity::High)))
        .unwrap();
    assert_eq!(ward.view().unwrap().state, State::Locked);
    let view = ward.unlock(UnlockMethod::Development).unwrap();
    assert_eq!(view.state, State::PatientConfirmed);
}

/// A suspend is the session clock jumping forward with nothing else happening (the clock counts
/// sleep: `since_boot.rs`). The next idle check after waking locks, whatever state it was in.
#[test]
fn the_idle_lock_falls_due_across_a_suspend() {
    let clock = Arc::new(FakeClock::default());
    let ward = ward(clock.clone());
    ward.unlock(UnlockMethod::Development).unwrap();
    clock.advance(IDLE_MS - 1_000);
    assert_eq!(ward.lock_if_idle().unwrap(), None);

    clock.advance(30 * 60_000); // half an hour asleep in a pocket
    let view = ward.lock_if_idle().unwrap().unwrap();
    assert_eq!(view.state, State::Locked);
    assert_eq!(view.lock_reason, Some(LockReason::Idle));
    assert_eq!(ward.lock_if_idle().unwrap(), None, "locks once");
}

/// The same, when the first thing after waking is a command rather than the idle watcher: the
/// command is refused, not run in the unlocked session the phone slept in.
#[test]
fn a_command_after_a_suspend_finds_the_session_locked() {
    let clock = Arc::new(FakeClock::default());
    let ward = ward(clock.clone());
    ward.unlock(UnlockMethod::Development).unwrap();
    clock.advance(IDLE_MS);
    assert_eq!(code(ward.check_new_patient()), "session.locked");
    assert_eq!(ward.view().unwrap().lock_reason, Some(LockReason::Idle));
}
