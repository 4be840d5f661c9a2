//! What the confirmation screen may do with an identified patient, given what the record said.
//!
//! The rule lives here, not in the shell or the UI: a mismatch or an ambiguous record blocks the
//! session; an unreachable, untrusted or unconfigured record leaves the band's details standing but
//! marks the patient (and every photo) "not verified against the record".

use super::error::PatientError;
use super::record::{RecordCheck, RecordFields, RecordPatient};

/// The outcome of checking a band against the trust's record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// One record carries the NHS number and agrees with every detail the band has.
    Verified {
        /// The record, to show beside the band.
        record: RecordPatient,
        /// The details the band had and the record matched; empty for a typed NHS number, when the
        /// clinician must compare the record's name and date of birth with the patient.
        compared: RecordFields,
    },
    /// The band's details stand, unchecked. `reason` is `None` when the device has no record
    /// endpoint, otherwise why the record could not vouch (offline, not found, untrusted server...).
    NotVerified {
        /// Why the record did not vouch for the patient.
        reason: Option<PatientError>,
    },
    /// The record contradicts the band or cannot single the patient out: the session must not go on.
    Blocked {
        /// What went wrong, as the clinician will read it.
        reason: PatientError,
        /// The record, when there is exactly one, so the clinician can see what differs.
        record: Option<RecordPatient>,
    },
}

impl Verification {
    /// The device has no record endpoint: the band stands, not verified.
    pub fn not_configured() -> Verification {
        Verification::NotVerified { reason: None }
    }

    /// Sorts the result of [`verify_against_record`](super::verify_against_record).
    ///
    /// Errors that [`PatientError::is_unverified_but_usable`] accepts leave the band standing; any
    /// other error blocks, so an error this function has never seen fails safe.
    pub fn from_outcome(outcome: Result<RecordCheck, PatientError>) -> Verification {
        match outcome {
            Ok(RecordCheck::Match { record, compared }) => {
                Verification::Verified { record, compared }
            }
            Ok(RecordCheck::Mismatch { record, fields }) => Verification::Blocked {
                reason: PatientError::RecordMismatch { fields },
                record: Some(record),
            },
            Ok(RecordCheck::Ambiguous { .. }) => Verification::Blocked {
                reason: PatientError::RecordAmbiguous,
                record: None,
            },
            Ok(RecordCheck::NotFound) => Verification::NotVerified {
                reason: Some(PatientError::RecordNotFound),
            },
            Err(e) if e.is_unverified_but_usable() => Verification::NotVerified { reason: Some(e) },
            Err(e) => Verification::Blocked {
                reason: e,
                record: None,
            },
        }
    }

    /// Whether the patient must not be confirmed.
    pub fn blocks_session(&self) -> bool {
        matches!(self, Verification::Blocked { .. })
    }

    /// Whether the record vouched for the patient.
    pub fn is_verified(&self) -> bool {
        matches!(self, Verification::Verified { .. })
    }

    /// The error to show with this outcome, if any.
    pub fn reason(&self) -> Option<&PatientError> {
        match self {
            Verification::Verified { .. } => None,
            Verification::NotVerified { reason } => reason.as_ref(),
            Verification::Blocked { reason, .. } => Some(reason),
        }
    }

    /// The record to show beside the band, if there is one.
    pub fn record(&self) -> Option<&RecordPatient> {
        match self {
            Verification::Verified { record, .. } => Some(record),
            Verification::Blocked { record, .. } => record.as_ref(),
            Verification::NotVerified { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RecordPatient {
        RecordPatient {
            id: Some("p1".into()),
            family_name: Some("SMITH".into()),
            given_names: vec!["JOHN".into()],
            birth_date: None,
        }
    }

    #[test]
    fn match_is_verified_and_does_not_block() {
        let v = Verification::from_outcome(Ok(RecordCheck::Match {
            record: record(),
            compared: RecordFields::default(),
        }));
        assert!(v.is_verified());
        assert!(!v.blocks_session());
        assert_eq!(v.reason(), None);
        assert_eq!(v.record(), Some(&record()));
    }

    #[test]
    fn mismatch_and_ambiguity_block() {
        let fields = RecordFields {
            birth_date: true,
            ..RecordFields::default()
        };
        let mismatch = Verification::from_outcome(Ok(RecordCheck::Mismatch {
            record: record(),
            fields,
        }));
        assert!(mismatch.blocks_session());
        assert_eq!(
            mismatch.reason().map(PatientError::code),
            Some("patient.record_mismatch")
        );
        assert!(mismatch.record().is_some());
        let ambiguous = Verification::from_outcome(Ok(RecordCheck::Ambiguous { count: 2 }));
        assert!(ambiguous.blocks_session());
        assert_eq!(ambiguous.record(), None);
    }

    #[test]
    fn unreachable_or_unknown_record_leaves_the_band_unverified() {
        for e in [
            PatientError::RecordOffline,
            PatientError::RecordUntrusted,
            PatientError::RecordServerError { status: 503 },
            PatientError::RecordMalformed,
            PatientError::LookupNeedsNhsNumber,
        ] {
            let v = Verification::from_outcome(Err(e));
            assert!(!v.blocks_session(), "{}", e.code());
            assert!(!v.is_verified());
            assert_eq!(v.reason(), Some(&e));
        }
        let not_found = Verification::from_outcome(Ok(RecordCheck::NotFound));
        assert_eq!(
            not_found.reason().map(PatientError::code),
            Some("patient.record_not_found")
        );
        assert!(!Verification::not_configured().blocks_session());
        assert_eq!(Verification::not_configured().reason(), None);
    }

    #[test]
    fn an_error_that_should_not_come_from_a_lookup_blocks() {
        let v = Verification::from_outcome(Err(PatientError::CheckDigitWrong));
        assert!(v.blocks_session());
    }
}
