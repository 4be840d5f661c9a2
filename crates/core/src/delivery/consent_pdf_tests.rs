//! The consent as a PDF and as an Encapsulated PDF DICOM object: every attribute read back with
//! dicom-rs (and dcmdump where installed), the PDF read back with poppler's `pdftotext`,
//! `pdfimages` and `pdfinfo`, odd and hostile input, and a store and byte-identical read-back
//! against the real Orthanc test server, in the study of the visit's photos.
//!
//! poppler-utils is installed by `scripts/setup`. Without it the PDF tests print why and pass,
//! unless `WARDCAM_REQUIRE_SERVERS=1` (set by `scripts/test`), as for the test servers, so CI
//! cannot skip them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::consent_dicom::append_document_for_tests;
use super::consent_pdf::{decode_signature_for_tests, encode, wrap_for_tests};
use super::orthanc_tests::{block_on, server, shared};
use super::tests::{read, s};
use super::*;
use crate::consent::{
    Clinician, ConsentForm, ConsentId, ConsentPatient, ConsentRecord, ConsentText, ConsentedBy,
    Decision, Method, Point, RecordContext, Signature,
};
use crate::intake::{ImageFormat, ImageInfo, Quality};
use crate::patient::{parse_scan, BirthDate, PatientPolicy, Verification};
use crate::review::Laterality;
use crate::session::Purpose;
use crate::vault::{ItemId, Timestamp};
use crate::visit::{
    testing, ConsentLink, Demographics, IdentifiedBy, LabelRecord, LocalIdentifier, LocalState,
    PatientIdentity, PhotoId, PhotoManifest, Verdict, VisitId,
};

/// 2026-11-05 09:30:15 UTC.
const RECORDED: Timestamp = Timestamp(1_793_871_015_000);
/// An hour later: when the document is built.
const NOW: Timestamp = Timestamp(1_793_874_615_000);
const VISIT: VisitId = VisitId([0x5a; 16]);

// ---- fixtures -----------------------------------------------------------------------------------

/// SMITH JOHN, NHS number 943 476 5919, born 18 January 1980, from a scanned band.
fn identity() -> PatientIdentity {
    let band = parse_scan(testing::BAND, &PatientPolicy::default()).unwrap();
    PatientIdentity::new(
        &band,
        &Verification::not_configured(),
        Some(testing::BAND),
        IdentifiedBy::BandText,
    )
}

/// A patient known by hospital number only, with a name no WinAnsi font can print whole.
fn hostile_identity() -> PatientIdentity {
    PatientIdentity {
        band: Demographics {
            nhs_number: None,
            local_id: Some(LocalIdentifier {
                issuer: "RX1".into(),
                value: "K0012345".into(),
            }),
            family_name: Some("Żółć-李\u{7}\u{1b}[31m".into()),
            given_names: vec!["Łukasz".into(), "😀\u{200d}👩‍⚕️".into()],
            birth_date: Some("1950-03-01".into()),
            sex: Some("male".into()),
        },
        record: None,
        raw_band: None,
        identified_by: IdentifiedBy::BandText,
        verdict: Verdict::NotVerified { reason: None },
        override_: None,
        recheck_due: false,
        recheck: None,
        hold: None,
    }
}

/// The patient the consent record names, as the ward makes it from the visit's identity.
fn consent_patient(p: &PatientIdentity) -> ConsentPatient {
    let local = p
        .band
        .local_id
        .as_ref()
        .map(|l| (l.issuer.clone(), l.value.clone()));
    ConsentPatient::from_identifiers(
        p.band.nhs(),
        local,
        p.family_name().unwrap_or_default(),
        &p.given_names().unwrap_or_default(),
        p.birth_date().and_then(BirthDate::parse_iso),
    )
    .unwrap()
}

/// A name-like scribble on a 600 x 200 pad.
fn scribble() -> Signature {
    let strokes = (0..3u32)
        .map(|s| {
            (0..40u32)
                .map(|i| {
                    let phase = f64::from(i) / 40.0 * std::f64::consts::TAU * 2.0;
                    Point {
                        x: 60 + s * 150 + i * 3,
                        y: (100.0 + 50.0 * phase.sin()) as u32,
                        t: s * 400 + i * 8,
                    }
                })
                .collect()
        })
        .collect();
    Signature {
        width: 600,
        height: 200,
        strokes,
    }
}

fn signed() -> Method {
    Method::Signature {
        signature: scribble(),
    }
}

fn verbal() -> Method {
    Method::Verbal {
        witness: "Nurse B Adeyemi".into(),
    }
}

fn care_and_teaching() -> crate::session::Purposes {
    [Purpose::Care, Purpose::Teaching].into_iter().collect()
}

struct Consent {
    record: ConsentRecord,
    text: ConsentText,
    link: ConsentLink,
}

/// A consent record for `patient`, built by the consent module's own rules, and its link.
fn consent_with(
    patient: &PatientIdentity,
    id: u8,
    text: ConsentText,
    decision: Decision,
    consented_by: ConsentedBy,
    method: Method,
    clinician: &str,
) -> Consent {
    let purposes = match decision {
        Decision::Permit => care_and_teaching(),
        Decision::Refuse => crate::session::Purposes::NONE,
    };
    let record = ConsentRecord::build(
        ConsentForm {
            decision,
            purposes,
            consented_by,
            method,
            text_version: text.version.clone(),
        },
        RecordContext {
            id: ConsentId::from_random_bytes([id; 16]),
            patient: consent_patient(patient),
            clinician: Clinician {
                name: clinician.into(),
                identifier: Some("GMC 7654321".into()),
            },
            organization: Some("RX1".into()),
            text: &text,
            recorded_at: RECORDED,
        },
    )
    .unwrap();
    let link = ConsentLink {
        consent_id: record.id,
        digest: record.sha256().unwrap(),
        record_item: ItemId([1; 16]),
        signature_item: matches!(record.method, Method::Signature { .. })
            .then_some(ItemId([2; 16])),
        purposes: record.purposes,
        recorded_at: record.recorded_at,
    };
    Consent { record, text, link }
}

