//! One photo as a FHIR R4 transaction Bundle: its `Consent`, `Binary`, `DocumentReference` and
//! `Provenance`. See the module documentation of [`super`] and `docs/delivery-fhir.md` for every
//! field and code.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::ids::{self, binary_id, document_identifier, placeholder, URN_SYSTEM};
use super::FhirError;
use crate::consent::fhir::{consent_resource_with_status, ODS_SYSTEM};
use crate::consent::{ConsentRecord, Decision};
use crate::delivery::jpeg_frame::baseline_frame;
use crate::delivery::pixels::{deliverable_jpeg, Deliverable};
use crate::delivery::DeliveryError;
use crate::patient::{OverrideReason, NHS_NUMBER_SYSTEM};
use crate::review::{find, Laterality};
use crate::session::Purpose;
use crate::vault::Timestamp;
use crate::visit::{IdentifiedBy, LocalState, PatientIdentity, PhotoManifest, Verdict};

/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// The content type of every photo sent: the upright JPEG the PACS gets too.
pub const CONTENT_TYPE: &str = "image/jpeg";
/// The device's name in every Provenance.
pub const DEVICE_NAME: &str = "WardCam";
/// The core extension for a body site (R4 `http://hl7.org/fhir/StructureDefinition/bodySite`,
/// value `Reference(BodyStructure)`): R4 DocumentReference has no body site element (R5 adds
/// `DocumentReference.bodySite`), and UK Core's draft DocumentReference profile adds none.
pub const BODY_SITE_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/bodySite";
/// WardCam's extension on the Provenance: how the patient was identified, what the trust's record
/// said and any override of that check.
pub const IDENTIFICATION_EXTENSION: &str =
    "https://wardcam.nhs.uk/fhir/StructureDefinition/patient-identification";
/// How the patient was identified (codes in [`identification_method`]).
pub const IDENTIFICATION_METHOD_SYSTEM: &str =
    "https://wardcam.nhs.uk/fhir/CodeSystem/identification-method";
/// What the record check said (codes in [`record_check`]).
pub const RECORD_CHECK_SYSTEM: &str = "https://wardcam.nhs.uk/fhir/CodeSystem/record-check";
/// Why the record check was overridden (codes in [`override_reason`]).
pub const OVERRIDE_REASON_SYSTEM: &str = "https://wardcam.nhs.uk/fhir/CodeSystem/override-reason";

/// `DocumentReference.type`: SNOMED CT 169283005 |Medical photography (procedure)|, and LOINC
/// 72170-4 "Photographic image Unspecified body region Document" (from R4's preferred document
/// type value set, `c80-doc-typecodes`).
const TYPE_SNOMED: (&str, &str) = ("169283005", "Medical photography");
const TYPE_LOINC: (&str, &str) = (
    "72170-4",
    "Photographic image Unspecified body region Document",
);
/// `DocumentReference.category`: SNOMED CT 363679005 |Imaging (procedure)|.
const CATEGORY_SNOMED: (&str, &str) = ("363679005", "Imaging");

/// The Binary a Bundle carries, as the read-back needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentBinary {
    /// Its logical id ([`super::binary_id`]).
    pub id: String,
    /// SHA-256 of the bytes sent.
    pub sha256: [u8; 32],
    /// How many bytes.
    pub len: u64,
}

/// What an entry of the Bundle holds, for the words about its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The `Consent`.
    Consent,
    /// The photo's `Binary`.
    Binary,
    /// The photo's `DocumentReference`.
    DocumentReference,
    /// The `Provenance`.
    Provenance,
    /// Anything else (a Bundle made elsewhere).
    Other,
}

impl EntryKind {
    fn of(resource_type: Option<&str>) -> EntryKind {
        match resource_type {
            Some("Consent") => EntryKind::Consent,
            Some("Binary") => EntryKind::Binary,
            Some("DocumentReference") => EntryKind::DocumentReference,
            Some("Provenance") => EntryKind::Provenance,
            _ => EntryKind::Other,
        }
    }

