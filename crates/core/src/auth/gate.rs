//! The key gate (MASVS AUTH-2): the vault's master key is in memory only while the app is
//! unlocked, and only the clinician's credential releases it.
//!
//! The keystore (the Secret Service on desktop) never holds the master key itself, only a **gate
//! record** filed beside it under `<vault's keystore name>.gate`: the key wrapped with AES-256-GCM
//! under a key derived from the clinician's PIN or passphrase (PBKDF2-HMAC-SHA256, a random salt,
//! [`PBKDF2_ITERATIONS`]), and the attempt count with the time before which no attempt is taken.
//!
//! - **The attempt limiter lives in the same record**, outside the vault (which is shut while the
//!   app is locked) and outside any file: editing or deleting a file cannot reset it, and deleting
//!   the record deletes the key with it. Each attempt is counted and saved *before* the key is
//!   derived, so killing the app mid-attempt does not give a free guess.
//! - **It never wipes.** After [`FREE_ATTEMPTS`] wrong attempts each further one makes the app wait,
//!   from [`FIRST_DELAY_MS`] doubling up to [`MAX_DELAY_MS`]: undelivered photos must not be lost to
//!   a child playing with a phone. The wait is on the wall clock (it must survive a restart); a
//!   clock set back cannot lengthen a wait beyond its own delay.
//! - **The same credential hands the phone back** after kiosk mode ([`KeyGate::verify`]), with the
//!   same limiter.
//! - A vault made before the gate (its raw key in the keystore) is wrapped at [`KeyGate::set_up`]
//!   and its raw key removed.
//!
//! On phones the platform releases the key instead (a Keystore key that needs user
//! authentication, a Keychain item with `.userPresence`); the vault then opens with the platform
//! keystore directly and this record is not used. What the gate decides (set up, released,
//! refused, wait) is the same on both.

use std::num::NonZeroU32;
use std::path::Path;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::pbkdf2;
use serde::Serialize;
use zeroize::Zeroizing;

use super::pin::{check_pin_policy, MAX_PIN_LEN};
use super::{AuthError, FIRST_DELAY_MS, FREE_ATTEMPTS, PBKDF2_ITERATIONS};
use crate::vault::hazmat::{MasterKey, KEY_LEN};
use crate::vault::{KeyStore, Timestamp, Vault, VaultError};
use crate::Error;

/// Longest wait between attempts: the delay doubles up to a day and stays there.
pub const MAX_DELAY_MS: u64 = 24 * 60 * 60 * 1000;
/// What the gate record's keystore name adds to the vault's.
pub const GATE_SUFFIX: &str = ".gate";

const MAGIC: &[u8; 4] = b"WCG1";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
/// magic, iterations, salt, nonce, wrapped key, failures, not-before.
const RECORD_LEN: usize = 4 + 4 + SALT_LEN + NONCE_LEN + WRAPPED_LEN + 4 + 8;

/// The gate record: the wrapped master key and the attempt limiter.
#[derive(Clone)]
struct Record {
    iterations: u32,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    wrapped: [u8; WRAPPED_LEN],
    /// Wrong attempts since the last right one (the one being tried included, while it is).
    failures: u32,
    /// No attempt is taken before this wall-clock time (ms since the epoch; 0: none).
    not_before: u64,
}

impl Record {
    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(RECORD_LEN));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.wrapped);
        out.extend_from_slice(&self.failures.to_be_bytes());
        out.extend_from_slice(&self.not_before.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Result<Record, Error> {
        let corrupt = || Error::from(VaultError::KeystoreCorrupt);
        if bytes.len() != RECORD_LEN || &bytes[..4] != MAGIC {
            return Err(corrupt());
        }
        let mut at = 4;
        let mut take = |n: usize| {
            let part = &bytes[at..at + n];
            at += n;
            part
        };
        let u32_of = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let iterations = u32_of(take(4));
        let salt = take(SALT_LEN).try_into().map_err(|_| corrupt())?;
        let nonce = take(NONCE_LEN).try_into().map_err(|_| corrupt())?;
        let wrapped = take(WRAPPED_LEN).try_into().map_err(|_| corrupt())?;
        let failures = u32_of(take(4));
        let mut not_before = [0u8; 8];
        not_before.copy_from_slice(take(8));
        // A record weaker than WardCam writes is not trusted: someone lowered the work factor.
        if iterations < PBKDF2_ITERATIONS {
            return Err(AuthError::HashInvalid.into());
        }
        Ok(Record {
            iterations,
            salt,
            nonce,
            wrapped,
            failures,
            not_before: u64::from_be_bytes(not_before),
        })
    }

    /// How long before an attempt may be made at `now`; 0 when it may.
    fn wait(&self, now: Timestamp) -> u64 {
        // Never longer than the delay itself, whatever the clock did since.
        self.not_before
            .saturating_sub(now.0)
            .min(delay_after(self.failures))
    }
}

