//! The Bundle's shape, its refusals, the reply parsers and the fuzz body. Against the real FHIR
//! server: `server_tests.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use proptest::prelude::*;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::client::outcome_words_for_tests;
use super::reply::decoded_digest;
use super::*;
use crate::consent::ConsentRecord;
use crate::delivery::orthanc_tests::{queued, Queued};
use crate::delivery::reply::tests::mutate;
use crate::patient::OverrideReason;
use crate::session::Purpose;
use crate::vault::Timestamp;
use crate::visit::{LocalState, Override, PhotoManifest, Reason, Verdict};

const NHS: &str = "9434765919";
const NOW: Timestamp = Timestamp(1_795_000_000_000);

/// A queued ward and, per photo, its manifest and sealed image, with the visit's consent record.
pub(super) struct Photos {
    /// Keeps the ward and its vault's folder alive.
    pub(super) _queued: Queued,
    pub(super) photos: Vec<(PhotoManifest, Zeroizing<Vec<u8>>)>,
    pub(super) consent: ConsentRecord,
}

pub(super) fn photos_from(queued: Queued) -> Photos {
    let images = queued.images();
    let photos: Vec<_> = queued
        .photos
        .iter()
        .zip(images)
        .map(|(p, image)| (queued.manifest(*p), image))
        .collect();
    let vault = queued.ward.vault().unwrap();
    let record = vault.unseal(photos[0].0.consent.record_item).unwrap();
    let consent: ConsentRecord = serde_json::from_slice(&record).unwrap();
    Photos {
        _queued: queued,
        photos,
        consent,
    }
}

pub(super) fn photos(n: usize, seed: u64) -> Photos {
    photos_from(queued(n, seed))
}

fn build(p: &Photos, i: usize) -> TransactionBundle {
    let (m, image) = &p.photos[i];
    transaction_bundle(m, image, &p.consent, NOW).unwrap()
}

/// The entry holding a resource of `kind`.
fn entry<'a>(bundle: &'a Value, kind: &str) -> &'a Value {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == kind)
        .unwrap_or_else(|| panic!("no {kind} entry"))
}

