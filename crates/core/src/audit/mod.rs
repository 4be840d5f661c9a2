//! The audit trail: who photographed whom, under which consent, and that each local copy was
//! destroyed. An append-only, hash-chained log ([`Entry`], [`verify_chain`]) kept sealed in the
//! vault's folder ([`Journal`]), with entries made while the app is locked sealed to a public key
//! and folded in at the next unlock ([`append_locked`]). No entry holds a patient identifier in
//! clear.

mod entry;
mod error;
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing;
mod journal;
mod sealed;
#[cfg(test)]
mod tests;

pub use entry::{
    parse_export, verify_chain, write_export, BreakKind, ChainBreak, Entry, Event, Head,
    MadeWhileLocked, GENESIS,
};
pub use error::AuditError;
pub use journal::{append_locked, audit_dir, AuditStatus, Journal};
