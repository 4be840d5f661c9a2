//! One photo as a DICOM Part-10 file of the VL Photographic Image Storage SOP class.
//!
//! See the module documentation of [`crate::delivery`] for where each piece of the manifest goes.

use dicom_core::value::DataSetSequence;
use dicom_core::{dicom_value, DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::mem::InMemElement;
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};

use super::jpeg_frame::{baseline_frame, describe};
use super::pixels::{deliverable_jpeg, Deliverable};
use super::text::{dicom_date, dicom_time, lo, person_name, single_name};
use super::uids::{implementation_class_uid, series_uid, sop_instance_uid, study_uid};
use super::DeliveryError;
use crate::patient::{OverrideReason, NHS_NUMBER_SYSTEM};
use crate::review::{find, Laterality};
use crate::vault::Timestamp;
use crate::visit::{Demographics, LocalState, PatientIdentity, PhotoManifest};

/// VL Photographic Image Storage.
pub const SOP_CLASS_UID: &str = uids::VL_PHOTOGRAPHIC_IMAGE_STORAGE;
/// JPEG Baseline (Process 1): the photo's own bytes when they can go as they are, else its one
/// re-encode (see [`vl_photographic_image_with`]).
pub const TRANSFER_SYNTAX_UID: &str = uids::JPEG_BASELINE8_BIT;
/// Issuer of Patient ID for an NHS number: the FHIR identifier system of the NHS number, the
/// same string the trust's FHIR server and PDQm use, so one issuer names it everywhere.
pub const NHS_NUMBER_ISSUER: &str = NHS_NUMBER_SYSTEM;
/// Implementation Version Name (SH, at most 16 characters).
pub(super) const IMPLEMENTATION_VERSION: &str = concat!("WARDCAM_", env!("CARGO_PKG_VERSION"));

/// Builds the DICOM Part-10 file (preamble, File Meta and data set) of one photo from `image`, the
/// sealed image the manifest names; `now` is the Instance Creation Date/Time. The same as
/// [`vl_photographic_image_with`], without saying whether the photo was re-encoded.
pub fn vl_photographic_image(
    manifest: &PhotoManifest,
    image: &[u8],
    now: Timestamp,
) -> Result<Vec<u8>, DeliveryError> {
    vl_photographic_image_with(manifest, image, now).map(|built| built.part10)
}

/// A photo's DICOM Part-10 file and how its pixels got there.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Built {
    /// The Part-10 file: 128-byte preamble, `DICM`, File Meta, data set.
    pub part10: Vec<u8>,
    /// Whether the encapsulated JPEG is a re-encode (turned upright where a lossless turn could
    /// not be made, or from PNG or a JPEG that was not baseline) rather than the sealed image's
    /// own bytes. Its Image Type is then
    /// `DERIVED\PRIMARY` and Derivation Description says what was done.
    pub reencoded: bool,
    /// Whether it is the sealed image turned upright losslessly (its own coefficients, moved):
    /// Image Type `DERIVED\PRIMARY` too, with one lossy step, the phone's.
    pub turned_losslessly: bool,
    /// Length of the encapsulated JPEG before the one zero pad byte DICOM adds to an odd-length
    /// fragment: the frame a reader gets back is this many bytes, plus that pad when it is odd.
    pub frame_len: usize,
    /// Where those bytes are in [`Built::part10`]: what a read-back's frame is compared with.
    pub frame: std::ops::Range<usize>,
}

/// Sizes only: the bytes are the patient's photo and record.
impl std::fmt::Debug for Built {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Built")
            .field("part10_len", &self.part10.len())
            .field("reencoded", &self.reencoded)
            .field("turned_losslessly", &self.turned_losslessly)
            .field("frame_len", &self.frame_len)
            .finish()
    }
}