/// The wait imposed after `failures` wrong attempts.
pub fn delay_after(failures: u32) -> u64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS).min(32);
    FIRST_DELAY_MS
        .saturating_mul(1u64 << doublings)
        .min(MAX_DELAY_MS)
}

/// What the lock screen needs to know before anyone types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GateStatus {
    /// Whether a credential has been set: if not, the lock screen asks for a new one.
    pub set_up: bool,
    /// Wrong attempts since the last right one.
    pub failures: u32,
    /// How long before the next attempt is taken, in milliseconds (0: now).
    pub wait_ms: u64,
}

/// The key gate over the platform keystore (see the module doc).
#[derive(Debug)]
pub struct KeyGate {
    keys: std::sync::Arc<dyn KeyStore>,
}

impl KeyGate {
    /// A gate keeping its record in `keys` (the keystore the vault's key would be in).
    pub fn new(keys: std::sync::Arc<dyn KeyStore>) -> KeyGate {
        KeyGate { keys }
    }

    /// The keystore the gate keeps its record in: a remote wipe removes the key from it
    /// (`crate::wipe`).
    pub(crate) fn keystore(&self) -> &dyn KeyStore {
        self.keys.as_ref()
    }

    fn record(&self, name: &str) -> Result<Option<Record>, Error> {
        match self.keys.load_secret(&gate_name(name))? {
            None => Ok(None),
            Some(bytes) => Record::decode(&bytes).map(Some),
        }
    }

    fn save(&self, name: &str, record: &Record) -> Result<(), Error> {
        Ok(self.keys.save_secret(&gate_name(name), &record.encode())?)
    }

    /// Whether the vault in `dir` has a credential, and any wait, at `now`.
    pub fn status(&self, dir: &Path, now: Timestamp) -> Result<GateStatus, Error> {
        let record = match Vault::keystore_name_in(dir)? {
            Some(name) => self.record(&name)?,
            None => None,
        };
        Ok(match record {
            Some(r) => GateStatus {
                set_up: true,
                failures: r.failures,
                wait_ms: r.wait(now),
            },
            None => GateStatus {
                set_up: false,
                failures: 0,
                wait_ms: 0,
            },
        })
    }

    /// Sets the first credential and opens the vault: creates the vault in `dir` when there is
    /// none (its new key only ever stored wrapped), or wraps the raw key of a vault made before
    /// the gate and removes it. Refused once a credential is set ([`AuthError::AlreadySetUp`]);
    /// changing it needs the current one ([`KeyGate::change`]).
    pub fn set_up(&self, dir: &Path, pin: &Zeroizing<String>) -> Result<Vault, Error> {
        check_pin_policy(pin)?;
        match Vault::keystore_name_in(dir)? {
            None => Ok(Vault::create(dir, &Wrapping { gate: self, pin })?),
            Some(name) => {
                if self.record(&name)?.is_some() {
                    return Err(AuthError::AlreadySetUp.into());
                }
                let master = self.keys.load(&name)?.ok_or(VaultError::KeyUnavailable)?;
                self.save(&name, &wrap(&name, &master, pin)?)?;
                // Only once the wrapped copy is saved: a crash before leaves the raw key, and the
                // next set-up wraps it again.
                self.keys.remove(&name)?;
                Ok(Vault::open(dir, &Released::new(&name, master))?)
            }
        }
    }

    /// Releases the master key with `pin` and opens the vault in `dir`.
    pub fn unlock(
        &self,
        dir: &Path,
        pin: &Zeroizing<String>,
        now: Timestamp,
    ) -> Result<Vault, Error> {
        let name = Vault::keystore_name_in(dir)?.ok_or(AuthError::NotSetUp)?;
        let master = self.release(&name, pin, now)?;
        Ok(Vault::open(dir, &Released::new(&name, master))?)
    }

