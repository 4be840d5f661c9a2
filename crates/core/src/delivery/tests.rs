#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

use super::jpeg_frame::baseline_frame;
use super::pixels::{deliverable_jpeg, Deliverable};
use super::uids::{series_uid, sop_instance_uid, study_uid};
use super::*;
use crate::consent::ConsentId;
use crate::intake::{ImageFormat, ImageInfo, Quality};
use crate::patient::{parse_scan, OverrideReason, PatientPolicy, Verification};
use crate::review::Laterality;
use crate::session::{ConsentDigest, Purpose};
use crate::vault::{ItemId, Timestamp};
use crate::visit::{
    ConsentLink, IdentifiedBy, LabelRecord, LocalIdentifier, LocalState, Override, PatientIdentity,
    PhotoId, PhotoManifest, Reason, VisitId,
};

/// A DCB1077 wristband: NHS number 943 476 5919, SMITH JOHN, born 18 January 1980.
const BAND: &str = "]d2801850000009434765919493SMITH/JOHN/19800118";
const FOOT: &str = "56459004";
/// 2026-11-05 09:30:15.250 UTC.
const TAKEN: Timestamp = Timestamp(1_793_871_015_250);
const NOW: Timestamp = Timestamp(1_793_874_600_000);

fn jpeg_with(
    w: u16,
    h: u16,
    configure: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i.wrapping_mul(37) % 251) as u8)
        .collect();
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    configure(&mut encoder);
    encoder
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// A small baseline JPEG as phones write it (4:2:0).
fn jpeg() -> Vec<u8> {
    jpeg_with(64, 48, |e| {
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2)
    })
}

fn identity() -> PatientIdentity {
    let band = parse_scan(BAND, &PatientPolicy::default()).unwrap();
    PatientIdentity::new(
        &band,
        &Verification::not_configured(),
        Some(BAND),
        IdentifiedBy::BandText,
    )
}

/// A small photo built as it would be sent (for the read-back's tests elsewhere).
pub(crate) fn built_for_tests() -> Built {
    let jpeg = jpeg();
    vl_photographic_image_with(&manifest(&jpeg), &jpeg, NOW).unwrap()
}

fn manifest(jpeg: &[u8]) -> PhotoManifest {
    let size = |at: usize| u32::from(u16::from_be_bytes([jpeg[at], jpeg[at + 1]]));
    // The SOF0 position in jpeg_encoder's output is not fixed; find it for the fixture's info.
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap_or(0);
    let (height, width) = if sof > 0 {
        (size(sof + 5), size(sof + 7))
    } else {
        (48, 64)
    };
    PhotoManifest {
        photo_id: PhotoId([0x11; 16]),
        visit_id: VisitId([0x22; 16]),
        revision: 1,
        patient: identity(),
        clinician: Some("Dr A Jones".into()),
        consent: ConsentLink {
            consent_id: ConsentId::from_random_bytes([0x33; 16]),
            digest: ConsentDigest([0xab; 32]),
            record_item: ItemId([1; 16]),
            signature_item: None,
            purposes: [Purpose::Care].into_iter().collect(),
            recorded_at: Timestamp(TAKEN.0 - 60_000),
        },
        intended_use: Purpose::Care,
        label: Some(LabelRecord {
            body_site: FOOT.into(),
            laterality: Laterality::Left,
            description: "ulcer".into(),
        }),
        captured_at: TAKEN,
        info: ImageInfo {
            format: ImageFormat::Jpeg,
            width,
            height,
            orientation: 1,
        },
        quality: Quality {
            fine_detail: None,
            detail_balance: None,
            sharpness: 100.0,
            blurred: false,
            dark_fraction: 0.0,
            bright_fraction: 0.0,
            too_dark: false,
            too_bright: false,
        },
        image: ItemId([2; 16]),
        thumbnail: ItemId([3; 16]),
        redactions: Vec::new(),
        state: LocalState::Queued,
        delivery: Default::default(),
    }
}

pub(crate) fn read(file: &[u8]) -> DefaultDicomObject {
    assert_eq!(&file[128..132], b"DICM");
    dicom_object::from_reader(&file[128..]).unwrap()
}

pub(crate) fn s<'a>(obj: &'a InMemDicomObject, tag: Tag) -> Cow<'a, str> {
    obj.element(tag)
        .unwrap_or_else(|_| panic!("{tag} missing"))
        .to_str()
        .unwrap()
}

fn items(obj: &InMemDicomObject, tag: Tag) -> &[InMemDicomObject] {
    obj.element(tag).unwrap().items().unwrap()
}

fn uint(obj: &InMemDicomObject, tag: Tag) -> u16 {
    obj.element(tag).unwrap().to_int::<u16>().unwrap()
}