    /// The resource type, for messages.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Consent => "Consent",
            EntryKind::Binary => "Binary",
            EntryKind::DocumentReference => "DocumentReference",
            EntryKind::Provenance => "Provenance",
            EntryKind::Other => "resource",
        }
    }
}

/// A photo's transaction Bundle, serialised, with what the client needs to read its answer.
pub struct TransactionBundle {
    pub(super) body: Zeroizing<Vec<u8>>,
    pub(super) entries: Vec<EntryKind>,
    pub(super) binary: SentBinary,
    document_identifier: Option<String>,
    reencoded: bool,
}

/// Sizes and identifiers only: the body is the patient's photo and record.
impl fmt::Debug for TransactionBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionBundle")
            .field("body_len", &self.body.len())
            .field("entries", &self.entries)
            .field("binary", &self.binary)
            .finish_non_exhaustive()
    }
}

impl TransactionBundle {
    /// The Bundle as JSON bytes (`application/fhir+json`), wiped on drop.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// What each entry holds, in order.
    pub fn entries(&self) -> &[EntryKind] {
        &self.entries
    }

    /// The Binary's id, digest and length, for the read-back.
    pub fn binary(&self) -> &SentBinary {
        &self.binary
    }

    /// The DocumentReference's identifier value (`urn:uuid:…`), when WardCam built the Bundle.
    pub fn document_identifier(&self) -> Option<&str> {
        self.document_identifier.as_deref()
    }

    /// Whether the photo's JPEG is a re-encode (turned upright where a lossless turn could not be
    /// made, or from PNG or a JPEG that was not baseline) rather than the sealed image's own
    /// coefficients (as they are, or turned losslessly).
    pub fn reencoded(&self) -> bool {
        self.reencoded
    }

    /// The body and the entries' kinds, which a parcel keeps to send this Bundle while the app is
    /// locked (`crate::visit`'s outbound store); the Binary's digest is sealed beside them.
    pub(crate) fn into_parts(self) -> (Zeroizing<Vec<u8>>, Vec<EntryKind>) {
        (self.body, self.entries)
    }

    /// A Bundle built earlier, from what a parcel kept ([`TransactionBundle::into_parts`]).
    pub(crate) fn from_parts(
        body: Zeroizing<Vec<u8>>,
        entries: Vec<EntryKind>,
        binary: SentBinary,
    ) -> TransactionBundle {
        TransactionBundle {
            body,
            entries,
            binary,
            document_identifier: None,
            reencoded: false,
        }
    }

    /// The Bundle parsed back into JSON (tests, tools).
    pub fn to_value(&self) -> Result<Value, FhirError> {
        serde_json::from_slice(&self.body).map_err(|_| FhirError::Encode {
            detail: "the Bundle does not read back",
        })
    }

