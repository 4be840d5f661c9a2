//! The consent record as a FHIR R4 `Consent` in the shape of the UK Core Consent profile.
//!
//! - `status` `active` for a permit, `rejected` for a refusal; `scope` `patient-privacy` (photos
//!   are information about the patient); `category` LOINC 59284-0 "Patient Consent".
//! - `patient` by NHS number (or hospital number with its issuer); `performer` is the patient, a
//!   contained `RelatedPerson` for a representative, or the contained `Practitioner` for a
//!   best-interests decision; the clinician is always contained and named in `provision.actor`.
//! - `policy` names the consent text version and its SHA-256; `provision` is `permit` or `deny`
//!   with one `purpose` coding per purpose.
//! - `sourceAttachment`: the signature PNG (with `hash` = base64 SHA-1, as FHIR's `Attachment.hash`
//!   requires), or a plain-text attestation of verbal consent or of the decline.
//!
//! Nothing is sent from here: the upload module posts the resource.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use super::{ConsentError, ConsentRecord, ConsentedBy, Decision, Method};
use crate::patient::NHS_NUMBER_SYSTEM;
use crate::session::Purpose;

/// The UK Core Consent profile.
pub const UK_CORE_CONSENT_PROFILE: &str =
    "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Consent";
/// The identifier system of WardCam consent ids (`urn:ietf:rfc:3986` with `urn:uuid:` values).
pub const CONSENT_ID_SYSTEM: &str = "urn:ietf:rfc:3986";
/// The code system of WardCam's purposes (provision.purpose codings).
pub const PURPOSE_SYSTEM: &str = "https://wardcam.nhs.uk/fhir/CodeSystem/photo-purpose";
/// The ODS organisation code system.
pub const ODS_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// The FHIR code for a purpose in [`PURPOSE_SYSTEM`].
pub fn purpose_code(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Care => "clinical-record",
        Purpose::SecondOpinion => "second-opinion",
        Purpose::Teaching => "teaching",
        Purpose::Publication => "publication",
    }
}

/// [`consent_resource`], with the status a withdrawal gives it: a withdrawn consent is
/// `inactive` (FHIR R4 `Consent.status`), whatever its decision was.
pub fn consent_resource_with_status(
    record: &ConsentRecord,
    withdrawn: bool,
) -> Result<Value, ConsentError> {
    let mut resource = consent_resource(record)?;
    if withdrawn {
        resource["status"] = Value::from("inactive");
    }
    Ok(resource)
}