#[test]
fn every_attribute_reads_back() {
    let image = jpeg();
    let mut m = manifest(&image);
    m.patient.override_ = Some(Override {
        overrode: Reason {
            code: "patient.record_not_found".into(),
            message: "No record.".into(),
        },
        reason: OverrideReason::NewAdmissionNotRegistered,
        detail: "admitted tonight".into(),
        by: "Dr A Jones".into(),
        at: TAKEN,
    });
    let obj = read(&vl_photographic_image(&m, &image, NOW).unwrap());

    let meta = obj.meta();
    assert_eq!(
        meta.transfer_syntax().trim_end_matches('\0'),
        TRANSFER_SYNTAX_UID
    );
    assert_eq!(TRANSFER_SYNTAX_UID, "1.2.840.10008.1.2.4.50");
    assert_eq!(
        meta.media_storage_sop_class_uid().trim_end_matches('\0'),
        "1.2.840.10008.5.1.4.1.1.77.1.4"
    );
    let sop = sop_instance_uid(m.photo_id);
    assert_eq!(
        meta.media_storage_sop_instance_uid().trim_end_matches('\0'),
        sop
    );

    assert_eq!(s(&obj, tags::SOP_CLASS_UID), SOP_CLASS_UID);
    assert_eq!(s(&obj, tags::SOP_INSTANCE_UID), sop);
    assert_eq!(s(&obj, tags::STUDY_INSTANCE_UID), study_uid(m.visit_id));
    assert_eq!(s(&obj, tags::SERIES_INSTANCE_UID), series_uid(m.visit_id));
    assert_eq!(s(&obj, tags::SPECIFIC_CHARACTER_SET), "ISO_IR 192");
    assert_eq!(s(&obj, tags::MODALITY), "XC");

    // Patient.
    assert_eq!(s(&obj, tags::PATIENT_NAME), "SMITH^JOHN");
    assert_eq!(s(&obj, tags::PATIENT_ID), "9434765919");
    assert_eq!(
        s(&obj, tags::ISSUER_OF_PATIENT_ID),
        "https://fhir.nhs.uk/Id/nhs-number"
    );
    assert_eq!(s(&obj, tags::PATIENT_BIRTH_DATE), "19800118");
    assert_eq!(s(&obj, tags::PATIENT_SEX), "");
    let other = items(&obj, tags::OTHER_PATIENT_I_DS_SEQUENCE);
    assert_eq!(other.len(), 1);
    assert_eq!(s(&other[0], tags::PATIENT_ID), "9434765919");
    assert_eq!(s(&other[0], tags::ISSUER_OF_PATIENT_ID), NHS_NUMBER_ISSUER);
    assert_eq!(s(&other[0], tags::TYPE_OF_PATIENT_ID), "TEXT");
    assert_eq!(s(&obj, tags::BARCODE_VALUE), BAND);

    // Study, series, times (UTC).
    assert_eq!(s(&obj, tags::STUDY_DATE), "20261105");
    assert_eq!(s(&obj, tags::STUDY_TIME), "093015");
    assert_eq!(s(&obj, tags::CONTENT_DATE), "20261105");
    assert_eq!(s(&obj, tags::CONTENT_TIME), "093015");
    assert_eq!(s(&obj, tags::INSTANCE_CREATION_DATE), "20261105");
    assert_eq!(s(&obj, tags::INSTANCE_CREATION_TIME), "103000");
    assert_eq!(s(&obj, tags::TIMEZONE_OFFSET_FROM_UTC), "+0000");
    assert_eq!(s(&obj, tags::STUDY_ID), "2222222222222222");
    assert_eq!(s(&obj, tags::SERIES_NUMBER), "1");
    assert_eq!(s(&obj, tags::INSTANCE_NUMBER), "1");
    assert_eq!(s(&obj, tags::ACCESSION_NUMBER), "");
    assert_eq!(s(&obj, tags::REFERRING_PHYSICIAN_NAME), "");
    assert_eq!(s(&obj, tags::OPERATORS_NAME), "Dr A Jones");

    // Label.
    let region = items(&obj, tags::ANATOMIC_REGION_SEQUENCE);
    assert_eq!(region.len(), 1);
    assert_eq!(s(&region[0], tags::CODE_VALUE), FOOT);
    assert_eq!(s(&region[0], tags::CODING_SCHEME_DESIGNATOR), "SCT");
    assert_eq!(s(&region[0], tags::CODE_MEANING), "Foot");
    assert_eq!(s(&obj, tags::IMAGE_LATERALITY), "L");

    // Consent and override.
    assert_eq!(
        s(&obj, tags::IMAGE_COMMENTS),
        format!(
            "consent {} sha256 {}; record check overridden (patient.record_not_found): \
             new admission not yet registered by Dr A Jones",
            m.consent.consent_id,
            "ab".repeat(32)
        )
    );

    // Image.
    assert_eq!(s(&obj, tags::IMAGE_TYPE), "ORIGINAL\\PRIMARY");
    assert!(obj.element(tags::DERIVATION_DESCRIPTION).is_err());
    assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION), "01");
    assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION_METHOD), "ISO_10918_1");
    // 64 x 48 x 3 bytes over the JPEG's length, one step.
    let ratio: f64 = s(&obj, tags::LOSSY_IMAGE_COMPRESSION_RATIO)
        .parse()
        .unwrap();
    assert!(
        (ratio - 64.0 * 48.0 * 3.0 / image.len() as f64).abs() < 0.01,
        "{ratio}"
    );
    assert_eq!(s(&obj, tags::BURNED_IN_ANNOTATION), "NO");
    assert_eq!(s(&obj, tags::RECOGNIZABLE_VISUAL_FEATURES), "YES");
    assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "YBR_FULL_422");
    assert_eq!(uint(&obj, tags::SAMPLES_PER_PIXEL), 3);
    assert_eq!(uint(&obj, tags::ROWS), 48);
    assert_eq!(uint(&obj, tags::COLUMNS), 64);
    assert_eq!(uint(&obj, tags::BITS_ALLOCATED), 8);
    assert_eq!(uint(&obj, tags::BITS_STORED), 8);
    assert_eq!(uint(&obj, tags::HIGH_BIT), 7);
    assert_eq!(uint(&obj, tags::PIXEL_REPRESENTATION), 0);
    assert_eq!(uint(&obj, tags::PLANAR_CONFIGURATION), 0);
}

