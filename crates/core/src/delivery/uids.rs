//! The DICOM UIDs of a visit's study and series and of each photo's instance.
//!
//! Each is `2.25.` followed by the decimal value of a UUID (PS3.5 §B.2), so no organisational
//! root is needed. The UUID is not random: it is the first 16 bytes of SHA-256 over a fixed label
//! (one per purpose, so a study, a series and an instance never share a UID) and the id's bytes,
//! with the version set to 8 (custom, RFC 9562) and the variant to RFC 4122. So the same visit or
//! photo always gets the same UID: a retried delivery replaces the object in PACS instead of
//! adding a second copy, and a redacted photo (which keeps its photo id) replaces the original.
//!
//! One series per visit: a ward visit is one sitting with one camera, and PACS needs nothing
//! finer. The longest UID is 44 characters (`2.25.` and 39 digits), within the 64 allowed.
//!
//! A visit's consent, sent as an Encapsulated PDF into the visit's study, has a series and an
//! instance of its own, derived from the consent record's id, so a resent consent replaces itself
//! and a second consent in the same visit (after a withdrawal) is a second series.

use ring::digest;

use crate::consent::ConsentId;
use crate::visit::{PhotoId, VisitId};

/// The labels hashed with each id. Never change them: every UID already sent depends on them.
const STUDY: &str = "wardcam.dicom.study.v1";
const SERIES: &str = "wardcam.dicom.series.v1";
const SOP_INSTANCE: &str = "wardcam.dicom.sop-instance.v1";
const IMPLEMENTATION: &str = "wardcam.dicom.implementation.v1";
const CONSENT_SERIES: &str = "wardcam.dicom.consent-series.v1";
const CONSENT_SOP_INSTANCE: &str = "wardcam.dicom.consent-sop-instance.v1";

/// The Study Instance UID of a visit: one study per visit.
pub fn study_uid(visit: VisitId) -> String {
    derived(STUDY, &visit.0)
}

/// The Series Instance UID of a visit's photos: one series per visit.
pub fn series_uid(visit: VisitId) -> String {
    derived(SERIES, &visit.0)
}

/// The SOP Instance UID of a photo, kept through redaction and every retry.
pub fn sop_instance_uid(photo: PhotoId) -> String {
    derived(SOP_INSTANCE, &photo.0)
}

/// The Series Instance UID of a consent's document: one series per consent record.
pub fn consent_series_uid(consent: ConsentId) -> String {
    derived(CONSENT_SERIES, consent.as_bytes())
}

/// The SOP Instance UID of a consent's document, the same at every resend.
pub fn consent_sop_instance_uid(consent: ConsentId) -> String {
    derived(CONSENT_SOP_INSTANCE, consent.as_bytes())
}

/// The Implementation Class UID in every file's meta group: WardCam's, the same on every device.
pub fn implementation_class_uid() -> String {
    derived(IMPLEMENTATION, &[])
}

/// `2.25.<decimal UUID>` from [`derived_uuid`].
fn derived(label: &str, bytes: &[u8]) -> String {
    format!("2.25.{}", u128::from_be_bytes(derived_uuid(label, bytes)))
}

/// A UUID from SHA-256(label, 0x00, bytes), version 8 (RFC 9562 custom), RFC 4122 variant: the
/// DICOM UIDs here and the FHIR ids (`delivery::fhir`) alike. The zero byte keeps a label from
/// running into the id.
pub(crate) fn derived_uuid(label: &str, bytes: &[u8]) -> [u8; 16] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(label.as_bytes());
    ctx.update(&[0]);
    ctx.update(bytes);
    let hash = ctx.finish();
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(&hash.as_ref()[..16]);
    // Version 8 in the high nibble of byte 6; variant 0b10 in the top bits of byte 8. The value is
    // then never zero, so its decimal has no leading zero as PS3.5 §9.1 requires.
    uuid[6] = (uuid[6] & 0x0f) | 0x80;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    uuid
}
