//! What the screens are given about photos and patients: plain, serialisable values, built from
//! the manifests while unlocked. No image bytes (thumbnails go through their own protocol).

use serde::Serialize;

use super::identity::{DeliveryGate, IdentifiedBy, PatientIdentity, Verdict};
use super::ids::{PhotoId, VisitId};
use super::manifest::{LocalState, PhotoManifest, Problem, Route};
use crate::intake::Quality;
use crate::patient::{BirthDate, NhsNumber};
use crate::review::{BodySite, Laterality};
use crate::session::Purpose;
use crate::vault::Timestamp;

/// A photo as the Review and Outbox screens show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoView {
    /// The stable photo id (a UUID).
    pub id: PhotoId,
    /// The visit that took it.
    pub visit_id: VisitId,
    /// Whether it belongs to the visit open now.
    pub current_visit: bool,
    /// Upright width in pixels.
    pub width: u32,
    /// Upright height in pixels.
    pub height: u32,
    /// Intake's quality advice.
    pub quality: Quality,
    /// The use it was taken for.
    pub intended_use: Purpose,
    /// The body site, once labelled.
    pub body_site: Option<BodySite>,
    /// Its side, once labelled.
    pub laterality: Option<Laterality>,
    /// The description.
    pub description: String,
    /// Where it is in its life on the phone.
    pub state: LocalState,
    /// Whether it was redacted.
    pub redacted: bool,
    /// Changes whenever its thumbnail does (the manifest revision), so the screen fetches anew.
    pub version: u32,
    /// When it was taken.
    pub captured_at: Timestamp,
    /// Whose it is.
    pub patient: PatientLine,
    /// Whether who the patient is lets it be delivered (held photos show an alarm).
    pub identity: DeliveryGate,
    /// How its delivery is going.
    pub delivery: DeliveryView,
}

/// A photo's delivery as the Outbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryView {
    /// Attempts made.
    pub attempts: u32,
    /// When it will be tried again (Unix ms), after a failure.
    pub retry_at: Option<u64>,
    /// Why the last attempt failed, in words.
    pub problem: Option<Problem>,
    /// Why it is held, in words.
    pub hold: Option<Problem>,
    /// The route it is being sent (or checked) on.
    pub route: Route,
    /// The routes that already hold a copy read back and matched (with two routes configured,
    /// it waits for the other).
    pub verified: Vec<Route>,
}

impl PhotoView {
    pub(crate) fn of(m: &PhotoManifest, current_visit: bool) -> PhotoView {
        let (width, height) = m.info.upright_size();
        let label = m.label.as_ref().and_then(|l| l.label());
        PhotoView {
            id: m.photo_id,
            visit_id: m.visit_id,
            current_visit,
            width,
            height,
            quality: m.quality,
            intended_use: m.intended_use,
            body_site: label.as_ref().map(|l| l.site),
            laterality: label.as_ref().map(|l| l.laterality),
            description: label.map(|l| l.description).unwrap_or_default(),
            state: m.state,
            redacted: !m.redactions.is_empty(),
            version: m.revision,
            captured_at: m.captured_at,
            patient: PatientLine::of(&m.patient),
            identity: m.patient.delivery_gate(),
            delivery: DeliveryView {
                attempts: m.delivery.attempts,
                retry_at: m.delivery.next_attempt_at.map(|t| t.0),
                problem: m.delivery.problem.clone(),
                hold: m.delivery.hold.clone(),
                route: m.delivery.route,
                verified: m.delivery.verified.clone(),
            },
        }
    }
}

/// A patient as one line of the Outbox or the header shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientLine {
    /// `SMITH, John Paul`, or `None` when nothing gives a name.
    pub name: Option<String>,
    /// The NHS number grouped 3-3-4.
    pub nhs_number: Option<String>,
    /// A hospital number and its issuer, `RX1: A1234567`.
    pub local_id: Option<String>,
    /// `18-Jan-1980`.
    pub birth_date: Option<String>,
    /// How the patient was identified.
    pub identified_by: IdentifiedBy,
    /// Whether the record vouched for the patient.
    pub verified: bool,
    /// Whether the clinician overrode the record check.
    pub overridden: bool,
}

impl PatientLine {
    /// The line for `p`.
    pub fn of(p: &PatientIdentity) -> PatientLine {
        let name = match (p.family_name(), p.given_names()) {
            (Some(f), Some(g)) => Some(format!("{f}, {g}")),
            (Some(f), None) => Some(f.to_owned()),
            (None, Some(g)) => Some(g),
            (None, None) => None,
        };
        PatientLine {
            name,
            nhs_number: p.band.nhs().map(|n: NhsNumber| n.formatted()),
            local_id: p
                .band
                .local_id
                .as_ref()
                .map(|l| format!("{}: {}", l.issuer, l.value)),
            birth_date: p
                .birth_date()
                .and_then(BirthDate::parse_iso)
                .map(|d| d.formatted()),
            identified_by: p.identified_by,
            verified: matches!(p.verdict, Verdict::Verified),
            overridden: p.override_.is_some(),
        }
    }
}
