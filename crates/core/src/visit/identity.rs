//! Who the visit's patient is, how they were identified and what the record said: the identity as
//! it is kept in the visit and sealed in every photo's manifest.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::patient::{
    BirthDate, NhsNumber, OverrideReason, PatientError, RecordPatient, ScanSource, Verification,
    WristbandData,
};
use crate::vault::Timestamp;

/// A patient's demographics, with one naming everywhere (`given_names`, `birth_date`). Values are
/// kept as checked text (NHS number digits, ISO date) so the sealed manifest reads back without
/// the parsers. `Debug` hides every value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    /// The NHS number, ten digits.
    pub nhs_number: Option<String>,
    /// A local hospital number and the organisation that issued it.
    pub local_id: Option<LocalIdentifier>,
    /// Family name.
    pub family_name: Option<String>,
    /// Given names, in order.
    pub given_names: Vec<String>,
    /// Date of birth, ISO 8601 (`YYYY-MM-DD`).
    pub birth_date: Option<String>,
    /// Administrative sex as the record gives it (`female`, `male`, `other`, `unknown`).
    pub sex: Option<String>,
}

/// A hospital number and its issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalIdentifier {
    /// The issuing organisation (ODS code or the trust's configured issuer).
    pub issuer: String,
    /// The number.
    pub value: String,
}

impl fmt::Debug for Demographics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Demographics(<redacted>)")
    }
}

impl Demographics {
    /// The details a band (or a typed NHS number) carried.
    pub fn from_band(band: &WristbandData) -> Demographics {
        Demographics {
            nhs_number: band.nhs_number.as_ref().map(NhsNumber::digits),
            local_id: band.local_id.as_ref().map(|l| LocalIdentifier {
                issuer: l.issuer().to_owned(),
                value: l.value().to_owned(),
            }),
            family_name: band.family_name.clone(),
            given_names: band
                .given_name
                .as_deref()
                .map(|g| g.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            birth_date: band.date_of_birth.as_ref().map(|d| d.iso()),
            sex: None,
        }
    }

    /// The details the record had.
    pub fn from_record(record: &RecordPatient, nhs_number: Option<&NhsNumber>) -> Demographics {
        Demographics {
            nhs_number: nhs_number.map(NhsNumber::digits),
            local_id: None,
            family_name: record.family_name.clone(),
            given_names: record.given_names.clone(),
            birth_date: record.birth_date.as_ref().map(|d| d.iso()),
            sex: None,
        }
    }

    /// The NHS number, parsed again (it was checked when read).
    pub fn nhs(&self) -> Option<NhsNumber> {
        self.nhs_number
            .as_deref()
            .and_then(|n| NhsNumber::parse(n).ok())
    }

    /// The given names joined by spaces, or `None` when there are none.
    pub fn given_joined(&self) -> Option<String> {
        (!self.given_names.is_empty()).then(|| self.given_names.join(" "))
    }
}

/// How the patient was identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    /// The phone's camera read the wristband's barcode.
    CameraScan,
    /// A keyboard-wedge scanner (or pasted text) gave the band's barcode text.
    BandText,
    /// The clinician typed the NHS number twice.
    TypedTwice,
}

impl IdentifiedBy {
    /// How a parsed band was read, given the way its text arrived.
    pub fn of(band: &WristbandData, via_camera: bool) -> IdentifiedBy {
        match band.source {
            ScanSource::ManualEntry => IdentifiedBy::TypedTwice,
            _ if via_camera => IdentifiedBy::CameraScan,
            _ => IdentifiedBy::BandText,
        }
    }
}

/// A coded reason, as kept in the sealed manifest: the stable code and the words shown then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable dotted code (`patient.record_unreachable`).
    pub code: String,
    /// What the clinician was told.
    pub message: String,
}

impl From<&PatientError> for Reason {
    fn from(e: &PatientError) -> Reason {
        Reason {
            code: e.code().to_owned(),
            message: e.to_string(),
        }
    }
}

/// What the trust's record said about the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// One record matched every detail the band had.
    Verified,
    /// The band stands unchecked; `reason` says why (none: no record endpoint on this device).
    NotVerified {
        /// Why the record did not vouch.
        reason: Option<Reason>,
    },
    /// No such patient in the record, or the record system was not answering properly: confirmed
    /// only with an [`Override`].
    NeedsOverride {
        /// Why.
        reason: Reason,
    },
    /// The record contradicts the band or cannot single the patient out: never confirmed.
    Blocked {
        /// Why.
        reason: Reason,
    },
}

