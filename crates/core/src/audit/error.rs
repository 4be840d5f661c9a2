//! Why the audit trail could not do something.

use thiserror::Error;

/// An audit failure. None of them stops clinical work: the ward records a gap
/// ([`super::Event::EntriesLost`]) and the Device screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuditError {
    /// The audit files could not be read or written.
    #[error("The audit log could not {0} ({1:?}). Check the phone's free space.")]
    Io(&'static str, std::io::ErrorKind),
    /// A cryptographic step failed (the system's random numbers, a key).
    #[error("The audit log could not {0}.")]
    Crypto(&'static str),
    /// The audit key item in the vault is damaged.
    #[error("The audit key in the vault is damaged; the audit log cannot continue its chain.")]
    KeyDamaged,
    /// The vault refused something.
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

impl AuditError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuditError::Io(..) => "audit.io",
            AuditError::Crypto(_) => "audit.crypto",
            AuditError::KeyDamaged => "audit.key_damaged",
            AuditError::Vault(e) => e.code(),
        }
    }

    /// Every code [`Self::code`] returns itself, for the list the shell sends the UI (checked
    /// against `ui/src/lib/errors/codes.ts`); the vault's codes come from
    /// [`crate::vault::VaultError::CODES`].
    pub const CODES: &'static [&'static str] = &["audit.io", "audit.crypto", "audit.key_damaged"];

    pub(super) fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> AuditError {
        move |e| AuditError::Io(what, e.kind())
    }
}