/// The patient's own signed consent to care and teaching, under the default text.
fn consent(patient: &PatientIdentity, id: u8, method: Method) -> Consent {
    consent_with(
        patient,
        id,
        ConsentText::default_text().unwrap(),
        Decision::Permit,
        ConsentedBy::Patient,
        method,
        "Dr Jane Okafor",
    )
}

fn visit<'a>(patient: &'a PatientIdentity, c: &'a Consent) -> ConsentVisit<'a> {
    ConsentVisit {
        visit_id: VISIT,
        patient,
        consent: &c.link,
    }
}

fn build(patient: &PatientIdentity, c: &Consent) -> BuiltConsent {
    encapsulated_consent(visit(patient, c), &c.record, &c.text, NOW).unwrap()
}

/// A photo of the same visit and patient, as the outbox would send it.
fn photo_manifest(patient: &PatientIdentity, c: &Consent) -> PhotoManifest {
    PhotoManifest {
        photo_id: PhotoId([0x77; 16]),
        visit_id: VISIT,
        revision: 1,
        patient: patient.clone(),
        clinician: Some("Dr Jane Okafor".into()),
        consent: c.link.clone(),
        intended_use: Purpose::Care,
        label: Some(LabelRecord {
            body_site: "14975008".into(),
            laterality: Laterality::Left,
            description: "graze".into(),
        }),
        captured_at: Timestamp(RECORDED.0 + 120_000),
        info: ImageInfo {
            format: ImageFormat::Jpeg,
            width: 64,
            height: 48,
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
        image: ItemId([3; 16]),
        thumbnail: ItemId([4; 16]),
        redactions: Vec::new(),
        state: LocalState::Queued,
        delivery: Default::default(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// Whitespace runs made one space: `pdftotext` breaks lines where the layout wrapped them.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---- poppler ------------------------------------------------------------------------------------

/// A poppler-utils tool, or `None` (with the reason printed) where it is missing and need not be:
/// with `WARDCAM_REQUIRE_SERVERS` set (as `scripts/test` does) a missing tool fails the test.
fn poppler(tool: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/bin").join(tool);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("WARDCAM_REQUIRE_SERVERS").is_none(),
        "`{tool}` is required but missing (the Debian package poppler-utils)"
    );
    println!("skipped: `{tool}` is missing (the Debian package poppler-utils)");
    None
}

/// Runs a poppler tool on `pdf` (written to a temporary file) and returns its standard output,
/// asserting it succeeded and complained about nothing: poppler reports a damaged file on stderr.
fn run_poppler(tool: &Path, args: &[&str], pdf: &[u8], to_stdout: bool) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut command = Command::new(tool);
    command.args(args).arg(&path);
    if to_stdout {
        command.arg("-");
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool:?} failed: {stderr}");
    assert!(stderr.trim().is_empty(), "{tool:?} complained: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// The PDF's text, as `pdftotext` reads it, with whitespace squashed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    pdf_lines(pdf).map(|lines| squash(&lines.join("\n")))
}

/// The PDF's lines, as `pdftotext` reads them in the order they are drawn (`-raw`: without it,
/// poppler rejoins a word broken after a hyphen at the end of a line and drops the hyphen).
fn pdf_lines(pdf: &[u8]) -> Option<Vec<String>> {
    let tool = poppler("pdftotext")?;
    let text = run_poppler(&tool, &["-raw", "-enc", "UTF-8"], pdf, true);
    Some(text.lines().map(str::to_owned).collect())
}

/// `pdfimages -list`: (width, height, colour) of each image.
fn pdf_images(pdf: &[u8]) -> Option<Vec<(u32, u32, String)>> {
    let tool = poppler("pdfimages")?;
    let list = run_poppler(&tool, &["-list"], pdf, false);
    // page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
    Some(
        list.lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                assert_eq!(f[2], "image", "{l}");
                (
                    f[3].parse().unwrap(),
                    f[4].parse().unwrap(),
                    f[5].to_owned(),
                )
            })
            .collect(),
    )
}

/// The page count `pdfinfo` reads.
fn pdf_pages(pdf: &[u8]) -> Option<usize> {
    let tool = poppler("pdfinfo")?;
    let info = run_poppler(&tool, &[], pdf, false);
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
    Some(line["Pages:".len()..].trim().parse().unwrap())
}

// ---- the DICOM object ---------------------------------------------------------------------------

#[test]
fn the_part10_file_parses_back_with_every_attribute() {
    let patient = identity();
    let c = consent(&patient, 7, signed());
    let built = build(&patient, &c);
    let obj = read(&built.part10);

    assert_eq!(
        obj.meta().media_storage_sop_class_uid(),
        "1.2.840.10008.5.1.4.1.1.104.1"
    );
    assert_eq!(obj.meta().transfer_syntax(), "1.2.840.10008.1.2.1");
    assert_eq!(obj.meta().media_storage_sop_instance_uid(), built.sop_uid);
    assert_eq!(
        s(&obj, tags::SOP_CLASS_UID),
        "1.2.840.10008.5.1.4.1.1.104.1"
    );
    assert_eq!(s(&obj, tags::SOP_INSTANCE_UID), built.sop_uid);
    assert_eq!(s(&obj, tags::SPECIFIC_CHARACTER_SET), "ISO_IR 192");
    assert_eq!(s(&obj, tags::MODALITY), "DOC");
    assert_eq!(s(&obj, tags::CONVERSION_TYPE), "WSD");
    assert_eq!(s(&obj, tags::STUDY_INSTANCE_UID), built.study_uid);
    assert_eq!(built.study_uid, uids::study_uid(VISIT));
    assert_eq!(s(&obj, tags::SERIES_INSTANCE_UID), built.series_uid);
    assert_eq!(built.series_uid, uids::consent_series_uid(c.record.id));
    assert_eq!(built.sop_uid, uids::consent_sop_instance_uid(c.record.id));
    assert_eq!(s(&obj, tags::SERIES_NUMBER), "2");
    assert_eq!(s(&obj, tags::INSTANCE_NUMBER), "1");
    assert_eq!(s(&obj, tags::STUDY_ID), hex::encode(&VISIT.0[..8]));
    // The consent's time for the content, the build's for the instance; UTC throughout.
    assert_eq!(s(&obj, tags::CONTENT_DATE), "20261105");
    assert_eq!(s(&obj, tags::CONTENT_TIME), "093015");
    assert_eq!(s(&obj, tags::ACQUISITION_DATE_TIME), "20261105093015");
    assert_eq!(s(&obj, tags::STUDY_DATE), "20261105");
    assert_eq!(s(&obj, tags::INSTANCE_CREATION_DATE), "20261105");
    assert_eq!(s(&obj, tags::INSTANCE_CREATION_TIME), "103015");
    assert_eq!(s(&obj, tags::TIMEZONE_OFFSET_FROM_UTC), "+0000");
    assert_eq!(
        s(&obj, tags::DOCUMENT_TITLE),
        "Consent to clinical photography"
    );
    assert_eq!(
        s(&obj, tags::SERIES_DESCRIPTION),
        "Consent to clinical photography"
    );
    let concept = &obj
        .element(tags::CONCEPT_NAME_CODE_SEQUENCE)
        .unwrap()
        .items()
        .unwrap()[0];
    assert_eq!(s(concept, tags::CODE_VALUE), "59284-0");
    assert_eq!(s(concept, tags::CODING_SCHEME_DESIGNATOR), "LN");
    assert_eq!(s(concept, tags::CODE_MEANING), "Consent Document");
    assert_eq!(
        s(&obj, tags::MIME_TYPE_OF_ENCAPSULATED_DOCUMENT),
        "application/pdf"
    );
    assert_eq!(s(&obj, tags::BURNED_IN_ANNOTATION), "YES");
    assert_eq!(s(&obj, tags::RECOGNIZABLE_VISUAL_FEATURES), "NO");
    assert_eq!(s(&obj, tags::OPERATORS_NAME), "Dr Jane Okafor");
    assert_eq!(s(&obj, tags::MANUFACTURER), "WardCam");

    // The patient, as the band says.
    assert_eq!(s(&obj, tags::PATIENT_ID), "9434765919");
    assert_eq!(
        s(&obj, tags::ISSUER_OF_PATIENT_ID),
        "https://fhir.nhs.uk/Id/nhs-number"
    );
    assert_eq!(s(&obj, tags::PATIENT_NAME), "SMITH^JOHN");
    assert_eq!(s(&obj, tags::PATIENT_BIRTH_DATE), "19800118");

    // The document: exactly the PDF, its length unpadded, one zero pad byte after an odd one.
    let pdf = consent_pdf(&c.record, &c.text).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.7"));
    let doc = obj
        .element(tags::ENCAPSULATED_DOCUMENT)
        .unwrap()
        .to_bytes()
        .unwrap();
    assert_eq!(doc.len(), pdf.len() + pdf.len() % 2);
    assert_eq!(&doc[..pdf.len()], &pdf[..]);
    if pdf.len() % 2 == 1 {
        assert_eq!(doc[pdf.len()], 0);
    }
    assert_eq!(
        obj.element(tags::ENCAPSULATED_DOCUMENT_LENGTH)
            .unwrap()
            .to_int::<u32>()
            .unwrap() as usize,
        pdf.len()
    );
    assert_eq!(built.pdf_len, pdf.len());
    assert_eq!(&built.part10[built.pdf.clone()], &pdf[..]);
    assert_eq!(built.pdf_sha256, sha256_hex(&pdf));
    assert_eq!(built.file_sha256, sha256_hex(&built.part10));
    let sent = built.sent_record("https://pacs.example/dicom-web", NOW);
    assert_eq!(
        sent.file.as_ref().map(|f| (f.sha256.as_str(), f.len)),
        Some((built.file_sha256.as_str(), built.part10.len() as u64))
    );
    assert_eq!(
        (sent.study_uid.as_str(), sent.sop_uid.as_str()),
        (built.study_uid.as_str(), built.sop_uid.as_str())
    );

    // Nothing private, no geolocation (group 0016 holds the EXIF/GPS attributes), no pixels.
    for e in obj.iter() {
        let tag = e.header().tag;
        assert!(tag.group() % 2 == 0, "private {tag}");
        assert_ne!(tag.group(), 0x0016, "{tag}");
        assert_ne!(tag, tags::PIXEL_DATA);
    }
}

#[test]
fn the_patient_module_is_the_photos_and_the_study_is_theirs() {
    let patient = identity();
    let c = consent(&patient, 7, signed());
    let doc = read(&build(&patient, &c).part10);
    let jpeg = testing::jpeg(3);
    let photo = read(&vl_photographic_image(&photo_manifest(&patient, &c), &jpeg, NOW).unwrap());
    for tag in [
        tags::PATIENT_NAME,
        tags::PATIENT_ID,
        tags::ISSUER_OF_PATIENT_ID,
        tags::PATIENT_BIRTH_DATE,
        tags::PATIENT_SEX,
        tags::STUDY_INSTANCE_UID,
        tags::STUDY_ID,
        tags::TIMEZONE_OFFSET_FROM_UTC,
    ] {
        assert_eq!(s(&doc, tag), s(&photo, tag), "{tag}");
    }
    let others = |o: &InMemDicomObject| -> Vec<(String, String, String)> {
        o.element(tags::OTHER_PATIENT_I_DS_SEQUENCE)
            .unwrap()
            .items()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    s(i, tags::PATIENT_ID).into_owned(),
                    s(i, tags::ISSUER_OF_PATIENT_ID).into_owned(),
                    s(i, tags::TYPE_OF_PATIENT_ID).into_owned(),
                )
            })
            .collect()
    };
    assert_eq!(others(&doc), others(&photo));
    assert_eq!(others(&doc)[0].0, "9434765919");
    assert_ne!(
        s(&doc, tags::SERIES_INSTANCE_UID),
        s(&photo, tags::SERIES_INSTANCE_UID)
    );
    assert_ne!(
        s(&doc, tags::SOP_INSTANCE_UID),
        s(&photo, tags::SOP_INSTANCE_UID)
    );

    // A hospital number only: the same module again, Patient ID the number with its issuer.
    let hostile = hostile_identity();
    let c = consent(&hostile, 8, verbal());
    let doc = read(&build(&hostile, &c).part10);
    let photo = read(&vl_photographic_image(&photo_manifest(&hostile, &c), &jpeg, NOW).unwrap());
    for tag in [
        tags::PATIENT_NAME,
        tags::PATIENT_ID,
        tags::ISSUER_OF_PATIENT_ID,
        tags::PATIENT_BIRTH_DATE,
        tags::PATIENT_SEX,
    ] {
        assert_eq!(s(&doc, tag), s(&photo, tag), "{tag}");
    }
    assert_eq!(s(&doc, tags::PATIENT_ID), "K0012345");
    assert_eq!(s(&doc, tags::ISSUER_OF_PATIENT_ID), "RX1");
    assert_eq!(s(&doc, tags::PATIENT_SEX), "M");
    // The DICOM header keeps the name in UTF-8 (control characters made spaces).
    assert!(s(&doc, tags::PATIENT_NAME).starts_with("Żółć-李"));
    assert!(doc.element(tags::OTHER_PATIENT_I_DS_SEQUENCE).is_err());
}