impl From<&Verification> for Verdict {
    fn from(v: &Verification) -> Verdict {
        match v {
            Verification::Verified { .. } => Verdict::Verified,
            Verification::Blocked { reason, .. } => Verdict::Blocked {
                reason: reason.into(),
            },
            Verification::NotVerified { reason } => Verdict::NotVerified {
                reason: reason.as_ref().map(Reason::from),
            },
            Verification::NeedsOverride { reason } => Verdict::NeedsOverride {
                reason: reason.into(),
            },
            // `Verification` is non-exhaustive: an outcome this code has never seen blocks.
            #[allow(unreachable_patterns)]
            _ => Verdict::Blocked {
                reason: Reason {
                    code: "patient.record_unknown_outcome".into(),
                    message: "The record check gave an answer WardCam does not know. Tell IT."
                        .into(),
                },
            },
        }
    }
}

/// A recorded decision to go on despite the record check: kept in the visit and sealed in every
/// photo's manifest, so whoever receives the photo sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// The record check's outcome that was overridden.
    pub overrode: Reason,
    /// The reason chosen from the short list.
    pub reason: OverrideReason,
    /// The clinician's own words.
    pub detail: String,
    /// Who made it.
    pub by: String,
    /// When, by the wall clock.
    pub at: Timestamp,
}

/// The identity of a visit's patient, as confirmed: the band, the record, how and what verdict.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientIdentity {
    /// What the band (or typed number) said.
    pub band: Demographics,
    /// What the one matching record said, if there was one.
    pub record: Option<Demographics>,
    /// The raw text of the scanned band (none for a typed number).
    pub raw_band: Option<String>,
    /// How the patient was identified.
    pub identified_by: IdentifiedBy,
    /// The record's verdict.
    pub verdict: Verdict,
    /// An override of the record check, if one was recorded.
    #[serde(rename = "override")]
    pub override_: Option<Override>,
    /// The visit must be checked against the record again before any photo is delivered (the
    /// record was out of reach, or was overridden).
    #[serde(default)]
    pub recheck_due: bool,
    /// When the record was last checked again, and what it said.
    #[serde(default)]
    pub recheck: Option<Recheck>,
    /// The photos are held, never delivered: a later check against the record blocked.
    #[serde(default)]
    pub hold: Option<Hold>,
}

/// A later check against the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recheck {
    /// When.
    pub at: Timestamp,
    /// What it said: the verdict it reached.
    pub verdict: Verdict,
}

/// Why a visit's photos are held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// What the record check said.
    pub reason: Reason,
    /// When it was found.
    pub at: Timestamp,
}

/// Whether a visit's photos may be delivered, as far as who the patient is goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "gate", rename_all = "snake_case")]
pub enum DeliveryGate {
    /// Yes.
    Ready,
    /// Not until the record has been checked again ([`crate::visit::recheck_due_visits`]).
    NeedsRecheck,
    /// Never automatically: the clinician reviews, and may only discard or keep holding.
    Held {
        /// Why.
        reason: Reason,
    },
}

/// What a later check against the record did to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecheckOutcome {
    /// The record now vouches for the patient.
    Verified,
    /// The record agrees with the override (still no such patient): the override stands.
    OverrideStands,
    /// The record could still not answer; the check is still due.
    StillDue,
    /// The record blocked: the photos are held.
    Held,
}

impl fmt::Debug for PatientIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PatientIdentity")
            .field("identified_by", &self.identified_by)
            .field("verdict", &self.verdict)
            .finish_non_exhaustive()
    }
}

impl PatientIdentity {
    /// The identity of a band checked against the record.
    pub fn new(
        band: &WristbandData,
        verification: &Verification,
        raw_band: Option<&str>,
        identified_by: IdentifiedBy,
    ) -> PatientIdentity {
        PatientIdentity {
            band: Demographics::from_band(band),
            record: verification
                .record()
                .map(|r| Demographics::from_record(r, band.nhs_number.as_ref())),
            raw_band: raw_band.map(str::to_owned),
            identified_by,
            verdict: Verdict::from(verification),
            override_: None,
            recheck_due: verification.needs_recheck(),
            recheck: None,
            hold: None,
        }
    }

    /// Whether this visit's photos may be delivered (see [`DeliveryGate`]). Fails closed: a
    /// blocked verdict, or one needing an override that has none, holds.
    pub fn delivery_gate(&self) -> DeliveryGate {
        if let Some(hold) = &self.hold {
            return DeliveryGate::Held {
                reason: hold.reason.clone(),
            };
        }
        match (&self.verdict, &self.override_) {
            (Verdict::Blocked { reason }, _) | (Verdict::NeedsOverride { reason }, None) => {
                return DeliveryGate::Held {
                    reason: reason.clone(),
                }
            }
            _ => {}
        }
        if self.recheck_due {
            DeliveryGate::NeedsRecheck
        } else {
            DeliveryGate::Ready
        }
    }