    /// A transaction Bundle made elsewhere (tests, tools): its entries are read from it and its
    /// first Binary's digest is taken from its data. Refused ([`FhirError::Encode`]) without a
    /// Binary whose id and base64 data can be read.
    pub fn from_value(bundle: &Value) -> Result<TransactionBundle, FhirError> {
        let entries: Vec<&Value> = bundle["entry"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let kinds = entries
            .iter()
            .map(|e| EntryKind::of(e["resource"]["resourceType"].as_str()))
            .collect();
        let binary = entries
            .iter()
            .map(|e| &e["resource"])
            .find(|r| r["resourceType"] == "Binary")
            .ok_or(FhirError::Encode {
                detail: "the Bundle has no Binary",
            })?;
        let unreadable = FhirError::Encode {
            detail: "the Bundle's Binary cannot be read",
        };
        let id = binary["id"].as_str().ok_or(unreadable.clone())?.to_owned();
        let data = binary["data"].as_str().unwrap_or_default();
        let (sha256, len) = super::reply::decoded_digest(data).ok_or(unreadable)?;
        let body = serde_json::to_vec(bundle).map_err(|_| FhirError::Encode {
            detail: "the Bundle did not encode",
        })?;
        Ok(TransactionBundle {
            body: Zeroizing::new(body),
            entries: kinds,
            binary: SentBinary {
                id,
                sha256,
                len: len as u64,
            },
            document_identifier: None,
            reencoded: false,
        })
    }
}

/// Builds the transaction Bundle of one photo, from its sealed manifest, `image` (the sealed image
/// the manifest names), `consent` (the record it was taken under, as sealed) and `now` (the
/// DocumentReference's `date` and the Provenance's `recorded`).
///
/// The photo goes as the same upright JPEG the PACS gets (see
/// [`crate::delivery::vl_photographic_image_with`]): its own bytes when it is a baseline JPEG
/// stored upright, else one re-encode.
///
/// Refused before anything is built: a photo whose consent was withdrawn, with no label, or whose
/// patient has neither an NHS nor a hospital number ([`FhirError::Photo`]); a consent record that
/// is not the one sealed with the photo ([`FhirError::ConsentMismatch`]) or that does not permit
/// the photo's use ([`FhirError::UseNotConsented`]); then, as for PACS, an image that cannot be
/// prepared.
pub fn transaction_bundle(
    manifest: &PhotoManifest,
    image: &[u8],
    consent: &ConsentRecord,
    now: Timestamp,
) -> Result<TransactionBundle, FhirError> {
    if manifest.state == LocalState::Withdrawn {
        return Err(DeliveryError::Withdrawn.into());
    }
    let label = manifest.label.as_ref().ok_or(DeliveryError::Unlabelled)?;
    let patient = patient_reference(&manifest.patient)?;
    if consent.id != manifest.consent.consent_id || consent.sha256()? != manifest.consent.digest {
        return Err(FhirError::ConsentMismatch);
    }
    if consent.decision != Decision::Permit || !consent.purposes.contains(manifest.intended_use) {
        return Err(FhirError::UseNotConsented);
    }
    let consent_resource = consent_resource_with_status(consent, false)?;

    let jpeg = deliverable_jpeg(&manifest.info, image)?;
    let (bytes, reencoded): (&[u8], bool) = match &jpeg {
        Deliverable::AsIs(b) => (b, false),
        Deliverable::Turned { jpeg, .. } => (jpeg, false),
        Deliverable::Reencoded { jpeg, .. } => (jpeg, true),
    };
    let frame = baseline_frame(bytes)?;
    if (u32::from(frame.width), u32::from(frame.height)) != manifest.info.upright_size() {
        return Err(DeliveryError::ImageDamaged {
            detail: "not the size its record says",
        }
        .into());
    }
    let sha256 = {
        let mut out = [0u8; 32];
        out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref());
        out
    };
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);

    let photo = manifest.photo_id;
    let binary = binary_id(photo);
    let doc_identifier = document_identifier(photo);
    let consent_url = placeholder(ids::Entry::Consent(consent.id));
    let doc_url = placeholder(ids::Entry::DocumentReference(photo));
    let provenance_url = placeholder(ids::Entry::Provenance(photo));
    let consent_identifier = format!("urn:uuid:{}", consent.id);
    let taken = fhir_instant(manifest.captured_at);
    let clinician = manifest
        .clinician
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());

    let consent_entry = json!({
        "fullUrl": consent_url,
        "resource": consent_resource,
        "request": {
            "method": "POST",
            "url": "Consent",
            "ifNoneExist": format!("identifier={URN_SYSTEM}|{consent_identifier}"),
        },
    });

    // The DocumentReference.
    let site = find(&label.body_site);
    let site_display = site.map_or(label.body_site.as_str(), |s| s.display);
    let mut body_structure = json!({
        "resourceType": "BodyStructure",
        "id": "site",
        "location": { "coding": [{ "system": SNOMED, "code": label.body_site, "display": site_display }] },
        "patient": patient,
    });
    let side = laterality(label.laterality);
    if let Some((code, display, _)) = side {
        body_structure["locationQualifier"] =
            json!([{ "coding": [{ "system": SNOMED, "code": code, "display": display }] }]);
    }
    let where_ = match side {
        Some((_, _, words)) => format!("{site_display} ({words})"),
        None => site_display.to_owned(),
    };
    let mut contained = vec![body_structure];
    let mut document = json!({
        "resourceType": "DocumentReference",
        "extension": [{ "url": BODY_SITE_EXTENSION, "valueReference": { "reference": "#site" } }],
        "identifier": [{ "system": URN_SYSTEM, "value": doc_identifier }],
        "status": "current",
        "docStatus": "final",
        "type": {
            "coding": [
                { "system": SNOMED, "code": TYPE_SNOMED.0, "display": TYPE_SNOMED.1 },
                { "system": LOINC, "code": TYPE_LOINC.0, "display": TYPE_LOINC.1 },
            ],
            "text": "Clinical photograph",
        },
        "category": [{
            "coding": [{ "system": SNOMED, "code": CATEGORY_SNOMED.0, "display": CATEGORY_SNOMED.1 }],
        }],
        "subject": patient,
        "date": fhir_instant(now),
        "content": [{
            "attachment": {
                "contentType": CONTENT_TYPE,
                "url": format!("Binary/{binary}"),
                "size": bytes.len(),
                "hash": BASE64.encode(sha1.as_ref()),
                "title": format!("Clinical photograph: {where_}"),
                "creation": taken,
            },
        }],
        "context": {
            "period": { "start": taken, "end": taken },
            "related": [{ "reference": consent_url }],
        },
    });
    let description = label.description.trim();
    document["description"] = Value::from(if description.is_empty() {
        where_.clone()
    } else {
        format!("{where_}: {description}")
    });
    if let Some(name) = clinician {
        contained.push(json!({
            "resourceType": "Practitioner",
            "id": "clinician",
            "name": [{ "text": name }],
        }));
        document["author"] = json!([{ "reference": "#clinician" }]);
    }
    document["contained"] = Value::Array(contained);
    let document_entry = json!({
        "fullUrl": doc_url,
        "resource": document,
        "request": {
            "method": "POST",
            "url": "DocumentReference",
            "ifNoneExist": format!("identifier={URN_SYSTEM}|{doc_identifier}"),
        },
    });

    // The Provenance.
    let version = env!("CARGO_PKG_VERSION");
    let mut prov_contained = vec![json!({
        "resourceType": "Device",
        "id": "device",
        "deviceName": [{ "name": DEVICE_NAME, "type": "manufacturer-name" }],
        "version": [{ "value": version }],
    })];
    let participant = |code: &str, display: &str| {
        json!({ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": code,
            "display": display,
        }] })
    };
    let mut agents = Vec::new();
    if let Some(name) = clinician {
        prov_contained.push(json!({
            "resourceType": "Practitioner",
            "id": "clinician",
            "name": [{ "text": name }],
        }));
        agents.push(json!({
            "type": participant("author", "Author"),
            "who": { "reference": "#clinician", "display": name },
        }));
    }
    agents.push(json!({
        "type": participant("assembler", "Assembler"),
        "who": { "reference": "#device", "display": format!("{DEVICE_NAME} {version}") },
    }));
    let mut provenance = json!({
        "resourceType": "Provenance",
        "extension": [identification(&manifest.patient)],
        "contained": prov_contained,
        "target": [{ "reference": doc_url }],
        "occurredDateTime": taken,
        "recorded": fhir_instant(now),
        "policy": [consent_identifier],
        "activity": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": "CREATE",
            "display": "create",
        }] },
        "agent": agents,
    });
    if manifest.intended_use == Purpose::Care {
        provenance["reason"] = json!([{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
            "code": "TREAT",
            "display": "treatment",
        }] }]);
    }
    let provenance_entry = json!({
        "fullUrl": provenance_url,
        "resource": provenance,
        "request": {
            "method": "POST",
            "url": "Provenance",
            "ifNoneExist": format!("target={doc_url}"),
        },
    });

    // The Binary goes in last, written straight into the body so the photo is copied once.
    let binary_request = json!({ "method": "PUT", "url": format!("Binary/{binary}") });
    let binary_head = json!({
        "resourceType": "Binary",
        "id": binary,
        "contentType": CONTENT_TYPE,
        "securityContext": { "reference": doc_url },
    });
    let body = write_body(
        &[&consent_entry, &document_entry, &provenance_entry],
        &binary_request,
        &binary_head,
        bytes,
    )?;
    Ok(TransactionBundle {
        body,
        entries: vec![
            EntryKind::Consent,
            EntryKind::DocumentReference,
            EntryKind::Provenance,
            EntryKind::Binary,
        ],
        binary: SentBinary {
            id: binary,
            sha256,
            len: bytes.len() as u64,
        },
        document_identifier: Some(doc_identifier),
        reencoded,
    })
}