#[test]
fn uids_and_bytes_are_stable_for_a_consent_and_differ_between_consents() {
    let patient = identity();
    let a = consent(&patient, 7, signed());
    let first = build(&patient, &a);
    let again = build(&patient, &a);
    assert_eq!(first.part10[..], again.part10[..], "deterministic");
    assert_eq!(
        consent_pdf(&a.record, &a.text).unwrap()[..],
        consent_pdf(&a.record, &a.text).unwrap()[..]
    );
    let b = consent(&patient, 9, signed());
    let other = build(&patient, &b);
    assert_eq!(first.study_uid, other.study_uid, "one study per visit");
    assert_ne!(first.series_uid, other.series_uid);
    assert_ne!(first.sop_uid, other.sop_uid);
    assert_ne!(first.series_uid, first.sop_uid);
    assert_ne!(
        first.series_uid,
        uids::series_uid(VISIT),
        "not the photos' series"
    );
    for uid in [&first.study_uid, &first.series_uid, &first.sop_uid] {
        assert!(uid.starts_with("2.25.") && uid.len() <= 64, "{uid}");
        assert!(!uid[5..].starts_with('0'));
        assert!(uid[5..].bytes().all(|b| b.is_ascii_digit()));
    }
    // Another visit: another study, the same consent's series and instance.
    let elsewhere = encapsulated_consent(
        ConsentVisit {
            visit_id: VisitId([0x11; 16]),
            ..visit(&patient, &a)
        },
        &a.record,
        &a.text,
        NOW,
    )
    .unwrap();
    assert_ne!(elsewhere.study_uid, first.study_uid);
    assert_eq!(elsewhere.sop_uid, first.sop_uid);
    // Built later: only the instance's creation time differs.
    let later = encapsulated_consent(
        visit(&patient, &a),
        &a.record,
        &a.text,
        Timestamp(NOW.0 + 86_400_000),
    )
    .unwrap();
    assert_eq!(later.pdf_sha256, first.pdf_sha256);
    assert_ne!(later.file_sha256, first.file_sha256);
    assert_eq!(
        s(&read(&later.part10), tags::INSTANCE_CREATION_DATE),
        "20261106"
    );
}