#[test]
fn the_bundle_is_a_transaction_of_four_conditional_or_idempotent_entries() {
    let p = photos(1, 10);
    let built = build(&p, 0);
    let v = built.to_value().unwrap();
    assert_eq!(v["resourceType"], "Bundle");
    assert_eq!(v["type"], "transaction");
    let kinds: Vec<&str> = v["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["Consent", "DocumentReference", "Provenance", "Binary"]
    );
    assert_eq!(
        built.entries(),
        [
            EntryKind::Consent,
            EntryKind::DocumentReference,
            EntryKind::Provenance,
            EntryKind::Binary
        ]
    );

    let photo = p.photos[0].0.photo_id;
    let consent = entry(&v, "Consent");
    let consent_identifier = format!("urn:uuid:{}", p.consent.id);
    assert_eq!(consent["request"]["method"], "POST");
    assert_eq!(consent["request"]["url"], "Consent");
    assert_eq!(
        consent["request"]["ifNoneExist"],
        format!("identifier=urn:ietf:rfc:3986|{consent_identifier}")
    );
    assert_eq!(
        consent["resource"]["identifier"][0]["value"],
        consent_identifier
    );

    let doc = entry(&v, "DocumentReference");
    let doc_identifier = document_identifier(photo);
    assert_eq!(built.document_identifier(), Some(doc_identifier.as_str()));
    assert_eq!(doc["request"]["method"], "POST");
    assert_eq!(
        doc["request"]["ifNoneExist"],
        format!("identifier=urn:ietf:rfc:3986|{doc_identifier}")
    );
    assert_eq!(doc["resource"]["identifier"][0]["system"], URN_SYSTEM);
    assert_eq!(doc["resource"]["identifier"][0]["value"], doc_identifier);

    let provenance = entry(&v, "Provenance");
    let doc_url = doc["fullUrl"].as_str().unwrap();
    assert_eq!(
        provenance["request"]["ifNoneExist"],
        format!("target={doc_url}")
    );
    assert_eq!(provenance["resource"]["target"][0]["reference"], doc_url);

    let binary = entry(&v, "Binary");
    let id = binary_id(photo);
    assert_eq!(binary["request"]["method"], "PUT");
    assert_eq!(binary["request"]["url"], format!("Binary/{id}"));
    assert_eq!(binary["resource"]["id"], id);
    assert_eq!(binary["resource"]["contentType"], "image/jpeg");
    assert_eq!(binary["resource"]["securityContext"]["reference"], doc_url);
    // The sealed JPEG is baseline and upright: it goes byte for byte.
    let data = BASE64
        .decode(binary["resource"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, p.photos[0].1.as_slice());
    assert!(!built.reencoded());
    let sent = built.binary();
    assert_eq!(sent.id, id);
    assert_eq!(sent.len, data.len() as u64);
    assert_eq!(
        sent.sha256.as_slice(),
        ring::digest::digest(&ring::digest::SHA256, &data).as_ref()
    );

    // Placeholders are urn:uuid, all different, and never equal to an identifier: a server
    // rewrites every occurrence of a placeholder in the Bundle.
    let urls: Vec<&str> = v["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["fullUrl"].as_str())
        .collect();
    assert_eq!(urls.len(), 3);
    for url in &urls {
        assert!(url.starts_with("urn:uuid:"), "{url}");
        assert_eq!(urls.iter().filter(|u| *u == url).count(), 1);
        assert!(!v.to_string().contains(&format!("\"value\":\"{url}\"")));
    }
    assert_ne!(consent["fullUrl"], consent_identifier);
}

#[test]
fn the_document_reference_files_a_clinical_photograph_of_the_patient() {
    let p = photos(1, 11);
    let (m, image) = &p.photos[0];
    let v = build(&p, 0).to_value().unwrap();
    let doc = &entry(&v, "DocumentReference")["resource"];
    assert_eq!(doc["status"], "current");
    assert_eq!(doc["docStatus"], "final");
    assert_eq!(
        doc["subject"],
        json!({"identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS}})
    );
    assert_eq!(
        doc["type"]["coding"],
        json!([
            {"system": SNOMED, "code": "169283005", "display": "Medical photography"},
            {"system": LOINC, "code": "72170-4", "display": "Photographic image Unspecified body region Document"},
        ])
    );
    assert_eq!(doc["category"][0]["coding"][0]["code"], "363679005");
    assert_eq!(doc["date"], "2026-11-18T11:06:40Z");

    let attachment = &doc["content"][0]["attachment"];
    assert_eq!(attachment["contentType"], "image/jpeg");
    assert_eq!(
        attachment["url"],
        format!("Binary/{}", binary_id(m.photo_id))
    );
    assert_eq!(attachment["size"], image.len());
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, image);
    assert_eq!(attachment["hash"], BASE64.encode(sha1.as_ref()));
    assert_eq!(attachment["title"], "Clinical photograph: Forearm (left)");
    let taken = attachment["creation"].as_str().unwrap();
    assert!(taken.ends_with('Z') && taken.len() == 20, "{taken}");
    assert_eq!(doc["context"]["period"]["start"], taken);
    assert_eq!(
        doc["context"]["related"][0]["reference"],
        entry(&v, "Consent")["fullUrl"]
    );
    assert_eq!(doc["description"], "Forearm (left): graze");

    // Body site and side: R4's bodySite extension to a contained BodyStructure.
    assert_eq!(
        doc["extension"],
        json!([{"url": BODY_SITE_EXTENSION, "valueReference": {"reference": "#site"}}])
    );
    let contained = doc["contained"].as_array().unwrap();
    let site = contained.iter().find(|c| c["id"] == "site").unwrap();
    assert_eq!(site["resourceType"], "BodyStructure");
    assert_eq!(site["location"]["coding"][0]["code"], "14975008");
    assert_eq!(site["location"]["coding"][0]["system"], SNOMED);
    assert_eq!(site["locationQualifier"][0]["coding"][0]["code"], "7771000");
    assert_eq!(site["patient"], doc["subject"]);
    let clinician = contained.iter().find(|c| c["id"] == "clinician").unwrap();
    assert_eq!(clinician["name"][0]["text"], "Dr A Jones");
    assert_eq!(doc["author"], json!([{"reference": "#clinician"}]));
}

#[test]
fn the_provenance_says_who_what_when_and_how_the_patient_was_identified() {
    let p = photos(1, 12);
    let v = build(&p, 0).to_value().unwrap();
    let prov = &entry(&v, "Provenance")["resource"];
    assert_eq!(prov["recorded"], "2026-11-18T11:06:40Z");
    assert_eq!(
        prov["occurredDateTime"],
        entry(&v, "DocumentReference")["resource"]["content"][0]["attachment"]["creation"]
    );
    assert_eq!(
        prov["policy"],
        json!([format!("urn:uuid:{}", p.consent.id)])
    );
    assert_eq!(prov["activity"]["coding"][0]["code"], "CREATE");
    assert_eq!(prov["reason"][0]["coding"][0]["code"], "TREAT");
    let agents = prov["agent"].as_array().unwrap();
    assert_eq!(agents.len(), 2);
    assert_eq!(agents[0]["type"]["coding"][0]["code"], "author");
    assert_eq!(agents[0]["who"]["display"], "Dr A Jones");
    assert_eq!(agents[1]["type"]["coding"][0]["code"], "assembler");
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(agents[1]["who"]["display"], format!("WardCam {version}"));
    let device = prov["contained"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resourceType"] == "Device")
        .unwrap();
    assert_eq!(device["deviceName"][0]["name"], "WardCam");
    assert_eq!(device["version"][0]["value"], version);

    // The band was read as text, with no record endpoint on the device.
    assert_eq!(
        prov["extension"],
        json!([{
            "url": IDENTIFICATION_EXTENSION,
            "extension": [
                {"url": "method", "valueCoding": {"system": IDENTIFICATION_METHOD_SYSTEM, "code": "band-text", "display": "Wristband barcode read by a scanner"}},
                {"url": "recordCheck", "valueCoding": {"system": RECORD_CHECK_SYSTEM, "code": "not-verified", "display": "Not checked against the record"}},
            ],
        }])
    );
}

#[test]
fn an_override_of_the_record_check_is_in_the_provenance_without_its_free_text() {
    let mut p = photos(1, 13);
    let m = &mut p.photos[0].0;
    m.patient.verdict = Verdict::NeedsOverride {
        reason: Reason {
            code: "patient.record_not_found".into(),
            message: "No record".into(),
        },
    };
    m.patient.override_ = Some(Override {
        overrode: Reason {
            code: "patient.record_not_found".into(),
            message: "No record".into(),
        },
        reason: OverrideReason::NewAdmissionNotRegistered,
        detail: "Admitted via ED tonight, Mrs Smith's son confirmed".into(),
        by: "Dr A Jones".into(),
        at: Timestamp(1_794_999_000_000),
    });
    let built = build(&p, 0);
    let text = String::from_utf8(built.body().to_vec()).unwrap();
    assert!(
        !text.contains("Admitted via ED"),
        "the override's detail went"
    );
    let v = built.to_value().unwrap();
    let ext = &entry(&v, "Provenance")["resource"]["extension"][0]["extension"];
    assert_eq!(ext[1]["valueCoding"]["code"], "needs-override");
    assert_eq!(
        ext[2],
        json!({"url": "recordCheckReason", "valueCode": "patient.record_not_found"})
    );
    assert_eq!(
        ext[3],
        json!({"url": "override", "extension": [
            {"url": "overrode", "valueCode": "patient.record_not_found"},
            {"url": "reason", "valueCoding": {"system": OVERRIDE_REASON_SYSTEM, "code": "new-admission-not-registered", "display": "New admission not yet registered"}},
            {"url": "by", "valueString": "Dr A Jones"},
            {"url": "at", "valueDateTime": "2026-11-18T10:50:00Z"},
        ]})
    );
}

#[test]
fn identifiers_are_stable_per_photo_and_differ_between_photos() {
    let p = photos(2, 14);
    let a = build(&p, 0);
    let again =
        transaction_bundle(&p.photos[0].0, &p.photos[0].1, &p.consent, Timestamp(1)).unwrap();
    let b = build(&p, 1);
    assert_eq!(a.binary(), again.binary());
    assert_eq!(a.document_identifier(), again.document_identifier());
    assert_ne!(a.binary().id, b.binary().id);
    assert_ne!(a.document_identifier(), b.document_identifier());
    // Same consent entry (its placeholder and condition) in both photos' Bundles.
    let (va, vb) = (a.to_value().unwrap(), b.to_value().unwrap());
    assert_eq!(entry(&va, "Consent"), entry(&vb, "Consent"));
    // Version-8 UUIDs with the RFC 4122 variant, valid FHIR ids.
    let id = uuid::Uuid::parse_str(&a.binary().id).unwrap();
    assert_eq!(id.get_version_num(), 8);
    assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
    assert_eq!(a.binary().id, a.binary().id.to_ascii_lowercase());
    // Only the times differ between two builds of the same photo.
    let strip = |v: &mut Value| {
        for e in v["entry"].as_array_mut().unwrap() {
            let r = &mut e["resource"];
            for key in ["date", "recorded"] {
                r.as_object_mut().unwrap().remove(key);
            }
        }
    };
    let (mut x, mut y) = (va, again.to_value().unwrap());
    strip(&mut x);
    strip(&mut y);
    assert_eq!(x, y);
}

#[test]
fn photos_that_cannot_be_filed_are_refused_with_codes_and_no_patient_data() {
    let p = photos(1, 15);
    let (m, image) = &p.photos[0];
    let refuse = |m: &PhotoManifest, consent: &ConsentRecord| {
        let e = transaction_bundle(m, image, consent, NOW).unwrap_err();
        let text = format!("{e} {e:?}");
        assert!(
            !text.contains(NHS) && !text.to_uppercase().contains("SMITH"),
            "{text}"
        );
        e.code()
    };
    let mut withdrawn = m.clone();
    withdrawn.state = LocalState::Withdrawn;
    assert_eq!(refuse(&withdrawn, &p.consent), "delivery.withdrawn");
    let mut unlabelled = m.clone();
    unlabelled.label = None;
    assert_eq!(refuse(&unlabelled, &p.consent), "delivery.unlabelled");
    let mut nobody = m.clone();
    nobody.patient.band.nhs_number = None;
    nobody.patient.band.local_id = None;
    assert_eq!(refuse(&nobody, &p.consent), "delivery.no_patient_id");
    let mut other = p.consent.clone();
    other.id = crate::consent::ConsentId::from_random_bytes([7; 16]);
    assert_eq!(refuse(m, &other), "delivery.fhir_consent_mismatch");
    let mut changed = p.consent.clone();
    changed.text_version.push('x');
    assert_eq!(refuse(m, &changed), "delivery.fhir_consent_mismatch");
    let mut teaching = m.clone();
    teaching.intended_use = Purpose::Teaching;
    assert_eq!(
        refuse(&teaching, &p.consent),
        "delivery.fhir_use_not_consented"
    );
    let mut damaged = m.clone();
    damaged.info.width += 1;
    let e = transaction_bundle(&damaged, image, &p.consent, NOW).unwrap_err();
    assert_eq!(e.code(), "delivery.image_damaged");
}

#[test]
fn a_hospital_number_names_the_patient_when_there_is_no_nhs_number() {
    let mut p = photos(1, 16);
    let m = &mut p.photos[0].0;
    m.patient.band.nhs_number = None;
    m.patient.band.local_id = Some(crate::visit::LocalIdentifier {
        issuer: "RXX".into(),
        value: "H123456".into(),
    });
    let v = build(&p, 0).to_value().unwrap();
    assert_eq!(
        entry(&v, "DocumentReference")["resource"]["subject"],
        json!({"identifier": {
            "type": {"text": "Local hospital number"},
            "value": "H123456",
            "assigner": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX"}},
        }})
    );
}

#[test]
fn a_bundle_made_elsewhere_reads_its_binary() {
    let p = photos(1, 17);
    let built = build(&p, 0);
    let mut v = built.to_value().unwrap();
    let again = TransactionBundle::from_value(&v).unwrap();
    assert_eq!(again.binary(), built.binary());
    assert_eq!(again.entries().len(), 4);
    assert_eq!(again.to_value().unwrap(), v);
    v["entry"].as_array_mut().unwrap().pop();
    assert_eq!(
        TransactionBundle::from_value(&v).unwrap_err().code(),
        "delivery.fhir_encode_failed"
    );
    let debug = format!("{built:?}");
    assert!(
        !debug.contains(NHS) && debug.contains("body_len"),
        "{debug}"
    );
}

// ---------------------------------------------------------------------------------------------
// Replies

fn medplum_ok() -> String {
    r#"{"resourceType":"Bundle","type":"transaction-response","entry":[
      {"response":{"status":"201","location":"Consent/5b1d","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","details":{"text":"Created"}}]}},"resource":{"resourceType":"Consent","id":"5b1d"}},
      {"response":{"status":"200 OK","location":"DocumentReference/77/_history/1"}},
      {"response":{"status":"201 Created"},"resource":{"resourceType":"Provenance"}},
      {"response":{"status":"200"},"resource":{"resourceType":"Binary","data":"AAAA"}}]}"#
        .to_owned()
}

