//! A visit's consent as a DICOM Part-10 file of the Encapsulated PDF Storage SOP class, in the
//! visit's study, for a trust whose PACS is its only record of the photos.
//!
//! Where each fact goes (see `docs/delivery.md`, "The consent as an Encapsulated PDF"):
//! - Patient: the same Patient module as the visit's photos ([`super::dicom`]), from the visit's
//!   confirmed identity, so PACS files the document with them.
//! - Study: the visit's Study Instance UID ([`uids::study_uid`]) and Study ID, as the photos have.
//! - Series and instance: UIDs derived from the consent id ([`uids::consent_series_uid`],
//!   [`uids::consent_sop_instance_uid`]), modality `DOC`, Series Number 2 (the photos are 1),
//!   Instance Number 1.
//! - Document: Document Title and Series Description "Consent to clinical photography", Concept
//!   Name LOINC `59284-0` "Consent Document", MIME type `application/pdf`, the PDF
//!   ([`super::consent_pdf`]) in Encapsulated Document, its unpadded length in Encapsulated
//!   Document Length.
//! - When and who: Content Date/Time, Acquisition DateTime and Study Date/Time are the consent's
//!   time, Instance Creation Date/Time the build's (`now`), all UTC (Timezone Offset From UTC
//!   `+0000`); Operators' Name is the clinician who took consent.
//! - Burned In Annotation `YES` (the document names the patient), Recognizable Visual Features
//!   `NO` (it shows no part of them). No geolocation, nothing private.

use std::ops::Range;

use dicom_core::value::DataSetSequence;
use dicom_core::{DataElement, PrimitiveValue, Tag, VR};
use dicom_dictionary_std::{tags, uids as dicom_uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use zeroize::Zeroizing;

use super::consent_pdf::{consent_pdf, CONSENT_DOCUMENT_TITLE};
use super::dicom::{patient_id, patient_module, IMPLEMENTATION_VERSION};
use super::text::{dicom_date, dicom_time, single_name};
use super::uids::{
    consent_series_uid, consent_sop_instance_uid, implementation_class_uid, study_uid,
};
use super::DeliveryError;
use crate::consent::canonical::sha256_hex;
use crate::consent::{ConsentRecord, ConsentText};
use crate::vault::Timestamp;
use crate::visit::{
    ConsentLink, PatientIdentity, PhotoManifest, SentFile, SentRecord, VisitId, VisitRecord,
};

/// Encapsulated PDF Storage.
pub const CONSENT_SOP_CLASS_UID: &str = dicom_uids::ENCAPSULATED_PDF_STORAGE;
/// Explicit VR Little Endian: the PDF is not pixel data, so no image transfer syntax applies.
pub const CONSENT_TRANSFER_SYNTAX_UID: &str = dicom_uids::EXPLICIT_VR_LITTLE_ENDIAN;
/// Series Number of a consent's document; the visit's photos are series 1.
const CONSENT_SERIES_NUMBER: &str = "2";
/// MIME Type of Encapsulated Document, padded to even length with a space as LO is.
const MIME_PDF: &[u8; 16] = b"application/pdf ";

/// What the outbox holds about the visit whose consent goes: its id, its patient as confirmed,
/// and the consent sealed with it. Taken from a photo's manifest or from the visit record.
#[derive(Clone, Copy)]
pub struct ConsentVisit<'a> {
    /// The visit: the study the document goes into.
    pub visit_id: VisitId,
    /// The patient as confirmed for the visit.
    pub patient: &'a PatientIdentity,
    /// The consent the visit sealed; the record given must be this one.
    pub consent: &'a ConsentLink,
}

impl<'a> ConsentVisit<'a> {
    /// The visit, patient and consent a photo was taken under.
    pub fn of_photo(manifest: &'a PhotoManifest) -> Self {
        ConsentVisit {
            visit_id: manifest.visit_id,
            patient: &manifest.patient,
            consent: &manifest.consent,
        }
    }

    /// The visit record and its consent in force, if it has one.
    pub fn of_visit(visit: &'a VisitRecord) -> Option<Self> {
        visit.consent.as_ref().map(|consent| ConsentVisit {
            visit_id: visit.visit_id,
            patient: &visit.patient,
            consent,
        })
    }
}