#[test]
fn the_document_is_padded_to_even_length_and_its_length_is_the_unpadded_one() {
    for doc in [&b"%PDF odd"[..], b"%PDF even", b""] {
        let (out, range) = append_document_for_tests(doc);
        assert_eq!(&out[range.clone()], doc);
        let padded = doc.len() + doc.len() % 2;
        assert_eq!(&out[..8], &[0x42, 0x00, 0x11, 0x00, b'O', b'B', 0, 0]);
        assert_eq!(out[8..12], (padded as u32).to_le_bytes());
        assert_eq!(out[12..12 + padded].len(), padded);
        if doc.len() % 2 == 1 {
            assert_eq!(out[12 + doc.len()], 0);
        }
        let rest = &out[12 + padded..];
        assert_eq!(&rest[..8], &[0x42, 0x00, 0x12, 0x00, b'L', b'O', 16, 0]);
        assert_eq!(&rest[8..24], b"application/pdf ");
        assert_eq!(&rest[24..32], &[0x42, 0x00, 0x15, 0x00, b'U', b'L', 4, 0]);
        assert_eq!(rest[32..36], (doc.len() as u32).to_le_bytes());
        assert_eq!(rest.len(), 36);
    }
}

#[test]
fn dcmdump_reads_the_consent_cleanly() {
    let dcmdump = Path::new("/usr/bin/dcmdump");
    if !dcmdump.exists() {
        println!("skipped: dcmtk's dcmdump is not installed");
        return;
    }
    let patient = identity();
    let c = consent(&patient, 7, signed());
    let built = build(&patient, &c);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("consent.dcm");
    std::fs::write(&path, &built.part10[..]).unwrap();
    let out = Command::new(dcmdump)
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
        assert!(!text.contains(bad), "{text}");
    }
    assert!(text.contains("(0042,0012) LO [application/pdf ]"), "{text}");
    assert!(
        text.contains(&format!("(0042,0015) UL {}", built.pdf_len)),
        "{text}"
    );
    assert!(text.contains("EncapsulatedPDFStorage"), "{text}");
}