    /// The band as the record check reads it, rebuilt from what was kept (names, date of birth,
    /// NHS number). `None` when there is no NHS number to search by.
    pub fn band_for_recheck(&self) -> Option<WristbandData> {
        let nhs = self.band.nhs()?;
        let mut band = match self.identified_by {
            IdentifiedBy::TypedTwice => WristbandData::manual_entry(nhs),
            _ => WristbandData::from_nhs_number(nhs, ScanSource::Gs1Wristband),
        };
        band.family_name = self.band.family_name.clone();
        band.given_name = self.band.given_joined();
        band.date_of_birth = self
            .band
            .birth_date
            .as_deref()
            .and_then(BirthDate::parse_iso);
        // The record is searched by NHS number and compared on names and date of birth only, so
        // the hospital number is not needed here.
        Some(band)
    }

    /// Applies a later check against the record, made at `at`. A match upgrades the visit to
    /// verified; an override whose record is still missing stands; no answer leaves the check due;
    /// anything else (a mismatch, any blocked verdict, a missing record with no override) holds the
    /// photos for good.
    pub fn apply_recheck(&mut self, verification: &Verification, at: Timestamp) -> RecheckOutcome {
        let verdict = Verdict::from(verification);
        self.recheck = Some(Recheck {
            at,
            verdict: verdict.clone(),
        });
        if self.hold.is_some() {
            return RecheckOutcome::Held;
        }
        let outcome = match verification {
            Verification::Verified { record, .. } => {
                self.record = Some(Demographics::from_record(record, self.band.nhs().as_ref()));
                self.verdict = Verdict::Verified;
                RecheckOutcome::Verified
            }
            Verification::NotVerified {
                reason: Some(PatientError::RecordUnreachable),
            } => RecheckOutcome::StillDue,
            Verification::NeedsOverride {
                reason: PatientError::RecordUnavailable { .. },
            } => RecheckOutcome::StillDue,
            Verification::NeedsOverride {
                reason: PatientError::RecordNotFound,
            } if self.override_.is_some() => RecheckOutcome::OverrideStands,
            _ => {
                let reason = match &verdict {
                    Verdict::Blocked { reason } | Verdict::NeedsOverride { reason } => {
                        reason.clone()
                    }
                    // Not verified for another reason (no endpoint, no NHS number) cannot settle a
                    // visit that needed checking again.
                    _ => Reason {
                        code: "patient.recheck_inconclusive".into(),
                        message: "The patient record could not settle who this patient is. \
                                  Review the photos; they will not be sent."
                            .into(),
                    },
                };
                self.hold = Some(Hold { reason, at });
                RecheckOutcome::Held
            }
        };
        if outcome != RecheckOutcome::StillDue {
            self.recheck_due = false;
        }
        outcome
    }

    /// Whether the record vouched for the patient.
    pub fn is_verified(&self) -> bool {
        self.verdict == Verdict::Verified
    }

    /// The family name to use: the band's, else the record's.
    pub fn family_name(&self) -> Option<&str> {
        self.band
            .family_name
            .as_deref()
            .or_else(|| self.record.as_ref().and_then(|r| r.family_name.as_deref()))
    }

    /// The given names to use: the band's, else the record's.
    pub fn given_names(&self) -> Option<String> {
        self.band
            .given_joined()
            .or_else(|| self.record.as_ref().and_then(Demographics::given_joined))
    }

    /// The date of birth to use: the band's, else the record's (ISO).
    pub fn birth_date(&self) -> Option<&str> {
        self.band
            .birth_date
            .as_deref()
            .or_else(|| self.record.as_ref().and_then(|r| r.birth_date.as_deref()))
    }
}

/// A patient read from a band or typed, with what the record said, awaiting confirmation.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// What was read.
    pub band: WristbandData,
    /// What the record said.
    pub verification: Verification,
    /// How it was read, and the raw band text, as they will be kept.
    pub identity: PatientIdentity,
}

impl Candidate {
    /// A band checked against the record. `raw` is the scanned text (none for a typed number).
    pub fn new(
        band: WristbandData,
        verification: Verification,
        raw: Option<&str>,
        via_camera: bool,
    ) -> Candidate {
        let identity = PatientIdentity::new(
            &band,
            &verification,
            raw,
            IdentifiedBy::of(&band, via_camera),
        );
        Candidate {
            band,
            verification,
            identity,
        }
    }
}
