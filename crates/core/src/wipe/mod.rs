//! Remote wipe: an MDM request or a signed command crypto-shreds the whole vault and deletes its
//! master key from the keystore, for a phone that is lost, stolen or leaving the trust.
//!
//! - **Two ways in.** MDM's managed configuration ([`MANAGED_KEY`], trusted as the MDM is; each
//!   new value wipes once: [`admit_managed`]), or a signed `WCW1:` command ([`command`]), checked
//!   against the same provisioning keys as the provisioning codes, for this trust and this
//!   installation or the whole fleet, unexpired, and never applied twice ([`admit_code`]). A
//!   refused command wipes nothing.
//! - **Keys first, then files.** Every item's wrapped key is overwritten in the index, the master
//!   key and its key-gate record leave the keystore, then the files go ([`record`] lists the
//!   steps). It needs no key in memory, so it works while the app is locked.
//! - **Idempotent and resumable.** The wipe is recorded as begun before anything is destroyed;
//!   every step can run again, and [`finish`] at the next start completes one that was killed.
//! - **What survives.** The policy (in the keystore under its own name) and the wipe's record
//!   ([`WipeReport`]: when, how, how many items, and the audit entry of the wipe when the chain
//!   was open), for the wiped screen, the Device screen and iOS managed feedback.
//!
//! The ward's entry point is `Ward::wipe` (`crate::visit`), which also writes the audit entry
//! and shuts the open vault first.

pub mod command;
mod error;
mod record;
#[cfg(test)]
mod tests;

pub use command::{Order, Target, CODE_PREFIX, DEFAULT_VALIDITY_SECS, MAX_VALIDITY_SECS};
pub use error::WipeError;
pub use record::{
    acknowledge, admit_code, admit_managed, begin, finish, installation_id, record_audit, report,
    wipe, Admitted, Authority, WipeReport, WipeSource, MANAGED_KEY, RECORD_FILE,
};