#[test]
fn the_jpeg_is_encapsulated_as_is() {
    let image = jpeg();
    for extra in [0usize, 1] {
        // An odd-length JPEG too: a trailing byte after EOI, as some cameras leave.
        let mut input = image.clone();
        input.extend(std::iter::repeat_n(0u8, extra));
        let built = vl_photographic_image_with(&manifest(&input), &input, NOW).unwrap();
        assert!(!built.reencoded);
        assert_eq!(built.frame_len, input.len());
        let obj = read(&built.part10);
        let pixel = obj.element(tags::PIXEL_DATA).unwrap();
        assert_eq!(pixel.offset_table().unwrap(), &[] as &[u32]);
        let fragments = pixel.fragments().unwrap();
        assert_eq!(fragments.len(), 1);
        let mut expected = input.clone();
        if expected.len() % 2 == 1 {
            expected.push(0);
        }
        assert_eq!(fragments[0], expected);
        // Borrowed, not copied, on its way in.
        let m = manifest(&input);
        match deliverable_jpeg(&m.info, &input).unwrap() {
            Deliverable::AsIs(bytes) => assert_eq!(bytes.as_ptr(), input.as_ptr()),
            other => panic!("re-encoded: {other:?}"),
        }
    }
}

#[test]
fn grey_and_unsubsampled_photos_get_their_photometric() {
    let full = jpeg_with(64, 48, |e| {
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_1_1)
    });
    let obj = read(&vl_photographic_image(&manifest(&full), &full, NOW).unwrap());
    assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "YBR_FULL");

    let mut grey = Vec::new();
    jpeg_encoder::Encoder::new(&mut grey, 85)
        .encode(&[128u8; 64 * 48], 64, 48, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let obj = read(&vl_photographic_image(&manifest(&grey), &grey, NOW).unwrap());
    assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "MONOCHROME2");
    assert_eq!(uint(&obj, tags::SAMPLES_PER_PIXEL), 1);
    assert!(obj.element(tags::PLANAR_CONFIGURATION).is_err());
}

#[test]
fn uids_are_deterministic_distinct_and_valid() {
    let (v1, v2) = (VisitId([1; 16]), VisitId([2; 16]));
    let (p1, p2) = (PhotoId([1; 16]), PhotoId([2; 16]));
    assert_eq!(study_uid(v1), study_uid(v1));
    assert_eq!(series_uid(v1), series_uid(v1));
    assert_eq!(sop_instance_uid(p1), sop_instance_uid(p1));
    let all = [
        study_uid(v1),
        study_uid(v2),
        series_uid(v1),
        series_uid(v2),
        sop_instance_uid(p1),
        sop_instance_uid(p2),
        uids::implementation_class_uid(),
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
        assert!(a.len() <= 64, "{a}");
        assert!(a.starts_with("2.25."), "{a}");
        for part in a.split('.') {
            assert!(
                !part.is_empty() && part.bytes().all(|c| c.is_ascii_digit()),
                "{a}"
            );
            assert!(part == "0" || !part.starts_with('0'), "{a}");
        }
        // Version 8 and the RFC 4122 variant.
        let n: u128 = a["2.25.".len()..].parse().unwrap();
        let bytes = n.to_be_bytes();
        assert_eq!(bytes[6] >> 4, 8);
        assert_eq!(bytes[8] >> 6, 0b10);
    }
}

#[test]
fn a_redacted_photo_and_a_retry_keep_their_uids() {
    let image = jpeg();
    let m = manifest(&image);
    let first = read(&vl_photographic_image(&m, &image, NOW).unwrap());
    let mut redacted = m.clone();
    redacted.revision = 2;
    redacted.image = ItemId([9; 16]);
    let again = read(&vl_photographic_image(&redacted, &image, Timestamp(NOW.0 + 5_000)).unwrap());
    for tag in [
        tags::SOP_INSTANCE_UID,
        tags::SERIES_INSTANCE_UID,
        tags::STUDY_INSTANCE_UID,
    ] {
        assert_eq!(s(&first, tag), s(&again, tag));
    }
}

