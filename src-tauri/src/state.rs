//! What the UI is shown about a patient being identified or confirmed. The patient and every other
//! piece of the visit live in core (`wardcam_core::visit::Ward`); this file only shapes core's
//! identity for the confirmation card.

use serde::Serialize;
use wardcam_core::patient::{BirthDate, OverrideReason};
use wardcam_core::vault::Timestamp;
use wardcam_core::visit::{
    Candidate, CandidateOffers, Demographics, IdentifiedBy, Override, PatientIdentity, Verdict,
    Ward,
};

use crate::error::CommandError;

/// The record's details as the confirmation screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct RecordSummary {
    family_name: Option<String>,
    given_names: Vec<String>,
    /// `18-Jan-1980`.
    date_of_birth: Option<String>,
}

/// Whether the record vouched for the patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum VerificationStatus {
    /// The record agrees with the band.
    Verified,
    /// The band's details stand; photos are marked "not verified against the record".
    NotVerified,
    /// No such patient in the record, or the record system is not answering properly: confirmed
    /// only once the clinician records an override.
    NeedsOverride,
    /// The record contradicts the band, is ambiguous or cannot be trusted: the patient cannot be
    /// confirmed, and there is no override.
    Blocked,
}

/// An override of the record check, as the confirmation card and the header show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct OverrideSummary {
    /// The reason chosen from the short list.
    reason: OverrideReason,
    /// The clinician's own words.
    detail: String,
    /// Who recorded it.
    by: String,
    /// When (Unix milliseconds).
    at: Timestamp,
    /// The code of the outcome that was overridden (`patient.record_not_found`).
    overrode: String,
}

impl From<&Override> for OverrideSummary {
    fn from(o: &Override) -> Self {
        OverrideSummary {
            reason: o.reason,
            detail: o.detail.clone(),
            by: o.by.clone(),
            at: o.at,
            overrode: o.overrode.code.clone(),
        }
    }
}

/// What the UI may show about a patient being identified or confirmed (never while locked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PatientSummary {
    /// The NHS number grouped 3-3-4.
    pub nhs_number: Option<String>,
    /// A local hospital number and its issuer, `RX1: A1234567`.
    pub local_id: Option<String>,
    pub family_name: Option<String>,
    pub given_name: Option<String>,
    /// `18-Jan-1980`.
    pub date_of_birth: Option<String>,
    /// How the patient was identified.
    pub source: IdentifiedBy,
    pub status: VerificationStatus,
    /// Why the record did not vouch, or why the patient is blocked.
    pub reason: Option<CommandError>,
    /// The record's details, when one record was found.
    pub record: Option<RecordSummary>,
    /// Whether the record vouched for the patient (kept for the header badge).
    pub verified: bool,
    /// The override of the record check, once the clinician recorded one.
    #[serde(rename = "override")]
    pub override_: Option<OverrideSummary>,
    /// For a patient awaiting confirmation, what core would accept now (confirm, an override);
    /// `None` once confirmed. The card shows only these buttons.
    pub offers: Option<CandidateOffers>,
}

fn display_date(iso: Option<&str>) -> Option<String> {
    iso.and_then(BirthDate::parse_iso).map(|d| d.formatted())
}

impl From<&Demographics> for RecordSummary {
    fn from(r: &Demographics) -> Self {
        RecordSummary {
            family_name: r.family_name.clone(),
            given_names: r.given_names.clone(),
            date_of_birth: display_date(r.birth_date.as_deref()),
        }
    }
}

impl From<&PatientIdentity> for PatientSummary {
    fn from(p: &PatientIdentity) -> Self {
        let band = &p.band;
        let (status, reason) = match &p.verdict {
            Verdict::Verified => (VerificationStatus::Verified, None),
            Verdict::NotVerified { reason } => (VerificationStatus::NotVerified, reason.as_ref()),
            Verdict::NeedsOverride { reason } => (VerificationStatus::NeedsOverride, Some(reason)),
            Verdict::Blocked { reason } => (VerificationStatus::Blocked, Some(reason)),
        };
        PatientSummary {
            nhs_number: band.nhs().map(|n| n.formatted()),
            local_id: band
                .local_id
                .as_ref()
                .map(|l| format!("{}: {}", l.issuer, l.value)),
            family_name: band.family_name.clone(),
            given_name: band.given_joined(),
            date_of_birth: display_date(band.birth_date.as_deref()),
            source: p.identified_by,
            status,
            reason: reason.map(|r| CommandError::coded(r.code.clone(), r.message.clone())),
            record: p.record.as_ref().map(RecordSummary::from),
            verified: p.is_verified(),
            override_: p.override_.as_ref().map(OverrideSummary::from),
            offers: None,
        }
    }
}

impl PatientSummary {
    /// A patient awaiting confirmation, with what core would accept for them now.
    pub(crate) fn candidate(ward: &Ward, c: &Candidate) -> Result<PatientSummary, CommandError> {
        Ok(PatientSummary {
            offers: Some(ward.offers(c)?),
            ..PatientSummary::from(&c.identity)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use wardcam_core::patient::{NhsNumber, PatientError, Verification, WristbandData};
    use wardcam_core::visit::Reason;

    fn identity(verification: &Verification) -> PatientIdentity {
        let band = WristbandData::manual_entry(NhsNumber::parse("9990000034").unwrap());
        PatientIdentity::new(&band, verification, None, IdentifiedBy::TypedTwice)
    }

    #[test]
    fn a_patient_needing_an_override_says_so_then_shows_the_override() {
        let mut p = identity(&Verification::NeedsOverride {
            reason: PatientError::RecordNotFound,
        });
        let json = serde_json::to_value(PatientSummary::from(&p)).unwrap();
        assert_eq!(json["status"], "needs_override");
        assert_eq!(json["reason"]["code"], "patient.record_not_found");
        assert_eq!(json["override"], serde_json::Value::Null);
        assert_eq!(json["source"], "typed_twice");
        assert_eq!(json["verified"], false);

        p.override_ = Some(Override {
            overrode: Reason::from(&PatientError::RecordNotFound),
            reason: OverrideReason::NewAdmissionNotRegistered,
            detail: "Admitted tonight".into(),
            by: "Dr Ada Jones".into(),
            at: Timestamp(1_000),
        });
        let json = serde_json::to_value(PatientSummary::from(&p)).unwrap();
        assert_eq!(json["status"], "needs_override");
        assert_eq!(
            json["override"],
            serde_json::json!({
                "reason": "new_admission_not_registered",
                "detail": "Admitted tonight",
                "by": "Dr Ada Jones",
                "at": 1000,
                "overrode": "patient.record_not_found",
            })
        );
    }

    #[test]
    fn an_untrusted_server_blocks_with_its_own_words() {
        let p = identity(&Verification::Blocked {
            reason: PatientError::RecordNotTrusted {
                problem: wardcam_core::endpoint::TrustProblem::UnknownIssuer,
            },
            record: None,
        });
        let json = serde_json::to_value(PatientSummary::from(&p)).unwrap();
        assert_eq!(json["status"], "blocked");
        assert_eq!(json["reason"]["code"], "patient.record_not_trusted");
        let message = json["reason"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Hospital server not trusted - tell IT"),
            "{message}"
        );
    }
}
