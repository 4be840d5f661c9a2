#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::{DefaultDicomObject, InMemDicomObject};

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
    }
}

fn read(file: &[u8]) -> DefaultDicomObject {
    assert_eq!(&file[128..132], b"DICM");
    dicom_object::from_reader(&file[128..]).unwrap()
}

fn s<'a>(obj: &'a InMemDicomObject, tag: Tag) -> Cow<'a, str> {
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
    assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION), "01");
    assert_eq!(s(&obj, tags::LOSSY_IMAGE_COMPRESSION_METHOD), "ISO_10918_1");
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
        let obj = read(&vl_photographic_image(&manifest(&input), &input, NOW).unwrap());
        let pixel = obj.element(tags::PIXEL_DATA).unwrap();
        assert_eq!(pixel.offset_table().unwrap(), &[] as &[u32]);
        let fragments = pixel.fragments().unwrap();
        assert_eq!(fragments.len(), 1);
        let mut expected = input.clone();
        if expected.len() % 2 == 1 {
            expected.push(0);
        }
        assert_eq!(fragments[0], expected);
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

    let mut turned = manifest(&image);
    turned.info.orientation = 6;
    let e = vl_photographic_image(&turned, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.needs_rotation");

    let progressive = jpeg_with(64, 48, |e| e.set_progressive(true));
    let e = vl_photographic_image(&manifest(&progressive), &progressive, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.unsupported_jpeg");

    let mut unlabelled = manifest(&image);
    unlabelled.label = None;
    let e = vl_photographic_image(&unlabelled, &image, NOW).unwrap_err();
    assert_eq!(e, DeliveryError::Unlabelled);
    assert_eq!(e.code(), "delivery.unlabelled");

    let mut withdrawn = manifest(&image);
    withdrawn.state = LocalState::Withdrawn;
    let e = vl_photographic_image(&withdrawn, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.withdrawn");

    let mut png = manifest(&image);
    png.info.format = ImageFormat::Png;
    let e = vl_photographic_image(&png, &image, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.unsupported_format");

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
        DeliveryError::NeedsRotation { orientation: 6 },
        DeliveryError::UnsupportedFormat,
        DeliveryError::UnsupportedJpeg {
            detail: "progressive",
        },
        DeliveryError::ImageDamaged { detail: "x" },
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
    let out = std::process::Command::new(dcmdump)
        .args(["-dc", "+E"])
        .arg(&path)
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
    assert!(text.contains("VLPhotographicImageStorage"), "{text}");

    // And dcmtk's own JPEG decoder takes the encapsulated photo: 64 x 48 x 3 samples out.
    let dcmdjpeg = std::path::Path::new("/usr/bin/dcmdjpeg");
    if dcmdjpeg.exists() {
        let decoded = dir.path().join("decoded.dcm");
        let status = std::process::Command::new(dcmdjpeg)
            .arg(&path)
            .arg(&decoded)
            .status()
            .unwrap();
        assert!(status.success());
        let obj = dicom_object::open_file(&decoded).unwrap();
        let pixels = obj.element(tags::PIXEL_DATA).unwrap().to_bytes().unwrap();
        assert_eq!(pixels.len(), 64 * 48 * 3);
    }
}