    /// Opens the vault in `dir` with a master key the platform released (a phone's Keystore key
    /// needing user authentication, or a Keychain item with `.userPresence`; see
    /// [`crate::device::ReleaseAction`]). A wrong key does not open it: the vault checks it.
    pub fn open_released(&self, dir: &Path, master: MasterKey) -> Result<Vault, Error> {
        let name = Vault::keystore_name_in(dir)?.ok_or(AuthError::NotSetUp)?;
        Ok(Vault::open(dir, &Released::new(&name, master))?)
    }

    /// The master key, released with `pin` (same limiter as [`KeyGate::unlock`]), for handing to
    /// the platform's keystore once the clinician chose to unlock with the phone's own lock.
    pub fn release_for_enrolment(
        &self,
        dir: &Path,
        pin: &Zeroizing<String>,
        now: Timestamp,
    ) -> Result<MasterKey, Error> {
        let name = Vault::keystore_name_in(dir)?.ok_or(AuthError::NotSetUp)?;
        self.release(&name, pin, now)
    }

    /// Checks `pin` as [`KeyGate::unlock`] does (same limiter) without opening anything: the
    /// kiosk hand-back.
    pub fn verify(&self, dir: &Path, pin: &Zeroizing<String>, now: Timestamp) -> Result<(), Error> {
        let name = Vault::keystore_name_in(dir)?.ok_or(AuthError::NotSetUp)?;
        self.release(&name, pin, now).map(drop)
    }

    /// Replaces the credential: `old` must release the key (same limiter), `new` must meet the
    /// policy. The key itself does not change, so nothing in the vault is re-sealed.
    pub fn change(
        &self,
        dir: &Path,
        old: &Zeroizing<String>,
        new: &Zeroizing<String>,
        now: Timestamp,
    ) -> Result<(), Error> {
        check_pin_policy(new)?;
        let name = Vault::keystore_name_in(dir)?.ok_or(AuthError::NotSetUp)?;
        let master = self.release(&name, old, now)?;
        self.save(&name, &wrap(&name, &master, new)?)
    }

    /// The limiter, then the key: see the module doc.
    fn release(
        &self,
        name: &str,
        pin: &Zeroizing<String>,
        now: Timestamp,
    ) -> Result<MasterKey, Error> {
        let mut record = self.record(name)?.ok_or(AuthError::NotSetUp)?;
        let wait = record.wait(now);
        if wait > 0 {
            return Err(AuthError::TryLater { wait_ms: wait }.into());
        }
        // Counted before the work: a kill while deriving does not give a free attempt.
        let attempted = record.failures;
        record.failures = attempted.saturating_add(1);
        record.not_before = now.0.saturating_add(delay_after(record.failures));
        self.save(name, &record)?;
        let released = if pin.len() > MAX_PIN_LEN {
            None
        } else {
            unwrap(name, &record, pin)?
        };
        match released {
            Some(master) => {
                record.failures = 0;
                record.not_before = 0;
                self.save(name, &record)?;
                Ok(master)
            }
            None => Err(AuthError::WrongPin {
                remaining: FREE_ATTEMPTS.saturating_sub(record.failures),
            }
            .into()),
        }
    }
}

fn gate_name(name: &str) -> String {
    format!("{name}{GATE_SUFFIX}")
}

/// The key-encryption key for `pin`.
fn kek(pin: &str, salt: &[u8], iterations: u32) -> Result<LessSafeKey, Error> {
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    let n = NonZeroU32::new(iterations).ok_or(AuthError::HashInvalid)?;
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        n,
        salt,
        pin.as_bytes(),
        bytes.as_mut(),
    );
    let key = UnboundKey::new(&AES_256_GCM, bytes.as_ref())
        .map_err(|_| VaultError::ApiMisuse("AES-256-GCM key"))?;
    Ok(LessSafeKey::new(key))
}

/// Binds the wrapped key to its vault: a record copied to another vault's name does not open.
fn aad(name: &str) -> Vec<u8> {
    let mut aad = b"wardcam.gate.v1".to_vec();
    aad.extend_from_slice(name.as_bytes());
    aad
}