impl std::fmt::Debug for ConsentVisit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentVisit")
            .field("visit_id", &self.visit_id)
            .field("consent_id", &self.consent.consent_id)
            .finish_non_exhaustive()
    }
}

/// A consent's DICOM Part-10 file, its identifiers and the digests a read-back is checked with.
#[non_exhaustive]
pub struct BuiltConsent {
    /// The Part-10 file: 128-byte preamble, `DICM`, File Meta, data set. Wiped on drop.
    pub part10: Zeroizing<Vec<u8>>,
    /// Study Instance UID: the visit's, as its photos have.
    pub study_uid: String,
    /// Series Instance UID, derived from the consent id.
    pub series_uid: String,
    /// SOP Instance UID, derived from the consent id.
    pub sop_uid: String,
    /// Length of the PDF, before the one zero byte that pads an odd length.
    pub pdf_len: usize,
    /// Where the PDF is in [`BuiltConsent::part10`].
    pub pdf: Range<usize>,
    /// SHA-256 of the PDF, hex.
    pub pdf_sha256: String,
    /// SHA-256 of the whole Part-10 file, hex: a read-back identical byte for byte matches it.
    pub file_sha256: String,
}

impl BuiltConsent {
    /// The whole file's digest and length, for [`SentRecord::file`].
    pub fn sent_file(&self) -> SentFile {
        SentFile {
            sha256: self.file_sha256.clone(),
            len: self.part10.len() as u64,
        }
    }

    /// What to seal once `server` acknowledged the file at `at`, for [`super::Pacs::verify`].
    /// The PDF stands in for the frame: the read-back is proved by the whole file's digest, and a
    /// copy the server rewrote (which has no Pixel Data to compare) is a mismatch, for a person to
    /// look at.
    pub fn sent_record(&self, server: &str, at: Timestamp) -> SentRecord {
        SentRecord {
            server: server.to_owned(),
            study_uid: self.study_uid.clone(),
            series_uid: self.series_uid.clone(),
            sop_uid: self.sop_uid.clone(),
            frame_sha256: self.pdf_sha256.clone(),
            frame_len: self.pdf_len as u64,
            file: Some(self.sent_file()),
            at,
        }
    }
}

/// Identifiers and sizes only: the bytes are the patient's consent.
impl std::fmt::Debug for BuiltConsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltConsent")
            .field("part10_len", &self.part10.len())
            .field("sop_uid", &self.sop_uid)
            .field("pdf_len", &self.pdf_len)
            .finish_non_exhaustive()
    }
}