fn refusal() -> String {
    r#"{"resourceType":"OperationOutcome","issue":[
      {"severity":"error","code":"structure","details":{"text":"Invalid base64Binary format"},"diagnostics":"value 9434765919 SMITH","expression":["Bundle.entry[1].resource.content[0].attachment.hash"]},
      {"severity":"error","code":"invariant","expression":["Patient.name.where(family='SMITH')","Bundle.entry[1].resource"]},
      {"severity":"warning","code":"made-up","location":["/f:DocumentReference"]}]}"#
        .to_owned()
}

#[test]
fn a_transaction_response_gives_each_entrys_status_and_location() {
    let r = parse_transaction_response(medplum_ok().as_bytes()).unwrap();
    let statuses: Vec<u16> = r.entries.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [201, 200, 201, 200]);
    assert_eq!(r.entries[0].location.as_deref(), Some("Consent/5b1d"));
    assert_eq!(
        r.entries[1].location.as_deref(),
        Some("DocumentReference/77/_history/1")
    );
    assert_eq!(r.entries[2].location, None);
    let issue = &r.entries[0].outcome.as_ref().unwrap().issues[0];
    assert_eq!(issue.severity, Severity::Information);
    assert_eq!(issue.code, "informational");
    // With a byte-order mark, and with trailing whitespace.
    let bom = [b"\xEF\xBB\xBF".as_slice(), medplum_ok().as_bytes(), b"\n "].concat();
    assert_eq!(parse_transaction_response(&bom), Ok(r));
}

