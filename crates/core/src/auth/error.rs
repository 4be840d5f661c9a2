//! Why a PIN was refused.

/// A PIN refused when set or when unlocking, with what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A new PIN that is too short or not all digits.
    #[error("A PIN must be at least {min} digits, numbers only. Choose another PIN.")]
    PinTooShort {
        /// The fewest digits allowed.
        min: usize,
    },
    /// A new PIN that is one digit repeated or a straight run (123456, 987654).
    #[error("This PIN is too easy to guess (one digit repeated, or digits in a row). Choose another PIN.")]
    PinTooSimple,
    /// The PIN entered is wrong.
    #[error("Wrong PIN. {remaining} attempt(s) left before the PIN is disabled.")]
    WrongPin {
        /// Attempts left before the PIN is disabled.
        remaining: u32,
    },
    /// Too many wrong attempts recently; wait before trying again.
    #[error("Too many wrong PINs. Wait {} second(s) and try again.", wait_ms.div_ceil(1000))]
    TryLater {
        /// How long to wait, in milliseconds.
        wait_ms: u64,
    },
    /// Too many wrong attempts in all: the PIN no longer unlocks.
    #[error("The PIN is disabled after too many wrong attempts. Unlock fully with your device password, then set a new PIN.")]
    PinDisabled,
    /// A stored hash that is not one WardCam writes (too few iterations, wrong sizes).
    #[error("The stored PIN is not valid. Unlock fully with your device password and set the PIN again.")]
    HashInvalid,
    /// The random source failed while salting.
    #[error("The PIN could not be saved (the system's random source failed). Try again.")]
    Random,
}

impl AuthError {
    /// A stable, dotted machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::PinTooShort { .. } => "auth.pin_too_short",
            AuthError::PinTooSimple => "auth.pin_too_simple",
            AuthError::WrongPin { .. } => "auth.wrong_pin",
            AuthError::TryLater { .. } => "auth.try_later",
            AuthError::PinDisabled => "auth.pin_disabled",
            AuthError::HashInvalid => "auth.hash_invalid",
            AuthError::Random => "auth.random",
        }
    }
}
