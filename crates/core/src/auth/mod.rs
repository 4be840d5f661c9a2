//! Clinician authentication inside the app.
//!
//! [`KeyGate`] (`gate`) is the app lock on desktop: the clinician's PIN or passphrase releases the
//! vault's master key, which is in memory only while the app is unlocked.
//!
//! [`PinHash`] keeps a clinician PIN only as a salted PBKDF2-HMAC-SHA256 hash (sealed in the vault
//! by the app); [`PinLimiter`] slows and then stops guessing. A verified PIN lets the shell apply
//! [`UnlockMethod::ClinicianPin`](crate::session::UnlockMethod::ClinicianPin); the session never
//! sees the PIN.

mod error;
pub mod gate;
mod pin;
#[cfg(test)]
mod tests;

pub use error::AuthError;
pub use gate::{GateStatus, KeyGate};
pub use pin::{
    check_pin_policy, PinHash, PinLimiter, FIRST_DELAY_MS, FREE_ATTEMPTS, MAX_ATTEMPTS,
    MIN_PIN_LEN, PBKDF2_ITERATIONS,
};