#[test]
fn an_operation_outcome_keeps_codes_and_plain_paths_only() {
    let o = parse_operation_outcome(refusal().as_bytes()).unwrap();
    assert_eq!(o.issues.len(), 3);
    assert_eq!(o.issues[0].severity, Severity::Error);
    assert_eq!(o.issues[0].code, "structure");
    assert_eq!(
        o.issues[0].expression,
        ["Bundle.entry[1].resource.content[0].attachment.hash"]
    );
    // A path with a value in it is dropped.
    assert_eq!(o.issues[1].expression, ["Bundle.entry[1].resource"]);
    // An unknown code is `unknown`; an XPath location is not a plain path.
    assert_eq!(o.issues[2].code, "unknown");
    assert!(o.issues[2].expression.is_empty());
    let words = outcome_words_for_tests(Some(&o));
    assert_eq!(
        words,
        ": a resource did not pass the record's checks, at Bundle.entry[1].resource.content[0].attachment.hash"
    );
    assert!(!words.contains("9434765919") && !words.contains("SMITH"));
}

#[test]
fn replies_that_cannot_be_read_are_refused_with_their_own_errors() {
    let cases: [(&str, FhirReplyError); 9] = [
        ("", FhirReplyError::NotJson),
        (
            "{\"resourceType\":\"Bundle\",\"entry\":[{",
            FhirReplyError::NotJson,
        ),
        (
            r#"{"resourceType":"Bundle","type":"transaction-response"} {}"#,
            FhirReplyError::NotJson,
        ),
        (
            r#"{"resourceType":"OperationOutcome","issue":[]}"#,
            FhirReplyError::Unexpected,
        ),
        (
            r#"{"resourceType":"Bundle","type":"batch-response","entry":[]}"#,
            FhirReplyError::NotTransactionResponse,
        ),
        (
            r#"{"resourceType":"Bundle","type":"transaction-response","entry":[{"resource":{}}]}"#,
            FhirReplyError::BadStatus,
        ),
        (
            r#"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"2011"}}]}"#,
            FhirReplyError::BadStatus,
        ),
        (
            r#"{"resourceType":"Bundle","type":"transaction-response","type":"transaction-response"}"#,
            FhirReplyError::Unexpected,
        ),
        (
            r#"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":201}}]}"#,
            FhirReplyError::Unexpected,
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            parse_transaction_response(body.as_bytes()),
            Err(want),
            "{body}"
        );
    }
    let many = format!(
        r#"{{"resourceType":"Bundle","type":"transaction-response","entry":[{}]}}"#,
        vec![r#"{"response":{"status":"200"}}"#; MAX_ENTRIES + 1].join(",")
    );
    assert_eq!(
        parse_transaction_response(many.as_bytes()),
        Err(FhirReplyError::TooMany)
    );
    // Deep nesting in a field that is skipped is walked without recursion: no stack to overflow.
    let deep = format!(
        r#"{{"resourceType":"Bundle","type":"transaction-response","x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        parse_transaction_response(deep.as_bytes()),
        Ok(TransactionResponse::default())
    );
    let big = vec![b' '; MAX_REPLY_BYTES + 1];
    assert_eq!(parse_operation_outcome(&big), Err(FhirReplyError::TooLarge));
    for e in [
        FhirReplyError::TooLarge,
        FhirReplyError::NotJson,
        FhirReplyError::Unexpected,
        FhirReplyError::NotTransactionResponse,
        FhirReplyError::BadStatus,
        FhirReplyError::TooMany,
    ] {
        assert!(e.code().starts_with("fhir_reply."));
    }
}

#[test]
fn base64_data_is_digested_in_pieces_and_strictly() {
    let bytes: Vec<u8> = (0..20_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let b64 = BASE64.encode(&bytes);
    let (digest, n) = decoded_digest(&b64).unwrap();
    assert_eq!(n, bytes.len());
    assert_eq!(
        digest.as_slice(),
        ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref()
    );
    for bad in [
        format!("{} ", &b64),
        format!("{}\n{}", &b64[..4096], &b64[4096..]),
        format!("AA=={b64}"),
        "A".into(),
        "AA=A".into(),
    ] {
        assert_eq!(decoded_digest(&bad), None, "{}", &bad[..bad.len().min(12)]);
    }
    assert_eq!(decoded_digest("").map(|(_, n)| n), Some(0));
    let binary = parse_binary(
        format!(r#"{{"resourceType":"Binary","contentType":"image/jpeg","data":"{b64}"}}"#)
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(binary.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(
        binary.data.as_deref().map(String::as_str),
        Some(b64.as_str())
    );
    assert!(!format!("{binary:?}").contains(&b64[..16]));
}

// ---------------------------------------------------------------------------------------------
// The fuzz body: its seeds, random and mutated inputs.

/// The seeds written to `fuzz/corpus/fhir_transaction_response/`.
fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("medplum_ok.json", medplum_ok().into_bytes()),
        ("refusal.json", refusal().into_bytes()),
        (
            "entry_refused.json",
            br#"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created","location":"Consent/1"}},{"response":{"status":"400 Bad Request","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"required","expression":["DocumentReference.status"]}]}}}]}"#.to_vec(),
        ),
        (
            "binary.json",
            br#"{"resourceType":"Binary","id":"5f0c","contentType":"image/jpeg","data":"/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2Q=="}"#.to_vec(),
        ),
    ]
}

#[test]
fn the_fuzz_body_holds_for_the_seeds() {
    for (name, seed) in seeds() {
        fuzzing::transaction_response(&seed);
        let read = parse_transaction_response(&seed).is_ok()
            || parse_operation_outcome(&seed).is_ok()
            || parse_binary(&seed).is_ok();
        assert!(read, "{name} is read by none of the parsers");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_fuzz_body_survives_random_input(b in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::transaction_response(&b);
        // Behind plausible prefixes, random bytes reach the parsers' insides.
        fuzzing::transaction_response(&[br#"{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":"#.as_slice(), &b].concat());
        fuzzing::transaction_response(&[br#"{"resourceType":"OperationOutcome","issue":[{"expression":["#.as_slice(), &b].concat());
    }

    #[test]
    fn the_fuzz_body_survives_mutated_seeds(
        which in 0usize..4,
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate: bool,
    ) {
        let seed = seeds()[which].1.clone();
        fuzzing::transaction_response(&mutate(seed, flips, cut, truncate));
    }
}

/// Writes the fuzz seeds:
/// `cargo test -p wardcam-core --lib delivery::fhir::tests::write_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/fhir_transaction_response"]
fn write_fuzz_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus/fhir_transaction_response");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, seed) in seeds() {
        std::fs::write(dir.join(name), seed).unwrap();
    }
}