/// `{"resourceType":"Bundle","type":"transaction","entry":[<entries>,{"request":…,"resource":
/// {<binary head>,"data":"<base64>"}}]}` in one buffer of exactly its size, so the photo's base64
/// is written once and no reallocation leaves an unwiped copy behind.
fn write_body(
    entries: &[&Value],
    binary_request: &Value,
    binary_head: &Value,
    bytes: &[u8],
) -> Result<Zeroizing<Vec<u8>>, FhirError> {
    let encode = |v: &Value| {
        serde_json::to_vec(v)
            .map(Zeroizing::new)
            .map_err(|_| FhirError::Encode {
                detail: "the Bundle did not encode",
            })
    };
    let parts = entries
        .iter()
        .map(|e| encode(e))
        .collect::<Result<Vec<_>, _>>()?;
    let request = encode(binary_request)?;
    let head = encode(binary_head)?;
    // The head is an object: drop its closing brace to append `data`.
    let head = head.strip_suffix(b"}").ok_or(FhirError::Encode {
        detail: "the Binary did not encode",
    })?;
    let b64_len = base64::encoded_len(bytes.len(), true).ok_or(FhirError::Encode {
        detail: "the photo is too large to encode",
    })?;
    const OPEN: &[u8] = br#"{"resourceType":"Bundle","type":"transaction","entry":["#;
    const BINARY_OPEN: &[u8] = br#"{"request":"#;
    const RESOURCE: &[u8] = br#","resource":"#;
    const DATA: &[u8] = br#","data":""#;
    const CLOSE: &[u8] = br#""}}]}"#;
    let len = OPEN.len()
        + parts.iter().map(|p| p.len() + 1).sum::<usize>()
        + BINARY_OPEN.len()
        + request.len()
        + RESOURCE.len()
        + head.len()
        + DATA.len()
        + b64_len
        + CLOSE.len();
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.extend_from_slice(OPEN);
    for part in &parts {
        out.extend_from_slice(part);
        out.push(b',');
    }
    out.extend_from_slice(BINARY_OPEN);
    out.extend_from_slice(&request);
    out.extend_from_slice(RESOURCE);
    out.extend_from_slice(head);
    out.extend_from_slice(DATA);
    let at = out.len();
    out.resize(at + b64_len, 0);
    let written = BASE64
        .encode_slice(bytes, &mut out[at..])
        .map_err(|_| FhirError::Encode {
            detail: "the photo did not encode",
        })?;
    out.truncate(at + written);
    out.extend_from_slice(CLOSE);
    Ok(out)
}