/// Builds the DICOM Part-10 file (Encapsulated PDF Storage, Explicit VR Little Endian) of the
/// consent `record` sealed with `visit`, shown to the patient with `text`; `now` is the Instance
/// Creation Date/Time. Pure: no I/O, no clock, no logging. The same inputs give the same bytes.
///
/// Refused before anything is written: a record that is not the one the visit sealed (another id
/// or digest: [`DeliveryError::ConsentPdfMismatch`]), one naming another patient (another NHS or
/// hospital number: [`DeliveryError::ConsentPdfWrongPatient`]), a patient with neither number
/// ([`DeliveryError::NoPatientId`]); then whatever [`super::consent_pdf`] refuses (the text
/// shown is not `text`, an unreadable signature).
pub fn encapsulated_consent(
    visit: ConsentVisit<'_>,
    record: &ConsentRecord,
    text: &ConsentText,
    now: Timestamp,
) -> Result<BuiltConsent, DeliveryError> {
    let digest = record
        .sha256()
        .map_err(|_| DeliveryError::ConsentPdfEncode {
            detail: "the consent record's digest",
        })?;
    if record.id != visit.consent.consent_id || digest != visit.consent.digest {
        return Err(DeliveryError::ConsentPdfMismatch);
    }
    let band = &visit.patient.band;
    let same_nhs = record.patient.nhs_number() == band.nhs();
    let same_local = record.patient.local_id()
        == band
            .local_id
            .as_ref()
            .map(|l| (l.issuer.as_str(), l.value.as_str()));
    if !same_nhs || !same_local {
        return Err(DeliveryError::ConsentPdfWrongPatient);
    }
    patient_id(visit.patient)?;
    let pdf = consent_pdf(record, text)?;

    let study = study_uid(visit.visit_id);
    let series = consent_series_uid(record.id);
    let sop = consent_sop_instance_uid(record.id);
    let at = record.recorded_at;

    let mut obj = InMemDicomObject::new_empty();
    let mut put = |tag: Tag, vr: VR, value: PrimitiveValue| {
        obj.put(DataElement::new(tag, vr, value));
    };
    let text_value = |s: &str| PrimitiveValue::from(s);

    // SOP Common. UTF-8, since names may be in any script.
    put(
        tags::SPECIFIC_CHARACTER_SET,
        VR::CS,
        text_value("ISO_IR 192"),
    );
    put(
        tags::SOP_CLASS_UID,
        VR::UI,
        text_value(CONSENT_SOP_CLASS_UID),
    );
    put(tags::SOP_INSTANCE_UID, VR::UI, text_value(&sop));
    put(
        tags::INSTANCE_CREATION_DATE,
        VR::DA,
        text_value(&dicom_date(now)),
    );
    put(
        tags::INSTANCE_CREATION_TIME,
        VR::TM,
        text_value(&dicom_time(now)),
    );
    // Every date and time here is UTC, which this says once for the whole object.
    put(tags::TIMEZONE_OFFSET_FROM_UTC, VR::SH, text_value("+0000"));

    // General Study: the visit's, as the photos write it (dated here by the consent, which comes
    // before any photo of the visit).
    put(tags::STUDY_INSTANCE_UID, VR::UI, text_value(&study));
    put(tags::STUDY_DATE, VR::DA, text_value(&dicom_date(at)));
    put(tags::STUDY_TIME, VR::TM, text_value(&dicom_time(at)));
    put(
        tags::STUDY_ID,
        VR::SH,
        text_value(&hex::encode(&visit.visit_id.0[..8])),
    );
    put(tags::ACCESSION_NUMBER, VR::SH, PrimitiveValue::Empty);
    put(
        tags::REFERRING_PHYSICIAN_NAME,
        VR::PN,
        PrimitiveValue::Empty,
    );

    // Encapsulated Document Series, General and SC Equipment.
    put(tags::MODALITY, VR::CS, text_value("DOC"));
    put(tags::SERIES_INSTANCE_UID, VR::UI, text_value(&series));
    put(
        tags::SERIES_NUMBER,
        VR::IS,
        text_value(CONSENT_SERIES_NUMBER),
    );
    put(
        tags::SERIES_DESCRIPTION,
        VR::LO,
        text_value(CONSENT_DOCUMENT_TITLE),
    );
    put(tags::MANUFACTURER, VR::LO, text_value("WardCam"));
    put(
        tags::SOFTWARE_VERSIONS,
        VR::LO,
        text_value(env!("CARGO_PKG_VERSION")),
    );
    // Made on a workstation (the phone), not scanned: as DCMTK's dcmencap writes for a PDF.
    put(tags::CONVERSION_TYPE, VR::CS, text_value("WSD"));
    // The IOD has no author attribute; Operators' Name is where the photos name the clinician.
    put(
        tags::OPERATORS_NAME,
        VR::PN,
        text_value(&single_name(&record.clinician.name)),
    );

    // Encapsulated Document (the document itself is appended below).
    put(tags::INSTANCE_NUMBER, VR::IS, text_value("1"));
    put(tags::CONTENT_DATE, VR::DA, text_value(&dicom_date(at)));
    put(tags::CONTENT_TIME, VR::TM, text_value(&dicom_time(at)));
    put(
        tags::ACQUISITION_DATE_TIME,
        VR::DT,
        text_value(&format!("{}{}", dicom_date(at), dicom_time(at))),
    );
    // The document prints the patient's name and numbers.
    put(tags::BURNED_IN_ANNOTATION, VR::CS, text_value("YES"));
    // Text and a signature: nothing of the patient's body or face.
    put(tags::RECOGNIZABLE_VISUAL_FEATURES, VR::CS, text_value("NO"));
    put(
        tags::DOCUMENT_TITLE,
        VR::ST,
        text_value(CONSENT_DOCUMENT_TITLE),
    );
    let concept = InMemDicomObject::from_element_iter([
        DataElement::new(tags::CODE_VALUE, VR::SH, PrimitiveValue::from("59284-0")),
        DataElement::new(
            tags::CODING_SCHEME_DESIGNATOR,
            VR::SH,
            PrimitiveValue::from("LN"),
        ),
        DataElement::new(
            tags::CODE_MEANING,
            VR::LO,
            PrimitiveValue::from("Consent Document"),
        ),
    ]);
    obj.put(DataElement::new(
        tags::CONCEPT_NAME_CODE_SEQUENCE,
        VR::SQ,
        DataSetSequence::from(vec![concept]),
    ));

    patient_module(&mut obj, visit.patient)?;
    // The document and what follows it go last, appended below.
    if obj
        .iter()
        .any(|e| e.header().tag >= tags::ENCAPSULATED_DOCUMENT)
    {
        return Err(DeliveryError::ConsentPdfEncode {
            detail: "an element after the document",
        });
    }

    let file = obj
        .with_meta(
            FileMetaTableBuilder::new()
                .transfer_syntax(CONSENT_TRANSFER_SYNTAX_UID)
                .implementation_class_uid(implementation_class_uid())
                .implementation_version_name(IMPLEMENTATION_VERSION),
        )
        .map_err(|_| DeliveryError::ConsentPdfEncode {
            detail: "file meta",
        })?;
    let mut head = Zeroizing::new(Vec::with_capacity(16 * 1024));
    file.write_all(&mut *head)
        .map_err(|_| DeliveryError::ConsentPdfEncode {
            detail: "writing the data set",
        })?;
    // One buffer of the final size, so no reallocation leaves an unwiped copy behind.
    let mut part10 = Zeroizing::new(Vec::with_capacity(head.len() + pdf.len() + 64));
    part10.extend_from_slice(&head);
    let range = append_document(&mut part10, &pdf)?;
    Ok(BuiltConsent {
        file_sha256: sha256_hex(&part10),
        pdf_sha256: sha256_hex(&pdf),
        part10,
        study_uid: study,
        series_uid: series,
        sop_uid: sop,
        pdf_len: pdf.len(),
        pdf: range,
    })
}