/// The record as a FHIR R4 `Consent` resource (see the module docs).
pub fn consent_resource(record: &ConsentRecord) -> Result<Value, ConsentError> {
    record.validate()?;
    let at = super::time::utc(record.recorded_at).fhir();
    let patient_ref = patient_reference(record);
    let clinician_name = &record.clinician.name;
    let mut practitioner = json!({
        "resourceType": "Practitioner",
        "id": "clinician",
        "name": [{ "text": clinician_name }],
    });
    if let Some(id) = &record.clinician.identifier {
        practitioner["identifier"] = json!([{ "value": id }]);
    }
    let mut contained = vec![practitioner];
    let performer = match &record.consented_by {
        ConsentedBy::Patient => patient_ref.clone(),
        ConsentedBy::Representative { name, relationship } => {
            contained.push(json!({
                "resourceType": "RelatedPerson",
                "id": "representative",
                "patient": patient_ref.clone(),
                "relationship": [{ "text": relationship }],
                "name": [{ "text": name }],
            }));
            json!({ "reference": "#representative" })
        }
        ConsentedBy::BestInterests { .. } => json!({ "reference": "#clinician" }),
    };
    let (status, provision_type) = match record.decision {
        Decision::Permit => ("active", "permit"),
        Decision::Refuse => ("rejected", "deny"),
    };
    let purposes: Vec<Value> = Purpose::ALL
        .into_iter()
        .filter(|p| record.purposes.contains(*p))
        .map(|p| json!({ "system": PURPOSE_SYSTEM, "code": purpose_code(p), "display": p.label() }))
        .collect();
    let mut provision = json!({
        "type": provision_type,
        "actor": [{
            "role": { "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                "code": "AUT",
                "display": "author (originator)",
            }], "text": "clinician who took consent" },
            "reference": { "reference": "#clinician" },
        }],
    });
    if !purposes.is_empty() {
        provision["purpose"] = Value::Array(purposes);
    }
    let mut resource = json!({
        "resourceType": "Consent",
        "meta": { "profile": [UK_CORE_CONSENT_PROFILE] },
        "contained": contained,
        "identifier": [{ "system": CONSENT_ID_SYSTEM, "value": format!("urn:uuid:{}", record.id) }],
        "status": status,
        "scope": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": "patient-privacy",
            "display": "Privacy Consent",
        }] },
        "category": [{ "coding": [{
            "system": "http://loinc.org",
            "code": "59284-0",
            "display": "Patient Consent",
        }] }],
        "patient": patient_ref,
        "dateTime": at,
        "performer": [performer],
        "policy": [{
            "uri": format!("urn:wardcam:consent-text:{}#sha256={}", record.text_version, record.text_sha256),
        }],
        "provision": provision,
    });
    if let Some(ods) = &record.organization {
        resource["organization"] =
            json!([{ "identifier": { "system": ODS_SYSTEM, "value": ods } }]);
    }
    resource["sourceAttachment"] = source_attachment(record, &at)?;
    if let ConsentedBy::BestInterests { reason } = &record.consented_by {
        // No element of R4 Consent holds the reason; a note-like extension would need a profile, so
        // the reason travels in the attachment's title for a verbal/declined record and here.
        resource["text"] = json!({
            "status": "generated",
            "div": format!(
                "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Best-interests decision (Mental Capacity Act 2005): {}</p></div>",
                escape_xml(reason)
            ),
        });
    }
    Ok(resource)
}

fn patient_reference(record: &ConsentRecord) -> Value {
    let p = &record.patient;
    let display = format!("{} {}", p.given_name(), p.family_name())
        .trim()
        .to_owned();
    let mut reference = match (p.nhs_number(), p.local_id()) {
        (Some(n), _) => json!({
            "identifier": { "system": NHS_NUMBER_SYSTEM, "value": n.digits() },
        }),
        (None, Some((issuer, value))) => json!({
            "identifier": {
                "type": { "text": "Local hospital number" },
                "value": value,
                "assigner": { "identifier": { "system": ODS_SYSTEM, "value": issuer } },
            },
        }),
        // validate() guarantees an identifier.
        (None, None) => json!({}),
    };
    // A typed NHS number checked against no record carries no name: FHIR forbids empty strings.
    if !display.is_empty() {
        reference["display"] = Value::String(display);
    }
    reference
}

fn source_attachment(record: &ConsentRecord, at: &str) -> Result<Value, ConsentError> {
    let (content_type, data, title) = match &record.method {
        Method::Signature { .. } => {
            let png = record
                .signature_png()?
                .ok_or(ConsentError::SignatureEmpty)?;
            (
                "image/png",
                png,
                "Signature of the person consenting".to_owned(),
            )
        }
        Method::Verbal { witness } => (
            "text/plain",
            format!(
                "Verbal {} given to {} and witnessed by {}.",
                if record.decision == Decision::Permit {
                    "consent"
                } else {
                    "refusal"
                },
                record.clinician.name,
                witness
            )
            .into_bytes(),
            "Verbal consent attestation".to_owned(),
        ),
        Method::Declined => (
            "text/plain",
            format!(
                "The patient declined photography on the consent screen; recorded by {}.",
                record.clinician.name
            )
            .into_bytes(),
            "Decline recorded on screen".to_owned(),
        ),
    };
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &data);
    Ok(json!({
        "contentType": content_type,
        "data": BASE64.encode(&data),
        "size": data.len(),
        "hash": BASE64.encode(sha1.as_ref()),
        "title": title,
        "creation": at,
    }))
}

fn escape_xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
