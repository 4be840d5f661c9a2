//! Delivery to PACS: the DICOM object of one photo, the DICOMweb client ([`Pacs`]) and the
//! [`Courier`] that drains the outbox through the ward's delivery transactions.
//!
//! [`vl_photographic_image`] turns a photo's sealed manifest and its JPEG into a DICOM Part-10
//! file of the VL Photographic Image Storage SOP class (modality `XC`), the JPEG encapsulated as
//! it is under JPEG Baseline whenever it can go upright as it is, so the clinician's pixels are
//! not re-encoded; a turned photo, a PNG or a non-baseline JPEG is re-encoded once, upright.
//! Sending it (C-STORE or STOW-RS) and the outbox states are later steps.
//!
//! # Where the manifest goes
//!
//! - Patient: Patient ID is the NHS number with Issuer of Patient ID
//!   `https://fhir.nhs.uk/Id/nhs-number` ([`NHS_NUMBER_ISSUER`], the FHIR system the trust's record
//!   uses), or, with no NHS number, the hospital number and its issuing organisation. The NHS number
//!   is repeated in Other Patient IDs Sequence. Name (`Family^Given Names`), birth date and sex
//!   come from the record when it vouched, else from the band; the band's raw text is the Barcode
//!   Value (2200,0005), so PACS staff can see exactly what was scanned.
//! - Study, series, instance: UIDs derived from the visit and photo ids ([`uids`]), so a retry or
//!   a redacted photo replaces rather than duplicates. Dates and times are UTC, said once by
//!   Timezone Offset From UTC `+0000`.
//! - Who and what: Operators' Name is the clinician; Anatomic Region Sequence holds the body
//!   site's SNOMED CT code (`SCT`) and Image Laterality its side (`U` for a site with none).
//! - Consent: Image Comments holds `consent <id> sha256 <digest>` and any override of the record
//!   check (its code, reason and who made it), since this IOD has no Content Sequence.
//! - Pixels: Photometric Interpretation, size and sampling from the JPEG's own frame header
//!   (`YBR_FULL_422` for a subsampled colour photo); Lossy Image Compression `01`, Burned In
//!   Annotation `NO`, Recognizable Visual Features `YES`. A re-encode (`pixels`: quality 95,
//!   4:2:0) is `DERIVED\PRIMARY` with a Derivation Description; see `docs/delivery.md`.
//!
//! Nothing about where a photo was taken is written: intake already dropped the EXIF (and its GPS),
//! and no geolocation attribute is set here.

#[cfg(test)]
mod audit_tests;
mod consent_dicom;
mod consent_pdf;
#[cfg(test)]
mod consent_pdf_tests;
mod courier;
mod dct_turn;
#[cfg(any(test, feature = "test-support"))]
pub use dct_turn::fuzzing as dct_turn_fuzzing;

/// The two ways a photo is turned upright for PACS, for `benches/turn.rs`.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod turn_bench {
    use crate::intake::{ImageFormat, ImageInfo};

    /// The lossless turn of a baseline JPEG for EXIF `orientation`, if its size allows.
    pub fn lossless(image: &[u8], orientation: u8) -> Option<usize> {
        super::dct_turn::turned(image, orientation).map(|j| j.len())
    }

    /// What delivery encapsulates for a `width` x `height` JPEG with EXIF `orientation`: the
    /// lossless turn where it can be made, otherwise the re-encode. Its length, and whether it
    /// was re-encoded.
    pub fn deliverable(image: &[u8], width: u32, height: u32, orientation: u8) -> (usize, bool) {
        let info = ImageInfo {
            format: ImageFormat::Jpeg,
            width,
            height,
            orientation,
        };
        match super::pixels::deliverable_jpeg(&info, image) {
            Ok(super::pixels::Deliverable::Reencoded { jpeg, .. }) => (jpeg.len(), true),
            Ok(other) => (other.len(), false),
            Err(e) => panic!("not deliverable: {e}"),
        }
    }
}
#[cfg(test)]
mod crash_tests;
#[cfg(test)]
mod dct_turn_tests;
mod dicom;
mod error;
pub mod fhir;
mod jpeg_frame;
#[cfg(test)]
mod locked_crash_tests;
#[cfg(test)]
mod locked_tests;
mod outcome;
mod pacs;
mod pixels;
pub mod reply;
mod text;
pub mod uids;

#[cfg(test)]
pub(crate) mod orthanc_tests;
#[cfg(test)]
mod record_fault_tests;
#[cfg(test)]
mod routes_tests;
#[cfg(test)]
pub(crate) mod tests;

pub use consent_dicom::{
    encapsulated_consent, BuiltConsent, ConsentVisit, CONSENT_SOP_CLASS_UID,
    CONSENT_TRANSFER_SYNTAX_UID,
};
pub use consent_pdf::{consent_pdf, CONSENT_DOCUMENT_TITLE};
pub use courier::{
    backoff, Courier, DrainReport, OutboxEvent, Phase, BACKOFF_BASE, BACKOFF_CAP, CONCURRENCY,
    RETRY_AFTER_CAP,
};
pub use dicom::{
    vl_photographic_image, vl_photographic_image_with, Built, NHS_NUMBER_ISSUER, SOP_CLASS_UID,
    TRANSFER_SYNTAX_UID,
};
pub use error::DeliveryError;
pub use outcome::{Destination, Dicomweb, Fhir, Outcome, Timeouts};
pub use pacs::Pacs;
pub use pixels::{MAX_REENCODE_PIXELS, REENCODE_QUALITY};
