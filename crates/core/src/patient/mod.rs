//! Patient identifiers, checked before a patient can be confirmed.
//!
//! - [`parse_scan`] reads what a barcode scanner returns from a wristband: an NHS DCB1077 GS1
//!   DataMatrix (NHS number in the GSRN, hospital number, ODS code, names, date of birth), a bare
//!   NHS number, or a local hospital number in the format a trust configured in its
//!   [`PatientPolicy`]. Every refusal is a [`PatientError`] saying why.
//! - [`NhsNumber`] validates Modulus 11; [`confirm_manual_entry`] requires a typed number twice
//!   (manual entry bypasses the wristband, so a slip of one digit must not reach the record).
//! - [`check_record`] compares a band with a FHIR `Patient` search result (pure, no network);
//!   [`FhirPatientLookup`] fetches that result over HTTPS from a server whose certificate was
//!   pinned at provisioning, and [`verify_against_record`] does both; [`Verification`] says
//!   whether the outcome lets the clinician confirm the patient, unverified, or blocks the session.
//!
//! Promises: identifiers, names and dates of birth never appear in `Debug` output or error
//! messages, so a log line cannot leak them; nothing here logs. The parser never panics, whatever
//! the input, and refuses over-long input before reading it.
//!
//! Not done here: deciding what the session does with an outcome (the shell binds the confirmed
//! patient to the [`session`](crate::session)), and looking patients up by hospital number (the
//! record is searched by NHS number only).

mod error;
mod lookup;
mod nhs_number;
mod policy;
mod record;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
mod verification;
mod wristband;

pub use error::PatientError;
pub use lookup::{verify_against_record, FhirPatientLookup, PatientLookup};
pub use nhs_number::{confirm_manual_entry, NhsNumber};
pub use policy::{LocalIdPattern, PatientPolicy, DEFAULT_GSRN_PREFIX, MAX_PATTERN_LEN};
pub use record::{check_record, RecordCheck, RecordFields, RecordPatient, NHS_NUMBER_SYSTEM};
pub use verification::{OverrideReason, RecordPolicy, Verification};
pub use wristband::{
    encode_wristband, gsrn_for, parse_scan, read_scan, Ai, BirthDate, LocalId, ScanSource,
    WristbandData, MAX_SCAN_LEN,
};

/// The fuzz target's body (`fuzz/fuzz_targets/patient_barcode.rs`), here so that a normal unit test
/// runs it over random inputs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{encode_wristband, parse_scan, read_scan, PatientError, PatientPolicy, ScanSource};

    /// Reads `data` as a scan under two policies (default, and with local numbers `RX1` +
    /// `[A-Z][0-9]{7}`). Panics only if an invariant breaks: anything accepted must encode to a
    /// band that reads back to the same data, and no error message may repeat the input.
    pub fn patient_barcode(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let plain = PatientPolicy::default();
        let with_local = PatientPolicy::default()
            .with_local_id("RX1", "[A-Z][0-9]{7}")
            .ok();
        for policy in [Some(&plain), with_local.as_ref()].into_iter().flatten() {
            // `read_scan` accepts exactly what `parse_scan` does, but a bare NHS number through
            // the text field without a symbology identifier, which must be typed again.
            let parsed = parse_scan(&text, policy);
            for via_camera in [false, true] {
                match (read_scan(&text, policy, via_camera), &parsed) {
                    (Ok(read), Ok(p)) => assert!(read == *p, "read_scan differs from parse_scan"),
                    (Err(PatientError::SecondEntryNeeded), Ok(p)) => assert!(
                        !via_camera && p.source == ScanSource::NhsNumber,
                        "second entry asked for a scan that needs none"
                    ),
                    (Err(a), Err(b)) => assert!(a == *b, "read_scan refuses differently"),
                    _ => panic!("read_scan and parse_scan disagree"),
                }
            }
            match parsed {
                Ok(read) => {
                    let band = encode_wristband(&read, policy);
                    let mut again = match parse_scan(&band, policy) {
                        Ok(again) => again,
                        Err(e) => {
                            panic!("accepted scan re-encodes to a refused band: {}", e.code())
                        }
                    };
                    again.source = read.source;
                    assert!(again == read, "accepted scan does not round-trip");
                    assert!(read.nhs_number.is_some() || read.local_id.is_some());
                }
                Err(e) => {
                    let message = e.to_string();
                    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                    assert!(
                        digits.len() < 10 || !message.contains(&digits),
                        "error message repeats the input"
                    );
                }
            }
        }
    }
}