fn random(buf: &mut [u8]) -> Result<(), Error> {
    use ring::rand::SecureRandom;
    ring::rand::SystemRandom::new()
        .fill(buf)
        .map_err(|_| AuthError::Random.into())
}

/// A new record for `master` under `pin`, with no failures.
fn wrap(name: &str, master: &MasterKey, pin: &Zeroizing<String>) -> Result<Record, Error> {
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut salt)?;
    random(&mut nonce)?;
    let key = kek(pin, &salt, PBKDF2_ITERATIONS)?;
    let mut wrapped = [0u8; WRAPPED_LEN];
    wrapped[..KEY_LEN].copy_from_slice(master.expose());
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad(name)),
            &mut wrapped[..KEY_LEN],
        )
        .map_err(|_| VaultError::ApiMisuse("AES-256-GCM seal failed"))?;
    wrapped[KEY_LEN..].copy_from_slice(tag.as_ref());
    Ok(Record {
        iterations: PBKDF2_ITERATIONS,
        salt,
        nonce,
        wrapped,
        failures: 0,
        not_before: 0,
    })
}

/// The master key in `record` if `pin` is the one it was wrapped under; `None` if not.
fn unwrap(name: &str, record: &Record, pin: &str) -> Result<Option<MasterKey>, Error> {
    let key = kek(pin, &record.salt, record.iterations)?;
    let mut buf = Zeroizing::new(record.wrapped);
    let opened = key.open_in_place(
        Nonce::assume_unique_for_key(record.nonce),
        Aad::from(aad(name)),
        buf.as_mut(),
    );
    Ok(match opened {
        Ok(plain) => {
            let bytes: &[u8; KEY_LEN] = plain
                .get(..KEY_LEN)
                .and_then(|b| b.try_into().ok())
                .ok_or(VaultError::KeystoreCorrupt)?;
            Some(MasterKey::from_bytes(bytes))
        }
        Err(_) => None,
    })
}

/// A keystore holding one released key, for [`Vault::open`]; it saves nothing.
struct Released<'a> {
    name: &'a str,
    key: std::sync::Mutex<Option<MasterKey>>,
}

impl<'a> Released<'a> {
    fn new(name: &'a str, key: MasterKey) -> Released<'a> {
        Released {
            name,
            key: std::sync::Mutex::new(Some(key)),
        }
    }
}

impl std::fmt::Debug for Released<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Released(<redacted>)")
    }
}

impl KeyStore for Released<'_> {
    fn load(&self, name: &str) -> Result<Option<MasterKey>, VaultError> {
        if name != self.name {
            return Ok(None);
        }
        // Handed over once: the vault keeps its own copy, and this one goes (wiped) at once.
        Ok(self
            .key
            .lock()
            .map_err(|_| VaultError::KeystoreCorrupt)?
            .take())
    }

    fn save(&self, _: &str, _: &MasterKey) -> Result<(), VaultError> {
        Err(VaultError::ApiMisuse("a released key is not saved again"))
    }

    fn remove(&self, _: &str) -> Result<(), VaultError> {
        Err(VaultError::ApiMisuse("a released key is not removed"))
    }
}

/// The keystore [`Vault::create`] saves a new vault's key through: wrapped under the first PIN,
/// never raw.
struct Wrapping<'a> {
    gate: &'a KeyGate,
    pin: &'a Zeroizing<String>,
}

impl std::fmt::Debug for Wrapping<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Wrapping(<redacted>)")
    }
}

impl KeyStore for Wrapping<'_> {
    fn load(&self, _: &str) -> Result<Option<MasterKey>, VaultError> {
        Ok(None)
    }

    fn save(&self, name: &str, key: &MasterKey) -> Result<(), VaultError> {
        let record = wrap(name, key, self.pin).map_err(gate_to_vault)?;
        self.gate
            .keys
            .save_secret(&gate_name(name), &record.encode())
    }

    fn remove(&self, name: &str) -> Result<(), VaultError> {
        self.gate.keys.remove(&gate_name(name))
    }
}

/// Inside the vault's own calls only vault errors pass; the gate's own failures here are the
/// random source's.
fn gate_to_vault(e: Error) -> VaultError {
    match e {
        Error::Vault(v) => v,
        _ => VaultError::ApiMisuse("the system random source failed"),
    }
}
