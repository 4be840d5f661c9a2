//! The clinician PIN: policy, salted PBKDF2 hash, and a rate limiter on the session's clock.

use std::num::NonZeroU32;

use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::AuthError;
use crate::session::Millis;

/// Fewest characters in a PIN or passphrase (the seeds' minimum for a device passcode).
pub const MIN_PIN_LEN: usize = 6;
/// Longest PIN or passphrase accepted, in bytes (bounds the work per attempt).
pub(crate) const MAX_PIN_LEN: usize = 64;
/// PBKDF2-HMAC-SHA256 iterations for new hashes (OWASP Password Storage Cheat Sheet, 2023).
pub const PBKDF2_ITERATIONS: u32 = 210_000;
/// Wrong attempts allowed before any delay.
pub const FREE_ATTEMPTS: u32 = 3;
/// The delay after the first attempt over [`FREE_ATTEMPTS`]; it doubles with each further one.
pub const FIRST_DELAY_MS: u64 = 30_000;
/// Wrong attempts after which the PIN is disabled until a full unlock.
pub const MAX_ATTEMPTS: u32 = 10;

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;

/// Checks a new PIN or passphrase: at least [`MIN_PIN_LEN`] characters and at most
/// [`MAX_PIN_LEN`] bytes; not one character repeated; and, when it is all digits, not a straight
/// run up or down either (`123456`, `987654`, `890123` wrapping round).
pub fn check_pin_policy(pin: &str) -> Result<(), AuthError> {
    if pin.chars().count() < MIN_PIN_LEN || pin.len() > MAX_PIN_LEN {
        return Err(AuthError::PinTooShort { min: MIN_PIN_LEN });
    }
    let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(pin.bytes().collect());
    let step = |d: i16| {
        bytes
            .windows(2)
            .all(|w| (i16::from(w[1]) - i16::from(w[0])).rem_euclid(10) == d)
    };
    if step(0) || (bytes.iter().all(u8::is_ascii_digit) && (step(1) || step(9))) {
        return Err(AuthError::PinTooSimple);
    }
    Ok(())
}

/// A clinician PIN as the vault keeps it: PBKDF2-HMAC-SHA256 with a random 16-byte salt. The
/// app seals the serialized form in the vault; the PIN itself is never stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

impl std::fmt::Debug for PinHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PinHash(pbkdf2-sha256, {} iterations)", self.iterations)
    }
}

impl PinHash {
    /// Hashes a new PIN after checking it against [`check_pin_policy`].
    pub fn create(pin: &Zeroizing<String>) -> Result<PinHash, AuthError> {
        check_pin_policy(pin)?;
        let mut salt = vec![0u8; SALT_LEN];
        SystemRandom::new()
            .fill(&mut salt)
            .map_err(|_| AuthError::Random)?;
        let mut hash = vec![0u8; HASH_LEN];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(PBKDF2_ITERATIONS)?,
            &salt,
            pin.as_bytes(),
            &mut hash,
        );
        Ok(PinHash {
            iterations: PBKDF2_ITERATIONS,
            salt,
            hash,
        })
    }

    /// Whether `attempt` is the PIN, compared in constant time (ring's `pbkdf2::verify`). A hash
    /// weaker than WardCam writes, or malformed, is refused rather than trusted.
    pub fn verify(&self, attempt: &str) -> Result<bool, AuthError> {
        if self.iterations < PBKDF2_ITERATIONS
            || self.salt.len() != SALT_LEN
            || self.hash.len() != HASH_LEN
        {
            return Err(AuthError::HashInvalid);
        }
        if attempt.len() > MAX_PIN_LEN {
            return Ok(false);
        }
        Ok(pbkdf2::verify(
            pbkdf2::PBKDF2_HMAC_SHA256,
            iterations(self.iterations)?,
            &self.salt,
            attempt.as_bytes(),
            &self.hash,
        )
        .is_ok())
    }
}

fn iterations(n: u32) -> Result<NonZeroU32, AuthError> {
    NonZeroU32::new(n).ok_or(AuthError::HashInvalid)
}

/// Limits PIN guessing on the session's [`Millis`] clock: [`FREE_ATTEMPTS`] wrong attempts are
/// free, then each wrong attempt imposes a wait starting at [`FIRST_DELAY_MS`] and doubling; after
/// [`MAX_ATTEMPTS`] wrong attempts the PIN is disabled until a full unlock
/// ([`PinLimiter::reset_after_full_unlock`]). A right PIN resets the count.
///
/// **The app must persist it** (sealed with the PIN hash) after every attempt, so that restarting
/// the app does not reset the count; the clock is the session's, so a restart also restarts the
/// wait from the restart, which is never shorter than the wait itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinLimiter {
    failures: u32,
    /// No attempt is accepted before this reading of the clock.
    not_before: Option<Millis>,
}

impl PinLimiter {
    /// A limiter with no failures.
    pub fn new() -> PinLimiter {
        PinLimiter::default()
    }

    /// Wrong attempts since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Whether an attempt may be made at `now`.
    pub fn check(&self, now: Millis) -> Result<(), AuthError> {
        if self.failures >= MAX_ATTEMPTS {
            return Err(AuthError::PinDisabled);
        }
        match self.not_before {
            Some(t) if now < t => Err(AuthError::TryLater {
                wait_ms: t.0 - now.0,
            }),
            _ => Ok(()),
        }
    }

    /// Tries `attempt` against `hash` at `now`. `Ok(())` means the PIN is right and the shell may
    /// apply the PIN unlock; a wrong PIN is [`AuthError::WrongPin`], or [`AuthError::PinDisabled`]
    /// if it was the last allowed. While waiting, the PIN is not even checked.
    pub fn attempt(
        &mut self,
        hash: &PinHash,
        attempt: &Zeroizing<String>,
        now: Millis,
    ) -> Result<(), AuthError> {
        self.check(now)?;
        if hash.verify(attempt)? {
            *self = PinLimiter::default();
            return Ok(());
        }
        self.failures += 1;
        if self.failures >= MAX_ATTEMPTS {
            return Err(AuthError::PinDisabled);
        }
        if self.failures >= FREE_ATTEMPTS {
            let doublings = self.failures - FREE_ATTEMPTS;
            let delay = FIRST_DELAY_MS.saturating_mul(1u64 << doublings.min(32));
            self.not_before = Some(Millis(now.0.saturating_add(delay)));
        }
        Err(AuthError::WrongPin {
            remaining: MAX_ATTEMPTS - self.failures,
        })
    }

    /// Clears the count after the clinician unlocked with the device credential (or another full
    /// unlock), which re-enables the PIN.
    pub fn reset_after_full_unlock(&mut self) {
        *self = PinLimiter::default();
    }
}
