//! Why a PIN was refused.

/// A PIN refused when set or when unlocking, with what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A new PIN or passphrase that is too short (or too long).
    #[error(
        "A PIN or passphrase must be at least {min} characters (and at most 64). Choose another."
    )]
    PinTooShort {
        /// The fewest digits allowed.
        min: usize,
    },
    /// A new PIN that is one digit repeated or a straight run (123456, 987654).
    #[error("This PIN is too easy to guess (one digit repeated, or digits in a row). Choose another PIN.")]
    PinTooSimple,
    /// The PIN entered is wrong.
    #[error("Wrong PIN. {remaining} attempt(s) left before WardCam makes you wait between tries.")]
    WrongPin {
        /// Attempts left before each further one makes the app wait (the key gate), or before
        /// the PIN is disabled (the older in-vault hand-back PIN).
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
    #[error("The stored PIN is not valid, so WardCam cannot unlock. Ask your device manager to reset WardCam on this phone.")]
    HashInvalid,
    /// No PIN has been set on this phone yet: set one to open WardCam.
    #[error("No PIN is set on this phone yet. Choose a PIN or passphrase to start.")]
    NotSetUp,
    /// A PIN is already set: changing it needs the current one.
    #[error(
        "A PIN is already set on this phone. Unlock with it, then change it on the Device screen."
    )]
    AlreadySetUp,
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
            AuthError::NotSetUp => "auth.not_set_up",
            AuthError::AlreadySetUp => "auth.already_set_up",
            AuthError::Random => "auth.random",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "auth.pin_too_short",
        "auth.pin_too_simple",
        "auth.wrong_pin",
        "auth.try_later",
        "auth.pin_disabled",
        "auth.hash_invalid",
        "auth.not_set_up",
        "auth.already_set_up",
        "auth.random",
    ];
}
