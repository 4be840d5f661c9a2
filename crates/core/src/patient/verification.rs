//! What the confirmation screen may do with an identified patient, given what the record said.
//!
//! The rule lives here, not in the shell or the UI, and it fails closed:
//! - **verified**: one record matches every detail the band has;
//! - **not verified**: the record could not be reached, the band has no NHS number, or the device
//!   has no record endpoint; the band stands, and a visit whose record was out of reach is checked
//!   again before any photo leaves the phone;
//! - **needs an override**: no such patient in the record, or the record system is not answering
//!   properly; blocked unless the clinician records why they go on ([`OverrideReason`]);
//! - **blocked**: anything else: a mismatch, several records, an untrusted server or key, a reply
//!   that cannot be read, a refusal, a redirect, a configuration fault, and every error this code
//!   does not know.
//!
//! A trust can forbid not-verified and overridden visits altogether ([`RecordPolicy`]).

use serde::{Deserialize, Serialize};

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
    /// endpoint, otherwise why the record could not vouch (out of reach, no NHS number).
    NotVerified {
        /// Why the record did not vouch for the patient.
        reason: Option<PatientError>,
    },
    /// Blocked unless the clinician records an override: the record has no such patient, or the
    /// record system is not answering properly.
    NeedsOverride {
        /// Why.
        reason: PatientError,
    },
    /// The record contradicts the band, cannot single the patient out, or cannot be trusted: the
    /// session must not go on, and there is no override.
    Blocked {
        /// What went wrong, as the clinician will read it.
        reason: PatientError,
        /// The record, when there is exactly one, so the clinician can see what differs.
        record: Option<RecordPatient>,
    },
}

/// Why a clinician went on despite the record check: the short list a trust's downtime procedures
/// recognise. The clinician's own words go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideReason {
    /// A new admission whose record has not been registered yet.
    NewAdmissionNotRegistered,
    /// The record system is down and the ward follows its local downtime procedure.
    RecordSystemDown,
}

/// What a trust allows when the record cannot vouch for a patient. The provisioning policy sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPolicy {
    /// Whether a not-verified or overridden visit may go on at all. Default: allowed.
    pub allow_unverified: bool,
}

impl Default for RecordPolicy {
    fn default() -> Self {
        RecordPolicy {
            allow_unverified: true,
        }
    }
}

impl Verification {
    /// The device has no record endpoint: the band stands, not verified.
    pub fn not_configured() -> Verification {
        Verification::NotVerified { reason: None }
    }

