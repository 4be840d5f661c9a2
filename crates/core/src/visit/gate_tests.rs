//! The ward behind the key gate: first start, unlock, what a lock shuts, the limiter across
//! restarts and keystore failures, a vault from before the gate, hand-back and PIN change.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use zeroize::Zeroizing;

use super::testing::{candidate, jpeg, verbal, BAND};
use super::*;
use crate::auth::gate::{delay_after, GATE_SUFFIX};
use crate::auth::{AuthError, KeyGate, FREE_ATTEMPTS};
use crate::session::{
    LockReason, Millis, Purpose, SessionError, SessionPolicy, State, UnlockMethod,
};
use crate::vault::danger::MemoryKeyStore;
use crate::vault::hazmat::MasterKey;
use crate::vault::{KeyStore, Timestamp, Vault, VaultError};
use crate::Error;

const PIN: &str = "482916";

#[derive(Debug, Default)]
struct TestClock {
    session: AtomicU64,
    wall: AtomicU64,
}

impl Clock for TestClock {
    fn session(&self) -> Millis {
        Millis(self.session.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Timestamp {
        Timestamp(1_790_000_000_000 + self.wall.fetch_add(1, Ordering::SeqCst))
    }
}

impl TestClock {
    /// Time passes on both clocks (a suspended phone's session clock counts it too).
    fn advance(&self, ms: u64) {
        self.session.fetch_add(ms, Ordering::SeqCst);
        self.wall.fetch_add(ms, Ordering::SeqCst);
    }
}

#[derive(Debug)]
struct Space;

impl Storage for Space {
    fn available(&self, _: &Path) -> Option<u64> {
        None
    }
}

/// A keystore over a shared memory store whose `save_secret` can be made to fail from the
/// `fail_from`-th call on (a keystore that stops answering mid-attempt, as a killed app would).
#[derive(Debug)]
struct Flaky {
    inner: Arc<MemoryKeyStore>,
    saves: AtomicUsize,
    fail_from: AtomicUsize,
}

impl KeyStore for Flaky {
    fn load(&self, name: &str) -> Result<Option<MasterKey>, VaultError> {
        self.inner.load(name)
    }
    fn save(&self, name: &str, key: &MasterKey) -> Result<(), VaultError> {
        self.inner.save(name, key)
    }
    fn remove(&self, name: &str) -> Result<(), VaultError> {
        self.inner.remove(name)
    }
    fn load_secret(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        self.inner.load_secret(name)
    }
    fn save_secret(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        let n = self.saves.fetch_add(1, Ordering::SeqCst);
        if n >= self.fail_from.load(Ordering::SeqCst) {
            return Err(VaultError::KeystoreLocked {
                reason: "gone".into(),
            });
        }
        self.inner.save_secret(name, secret)
    }
}

struct Phone {
    _dir: tempfile::TempDir,
    path: PathBuf,
    keys: Arc<MemoryKeyStore>,
    clock: Arc<TestClock>,
    ward: Ward,
}

fn pin(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

fn policy() -> SessionPolicy {
    SessionPolicy {
        idle_timeout_ms: 60_000,
        // As a release build: no development unlock.
        allow_development_unlock: false,
    }
}

fn gated_ward(path: &Path, keys: Arc<dyn KeyStore>, clock: Arc<TestClock>) -> Ward {
    let ward = Ward::with(policy(), clock, Arc::new(Space));
    ward.use_key_gate(path.to_path_buf(), KeyGate::new(keys))
        .unwrap();
    ward
}

/// A phone on its first start: no vault yet.
fn phone() -> Phone {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let keys = Arc::new(MemoryKeyStore::new());
    let clock = Arc::new(TestClock::default());
    let ward = gated_ward(&path, keys.clone(), clock.clone());
    Phone {
        _dir: dir,
        path,
        keys,
        clock,
        ward,
    }
}

impl Phone {
    /// The app restarted over the same vault and keystore.
    fn restart(&mut self) {
        self.ward = gated_ward(&self.path, self.keys.clone(), self.clock.clone());
    }

    fn gate_record(&self) -> Option<Zeroizing<Vec<u8>>> {
        let name = Vault::keystore_name_in(&self.path).unwrap().unwrap();
        self.keys
            .load_secret(&format!("{name}{GATE_SUFFIX}"))
            .unwrap()
    }
}

fn code<T: std::fmt::Debug>(r: Result<T, Error>) -> &'static str {
    r.expect_err("refused").code()
}

/// A phone set up, with a patient consented and one photo taken.
fn phone_with_photo() -> (Phone, PhotoId) {
    let p = phone();
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    p.ward.identify(candidate(BAND)).unwrap();
    p.ward.confirm().unwrap();
    p.ward.record_consent(verbal()).unwrap();
    p.ward.start_capture().unwrap();
    let photo = p.ward.capture(&jpeg(1), Purpose::Care).unwrap();
    (p, photo.id)
}

#[test]
fn the_first_start_sets_the_pin_and_the_key_is_only_ever_stored_wrapped() {
    let p = phone();
    let status = p.ward.gate_status().unwrap();
    assert!(!status.set_up);
    assert!(!p.ward.pin_status().unwrap().set);
    // Nothing to unlock yet, and no development unlock.
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.not_set_up");
    assert_eq!(
        code(p.ward.unlock(UnlockMethod::Development)),
        "session.locked"
    );
    // The policy applies to the first PIN; a passphrase is allowed too.
    assert_eq!(
        code(p.ward.set_up(&pin("12345"), "Dr A Jones")),
        "auth.pin_too_short"
    );
    assert_eq!(
        code(p.ward.set_up(&pin("123456"), "Dr A Jones")),
        "auth.pin_too_simple"
    );
    assert!(Vault::keystore_name_in(&p.path).unwrap().is_none());

    let view = p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    assert_ne!(view.state, State::Locked);
    assert!(p.ward.gate_status().unwrap().set_up);
    let status = p.ward.pin_status().unwrap();
    assert!(status.set);
    assert_eq!(status.clinician.as_deref(), Some("Dr A Jones"));
    // The keystore holds the gate record, never the raw master key.
    let name = Vault::keystore_name_in(&p.path).unwrap().unwrap();
    assert!(p.keys.load(&name).unwrap().is_none());
    let record = p.gate_record().unwrap();
    let master = p.ward.vault().unwrap();
    drop(master);
    assert_eq!(record.len(), 96);
    // Set once: a second set-up is refused, locked or not.
    assert_eq!(
        code(p.ward.set_up(&pin("730251"), "Dr B")),
        "session.already_unlocked"
    );
    p.ward.lock_now(LockReason::User).unwrap();
    assert_eq!(
        code(p.ward.set_up(&pin("730251"), "Dr B")),
        "auth.already_set_up"
    );
}

#[test]
fn a_lock_shuts_the_vault_and_forgets_the_patient_until_the_pin_opens_it() {
    let (p, photo) = phone_with_photo();
    let vault: Weak<Vault> = Arc::downgrade(&p.ward.vault().unwrap());
    assert!(p.ward.current_patient().unwrap().is_some());

    p.ward.lock_now(LockReason::User).unwrap();
    // The vault (and with it the master key) is gone from memory: no one holds it.
    assert!(vault.upgrade().is_none(), "the vault outlived the lock");
    // Every command that needs the vault is refused.
    assert_eq!(code(p.ward.vault()), "session.locked");
    assert_eq!(code(p.ward.thumbnail(photo)), "session.locked");
    let redaction = crate::intake::Redaction::default();
    assert_eq!(code(p.ward.redact(photo, &redaction)), "session.locked");
    assert_eq!(code(p.ward.record_consent(verbal())), "session.locked");
    assert!(p.ward.outbox().unwrap().is_empty());
    assert!(p.ward.current_patient().unwrap().is_none());
    assert_eq!(p.ward.pin_status().unwrap().clinician, None);
    assert_eq!(p.ward.status().unwrap().photos, 0);

    // A wrong PIN does not open it; the right one reads everything back, the visit included.
    assert_eq!(
        code(p.ward.unlock_with_pin(&pin("000001"))),
        "auth.wrong_pin"
    );
    assert_eq!(code(p.ward.vault()), "session.locked");
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    assert_eq!(p.ward.status().unwrap().photos, 1);
    assert!(p.ward.current_patient().unwrap().is_some());
    assert_eq!(p.ward.photos().unwrap().len(), 1);
    assert!(!p.ward.thumbnail(photo).unwrap().is_empty());
    assert_eq!(
        p.ward.pin_status().unwrap().clinician.as_deref(),
        Some("Dr A Jones")
    );
    assert_eq!(
        code(p.ward.unlock_with_pin(&pin(PIN))),
        "session.already_unlocked"
    );
}

#[test]
fn the_idle_lock_shuts_the_vault_too_even_across_a_suspend() {
    let (p, _) = phone_with_photo();
    let vault = Arc::downgrade(&p.ward.vault().unwrap());
    // The phone sleeps past the idle timeout: the first call after it finds the session idled out.
    p.clock.advance(61_000);
    assert!(p.ward.lock_if_idle().unwrap().is_some());
    assert!(vault.upgrade().is_none());
    assert_eq!(code(p.ward.vault()), "session.locked");
    // And any other call idles it out the same way.
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    let vault = Arc::downgrade(&p.ward.vault().unwrap());
    p.clock.advance(61_000);
    assert!(p.ward.photos().unwrap().is_empty());
    assert!(vault.upgrade().is_none());
}

#[test]
fn wrong_pins_make_the_app_wait_longer_and_a_restart_does_not_reset_the_count() {
    let mut p = phone();
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    p.ward.lock_now(LockReason::User).unwrap();
    for i in 1..=FREE_ATTEMPTS {
        let e = p.ward.unlock_with_pin(&pin("000001")).unwrap_err();
        assert_eq!(
            e,
            Error::Auth(AuthError::WrongPin {
                remaining: FREE_ATTEMPTS - i
            })
        );
    }
    // Now each attempt waits; the right PIN is not even tried while waiting.
    let first = delay_after(FREE_ATTEMPTS);
    assert_eq!(first, crate::auth::FIRST_DELAY_MS);
    assert!(matches!(
        p.ward.unlock_with_pin(&pin(PIN)),
        Err(Error::Auth(AuthError::TryLater { wait_ms })) if wait_ms > first - 10
    ));
    // A restart keeps the count and the wait: they live in the keystore record, beside the
    // wrapped key, not in a file of the app's that could be edited or deleted.
    p.restart();
    let status = p.ward.gate_status().unwrap();
    assert_eq!(status.failures, FREE_ATTEMPTS);
    assert!(status.wait_ms > first - 10);
    assert_eq!(p.ward.pin_status().unwrap().failures, FREE_ATTEMPTS);
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.try_later");
    // Later, a wrong PIN doubles the wait; it never disables the PIN.
    let mut p = phone();
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    p.ward.lock_now(LockReason::User).unwrap();
    for n in 1..=FREE_ATTEMPTS + 6 {
        p.clock.advance(delay_after(n - 1) + 1);
        assert!(p.ward.unlock_with_pin(&pin("000001")).is_err());
        let status = p.ward.gate_status().unwrap();
        assert_eq!(status.failures, n);
        // The wall clock moves a millisecond per reading here.
        assert!(delay_after(n) - status.wait_ms <= 5, "{n}");
    }
    assert_eq!(
        delay_after(FREE_ATTEMPTS + 1),
        2 * delay_after(FREE_ATTEMPTS)
    );
    assert_eq!(delay_after(200), crate::auth::gate::MAX_DELAY_MS);
    p.restart();
    p.clock.advance(delay_after(FREE_ATTEMPTS + 6) + 1);
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    assert_eq!(p.ward.gate_status().unwrap().failures, 0);
}

#[test]
fn an_attempt_is_counted_before_the_key_is_derived() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault");
    let memory = Arc::new(MemoryKeyStore::new());
    let flaky = Arc::new(Flaky {
        inner: memory.clone(),
        saves: AtomicUsize::new(0),
        fail_from: AtomicUsize::new(usize::MAX),
    });
    let clock = Arc::new(TestClock::default());
    let ward = gated_ward(&path, flaky.clone(), clock.clone());
    ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    ward.lock_now(LockReason::User).unwrap();
    // The keystore stops answering after the attempt was counted (as an app killed while
    // deriving would leave it): even the right PIN's attempt stays counted.
    flaky.saves.store(0, Ordering::SeqCst);
    flaky.fail_from.store(1, Ordering::SeqCst);
    assert_eq!(
        code(ward.unlock_with_pin(&pin(PIN))),
        "vault.keystore_locked"
    );
    assert_eq!(code(ward.vault()), "session.locked");
    flaky.fail_from.store(usize::MAX, Ordering::SeqCst);
    assert_eq!(ward.gate_status().unwrap().failures, 1);
    // A keystore that cannot count the attempt gets no attempt at all.
    flaky.saves.store(0, Ordering::SeqCst);
    flaky.fail_from.store(0, Ordering::SeqCst);
    assert_eq!(
        code(ward.unlock_with_pin(&pin(PIN))),
        "vault.keystore_locked"
    );
    flaky.fail_from.store(usize::MAX, Ordering::SeqCst);
    ward.unlock_with_pin(&pin(PIN)).unwrap();
    assert_eq!(ward.gate_status().unwrap().failures, 0);
}

#[test]
fn a_damaged_weakened_or_moved_gate_record_opens_nothing() {
    let p = phone();
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    p.ward.lock_now(LockReason::User).unwrap();
    let name = Vault::keystore_name_in(&p.path).unwrap().unwrap();
    let gate_name = format!("{name}{GATE_SUFFIX}");
    let good = p.gate_record().unwrap();

    // A flipped bit in the wrapped key: the right PIN no longer opens it.
    let mut bad = good.to_vec();
    bad[40] ^= 1;
    p.keys.save_secret(&gate_name, &bad).unwrap();
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.wrong_pin");
    // Fewer PBKDF2 iterations than WardCam writes: not trusted.
    let mut weak = good.to_vec();
    weak[4..8].copy_from_slice(&1000u32.to_be_bytes());
    p.keys.save_secret(&gate_name, &weak).unwrap();
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.hash_invalid");
    // Cut short: a damaged keystore, said so.
    p.keys.save_secret(&gate_name, &good[..50]).unwrap();
    assert_eq!(
        code(p.ward.unlock_with_pin(&pin(PIN))),
        "vault.keystore_corrupt"
    );
    // Another vault's record under this vault's name: bound to its own name, it does not open.
    let other = phone();
    other.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    let theirs = other.gate_record().unwrap();
    p.keys.save_secret(&gate_name, &theirs).unwrap();
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.wrong_pin");
    // Its own record back: opens.
    p.keys.save_secret(&gate_name, &good).unwrap();
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
}

#[test]
fn a_vault_from_before_the_gate_is_wrapped_at_set_up_and_its_raw_key_removed() {
    let mut p = phone();
    // As an older build left it: the raw master key in the keystore, a PIN sealed in the vault,
    // a photo waiting.
    {
        let old = Ward::with(
            SessionPolicy {
                allow_development_unlock: true,
                ..policy()
            },
            p.clock.clone(),
            Arc::new(Space),
        );
        let vault = Vault::open_or_create(&p.path, p.keys.as_ref()).unwrap();
        old.attach_vault(Arc::new(vault)).unwrap();
        old.unlock(UnlockMethod::Development).unwrap();
        old.set_pin(&pin("907132"), "Dr Old", None).unwrap();
        old.identify(candidate(BAND)).unwrap();
        old.confirm().unwrap();
        old.record_consent(verbal()).unwrap();
        old.start_capture().unwrap();
        old.capture(&jpeg(2), Purpose::Care).unwrap();
    }
    p.restart();
    let name = Vault::keystore_name_in(&p.path).unwrap().unwrap();
    assert!(p.keys.load(&name).unwrap().is_some());
    assert!(!p.ward.gate_status().unwrap().set_up);
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.not_set_up");

    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    assert!(p.keys.load(&name).unwrap().is_none(), "the raw key stayed");
    assert_eq!(p.ward.status().unwrap().photos, 1);
    assert!(p.ward.current_patient().unwrap().is_some());
    p.ward.lock_now(LockReason::User).unwrap();
    assert_eq!(
        code(p.ward.unlock_with_pin(&pin("907132"))),
        "auth.wrong_pin"
    );
    p.ward.unlock_with_pin(&pin(PIN)).unwrap();
    assert_eq!(p.ward.status().unwrap().photos, 1);
    assert_eq!(
        p.ward.pin_status().unwrap().clinician.as_deref(),
        Some("Dr A Jones")
    );
}

#[test]
fn the_hand_back_and_a_pin_change_use_the_gate() {
    let p = phone();
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    p.ward.identify(candidate(BAND)).unwrap();
    p.ward.confirm().unwrap();
    p.ward.hand_to_patient().unwrap();
    assert_eq!(
        code(p.ward.hand_back(Some(&pin("000001")))),
        "auth.wrong_pin"
    );
    // The same limiter as the unlock.
    assert_eq!(p.ward.gate_status().unwrap().failures, 1);
    // No development hand-back in a release policy.
    assert!(p.ward.hand_back(None).is_err());
    p.ward.hand_back(Some(&pin(PIN))).unwrap();
    assert_eq!(p.ward.gate_status().unwrap().failures, 0);

    // Changing the PIN needs the current one; then only the new one opens the vault.
    assert_eq!(
        code(p.ward.set_pin(&pin("730251"), "Dr A Jones", None)),
        "auth.old_pin_required"
    );
    assert_eq!(
        code(
            p.ward
                .set_pin(&pin("730251"), "Dr A Jones", Some(&pin("000001")))
        ),
        "auth.wrong_pin"
    );
    p.ward
        .set_pin(&pin("730251"), "Dr A Jones", Some(&pin(PIN)))
        .unwrap();
    p.ward.lock_now(LockReason::User).unwrap();
    assert_eq!(code(p.ward.unlock_with_pin(&pin(PIN))), "auth.wrong_pin");
    p.ward.unlock_with_pin(&pin("730251")).unwrap();
    assert!(p.ward.current_patient().unwrap().is_some());
}

#[test]
fn the_session_error_for_a_shut_vault_is_the_lock() {
    let p = phone();
    assert_eq!(
        p.ward.vault().unwrap_err(),
        Error::Session(SessionError::Locked)
    );
}

/// What a phone's keystore would release: the vault's master key, read with the PIN (as the shell
/// does when it hands the key to the platform).
fn platform_copy(p: &Phone) -> Zeroizing<Vec<u8>> {
    let key = KeyGate::new(p.keys.clone())
        .release_for_enrolment(&p.path, &pin(PIN), p.clock.wall())
        .unwrap();
    Zeroizing::new(key.expose().to_vec())
}

#[test]
fn the_platform_releases_the_key_and_core_decides_what_each_answer_means() {
    use crate::device::PlatformRelease as R;
    use crate::visit::PlatformUnlock as U;
    // No vault yet: whatever the platform says, the first start sets the PIN.
    let p = phone();
    assert_eq!(p.ward.unlock_with_platform(R::Missing).unwrap(), U::SetUp);
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    let copy = platform_copy(&p);
    p.ward.lock_now(LockReason::User).unwrap();

    // The right key unlocks, and the vault is open again.
    match p
        .ward
        .unlock_with_platform(R::Released(copy.clone()))
        .unwrap()
    {
        U::Unlocked(view) => assert_eq!(view.state, State::Unlocked),
        other => panic!("{other:?}"),
    }
    assert!(p.ward.pin_status().unwrap().set, "the vault was read back");
    p.ward.lock_now(LockReason::User).unwrap();

    // A key that is not the vault's does not open it, and the session stays locked.
    let wrong = Zeroizing::new(vec![7u8; 32]);
    assert!(p.ward.unlock_with_platform(R::Released(wrong)).is_err());
    assert!(p.ward.is_locked().unwrap());
    // A key of the wrong length is not tried: the PIN, and enrol again.
    assert!(matches!(
        p.ward
            .unlock_with_platform(R::Released(Zeroizing::new(vec![1; 5])))
            .unwrap(),
        U::UsePin { re_enrol: true, .. }
    ));
    // Cancelled, not recognised, paused: still locked, with a word for the clinician.
    for answer in [R::Cancelled, R::Refused, R::LockedOut] {
        assert!(matches!(
            p.ward.unlock_with_platform(answer).unwrap(),
            U::StayLocked { .. }
        ));
    }
    // The platform cannot answer, or its key is gone (screen lock reset): the PIN is the way back.
    assert!(matches!(
        p.ward.unlock_with_platform(R::Unavailable).unwrap(),
        U::UsePin {
            re_enrol: false,
            ..
        }
    ));
    assert!(matches!(
        p.ward.unlock_with_platform(R::Missing).unwrap(),
        U::UsePin { re_enrol: true, .. }
    ));
    assert!(p.ward.is_locked().unwrap());
    // None of these spent a PIN attempt.
    assert_eq!(p.ward.gate_status().unwrap().failures, 0);
}

#[test]
fn a_phone_without_a_passcode_releases_nothing_through_the_platform() {
    use crate::device::{LockScreen, LockScreenReport, Platform};
    let p = phone();
    p.ward.set_up(&pin(PIN), "Dr A Jones").unwrap();
    let copy = platform_copy(&p);
    p.ward.lock_now(LockReason::User).unwrap();
    p.ward
        .report_lock_screen(LockScreenReport {
            platform: Platform::Android,
            lock_screen: LockScreen::Insecure,
            complexity: None,
            development_platform: false,
        })
        .unwrap();
    assert_eq!(
        code(
            p.ward
                .unlock_with_platform(crate::device::PlatformRelease::Released(copy))
        ),
        "session.passcode_required"
    );
}