/// Builds the DICOM Part-10 file (preamble, File Meta and data set) of one photo under JPEG
/// Baseline, from `image`, the sealed image the manifest names; `now` is the Instance Creation
/// Date/Time.
///
/// The pixels go upright: a baseline JPEG stored upright (EXIF orientation 1) is encapsulated as
/// it is, byte for byte; any other photo (turned, PNG, progressive or other non-baseline JPEG) is
/// decoded, turned upright and re-encoded once as baseline JPEG at quality 95 (intake dropped the
/// EXIF, so the turn is in the manifest only and would otherwise be lost). Every orientation
/// other than 1 costs that re-encode for now: lossless turning in the DCT domain is not done yet.
/// The encapsulated JPEG is exactly the frame a reader gets back, but for the zero pad byte after
/// an odd length ([`Built::frame_len`]).
///
/// Refused before anything is built: a photo with no label ([`DeliveryError::Unlabelled`]), one
/// whose consent was withdrawn, a patient with neither an NHS nor a hospital number; refused
/// before decoding: a photo too large to re-encode ([`DeliveryError::ImageTooLarge`]), a damaged
/// one or one not the size its manifest says ([`DeliveryError::ImageDamaged`]), and a JPEG that
/// cannot be decoded to 8 bits ([`DeliveryError::UnsupportedJpeg`]).
pub fn vl_photographic_image_with(
    manifest: &PhotoManifest,
    image: &[u8],
    now: Timestamp,
) -> Result<Built, DeliveryError> {
    if manifest.state == LocalState::Withdrawn {
        return Err(DeliveryError::Withdrawn);
    }
    let label = manifest.label.as_ref().ok_or(DeliveryError::Unlabelled)?;
    // Before the pixels, which may take a second to re-encode: a photo that cannot be filed.
    patient_id(&manifest.patient)?;
    let jpeg = deliverable_jpeg(&manifest.info, image)?;
    // Read from the bytes that go in, whichever they are, so the attributes match the frame.
    let frame = baseline_frame(&jpeg)?;
    if (u32::from(frame.width), u32::from(frame.height)) != manifest.info.upright_size() {
        return Err(DeliveryError::ImageDamaged {
            detail: "not the size its record says",
        });
    }
    let pixels = describe(&frame)?;
    let derivation = jpeg.derivation();

    let mut obj = InMemDicomObject::new_empty();
    let mut put = |tag: Tag, vr: VR, value: PrimitiveValue| {
        obj.put(DataElement::new(tag, vr, value));
    };
    let text = |s: &str| PrimitiveValue::from(s);
    let empty = || PrimitiveValue::Empty;

    // SOP Common. UTF-8, since names and free text may be any script.
    put(tags::SPECIFIC_CHARACTER_SET, VR::CS, text("ISO_IR 192"));
    put(tags::SOP_CLASS_UID, VR::UI, text(SOP_CLASS_UID));
    let sop_instance = sop_instance_uid(manifest.photo_id);
    put(tags::SOP_INSTANCE_UID, VR::UI, text(&sop_instance));
    put(tags::INSTANCE_CREATION_DATE, VR::DA, text(&dicom_date(now)));
    put(tags::INSTANCE_CREATION_TIME, VR::TM, text(&dicom_time(now)));
    // Every date and time here is UTC, which this says once for the whole object.
    put(tags::TIMEZONE_OFFSET_FROM_UTC, VR::SH, text("+0000"));

    // General Study: one study per visit, dated by the photo (the visit's first photo would be
    // better, but each object is built alone; PACS shows the study under its UID either way).
    let taken = manifest.captured_at;
    put(
        tags::STUDY_INSTANCE_UID,
        VR::UI,
        text(&study_uid(manifest.visit_id)),
    );
    put(tags::STUDY_DATE, VR::DA, text(&dicom_date(taken)));
    put(tags::STUDY_TIME, VR::TM, text(&dicom_time(taken)));
    // The visit id's first 64 bits in hex: short enough for SH, and the same for every photo.
    put(
        tags::STUDY_ID,
        VR::SH,
        text(&hex::encode(&manifest.visit_id.0[..8])),
    );
    put(tags::ACCESSION_NUMBER, VR::SH, empty());
    put(tags::REFERRING_PHYSICIAN_NAME, VR::PN, empty());

    // General Series and Equipment.
    put(tags::MODALITY, VR::CS, text("XC"));
    put(
        tags::SERIES_INSTANCE_UID,
        VR::UI,
        text(&series_uid(manifest.visit_id)),
    );
    put(tags::SERIES_NUMBER, VR::IS, text("1"));
    if let Some(clinician) = manifest.clinician.as_deref() {
        put(tags::OPERATORS_NAME, VR::PN, text(&single_name(clinician)));
    }
    put(tags::MANUFACTURER, VR::LO, text("WardCam"));
    put(
        tags::SOFTWARE_VERSIONS,
        VR::LO,
        text(env!("CARGO_PKG_VERSION")),
    );

    // General and VL Image. Instance Number 1 for every photo: the object is built without the
    // rest of the visit, and viewers order a series by Content Time.
    put(tags::INSTANCE_NUMBER, VR::IS, text("1"));
    put(tags::CONTENT_DATE, VR::DA, text(&dicom_date(taken)));
    put(tags::CONTENT_TIME, VR::TM, text(&dicom_time(taken)));
    // A turn or a re-encode is derived from the sealed photo: its pixels were moved, or
    // compressed again.
    let value1 = if derivation.is_some() {
        "DERIVED"
    } else {
        "ORIGINAL"
    };
    put(
        tags::IMAGE_TYPE,
        VR::CS,
        dicom_value!(Strs, [value1, "PRIMARY"]),
    );
    if let Some(how) = &derivation {
        put(tags::DERIVATION_DESCRIPTION, VR::ST, text(&how.description));
    }
    put(tags::PATIENT_ORIENTATION, VR::CS, empty());
    put(
        tags::IMAGE_LATERALITY,
        VR::CS,
        text(laterality(label.laterality)),
    );
    // Lossy either way: the photo's own JPEG, or a re-encode (of a JPEG: two lossy steps, each
    // with its ratio and method, in order, PS3.3 C.7.6.1.1.5).
    put(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, text("01"));
    let uncompressed = f64::from(frame.width) * f64::from(frame.height) * f64::from(pixels.samples);
    let ratios: Vec<f64> = derivation
        .as_ref()
        .and_then(|how| how.source_ratio)
        .into_iter()
        .chain([uncompressed / jpeg.len().max(1) as f64])
        .collect();
    put(
        tags::LOSSY_IMAGE_COMPRESSION_RATIO,
        VR::DS,
        PrimitiveValue::Strs(ratios.iter().map(|r| decimal_string(*r)).collect()),
    );
    put(
        tags::LOSSY_IMAGE_COMPRESSION_METHOD,
        VR::CS,
        PrimitiveValue::Strs(ratios.iter().map(|_| "ISO_10918_1".to_owned()).collect()),
    );
    // WardCam draws nothing on the photo (redaction paints solid areas, no text).
    put(tags::BURNED_IN_ANNOTATION, VR::CS, text("NO"));
    // A clinical photo may show a face, a tattoo or a scar: always flagged, never guessed.
    put(tags::RECOGNIZABLE_VISUAL_FEATURES, VR::CS, text("YES"));
    put(
        tags::IMAGE_COMMENTS,
        VR::LT,
        text(&image_comments(manifest)),
    );
    if let Some(raw) = manifest.patient.raw_band.as_deref() {
        put(tags::BARCODE_VALUE, VR::LT, text(raw));
    }

    // Image Pixel, from the JPEG's own frame header.
    put(
        tags::SAMPLES_PER_PIXEL,
        VR::US,
        PrimitiveValue::from(pixels.samples),
    );
    put(
        tags::PHOTOMETRIC_INTERPRETATION,
        VR::CS,
        text(pixels.photometric),
    );
    put(tags::ROWS, VR::US, PrimitiveValue::from(frame.height));
    put(tags::COLUMNS, VR::US, PrimitiveValue::from(frame.width));
    put(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(8u16));
    put(tags::BITS_STORED, VR::US, PrimitiveValue::from(8u16));
    put(tags::HIGH_BIT, VR::US, PrimitiveValue::from(7u16));
    put(
        tags::PIXEL_REPRESENTATION,
        VR::US,
        PrimitiveValue::from(0u16),
    );
    if pixels.samples == 3 {
        put(
            tags::PLANAR_CONFIGURATION,
            VR::US,
            PrimitiveValue::from(0u16),
        );
    }

    patient_module(&mut obj, &manifest.patient)?;
    obj.put(anatomic_region(&label.body_site));
    // Type 2 in the VL Photographic Image IOD: present and empty.
    obj.put(DataElement::new(
        tags::ACQUISITION_CONTEXT_SEQUENCE,
        VR::SQ,
        DataSetSequence::<InMemDicomObject>::empty(),
    ));
    // Pixel Data goes last, appended below.
    if obj.iter().any(|e| e.header().tag >= tags::PIXEL_DATA) {
        return Err(DeliveryError::Encode {
            detail: "an element after Pixel Data",
        });
    }

    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(TRANSFER_SYNTAX_UID)
                .implementation_class_uid(implementation_class_uid())
                .implementation_version_name(IMPLEMENTATION_VERSION),
        )
        .map_err(|_| DeliveryError::Encode {
            detail: "file meta",
        })?;
    let mut out = Vec::with_capacity(jpeg.len() + 8192);
    file.write_all(&mut out)
        .map_err(|_| DeliveryError::Encode {
            detail: "writing the data set",
        })?;
    let frame = append_pixel_data(&mut out, &jpeg)?;
    Ok(Built {
        part10: out,
        reencoded: matches!(jpeg, Deliverable::Reencoded { .. }),
        turned_losslessly: matches!(jpeg, Deliverable::Turned { .. }),
        frame_len: jpeg.len(),
        frame,
    })
}