#[test]
fn refusals_have_their_codes() {
    let image = jpeg();

    // An orientation EXIF does not have: the record is damaged, not the photo turned.
    for orientation in [0, 9] {
        let mut odd = manifest(&image);
        odd.info.orientation = orientation;
        let e = vl_photographic_image(&odd, &image, NOW).unwrap_err();
        assert_eq!(e.code(), "delivery.image_damaged");
    }

    let mut unlabelled = manifest(&image);
    unlabelled.label = None;
    let e = vl_photographic_image(&unlabelled, &image, NOW).unwrap_err();
    assert_eq!(e, DeliveryError::Unlabelled);
    assert_eq!(e.code(), "delivery.unlabelled");

    let mut withdrawn = manifest(&image);
    withdrawn.state = LocalState::Withdrawn;
    let e = vl_photographic_image(&withdrawn, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.withdrawn");

    // A record that says PNG for JPEG bytes.
    let mut png = manifest(&image);
    png.info.format = ImageFormat::Png;
    let e = vl_photographic_image(&png, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_damaged");

    // Turned: the record's size is still checked against the JPEG's before anything is decoded.
    let mut wrong_turned = manifest(&image);
    wrong_turned.info.orientation = 6;
    wrong_turned.info.height += 16;
    let e = vl_photographic_image(&wrong_turned, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_damaged");

    let mut wrong_size = manifest(&image);
    wrong_size.info.width += 1;
    let e = vl_photographic_image(&wrong_size, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_damaged");

    let e = vl_photographic_image(&manifest(&image), &image[..40], NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_damaged");

    let mut nobody = manifest(&image);
    nobody.patient.band.nhs_number = None;
    let e = vl_photographic_image(&nobody, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.no_patient_id");
}

#[test]
fn error_messages_never_repeat_patient_data() {
    let errors = [
        DeliveryError::Unlabelled,
        DeliveryError::Withdrawn,
        DeliveryError::NoPatientId,
        DeliveryError::UnsupportedJpeg {
            detail: "progressive",
        },
        DeliveryError::ImageDamaged { detail: "x" },
        DeliveryError::ImageTooLarge,
        DeliveryError::Encode { detail: "x" },
    ];
    for e in errors {
        assert!(e.code().starts_with("delivery."));
        let text = e.to_string();
        for leak in ["9434765919", "SMITH", "JOHN", "1980"] {
            assert!(!text.contains(leak), "{text}");
        }
    }
}

#[test]
fn a_hospital_number_band_files_by_hospital_number() {
    let image = jpeg();
    let mut m = manifest(&image);
    m.patient.band.nhs_number = None;
    m.patient.band.local_id = Some(LocalIdentifier {
        issuer: "RX1".into(),
        value: "K123456".into(),
    });
    m.patient.band.given_names = vec!["Mary".into(), "Anne".into()];
    m.patient.band.family_name = Some("O'Neil^Evil\\Name".into());
    m.patient.raw_band = None;
    m.clinician = None;
    m.label = Some(LabelRecord {
        body_site: "54735007".into(),
        laterality: Laterality::NotApplicable,
        description: String::new(),
    });
    let obj = read(&vl_photographic_image(&m, &image, NOW).unwrap());
    assert_eq!(s(&obj, tags::PATIENT_ID), "K123456");
    assert_eq!(s(&obj, tags::ISSUER_OF_PATIENT_ID), "RX1");
    // Delimiters in a name never split it into other components or values.
    assert_eq!(s(&obj, tags::PATIENT_NAME), "O'Neil Evil Name^Mary Anne");
    assert!(obj.element(tags::OTHER_PATIENT_I_DS_SEQUENCE).is_err());
    assert!(obj.element(tags::BARCODE_VALUE).is_err());
    assert!(obj.element(tags::OPERATORS_NAME).is_err());
    assert_eq!(s(&obj, tags::IMAGE_LATERALITY), "U");
}

#[test]
fn the_record_names_the_patient_when_it_vouched() {
    let image = jpeg();
    let mut m = manifest(&image);
    let mut record = m.patient.band.clone();
    record.family_name = Some("Smith".into());
    record.given_names = vec!["John".into(), "Paul".into()];
    record.sex = Some("male".into());
    m.patient.record = Some(record);
    let obj = read(&vl_photographic_image(&m, &image, NOW).unwrap());
    assert_eq!(s(&obj, tags::PATIENT_NAME), "Smith^John Paul");
    assert_eq!(s(&obj, tags::PATIENT_SEX), "M");
}

#[test]
fn nothing_about_location_is_written() {
    let image = jpeg();
    let obj = read(&vl_photographic_image(&manifest(&image), &image, NOW).unwrap());
    let patient_tags = [
        tags::PATIENT_NAME,
        tags::PATIENT_ID,
        tags::ISSUER_OF_PATIENT_ID,
        tags::TYPE_OF_PATIENT_ID,
        tags::PATIENT_BIRTH_DATE,
        tags::PATIENT_SEX,
        tags::OTHER_PATIENT_I_DS_SEQUENCE,
    ];
    fn walk(obj: &InMemDicomObject, patient_tags: &[Tag], seen: &mut usize) {
        for e in obj.iter() {
            *seen += 1;
            let tag = e.header().tag;
            assert!(
                tag.group() != 0x0010 || patient_tags.contains(&tag),
                "unexpected patient-group attribute {tag}"
            );
            if let Some(nested) = e.items() {
                for item in nested {
                    walk(item, patient_tags, seen);
                }
            } else if tag != tags::PIXEL_DATA {
                if let Ok(v) = e.to_str() {
                    assert!(!v.to_ascii_uppercase().contains("GPS"), "{tag}");
                    assert!(!v.to_ascii_lowercase().contains("geoloc"), "{tag}");
                }
            }
        }
    }
    let mut seen = 0;
    walk(&obj, &patient_tags, &mut seen);
    assert!(seen > 40, "{seen}");
}

#[test]
fn dcmdump_reads_the_file_cleanly() {
    let dcmdump = std::path::Path::new("/usr/bin/dcmdump");
    if !dcmdump.exists() {
        eprintln!("skipped: dcmtk's dcmdump is not installed");
        return;
    }
    let image = jpeg();
    let file = vl_photographic_image(&manifest(&image), &image, NOW).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.dcm");
    std::fs::write(&path, &file).unwrap();
    let text = dcmdump_clean(dcmdump, &path);
    assert!(text.contains("VLPhotographicImageStorage"), "{text}");

    // And dcmtk's own JPEG decoder takes the encapsulated photo: 64 x 48 x 3 samples out.
    let dcmdjpeg = std::path::Path::new("/usr/bin/dcmdjpeg");
    if dcmdjpeg.exists() {
        let obj = dcmdjpeg_decoded(dcmdjpeg, &path);
        let pixels = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        assert_eq!(pixels.len(), 64 * 48 * 3);
    }
}

// Pixels: what goes in as it is, and what is re-encoded once, upright.

const RED: [u8; 3] = [220, 30, 30];
const BLUE: [u8; 3] = [30, 30, 220];

/// Stored pixels `w` x `h` (RGB), mid grey, with a 16 x 16 red block at the first pixel (row 0,
/// column 0) and a blue one at the end of row 0.
fn marked(w: usize, h: usize) -> Vec<u8> {
    let mut rgb = vec![128u8; w * h * 3];
    for y in 0..16 {
        for x in 0..16 {
            rgb[(y * w + x) * 3..][..3].copy_from_slice(&RED);
            rgb[(y * w + w - 16 + x) * 3..][..3].copy_from_slice(&BLUE);
        }
    }
    rgb
}

fn encode_rgb(rgb: &[u8], w: usize, h: usize, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// The encapsulated JPEG as a reader gets it back, without the pad byte of an odd length.
fn frame_of(built: &Built) -> Vec<u8> {
    let obj = read(&built.part10);
    let fragments = obj.element(tags::PIXEL_DATA).unwrap().fragments().unwrap();
    assert_eq!(fragments.len(), 1);
    let fragment = &fragments[0];
    assert_eq!(fragment.len(), built.frame_len + built.frame_len % 2);
    if built.frame_len % 2 == 1 {
        assert_eq!(fragment.last(), Some(&0));
    }
    // Where the builder says the frame is, a reader finds exactly it.
    assert_eq!(
        &built.part10[built.frame.clone()],
        &fragment[..built.frame_len]
    );
    assert_eq!(
        &*crate::delivery::reply::encapsulated_frame(&built.part10).unwrap(),
        &fragment[..]
    );
    fragment[..built.frame_len].to_vec()
}

/// Decodes a JPEG: width, height, bytes per pixel, pixels.
fn decode(jpeg: &[u8]) -> (usize, usize, usize, Vec<u8>) {
    let mut decoder = jpeg_decoder::Decoder::new(jpeg);
    let pixels = decoder.decode().unwrap();
    let info = decoder.info().unwrap();
    let channels = info.pixel_format.pixel_bytes();
    (
        usize::from(info.width),
        usize::from(info.height),
        channels,
        pixels,
    )
}

/// Checks the frame is 8-bit baseline with no EXIF, and what a re-encode says about itself.
fn assert_reencoded(built: &Built, frame: &[u8], derivation: &str) {
    assert!(built.reencoded);
    baseline_frame(frame).unwrap();
    assert!(!frame.windows(6).any(|w| w == b"Exif\0\0"));
    assert!(frame.ends_with(&[0xFF, 0xD9]));
    let obj = read(&built.part10);
    assert_eq!(s(&obj, tags::IMAGE_TYPE), "DERIVED\\PRIMARY");
    assert_eq!(s(&obj, tags::DERIVATION_DESCRIPTION), derivation);
    assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION), "01");
    assert_eq!(
        obj.meta().transfer_syntax().trim_end_matches('\0'),
        TRANSFER_SYNTAX_UID
    );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

/// The colour at the middle of the 16 x 16 block in `corner` of decoded RGB.
fn at(rgb: &[u8], w: usize, h: usize, corner: Corner) -> [u8; 3] {
    let (x, y) = match corner {
        Corner::TopLeft => (8, 8),
        Corner::TopRight => (w - 9, 8),
        Corner::BottomLeft => (8, h - 9),
        Corner::BottomRight => (w - 9, h - 9),
    };
    let p = &rgb[(y * w + x) * 3..][..3];
    [p[0], p[1], p[2]]
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= tolerance)
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    // Whole 16-pixel MCUs both ways: every turn is lossless.
    orientations_come_out_upright(64, 32, &[2, 3, 4, 5, 6, 7, 8]);
    // A partial MCU row at the bottom: a turn that mirrors down (3, 4, 6, 7) would move it to
    // the top, so those are re-encoded; 2, 5 and 8 stay lossless.
    orientations_come_out_upright(64, 40, &[2, 5, 8]);
}

/// Each orientation of a `w` x `h` 4:2:0 photo comes out upright, turned losslessly for the
/// orientations in `lossless` and re-encoded once for the others.
fn orientations_come_out_upright(w: usize, h: usize, lossless: &[u8]) {
    use Corner::*;
    // Where the stored image's first pixel and the end of its first row are seen, by EXIF's
    // definition of each orientation (0th row at the visual top/bottom/left/right, 0th column at
    // the visual left/right/top/bottom). Each pair names one orientation.
    let expected = [
        (1, TopLeft, TopRight),
        (2, TopRight, TopLeft),
        (3, BottomRight, BottomLeft),
        (4, BottomLeft, BottomRight),
        (5, TopLeft, BottomLeft),
        (6, TopRight, BottomRight),
        (7, BottomRight, TopRight),
        (8, BottomLeft, TopLeft),
    ];
    let image = encode_rgb(&marked(w, h), w, h, 92);
    let uncompressed = (w * h * 3) as f64;
    for (orientation, red, blue) in expected {
        let mut m = manifest(&image);
        assert_eq!((m.info.width, m.info.height), (w as u32, h as u32));
        m.info.orientation = orientation;
        let built = vl_photographic_image_with(&m, &image, NOW).unwrap();
        let obj = read(&built.part10);
        let (cols, rows) = m.info.upright_size();
        assert_eq!(
            (
                u32::from(uint(&obj, tags::COLUMNS)),
                u32::from(uint(&obj, tags::ROWS))
            ),
            (cols, rows),
            "orientation {orientation}"
        );
        assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "YBR_FULL_422");
        let frame = frame_of(&built);
        let ratios = s(&obj, tags::LOSSY_IMAGE_COMPRESSION_RATIO);
        let ratios: Vec<f64> = ratios.split('\\').map(|r| r.parse().unwrap()).collect();
        if orientation == 1 {
            assert!(!built.reencoded && !built.turned_losslessly);
            assert_eq!(frame, image);
        } else if lossless.contains(&orientation) {
            assert!(built.turned_losslessly && !built.reencoded, "{orientation}");
            assert_eq!(s(&obj, tags::IMAGE_TYPE), "DERIVED\\PRIMARY");
            assert_eq!(
                s(&obj, tags::DERIVATION_DESCRIPTION),
                format!(
                    "turned upright (EXIF orientation {orientation}) losslessly in the DCT \
                     domain, not re-encoded"
                )
            );
            assert!(!frame.windows(6).any(|w| w == b"Exif\0\0"));
            // One lossy step, the phone's: its coefficients are the ones sent.
            assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION_METHOD), "ISO_10918_1");
            assert_eq!(ratios.len(), 1);
            assert!((ratios[0] - uncompressed / frame.len() as f64).abs() < 0.01);
        } else {
            assert_reencoded(
                &built,
                &frame,
                &format!(
                    "turned upright (EXIF orientation {orientation}), re-encoded once as \
                     baseline JPEG (quality 95, 4:2:0)"
                ),
            );
            // Two lossy steps: the phone's JPEG, then this one.
            assert_eq!(
                s(&obj, tags::LOSSY_IMAGE_COMPRESSION_METHOD),
                "ISO_10918_1\\ISO_10918_1"
            );
            assert_eq!(ratios.len(), 2);
            assert!(
                (ratios[0] - uncompressed / image.len() as f64).abs() < 0.01,
                "{ratios:?}"
            );
            assert!(
                (ratios[1] - uncompressed / frame.len() as f64).abs() < 0.01,
                "{ratios:?}"
            );
        }
        let (dw, dh, channels, rgb) = decode(&frame);
        assert_eq!((dw as u32, dh as u32, channels), (cols, rows, 3));
        for corner in [TopLeft, TopRight, BottomLeft, BottomRight] {
            let seen = at(&rgb, dw, dh, corner);
            let want = if corner == red {
                RED
            } else if corner == blue {
                BLUE
            } else {
                [128; 3]
            };
            assert!(
                near(seen, want, 24),
                "orientation {orientation}, {corner:?}: {seen:?}, expected {want:?}"
            );
        }
    }
}

#[test]
fn a_turned_photo_keeps_its_icc_profile_and_grey_stays_grey() {
    // A made-up profile: only its colour model (bytes 16 to 19) matters here.
    let mut icc = vec![7u8; 300];
    icc[16..20].copy_from_slice(b"RGB ");
    let mut image = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut image, 90);
    encoder.add_icc_profile(&icc).unwrap();
    encoder
        .encode(&marked(60, 32), 60, 32, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let mut m = manifest(&image);
    // 60 is not a whole number of 8-pixel MCUs across: the turn is a re-encode.
    m.info.orientation = 3;
    let built = vl_photographic_image_with(&m, &image, NOW).unwrap();
    assert!(built.reencoded);
    let frame = frame_of(&built);
    let mut decoder = jpeg_decoder::Decoder::new(&frame[..]);
    decoder.decode().unwrap();
    assert_eq!(decoder.icc_profile(), Some(icc.clone()));

    // An RGB profile on a grey photo describes nothing in it: dropped.
    let mut grey = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut grey, 90);
    encoder.add_icc_profile(&icc).unwrap();
    encoder
        .encode(&[90u8; 60 * 32], 60, 32, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let mut m = manifest(&grey);
    m.info.orientation = 8;
    let built = vl_photographic_image_with(&m, &grey, NOW).unwrap();
    assert!(built.reencoded);
    let obj = read(&built.part10);
    assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "MONOCHROME2");
    assert_eq!(uint(&obj, tags::SAMPLES_PER_PIXEL), 1);
    assert_eq!(
        (uint(&obj, tags::ROWS), uint(&obj, tags::COLUMNS)),
        (60, 32)
    );
    let frame = frame_of(&built);
    let mut decoder = jpeg_decoder::Decoder::new(&frame[..]);
    let pixels = decoder.decode().unwrap();
    assert_eq!(decoder.icc_profile(), None);
    assert_eq!(pixels.len(), 60 * 32);
    assert!(pixels.iter().all(|&v| v.abs_diff(90) <= 2));
}

#[test]
fn a_progressive_jpeg_is_reencoded_to_baseline() {
    let progressive = jpeg_with(64, 48, |e| e.set_progressive(true));
    let mut m = manifest(&progressive);
    // manifest() finds no SOF0 in a progressive JPEG and says 64 x 48, which it is.
    assert_eq!((m.info.width, m.info.height), (64, 48));
    let built = vl_photographic_image_with(&m, &progressive, NOW).unwrap();
    let frame = frame_of(&built);
    assert_reencoded(
        &built,
        &frame,
        "re-encoded once from JPEG (progressive) as baseline JPEG (quality 95, 4:2:0)",
    );
    let obj = read(&built.part10);
    assert_eq!(
        (uint(&obj, tags::ROWS), uint(&obj, tags::COLUMNS)),
        (48, 64)
    );
    let (w, h, channels, _) = decode(&frame);
    assert_eq!((w, h, channels), (64, 48, 3));

    // Progressive and turned: still one re-encode.
    m.info.orientation = 6;
    let built = vl_photographic_image_with(&m, &progressive, NOW).unwrap();
    let frame = frame_of(&built);
    assert_reencoded(
        &built,
        &frame,
        "turned upright (EXIF orientation 6), re-encoded once from JPEG (progressive) as \
         baseline JPEG (quality 95, 4:2:0)",
    );
    assert_eq!(decode(&frame).0, 48);
}

#[test]
fn a_cmyk_jpeg_is_reencoded_as_colour() {
    // Baseline, but four components: DICOM has no photometric for it, so it is re-encoded.
    let mut cmyk = Vec::new();
    jpeg_encoder::Encoder::new(&mut cmyk, 90)
        .encode(&[0u8; 32 * 16 * 4], 32, 16, jpeg_encoder::ColorType::Cmyk)
        .unwrap();
    let mut m = manifest(&cmyk);
    m.info.width = 32;
    m.info.height = 16;
    let built = vl_photographic_image_with(&m, &cmyk, NOW).unwrap();
    let frame = frame_of(&built);
    assert_reencoded(
        &built,
        &frame,
        "re-encoded once from JPEG (neither grey nor three-colour) as baseline JPEG \
         (quality 95, 4:2:0)",
    );
    let (w, h, channels, rgb) = decode(&frame);
    assert_eq!((w, h, channels), (32, 16, 3));
    // No ink is white.
    assert!(rgb.iter().all(|&v| v >= 250), "{:?}", &rgb[..3]);
}

/// A PNG from the `png` crate.
fn png_of(
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    configure: impl FnOnce(&mut png::Encoder<'_, &mut Vec<u8>>),
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(color);
        encoder.set_depth(depth);
        configure(&mut encoder);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(data).unwrap();
    }
    out
}

fn png_manifest(png: &[u8], w: u32, h: u32) -> PhotoManifest {
    let mut m = manifest(&jpeg());
    m.info = ImageInfo {
        format: ImageFormat::Png,
        width: w,
        height: h,
        orientation: 1,
    };
    assert!(png.starts_with(b"\x89PNG"));
    m
}

#[test]
fn pngs_come_out_as_baseline_jpeg() {
    use png::{BitDepth, ColorType};
    let (w, h) = (40u32, 24u32);
    let n = (w * h) as usize;
    let orange = [200u8, 100, 50];
    // Left half transparent (white once flattened), right half half-transparent orange.
    let rgba: Vec<u8> = (0..n)
        .flat_map(|i| {
            let alpha = if (i % w as usize) < 20 { 0 } else { 128 };
            [orange[0], orange[1], orange[2], alpha]
        })
        .collect();
    let rgb16: Vec<u8> = (0..n)
        .flat_map(|_| orange.iter().flat_map(|&v| [v, 0x7f]))
        .collect();
    // Name, PNG, and the colours expected left and right.
    let cases = [
        (
            "RGB",
            png_of(
                w,
                h,
                ColorType::Rgb,
                BitDepth::Eight,
                |_| {},
                &orange.repeat(n),
            ),
            orange,
            orange,
        ),
        (
            "RGBA",
            png_of(w, h, ColorType::Rgba, BitDepth::Eight, |_| {}, &rgba),
            [255; 3],
            // 200 * 128/255 + 255 * 127/255, and so on.
            [227, 177, 152],
        ),
        (
            "16-bit RGB",
            png_of(w, h, ColorType::Rgb, BitDepth::Sixteen, |_| {}, &rgb16),
            orange,
            orange,
        ),
        (
            "palette",
            png_of(
                w,
                h,
                ColorType::Indexed,
                BitDepth::Eight,
                |e| e.set_palette(vec![0, 0, 0, 200, 100, 50]),
                &vec![1u8; n],
            ),
            orange,
            orange,
        ),
    ];
    for (name, png, left, right) in cases {
        let m = png_manifest(&png, w, h);
        let built = vl_photographic_image_with(&m, &png, NOW).unwrap();
        let frame = frame_of(&built);
        assert_reencoded(
            &built,
            &frame,
            "re-encoded once from PNG as baseline JPEG (quality 95, 4:2:0)",
        );
        let obj = read(&built.part10);
        assert_eq!(
            (uint(&obj, tags::ROWS), uint(&obj, tags::COLUMNS)),
            (24, 40),
            "{name}"
        );
        assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "YBR_FULL_422");
        // From a lossless PNG: one lossy step.
        assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION_METHOD), "ISO_10918_1");
        let (dw, dh, channels, rgb) = decode(&frame);
        assert_eq!((dw, dh, channels), (40, 24, 3), "{name}");
        let px = |x: usize| {
            [
                rgb[(12 * 40 + x) * 3],
                rgb[(12 * 40 + x) * 3 + 1],
                rgb[(12 * 40 + x) * 3 + 2],
            ]
        };
        assert!(near(px(5), left, 6), "{name}: {:?}", px(5));
        assert!(near(px(34), right, 6), "{name}: {:?}", px(34));
    }

    // Grey stays grey: one component, MONOCHROME2.
    let grey = png_of(
        w,
        h,
        ColorType::Grayscale,
        BitDepth::Eight,
        |_| {},
        &vec![60u8; n],
    );
    let built = vl_photographic_image_with(&png_manifest(&grey, w, h), &grey, NOW).unwrap();
    let obj = read(&built.part10);
    assert_eq!(s(&obj, tags::PHOTOMETRIC_INTERPRETATION), "MONOCHROME2");
    assert_eq!(uint(&obj, tags::SAMPLES_PER_PIXEL), 1);
    assert!(obj.element(tags::PLANAR_CONFIGURATION).is_err());
    let (dw, dh, channels, pixels) = decode(&frame_of(&built));
    assert_eq!((dw, dh, channels), (40, 24, 1));
    assert!(pixels.iter().all(|&v| v.abs_diff(60) <= 2));
}

