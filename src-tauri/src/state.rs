//! What the UI is shown about a patient being identified or confirmed. The patient and every other
//! piece of the visit live in core (`wardcam_core::visit::Ward`); this file only shapes core's
//! identity for the confirmation card.

use serde::Serialize;
use wardcam_core::patient::BirthDate;
use wardcam_core::visit::{Demographics, IdentifiedBy, PatientIdentity, Verdict};

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
    /// The record contradicts the band or is ambiguous: the patient cannot be confirmed.
    Blocked,
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
        }
    }
}