/// Appends, in Explicit VR Little Endian, Encapsulated Document (0042,0011) OB holding `pdf`
/// padded to even length with one zero byte, MIME Type of Encapsulated Document (0042,0012) and
/// Encapsulated Document Length (0042,0015), the unpadded length. Returns where `pdf` is in `out`.
///
/// Written here rather than through dicom-rs's in-memory object, whose element and writer would
/// keep copies of the consent in buffers nobody wipes; the tests read it back with dicom-rs (and
/// dcmdump where installed).
fn append_document(out: &mut Vec<u8>, pdf: &[u8]) -> Result<Range<usize>, DeliveryError> {
    let too_large = || DeliveryError::ConsentPdfEncode {
        detail: "a document over 4 GiB",
    };
    let len = u32::try_from(pdf.len()).map_err(|_| too_large())?;
    let padded = len.checked_add(len % 2).ok_or_else(too_large)?;
    out.extend_from_slice(&[0x42, 0x00, 0x11, 0x00, b'O', b'B', 0, 0]);
    out.extend_from_slice(&padded.to_le_bytes());
    let start = out.len();
    out.extend_from_slice(pdf);
    let range = start..out.len();
    if len % 2 == 1 {
        out.push(0);
    }
    out.extend_from_slice(&[0x42, 0x00, 0x12, 0x00, b'L', b'O']);
    out.extend_from_slice(&(MIME_PDF.len() as u16).to_le_bytes());
    out.extend_from_slice(MIME_PDF);
    out.extend_from_slice(&[0x42, 0x00, 0x15, 0x00, b'U', b'L', 4, 0]);
    out.extend_from_slice(&len.to_le_bytes());
    Ok(range)
}

#[cfg(test)]
pub(crate) fn append_document_for_tests(pdf: &[u8]) -> (Vec<u8>, Range<usize>) {
    let mut out = Vec::new();
    let range = append_document(&mut out, pdf).unwrap_or(0..0);
    (out, range)
}