#[test]
fn the_wrong_record_text_or_patient_is_refused() {
    let patient = identity();
    let c = consent(&patient, 7, signed());
    let code = |r: Result<BuiltConsent, DeliveryError>| r.unwrap_err().code();

    // Another consent's link, or the same id with another digest.
    let other = consent(&patient, 9, signed());
    let wrong_link = ConsentVisit {
        consent: &other.link,
        ..visit(&patient, &c)
    };
    assert_eq!(
        code(encapsulated_consent(wrong_link, &c.record, &c.text, NOW)),
        "delivery.consent_pdf_consent_mismatch"
    );
    let mut changed = c.link.clone();
    changed.digest.0[0] ^= 1;
    let changed_link = ConsentVisit {
        consent: &changed,
        ..visit(&patient, &c)
    };
    assert_eq!(
        code(encapsulated_consent(changed_link, &c.record, &c.text, NOW)),
        "delivery.consent_pdf_consent_mismatch"
    );

    // A text with other words under the same version, or another version.
    let mut reworded = c.text.clone();
    reworded.introduction.push_str(" Changed.");
    assert_eq!(
        code(encapsulated_consent(
            visit(&patient, &c),
            &c.record,
            &reworded,
            NOW
        )),
        "delivery.consent_pdf_text_mismatch"
    );
    let mut renamed = c.text.clone();
    renamed.version = "en-GB-v2".into();
    assert_eq!(
        consent_pdf(&c.record, &renamed).unwrap_err().code(),
        "delivery.consent_pdf_text_mismatch"
    );

    // The record names another patient than the visit's.
    let stranger = hostile_identity();
    let theirs = consent(&stranger, 9, verbal());
    let mixed = ConsentVisit {
        visit_id: VISIT,
        patient: &patient,
        consent: &theirs.link,
    };
    let e = encapsulated_consent(mixed, &theirs.record, &theirs.text, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.consent_pdf_wrong_patient");

    // Codes are distinct and messages never name the patient.
    let all = [
        DeliveryError::ConsentPdfMismatch,
        DeliveryError::ConsentPdfWrongPatient,
        DeliveryError::ConsentPdfTextMismatch,
        DeliveryError::ConsentPdfSignature,
        DeliveryError::ConsentPdfEncode { detail: "x" },
    ];
    let codes: std::collections::HashSet<&str> = all.iter().map(DeliveryError::code).collect();
    assert_eq!(codes.len(), all.len());
    for e in &all {
        assert!(
            e.code().starts_with("delivery.consent_pdf_"),
            "{}",
            e.code()
        );
        let message = e.to_string();
        for secret in ["9434765919", "943 476 5919", "SMITH", "JOHN", "K0012345"] {
            assert!(!message.contains(secret), "{message}");
        }
    }
}

#[test]
fn a_refusal_is_written_with_every_use_declined() {
    let patient = identity();
    let c = consent_with(
        &patient,
        7,
        ConsentText::default_text().unwrap(),
        Decision::Refuse,
        ConsentedBy::Patient,
        Method::Declined,
        "Dr Jane Okafor",
    );
    let built = build(&patient, &c);
    let pdf = &built.part10[built.pdf.clone()];
    let Some(text) = pdf_text(pdf) else { return };
    assert!(text.contains("Consent was refused"), "{text}");
    assert!(!text.contains("Agreed:"), "{text}");
    for purpose in Purpose::ALL {
        let title = &c.text.purpose(purpose).unwrap().title;
        assert!(text.contains(&format!("Declined: {title}")), "{title}");
    }
    assert!(pdf_images(pdf).unwrap().is_empty());
}

// ---- the PDF ------------------------------------------------------------------------------------

#[test]
fn the_pdf_says_what_was_agreed_who_took_it_and_shows_the_signature() {
    let patient = identity();
    let c = consent(&patient, 7, signed());
    let pdf = consent_pdf(&c.record, &c.text).unwrap();
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(
        text.starts_with("Consent to clinical photography"),
        "{text}"
    );
    for needle in [
        "Consent text version: en-GB-v1".to_owned(),
        format!("Consent text SHA-256: {}", c.record.text_sha256),
        format!("Consent id: {}", c.record.id),
        format!("Consent record SHA-256: {}", c.link.digest.hex()),
        "Clinician: Dr Jane Okafor (GMC 7654321)".to_owned(),
        "Date and time: 2026-11-05 09:30:15 (UTC)".to_owned(),
        "Name: JOHN SMITH".to_owned(),
        "NHS number: 943 476 5919".to_owned(),
        "Date of birth: 18-Jan-1980".to_owned(),
        "Signed on the phone's screen by the patient.".to_owned(),
        "Organisation (ODS code): RX1".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle:?} not in {text}");
    }
    // Each agreed use with every part of its wording; the others marked declined.
    for purpose in Purpose::ALL {
        let words = c.text.purpose(purpose).unwrap();
        if c.record.purposes.contains(purpose) {
            assert!(text.contains(&format!("Agreed: {}", words.title)));
            for part in [
                &words.stored,
                &words.where_kept,
                &words.who_sees,
                &words.how_long,
                &words.withdraw,
            ] {
                assert!(text.contains(&squash(part)), "{part:?} not in {text}");
            }
        } else {
            assert!(text.contains(&format!("Declined: {}", words.title)));
            assert!(!text.contains(&format!("Agreed: {}", words.title)));
        }
    }
    assert!(text.contains(&squash(&c.text.introduction)));
    assert!(
        text.contains("page 1 of 1") || text.contains("page 1 of 2"),
        "{text}"
    );

    // The signature, as drawn: one grey image the pad's size.
    let images = pdf_images(&pdf).unwrap();
    assert_eq!(images, [(600, 200, "gray".to_owned())]);
}