/// Appends Pixel Data to a data set written in Explicit VR Little Endian (every JPEG transfer
/// syntax is): one fragment holding the whole JPEG, padded to even length with one zero byte
/// after the EOI marker, after an empty Basic Offset Table (one frame), PS3.5 §A.4. Returns where
/// the JPEG's bytes are in `out`.
///
/// Written here rather than through dicom-rs's in-memory object, whose writer copies the
/// fragment twice into fresh buffers: for a 4.5 MB photo that was most of the build's time. What
/// is written is checked by reading it back with dicom-rs and dcmdump in the tests.
fn append_pixel_data(
    out: &mut Vec<u8>,
    jpeg: &[u8],
) -> Result<std::ops::Range<usize>, DeliveryError> {
    const UNDEFINED: [u8; 4] = [0xFF; 4];
    let padded = u32::try_from(jpeg.len() + jpeg.len() % 2).map_err(|_| DeliveryError::Encode {
        detail: "a frame over 4 GiB",
    })?;
    out.reserve(jpeg.len() + 32);
    // (7FE0,0010) OB, two reserved bytes, undefined length.
    out.extend_from_slice(&[0xE0, 0x7F, 0x10, 0x00, b'O', b'B', 0, 0]);
    out.extend_from_slice(&UNDEFINED);
    // Item (FFFE,E000): the empty Basic Offset Table.
    out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
    // Item: the frame.
    out.extend_from_slice(&[0xFE, 0xFF, 0x00, 0xE0]);
    out.extend_from_slice(&padded.to_le_bytes());
    let start = out.len();
    out.extend_from_slice(jpeg);
    let frame = start..out.len();
    if jpeg.len() % 2 == 1 {
        out.push(0);
    }
    // Sequence Delimitation Item (FFFE,E0DD).
    out.extend_from_slice(&[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    Ok(frame)
}

/// A ratio as DICOM DS (at most 16 characters): two decimals, which is all "approximate" needs.
fn decimal_string(ratio: f64) -> String {
    let s = format!("{ratio:.2}");
    if s.len() <= 16 {
        s
    } else {
        // Only an absurd ratio gets here (more than 10^13 to 1); exponent form fits any f64.
        format!("{ratio:.3e}")
    }
}

/// The Patient module. Patient ID is the NHS number when there is one (issuer
/// [`NHS_NUMBER_ISSUER`]), else the hospital number with its issuer; the NHS number is also listed
/// in Other Patient IDs Sequence, so a PACS that files by hospital number can still match it.
/// Names, birth date and sex come from the trust's record when it vouched, else from the band.
/// The same for a visit's photos and its consent document, so PACS files them under one patient.
pub(super) fn patient_module(
    obj: &mut InMemDicomObject,
    identity: &PatientIdentity,
) -> Result<(), DeliveryError> {
    let band = &identity.band;
    let shown: &Demographics = identity.record.as_ref().unwrap_or(band);
    let (id, issuer) = patient_id(identity)?;
    let family = shown.family_name.as_deref().or(band.family_name.as_deref());
    let given = if shown.given_names.is_empty() {
        &band.given_names
    } else {
        &shown.given_names
    };
    let birth = shown.birth_date.as_deref().or(band.birth_date.as_deref());
    obj.put(DataElement::new(
        tags::PATIENT_NAME,
        VR::PN,
        PrimitiveValue::from(person_name(family, given)),
    ));
    obj.put(DataElement::new(
        tags::PATIENT_ID,
        VR::LO,
        PrimitiveValue::from(lo(id)),
    ));
    obj.put(DataElement::new(
        tags::ISSUER_OF_PATIENT_ID,
        VR::LO,
        PrimitiveValue::from(lo(issuer)),
    ));
    obj.put(DataElement::new(
        tags::PATIENT_BIRTH_DATE,
        VR::DA,
        PrimitiveValue::from(birth.and_then(iso_to_da).unwrap_or_default()),
    ));
    obj.put(DataElement::new(
        tags::PATIENT_SEX,
        VR::CS,
        PrimitiveValue::from(sex(shown.sex.as_deref().or(band.sex.as_deref()))),
    ));
    if let Some(nhs) = band.nhs_number.as_deref() {
        let item = InMemDicomObject::from_element_iter([
            DataElement::new(tags::PATIENT_ID, VR::LO, PrimitiveValue::from(lo(nhs))),
            DataElement::new(
                tags::ISSUER_OF_PATIENT_ID,
                VR::LO,
                PrimitiveValue::from(NHS_NUMBER_ISSUER),
            ),
            DataElement::new(
                tags::TYPE_OF_PATIENT_ID,
                VR::CS,
                PrimitiveValue::from("TEXT"),
            ),
        ]);
        obj.put(DataElement::new(
            tags::OTHER_PATIENT_I_DS_SEQUENCE,
            VR::SQ,
            DataSetSequence::from(vec![item]),
        ));
    }
    Ok(())
}

/// Patient ID and its issuer: the NHS number, else the hospital number and its issuing
/// organisation.
pub(super) fn patient_id(identity: &PatientIdentity) -> Result<(&str, &str), DeliveryError> {
    let band = &identity.band;
    match (&band.nhs_number, &band.local_id) {
        (Some(nhs), _) => Ok((nhs.as_str(), NHS_NUMBER_ISSUER)),
        (None, Some(local)) => Ok((local.value.as_str(), local.issuer.as_str())),
        (None, None) => Err(DeliveryError::NoPatientId),
    }
}

/// Anatomic Region Sequence: the body site's SNOMED CT code, with the list's display as the code
/// meaning (the code itself if today's list no longer has it).
fn anatomic_region(code: &str) -> InMemElement {
    let meaning = find(code).map_or(code, |site| site.display);
    let item = InMemDicomObject::from_element_iter([
        DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from(code)),
        DataElement::new(
            tags::CODING_SCHEME_DESIGNATOR,
            VR::SH,
            PrimitiveValue::from("SCT"),
        ),
        DataElement::new(
            tags::CODE_MEANING,
            VR::LO,
            PrimitiveValue::from(lo(meaning)),
        ),
    ]);
    DataElement::new(
        tags::ANATOMIC_REGION_SEQUENCE,
        VR::SQ,
        DataSetSequence::from(vec![item]),
    )
}

/// Image Laterality: `U` (unpaired) for a site with no side.
fn laterality(l: Laterality) -> &'static str {
    match l {
        Laterality::Left => "L",
        Laterality::Right => "R",
        Laterality::Bilateral => "B",
        Laterality::NotApplicable => "U",
    }
}