/// `subject` (and the BodyStructure's `patient`): a logical reference by NHS number, or by
/// hospital number with its issuing organisation, as the `Consent` names the patient.
pub(crate) fn patient_reference(p: &PatientIdentity) -> Result<Value, FhirError> {
    if let Some(nhs) = p.band.nhs() {
        return Ok(json!({ "identifier": { "system": NHS_NUMBER_SYSTEM, "value": nhs.digits() } }));
    }
    match &p.band.local_id {
        Some(local) if !local.value.trim().is_empty() && !local.issuer.trim().is_empty() => {
            Ok(json!({ "identifier": {
                "type": { "text": "Local hospital number" },
                "value": local.value.trim(),
                "assigner": { "identifier": { "system": ODS_SYSTEM, "value": local.issuer.trim() } },
            } }))
        }
        _ => Err(DeliveryError::NoPatientId.into()),
    }
}

/// SNOMED CT code, display and words of a side, if the site has one.
fn laterality(l: Laterality) -> Option<(&'static str, &'static str, &'static str)> {
    let code = l.code()?;
    Some(match l {
        Laterality::Left => (code, "Left", "left"),
        Laterality::Right => (code, "Right", "right"),
        _ => (code, "Right and left", "both sides"),
    })
}

/// Code and display of how the patient was identified.
pub fn identification_method(by: IdentifiedBy) -> (&'static str, &'static str) {
    match by {
        IdentifiedBy::CameraScan => (
            "camera-scan",
            "Wristband barcode read by the phone's camera",
        ),
        IdentifiedBy::BandText => ("band-text", "Wristband barcode read by a scanner"),
        IdentifiedBy::TypedTwice => ("typed-twice", "NHS number typed twice by the clinician"),
    }
}