    /// Sorts the result of [`verify_against_record`](super::verify_against_record). Only the
    /// errors named here are let through; every other one blocks, so an error this function has
    /// never seen fails closed.
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
            Ok(RecordCheck::NotFound) => Verification::NeedsOverride {
                reason: PatientError::RecordNotFound,
            },
            Err(e @ (PatientError::RecordUnreachable | PatientError::LookupNeedsNhsNumber)) => {
                Verification::NotVerified { reason: Some(e) }
            }
            Err(e @ (PatientError::RecordUnavailable { .. } | PatientError::RecordNotFound)) => {
                Verification::NeedsOverride { reason: e }
            }
            Err(e) => Verification::Blocked {
                reason: e,
                record: None,
            },
        }
    }

    /// Whether the patient cannot be confirmed as things stand (blocked, or needing an override).
    pub fn blocks_session(&self) -> bool {
        !matches!(
            self,
            Verification::Verified { .. } | Verification::NotVerified { .. }
        )
    }

    /// Whether the record vouched for the patient.
    pub fn is_verified(&self) -> bool {
        matches!(self, Verification::Verified { .. })
    }

    /// May the patient be confirmed, given whether an override was recorded and the trust's policy?
    /// `Err` says why not.
    pub fn confirmable(&self, overridden: bool, policy: &RecordPolicy) -> Result<(), PatientError> {
        match self {
            Verification::Verified { .. } => Ok(()),
            Verification::NotVerified { .. } | Verification::NeedsOverride { .. }
                if !policy.allow_unverified =>
            {
                Err(PatientError::UnverifiedNotAllowed)
            }
            Verification::NotVerified { .. } => Ok(()),
            Verification::NeedsOverride { .. } if overridden => Ok(()),
            Verification::NeedsOverride { reason } | Verification::Blocked { reason, .. } => {
                Err(*reason)
            }
        }
    }

    /// Whether an override may be recorded for this outcome under `policy`.
    pub fn may_override(&self, policy: &RecordPolicy) -> Result<(), PatientError> {
        match self {
            Verification::NeedsOverride { .. } if policy.allow_unverified => Ok(()),
            _ => Err(PatientError::OverrideNotAllowed),
        }
    }

    /// Whether a visit confirmed on this outcome must be checked against the record again before
    /// any of its photos is delivered: the record was out of reach, or was overridden. (A band with
    /// no NHS number, or a device with no record endpoint, has nothing to check again.)
    pub fn needs_recheck(&self) -> bool {
        matches!(
            self,
            Verification::NotVerified {
                reason: Some(PatientError::RecordUnreachable)
            } | Verification::NeedsOverride { .. }
        )
    }

    /// The error to show with this outcome, if any.
    pub fn reason(&self) -> Option<&PatientError> {
        match self {
            Verification::Verified { .. } => None,
            Verification::NotVerified { reason } => reason.as_ref(),
            Verification::NeedsOverride { reason } | Verification::Blocked { reason, .. } => {
                Some(reason)
            }
        }
    }

    /// The record to show beside the band, if there is one.
    pub fn record(&self) -> Option<&RecordPatient> {
        match self {
            Verification::Verified { record, .. } => Some(record),
            Verification::Blocked { record, .. } => record.as_ref(),
            Verification::NotVerified { .. } | Verification::NeedsOverride { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn record() -> RecordPatient {
        RecordPatient {
            id: Some("p1".into()),
            family_name: Some("SMITH".into()),
            given_names: vec!["JOHN".into()],
            birth_date: None,
        }
    }

    /// The class each record-check outcome must fall in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Class {
        Verified,
        NotVerified,
        NeedsOverride,
        Blocked,
    }

    fn class(v: &Verification) -> Class {
        match v {
            Verification::Verified { .. } => Class::Verified,
            Verification::NotVerified { .. } => Class::NotVerified,
            Verification::NeedsOverride { .. } => Class::NeedsOverride,
            Verification::Blocked { .. } => Class::Blocked,
        }
    }

    /// Every outcome a look-up can have: the record's three answers and every error there is.
    fn every_outcome() -> Vec<Result<RecordCheck, PatientError>> {
        let mut all = vec![
            Ok(RecordCheck::Match {
                record: record(),
                compared: RecordFields::default(),
            }),
            Ok(RecordCheck::Mismatch {
                record: record(),
                fields: RecordFields {
                    birth_date: true,
                    ..RecordFields::default()
                },
            }),
            Ok(RecordCheck::Ambiguous { count: 2 }),
            Ok(RecordCheck::NotFound),
        ];
        all.extend(PatientError::every_kind().into_iter().map(Err));
        all
    }

    /// The table the issue sets out, for every outcome: only what is named here is let through.
    fn expected(outcome: &Result<RecordCheck, PatientError>) -> Class {
        match outcome {
            Ok(RecordCheck::Match { .. }) => Class::Verified,
            Ok(RecordCheck::NotFound) => Class::NeedsOverride,
            Err(PatientError::RecordUnavailable { .. } | PatientError::RecordNotFound) => {
                Class::NeedsOverride
            }
            Err(PatientError::RecordUnreachable | PatientError::LookupNeedsNhsNumber) => {
                Class::NotVerified
            }
            _ => Class::Blocked,
        }
    }

    #[test]
    fn every_outcome_gets_the_verdict_the_table_gives() {
        for outcome in every_outcome() {
            let v = Verification::from_outcome(outcome.clone());
            assert_eq!(class(&v), expected(&outcome), "{outcome:?}");
            // The reason shown is the outcome's own error, or the record's answer as one.
            match (&outcome, v.reason()) {
                (Err(e), Some(shown)) => assert_eq!(e, shown),
                (Ok(RecordCheck::Match { .. }), None) => {}
                (Ok(check), Some(shown)) => assert_eq!(check.to_error().as_ref(), Some(shown)),
                (o, r) => panic!("{o:?} shows {r:?}"),
            }
        }
    }

    #[test]
    fn an_untrusted_server_is_never_worded_as_offline() {
        for e in [
            PatientError::RecordNotTrusted {
                problem: crate::endpoint::TrustProblem::UnknownIssuer,
            },
            PatientError::RecordPinMismatch,
        ] {
            let v = Verification::from_outcome(Err(e));
            assert_eq!(class(&v), Class::Blocked);
            let words = e.to_string();
            assert!(
                words.starts_with("Hospital server not trusted - tell IT"),
                "{words}"
            );
            assert!(
                !words.contains("reach") && !words.contains("offline"),
                "{words}"
            );
        }
    }

    #[test]
    fn overrides_are_possible_only_where_the_table_allows_and_policy_permits() {
        let allow = RecordPolicy::default();
        let forbid = RecordPolicy {
            allow_unverified: false,
        };
        for outcome in every_outcome() {
            let v = Verification::from_outcome(outcome.clone());
            let overridable = expected(&outcome) == Class::NeedsOverride;
            assert_eq!(v.may_override(&allow).is_ok(), overridable, "{outcome:?}");
            assert_eq!(
                v.may_override(&forbid),
                Err(PatientError::OverrideNotAllowed),
                "{outcome:?}"
            );
            // A trust that forbids unverified visits lets through only a verified patient.
            for overridden in [false, true] {
                assert_eq!(
                    v.confirmable(overridden, &forbid).is_ok(),
                    expected(&outcome) == Class::Verified,
                    "{outcome:?}"
                );
            }
        }
        assert!(Verification::not_configured()
            .confirmable(false, &allow)
            .is_ok());
        assert_eq!(
            Verification::not_configured().confirmable(false, &forbid),
            Err(PatientError::UnverifiedNotAllowed)
        );
    }

    #[test]
    fn only_an_unreachable_record_or_an_override_needs_a_recheck() {
        for outcome in every_outcome() {
            let v = Verification::from_outcome(outcome.clone());
            let want = matches!(outcome, Err(PatientError::RecordUnreachable))
                || expected(&outcome) == Class::NeedsOverride;
            assert_eq!(v.needs_recheck(), want, "{outcome:?}");
        }
        assert!(!Verification::not_configured().needs_recheck());
    }

    proptest! {
        /// No outcome outside the "unreachable" class (unreachable, hospital number only) yields
        /// a confirmable patient without an override, under any policy.
        #[test]
        fn nothing_but_unreachable_is_confirmable_without_an_override(
            pick in 0usize..64,
            allow in any::<bool>(),
        ) {
            let outcomes = every_outcome();
            let outcome = outcomes[pick % outcomes.len()].clone();
            let v = Verification::from_outcome(outcome.clone());
            let policy = RecordPolicy { allow_unverified: allow };
            if v.confirmable(false, &policy).is_ok() {
                prop_assert!(
                    matches!(
                        outcome,
                        Ok(RecordCheck::Match { .. })
                            | Err(PatientError::RecordUnreachable)
                            | Err(PatientError::LookupNeedsNhsNumber)
                    ),
                    "{:?} was confirmable without an override",
                    outcome
                );
            }
            // And with one, still never a blocked outcome.
            if v.confirmable(true, &policy).is_ok() {
                prop_assert!(expected(&outcome) != Class::Blocked, "{:?}", outcome);
            }
        }
    }
}