#[test]
fn a_verbal_consent_has_no_image_and_names_its_witness() {
    let patient = identity();
    let c = consent_with(
        &patient,
        7,
        ConsentText::default_text().unwrap(),
        Decision::Permit,
        ConsentedBy::Representative {
            name: "Mary Smith".into(),
            relationship: "daughter, LPA for health".into(),
        },
        verbal(),
        "Dr Jane Okafor",
    );
    let pdf = consent_pdf(&c.record, &c.text).unwrap();
    let Some(text) = pdf_text(&pdf) else { return };
    for needle in [
        "Someone else, on the patient's behalf.",
        "Name: Mary Smith",
        "Relationship to the patient: daughter, LPA for health",
        "Given aloud, and attested by the clinician before a witness (not signed).",
        "Witness: Nurse B Adeyemi",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(!text.contains("Signed on"));
    assert!(pdf_images(&pdf).unwrap().is_empty());
}

#[test]
fn a_best_interests_signature_is_the_clinicians() {
    let patient = identity();
    let c = consent_with(
        &patient,
        7,
        ConsentText::default_text().unwrap(),
        Decision::Permit,
        ConsentedBy::BestInterests {
            reason: "Unconscious after a fall; the wound must be monitored.".into(),
        },
        signed(),
        "Dr Jane Okafor",
    );
    let pdf = consent_pdf(&c.record, &c.text).unwrap();
    let Some(text) = pdf_text(&pdf) else { return };
    assert!(text.contains("best interests"), "{text}");
    assert!(text.contains("Reason: Unconscious after a fall; the wound must be monitored."));
    assert!(text.contains("Signed on the phone's screen by the clinician."));
    assert_eq!(pdf_images(&pdf).unwrap().len(), 1);
}

#[test]
fn hostile_names_and_texts_neither_panic_nor_break_the_pdf() {
    let patient = hostile_identity();
    let c = consent_with(
        &patient,
        7,
        ConsentText::default_text().unwrap(),
        Decision::Permit,
        ConsentedBy::Representative {
            name: "Zoë \u{202e}evil\u{202c} (O'Brien) \\ ) ( 王芳 🙂".into(),
            relationship: "córka – \"daughter\"\u{0}\u{8}\t\r\nend".into(),
        },
        signed(),
        "Dr Łucja Wiśniewska-Ōtsuka 医生",
    );
    let built = build(&patient, &c);
    let pdf = &built.part10[built.pdf.clone()];
    let Some(text) = pdf_text(pdf) else { return };
    // Latin letters keep their letter, WinAnsi ones their mark; the rest shows as `?`, said once.
    for needle in [
        "Name: Lukasz ??? Zólc-? [31m",
        "Hospital number: K0012345 (issued by RX1)",
        "Name: Zoë evil (O'Brien) \\ ) ( ?? ?",
        "córka – \"daughter\"",
        "Clinician: Dr Lucja Wisniewska-Otsuka ?? (GMC 7654321)",
        "Some characters could not be printed in this document's font and are shown as ?.",
        "Date of birth: 01-Mar-1950",
    ] {
        assert!(text.contains(needle), "{needle:?} not in {text}");
    }
    assert!(!text.contains('\u{7}') && !text.contains('\u{1b}'));
    assert_eq!(pdf_images(pdf).unwrap().len(), 1);
    // And the default text with nothing odd has no such note.
    let plain = consent(&identity(), 8, signed());
    let plain_text = pdf_text(&consent_pdf(&plain.record, &plain.text).unwrap()).unwrap();
    assert!(!plain_text.contains("could not be printed"));
}

/// A provisioned text with every field near its 2,000-character limit, some words longer than a
/// line, and line breaks.
fn long_text() -> ConsentText {
    let words = |seed: usize, n: usize| -> String {
        (0..n)
            .map(|i| match (i + seed) % 97 {
                0 => "Pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some-more-letters-without-any-space-at-all-to-wrap-at".to_owned(),
                13 => "\nnew-line".to_owned(),
                k => format!("word{k}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(1_990)
            .collect()
    };
    let purpose = |seed: usize| {
        serde_json::json!({
            "title": format!("Use {seed}: Łódź, Kraków & ‘quotes’"),
            "stored": words(seed, 400),
            "where": words(seed + 1, 400),
            "who_sees": words(seed + 2, 400),
            "how_long": words(seed + 3, 400),
            "withdraw": words(seed + 4, 400),
        })
    };
    let json = serde_json::json!({
        "version": "long-v1",
        "language": "en-GB",
        "title": "A very long consent text",
        "introduction": words(0, 400),
        "purposes": {
            "care": purpose(10),
            "second_opinion": purpose(20),
            "teaching": purpose(30),
            "publication": purpose(40),
        },
        "declining": words(50, 400),
    });
    ConsentText::from_provisioned(&json.to_string()).unwrap()
}

#[test]
fn a_very_long_text_runs_to_several_pages_and_loses_no_word() {
    let patient = identity();
    let c = consent_with(
        &patient,
        7,
        long_text(),
        Decision::Permit,
        ConsentedBy::Patient,
        signed(),
        "Dr Jane Okafor",
    );
    let built = build(&patient, &c);
    let pdf = &built.part10[built.pdf.clone()];
    let Some(pages) = pdf_pages(pdf) else { return };
    assert!(pages >= 5, "{pages} pages");
    let text = pdf_text(pdf).unwrap();
    assert!(text.contains(&format!("page {pages} of {pages}")));
    assert!(text.contains(&format!("page 1 of {pages}")));
    // Every word of the agreed uses is there, in order; a word longer than a line is broken
    // across lines, so compare with all whitespace removed, and without the page footers that
    // come between the lines of a part broken across pages.
    let compact = |s: &str| s.split_whitespace().collect::<String>();
    let footer = format!("Consent {} - NHS number 943 476 5919 - page ", c.record.id);
    let lines = pdf_lines(pdf).unwrap();
    let footers = lines.iter().filter(|l| l.starts_with(&footer)).count();
    assert_eq!(footers, pages);
    let all = compact(
        &lines
            .iter()
            .filter(|l| !l.starts_with(&footer))
            .cloned()
            .collect::<String>(),
    );
    for purpose in [Purpose::Care, Purpose::Teaching] {
        let words = c.text.purpose(purpose).unwrap();
        for part in [&words.stored, &words.where_kept, &words.withdraw] {
            assert!(all.contains(&compact(part)), "{purpose:?}");
        }
    }
    assert!(
        text.contains("Agreed: Use 10: Lódz, Kraków & ‘quotes’"),
        "{text}"
    );
    assert_eq!(pdf_images(pdf).unwrap().len(), 1);
}

#[test]
fn encoding_writes_only_bytes_helvetica_has() {
    let undefined = [0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D, 0xA0, 0xAD];
    let mut sample: String = (0u32..0x3000).filter_map(char::from_u32).collect();
    sample.push_str("😀👩‍⚕️🇬🇧\u{FEFF}\u{FFFD}\u{10FFFF}\u{E0041}");
    for breaks in [false, true] {
        let mut replaced = false;
        let out = encode(&sample, breaks, &mut replaced);
        assert!(replaced);
        for b in &out {
            assert!(
                (0x20..=0xFF).contains(b) || (breaks && *b == b'\n'),
                "byte {b:#x}"
            );
            assert!(!undefined.contains(b), "byte {b:#x}");
        }
        assert_eq!(out.contains(&b'\n'), breaks);
    }
    let mut replaced = false;
    assert_eq!(
        encode("Łódź Żółć ĳ Œuvre € “q” – x²", false, &mut replaced),
        b"L\xf3dz Z\xf3lc ij \x8cuvre \x80 \x93q\x94 \x96 x\xb2"
    );
    assert!(!replaced);
    assert_eq!(
        encode("e\u{301}\u{200b}a\u{ad}b", false, &mut replaced),
        b"eab"
    );
    assert!(!replaced);
    assert_eq!(encode("a\u{7}b\tc\r\nd", true, &mut replaced), b"a b c \nd");
    assert_eq!(encode("李", false, &mut replaced), b"?");
    assert!(replaced);
}

#[test]
fn wrapped_lines_fit_the_width_and_keep_every_character() {
    let text = b"short words then a-very-long-unbroken-digest-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef and \xe9t\xe9\nafter a break";
    for width in [40.0f32, 120.0, 300.0, 483.9] {
        let lines = wrap_for_tests(text, 10.0, width);
        assert!(lines.len() > 1);
        for (bytes, w) in &lines {
            assert!(
                *w <= width + 0.01,
                "{w} > {width}: {:?}",
                String::from_utf8_lossy(bytes)
            );
            assert!(!bytes.is_empty() && !bytes.contains(&b'\n'));
        }
        let joined: Vec<u8> = lines
            .iter()
            .flat_map(|(b, _)| b.clone())
            .filter(|b| *b != b' ')
            .collect();
        let expected: Vec<u8> = text
            .iter()
            .copied()
            .filter(|b| *b != b' ' && *b != b'\n')
            .collect();
        assert_eq!(joined, expected);
        // The break ends a line: "after" starts one.
        assert!(lines.iter().any(|(b, _)| b.starts_with(b"after")));
    }
}

#[test]
fn signature_pngs_of_every_kind_become_grey_or_rgb_over_white() {
    fn png(w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if color == png::ColorType::Indexed {
            encoder.set_palette(vec![255, 255, 255, 0, 0, 255]);
        }
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(data).unwrap();
        writer.finish().unwrap();
        out
    }
    use png::{BitDepth, ColorType};
    // Two pixels each: opaque ink, then half-transparent (or white).
    /// The PNG's colour, depth and data; whether RGB comes out, and the samples.
    type Case = (ColorType, BitDepth, Vec<u8>, bool, Vec<u8>);
    let cases: [Case; 5] = [
        (
            ColorType::Grayscale,
            BitDepth::Eight,
            vec![0, 200],
            false,
            vec![0, 200],
        ),
        (
            ColorType::GrayscaleAlpha,
            BitDepth::Eight,
            vec![0, 255, 0, 128],
            false,
            vec![0, 127],
        ),
        (
            ColorType::Rgb,
            BitDepth::Sixteen,
            vec![0, 0, 0, 0, 255, 255, 10, 0, 20, 0, 30, 0],
            true,
            vec![0, 0, 255, 10, 20, 30],
        ),
        (
            ColorType::Rgba,
            BitDepth::Eight,
            vec![0, 0, 255, 255, 255, 0, 0, 0],
            true,
            vec![0, 0, 255, 255, 255, 255],
        ),
        (
            ColorType::Indexed,
            BitDepth::Eight,
            vec![1, 0],
            true,
            vec![0, 0, 255, 255, 255, 255],
        ),
    ];
    for (color, depth, data, rgb, samples) in cases {
        let decoded = decode_signature_for_tests(&png(2, 1, color, depth, &data)).unwrap();
        assert_eq!(decoded, (2, 1, rgb, samples), "{color:?}");
    }
    assert_eq!(
        decode_signature_for_tests(b"not a png").unwrap_err().code(),
        "delivery.consent_pdf_signature_unreadable"
    );
}

// ---- against Orthanc ----------------------------------------------------------------------------

#[test]
fn orthanc_stores_the_consent_in_the_photos_study_and_gives_it_back_byte_for_byte() {
    let Some(s) = server() else { return };
    let _gate = shared();
    let patient = identity();
    // A visit of its own, so the study holds this test's objects only.
    let visit_id = VisitId(*b"consent-pdf-test");
    let c = consent(&patient, 0x3c, signed());
    let built = encapsulated_consent(
        ConsentVisit {
            visit_id,
            ..visit(&patient, &c)
        },
        &c.record,
        &c.text,
        NOW,
    )
    .unwrap();
    let jpeg = testing::jpeg(41);
    let mut manifest = photo_manifest(&patient, &c);
    manifest.visit_id = visit_id;
    manifest.photo_id = PhotoId(*b"consent-pdf-foto");
    let photo = vl_photographic_image(&manifest, &jpeg, NOW).unwrap();
    let photo_sop = uids::sop_instance_uid(manifest.photo_id);

    let pacs = s.pacs("good");
    let (stored_photo, stored, verified) = block_on(async {
        let p = pacs.store(zeroize::Zeroizing::new(photo), &photo_sop).await;
        let c = pacs.store(built.part10.clone(), &built.sop_uid).await;
        let v = pacs.verify(&built.sent_record("test", NOW)).await;
        (p, c, v)
    });
    assert!(
        matches!(stored_photo, Outcome::Done(())),
        "{stored_photo:?}"
    );
    assert!(matches!(stored, Outcome::Done(())), "{stored:?}");
    assert!(matches!(verified, Outcome::Done(true)), "{verified:?}");
    assert_eq!(s.copies(&built.sop_uid), 1);
    assert_eq!(&s.instance_file(&built.sop_uid)[..], &built.part10[..]);

    // Orthanc lists both in one study of one patient: the photo's series and the consent's.
    let id = s.orthanc_id(&built.sop_uid);
    let instance: serde_json::Value =
        serde_json::from_slice(&s.orthanc_get(&format!("/instances/{id}"))).unwrap();
    let series: serde_json::Value = serde_json::from_slice(&s.orthanc_get(&format!(
        "/series/{}",
        instance["ParentSeries"].as_str().unwrap()
    )))
    .unwrap();
    assert_eq!(series["MainDicomTags"]["Modality"], "DOC");
    assert_eq!(
        series["MainDicomTags"]["SeriesInstanceUID"],
        built.series_uid.as_str()
    );
    let study: serde_json::Value = serde_json::from_slice(&s.orthanc_get(&format!(
        "/studies/{}",
        series["ParentStudy"].as_str().unwrap()
    )))
    .unwrap();
    assert_eq!(
        study["MainDicomTags"]["StudyInstanceUID"],
        built.study_uid.as_str()
    );
    assert_eq!(study["PatientMainDicomTags"]["PatientID"], "9434765919");
    let photo_id = s.orthanc_id(&photo_sop);
    let photo_instance: serde_json::Value =
        serde_json::from_slice(&s.orthanc_get(&format!("/instances/{photo_id}"))).unwrap();
    let photo_series: serde_json::Value = serde_json::from_slice(&s.orthanc_get(&format!(
        "/series/{}",
        photo_instance["ParentSeries"].as_str().unwrap()
    )))
    .unwrap();
    assert_eq!(photo_series["ParentStudy"], series["ParentStudy"]);
    let mut modalities: Vec<String> = study["Series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sid| {
            let v: serde_json::Value = serde_json::from_slice(
                &s.orthanc_get(&format!("/series/{}", sid.as_str().unwrap())),
            )
            .unwrap();
            v["MainDicomTags"]["Modality"].as_str().unwrap().to_owned()
        })
        .collect();
    modalities.sort();
    assert_eq!(modalities, ["DOC", "XC"]);
    // And it gives the PDF back as sent.
    assert_eq!(
        &s.orthanc_get(&format!("/instances/{id}/pdf"))[..],
        &built.part10[built.pdf.clone()]
    );

    // A resend replaces it: still one instance, still the same bytes.
    let again = block_on(pacs.store(built.part10.clone(), &built.sop_uid));
    assert!(matches!(again, Outcome::Done(())), "{again:?}");
    assert_eq!(s.copies(&built.sop_uid), 1);
    let verified = block_on(pacs.verify(&built.sent_record("test", NOW)));
    assert!(matches!(verified, Outcome::Done(true)), "{verified:?}");
}