/// Code and display of what the trust's record said, with the reason's stable code.
pub fn record_check(v: &Verdict) -> (&'static str, &'static str, Option<&str>) {
    match v {
        Verdict::Verified => ("verified", "One record matched the wristband", None),
        Verdict::NotVerified { reason } => (
            "not-verified",
            "Not checked against the record",
            reason.as_ref().map(|r| r.code.as_str()),
        ),
        Verdict::NeedsOverride { reason } => (
            "needs-override",
            "The record could not vouch for the patient",
            Some(reason.code.as_str()),
        ),
        Verdict::Blocked { reason } => (
            "blocked",
            "The record contradicted the wristband",
            Some(reason.code.as_str()),
        ),
    }
}

/// Code and display of an override's reason.
pub fn override_reason(r: OverrideReason) -> (&'static str, &'static str) {
    match r {
        OverrideReason::NewAdmissionNotRegistered => (
            "new-admission-not-registered",
            "New admission not yet registered",
        ),
        OverrideReason::RecordSystemDown => ("record-system-down", "Record system down"),
    }
}

/// The Provenance's identification extension (see `docs/delivery-fhir.md`). The override's free
/// text is left out, as in the DICOM object: it may name the patient.
fn identification(p: &PatientIdentity) -> Value {
    let coding = |system: &str, (code, display): (&str, &str)| json!({ "system": system, "code": code, "display": display });
    let mut parts = vec![json!({
        "url": "method",
        "valueCoding": coding(IDENTIFICATION_METHOD_SYSTEM, identification_method(p.identified_by)),
    })];
    let (code, display, reason) = record_check(&p.verdict);
    parts.push(json!({
        "url": "recordCheck",
        "valueCoding": coding(RECORD_CHECK_SYSTEM, (code, display)),
    }));
    if let Some(reason) = reason.and_then(fhir_code) {
        parts.push(json!({ "url": "recordCheckReason", "valueCode": reason }));
    }
    if let Some(recheck) = &p.recheck {
        let (code, display, _) = record_check(&recheck.verdict);
        parts.push(json!({
            "url": "recheck",
            "extension": [
                { "url": "at", "valueDateTime": fhir_instant(recheck.at) },
                { "url": "result", "valueCoding": coding(RECORD_CHECK_SYSTEM, (code, display)) },
            ],
        }));
    }
    if let Some(o) = &p.override_ {
        let mut sub = Vec::new();
        if let Some(overrode) = fhir_code(&o.overrode.code) {
            sub.push(json!({ "url": "overrode", "valueCode": overrode }));
        }
        sub.push(json!({
            "url": "reason",
            "valueCoding": coding(OVERRIDE_REASON_SYSTEM, override_reason(o.reason)),
        }));
        let by = o.by.trim();
        if !by.is_empty() {
            sub.push(json!({ "url": "by", "valueString": by }));
        }
        sub.push(json!({ "url": "at", "valueDateTime": fhir_instant(o.at) }));
        parts.push(json!({ "url": "override", "extension": sub }));
    }
    json!({ "url": IDENTIFICATION_EXTENSION, "extension": parts })
}

/// A stable dotted code as a FHIR `code` (no whitespace, not empty), else nothing.
fn fhir_code(code: &str) -> Option<&str> {
    (!code.is_empty() && !code.contains(char::is_whitespace)).then_some(code)
}

/// FHIR `instant`/`dateTime` in UTC to the second (`2026-11-05T09:30:00Z`), as the consent's
/// FHIR form writes it; a time the calendar cannot hold falls back to the epoch.
fn fhir_instant(at: Timestamp) -> String {
    crate::consent::time::utc(at).fhir()
}