/// Patient's Sex: M, F or O; empty when unknown or not recorded (type 2).
fn sex(s: Option<&str>) -> &'static str {
    match s {
        Some("male") => "M",
        Some("female") => "F",
        Some("other") => "O",
        _ => "",
    }
}

/// `YYYY-MM-DD` to DICOM DA `YYYYMMDD`; anything else is left out rather than guessed.
fn iso_to_da(iso: &str) -> Option<String> {
    let b = iso.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    shape_ok.then(|| iso.replace('-', ""))
}

/// Image Comments: the consent the photo was taken under and any override of the record check.
/// The VL Photographic Image IOD has no Content Sequence and a private block would be read by no
/// one, so this is the one free-text place a PACS shows with the image:
/// `consent <id> sha256 <hex>`, then `; record check overridden (<code>): <reason> by <who>`.
/// The override's free-text detail is left out: it may name the patient.
fn image_comments(manifest: &PhotoManifest) -> String {
    let consent = &manifest.consent;
    let mut comments = format!(
        "consent {} sha256 {}",
        consent.consent_id,
        consent.digest.hex()
    );
    if let Some(o) = &manifest.patient.override_ {
        let reason = match o.reason {
            OverrideReason::NewAdmissionNotRegistered => "new admission not yet registered",
            OverrideReason::RecordSystemDown => "record system down",
        };
        comments.push_str(&format!(
            "; record check overridden ({}): {} by {}",
            o.overrode.code,
            reason,
            single_name(&o.by)
        ));
    }
    comments
}
