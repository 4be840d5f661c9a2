//! Patient identifiers, checked before a patient can be confirmed.
//!
//! Today: the NHS number, typed by hand, validated with Modulus 11 and confirmed by typing it twice
//! (manual entry bypasses the wristband, so a slip of one digit must not reach the record).
//! Wristband barcodes (GS1 DataMatrix) and record look-up build on this.
//!
//! Identifiers never appear in `Debug` output or error messages, so a log line cannot leak them.

mod error;
mod nhs_number;
#[cfg(test)]
mod tests;

pub use error::PatientError;
pub use nhs_number::{confirm_manual_entry, NhsNumber};