/// An Adam7-interlaced 8-bit RGB PNG (the `png` crate writes none), its data in stored deflate
/// blocks.
fn interlaced_png(rgb: &[u8], w: usize, h: usize) -> Vec<u8> {
    const ADAM7: [(usize, usize, usize, usize); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let mut raw = Vec::new();
    for (x0, y0, dx, dy) in ADAM7 {
        if x0 >= w || y0 >= h {
            continue;
        }
        for y in (y0..h).step_by(dy) {
            raw.push(0); // filter: none
            for x in (x0..w).step_by(dx) {
                raw.extend_from_slice(&rgb[(y * w + x) * 3..][..3]);
            }
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 1]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    out
}

#[test]
fn an_interlaced_turned_png_comes_out_upright() {
    let (w, h) = (64, 32);
    let png = interlaced_png(&marked(w, h), w, h);
    for (orientation, red, blue) in [
        (1, Corner::TopLeft, Corner::TopRight),
        (6, Corner::TopRight, Corner::BottomRight),
        (7, Corner::BottomRight, Corner::TopRight),
    ] {
        let mut m = png_manifest(&png, 64, 32);
        m.info.orientation = orientation;
        let built = vl_photographic_image_with(&m, &png, NOW).unwrap();
        let frame = frame_of(&built);
        let (dw, dh, _, rgb) = decode(&frame);
        assert_eq!((dw as u32, dh as u32), m.info.upright_size());
        assert!(near(at(&rgb, dw, dh, red), RED, 24), "{orientation}");
        assert!(near(at(&rgb, dw, dh, blue), BLUE, 24), "{orientation}");
    }
}

/// `jpeg` with the width and height in its frame header (SOFn, n = `sof`) replaced.
fn with_header_size(jpeg: &[u8], sof: u8, w: u16, h: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let at = out.windows(2).position(|m| m == [0xFF, sof]).unwrap();
    out[at + 5..at + 7].copy_from_slice(&h.to_be_bytes());
    out[at + 7..at + 9].copy_from_slice(&w.to_be_bytes());
    out
}

#[test]
fn absurd_sizes_are_refused_before_decoding() {
    // 20,000 x 10,000 (200 MP) claimed by the header: refused before the decoder allocates
    // anything (decoding it would need 600 MB; its entropy data is a 64 x 48 photo's).
    let huge = with_header_size(&jpeg(), 0xC0, 20_000, 10_000);
    let mut m = manifest(&huge);
    assert_eq!((m.info.width, m.info.height), (20_000, 10_000));
    m.info.orientation = 6;
    let e = vl_photographic_image(&m, &huge, NOW).unwrap_err();
    assert_eq!(e, DeliveryError::ImageTooLarge);
    assert_eq!(e.code(), "delivery.image_too_large");
    assert!(e.to_string().contains("100 megapixels"), "{e}");
    // Upright, the same photo goes as it is: nothing is decoded.
    m.info.orientation = 1;
    assert!(
        !vl_photographic_image_with(&m, &huge, NOW)
            .unwrap()
            .reencoded
    );

    let progressive = with_header_size(
        &jpeg_with(64, 48, |e| e.set_progressive(true)),
        0xC2,
        12_000,
        9_000,
    );
    let mut m = manifest(&progressive);
    (m.info.width, m.info.height) = (12_000, 9_000);
    let e = vl_photographic_image(&m, &progressive, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_too_large");

    // A PNG wider than any JPEG can be.
    let wide = png_of(
        70_000,
        1,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        |_| {},
        &vec![0u8; 70_000],
    );
    let e = vl_photographic_image(&png_manifest(&wide, 70_000, 1), &wide, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_too_large");
}

#[test]
fn a_jpeg_the_decoder_cannot_read_is_still_refused() {
    // A 12-bit extended sequential frame header: jpeg-decoder decodes only 8 bits.
    let mut twelve = jpeg();
    let at = twelve.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
    twelve[at + 1] = 0xC1;
    twelve[at + 4] = 12;
    let e = vl_photographic_image(&manifest(&twelve), &twelve, NOW).unwrap_err();
    assert_eq!(
        e,
        DeliveryError::UnsupportedJpeg {
            detail: "more than 8 bits per sample"
        }
    );
    assert_eq!(e.code(), "delivery.unsupported_jpeg");
}

#[test]
fn dcmtk_decodes_a_turned_photo_upright() {
    let (dcmdump, dcmdjpeg) = (
        std::path::Path::new("/usr/bin/dcmdump"),
        std::path::Path::new("/usr/bin/dcmdjpeg"),
    );
    if !dcmdump.exists() || !dcmdjpeg.exists() {
        eprintln!("skipped: dcmtk is not installed");
        return;
    }
    // Turned losslessly (whole MCUs), then re-encoded (a partial MCU row at the bottom).
    for (h, lossless) in [(32usize, true), (40, false)] {
        let image = encode_rgb(&marked(64, h), 64, h, 92);
        let mut m = manifest(&image);
        m.info.orientation = 6;
        let built = vl_photographic_image_with(&m, &image, NOW).unwrap();
        assert_eq!(
            (built.turned_losslessly, built.reencoded),
            (lossless, !lossless)
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.dcm");
        std::fs::write(&path, &built.part10).unwrap();
        let text = dcmdump_clean(dcmdump, &path);
        assert!(text.contains("DERIVED\\PRIMARY"), "{text}");

        let obj = dcmdjpeg_decoded(dcmdjpeg, &path);
        assert_eq!(
            (uint(&obj, tags::ROWS), uint(&obj, tags::COLUMNS)),
            (64, h as u16)
        );
        let pixels = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        assert_eq!(pixels.len(), 64 * h * 3);
    }
}

/// The DICOM file at `path` with its pixels decoded by dcmtk's `dcmdjpeg` (written beside it):
/// asserts dcmtk takes the encapsulated JPEG.
fn dcmdjpeg_decoded(dcmdjpeg: &std::path::Path, path: &std::path::Path) -> DefaultDicomObject {
    let decoded = path.with_extension("decoded.dcm");
    let status = std::process::Command::new(dcmdjpeg)
        .arg(path)
        .arg(&decoded)
        .status()
        .unwrap();
    assert!(status.success());
    dicom_object::open_file(&decoded).unwrap()
}

/// `dcmdump -dc +E` of `path`: asserts it succeeds with no warning or error, and returns its output.
fn dcmdump_clean(dcmdump: &std::path::Path, path: &std::path::Path) -> String {
    let out = std::process::Command::new(dcmdump)
        .args(["-dc", "+E"])
        .arg(path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    for bad in ["Warning", "Error", "W: ", "E: "] {
        assert!(!text.contains(bad), "{bad}: {text}");
    }
    text
}
