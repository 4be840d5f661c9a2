//! Delivery to the trust's FHIR R4 record (the EPR): one photo as a transaction Bundle, the client
//! that posts it and reads its Binary back, and the parsers of what the server answers.
//!
//! [`transaction_bundle`] turns a photo's sealed manifest, its image and the consent record it was
//! taken under into one `transaction` Bundle of four entries, each safe to send again:
//!
//! | entry | request | what makes a retry harmless |
//! | --- | --- | --- |
//! | `Consent` ([`crate::consent::fhir`]) | `POST Consent`, `ifNoneExist=identifier=urn:ietf:rfc:3986\|urn:uuid:<consent id>` | conditional create on the consent's own id |
//! | `DocumentReference` | `POST DocumentReference`, `ifNoneExist=identifier=urn:ietf:rfc:3986\|`[`document_identifier`] | conditional create on an identifier derived from the photo id |
//! | `Provenance` | `POST Provenance`, `ifNoneExist=target=<the DocumentReference's urn:uuid placeholder>` | conditional create on its target (R4 Provenance has no identifier); the server resolves the placeholder to the DocumentReference, new or matched |
//! | `Binary` | `PUT Binary/`[`binary_id`] | update-as-create with an id derived from the photo id: the same bytes under the same id |
//!
//! - The `DocumentReference` (`current`, `final`) names the patient by NHS number (a logical
//!   reference by identifier), is typed as a clinical photograph (SNOMED CT 169283005 and LOINC
//!   72170-4, category SNOMED CT 363679005), carries the body site and side in a contained
//!   `BodyStructure` through R4's `bodySite` extension, points at the `Binary` with
//!   `content.attachment` (`image/jpeg`, size, `hash` = base64 SHA-1 as R4 defines it, creation =
//!   capture time), and at the `Consent` with `context.related`.
//! - The `Provenance` targets the DocumentReference: when the photo was taken and filed, the
//!   clinician (author) and WardCam with its version (assembler), the consent as its policy, and
//!   how the patient was identified, what the record check said and any override of it, in
//!   WardCam's `patient-identification` extension.
//! - The photo is the same upright JPEG the PACS gets: its own bytes when it can go as it is.
//!
//! [`FhirRecord::post_bundle`] posts it and sorts the answer into the outbox's [`Outcome`];
//! [`FhirRecord::read_back`] fetches the Binary and compares its SHA-256 with what was sent.
//! Nothing here logs; no error or [`crate::visit::Problem`] repeats anything about the patient or
//! any text from the server.
//!
//! Not done here (issue 14's later steps): the outbox states per destination, shredding only once
//! every configured destination has read a photo back, a withdrawal after delivery making the
//! server's `Consent` inactive, and the consent as an Encapsulated PDF for PACS-only trusts. See
//! `docs/delivery-fhir.md`.
//!
//! [`Outcome`]: crate::delivery::Outcome

mod audit_event;
mod bundle;
mod client;
mod error;
mod ids;
pub mod reply;
#[cfg(test)]
pub(crate) mod server_tests;
#[cfg(test)]
mod tests;
mod withdraw;

pub use audit_event::{
    audit_bundle, audit_event, audit_event_id, entries_in_bundle, AuditBundle, AuditContext,
    AUDIT_ENTRY_TYPE, AUDIT_SUBTYPE_SYSTEM, MAX_AUDIT_ENTRIES,
};
pub(crate) use bundle::patient_reference;
pub use bundle::{
    identification_method, override_reason, record_check, transaction_bundle, EntryKind,
    SentBinary, TransactionBundle, BODY_SITE_EXTENSION, CONTENT_TYPE, DEVICE_NAME,
    IDENTIFICATION_EXTENSION, IDENTIFICATION_METHOD_SYSTEM, LOINC, OVERRIDE_REASON_SYSTEM,
    RECORD_CHECK_SYSTEM, SNOMED,
};
pub use client::{FhirRecord, Filed, FiledEntry, FHIR_JSON};
pub use error::{FhirError, FhirReplyError};
pub use ids::{binary_id, document_identifier, URN_SYSTEM};
pub use reply::{
    parse_binary, parse_operation_outcome, parse_transaction_response, EntryResponse, Issue,
    OperationOutcome, Severity, TransactionResponse, MAX_ENTRIES, MAX_ISSUES, MAX_PATHS,
    MAX_PATH_CHARS, MAX_REPLY_BYTES,
};

/// The fuzz target's body (`fuzz/fuzz_targets/fhir_transaction_response.rs`), here so that unit
/// tests run it over random and mutated inputs too. It panics only when an invariant breaks.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use serde_json::{json, Value};

    use super::reply::{self, plain_path};
    use super::{
        parse_binary, parse_operation_outcome, parse_transaction_response, OperationOutcome,
        Severity, TransactionResponse, MAX_ENTRIES, MAX_ISSUES, MAX_PATHS, MAX_PATH_CHARS,
    };

    /// Reads `data` as a transaction-response Bundle, as an OperationOutcome and as a Binary.
    /// Never panics; anything accepted is bounded (entries, issues, paths), every status is an
    /// HTTP status, every kept path and location is plain (no value can hide in it), every issue
    /// code is from FHIR's fixed list, parsing is deterministic, and what was read, written back
    /// as plain FHIR JSON, reads back the same.
    pub fn transaction_response(data: &[u8]) {
        if let Ok(response) = parse_transaction_response(data) {
            assert!(response.entries.len() <= MAX_ENTRIES, "too many entries");
            for e in &response.entries {
                assert!((100..=599).contains(&e.status), "not an HTTP status");
                if let Some(l) = &e.location {
                    assert!(
                        l.len() <= MAX_PATH_CHARS && l.bytes().all(|b| b.is_ascii_graphic()),
                        "a location that is not plain"
                    );
                }
                if let Some(o) = &e.outcome {
                    outcome_rules(o);
                }
            }
            assert!(
                parse_transaction_response(data) == Ok(response.clone()),
                "parsing is not deterministic"
            );
            let canonical = canonical_transaction_response(&response).to_string();
            assert!(
                parse_transaction_response(canonical.as_bytes()) == Ok(response),
                "a reply written back reads differently"
            );
        }
        if let Ok(outcome) = parse_operation_outcome(data) {
            outcome_rules(&outcome);
            let canonical = canonical_outcome(&outcome).to_string();
            assert!(
                parse_operation_outcome(canonical.as_bytes()) == Ok(outcome),
                "an outcome written back reads differently"
            );
        }
        if let Ok(binary) = parse_binary(data) {
            if let Some(d) = binary.data.as_deref() {
                if let Some((_, n)) = reply::decoded_digest(d) {
                    assert!(n <= d.len(), "decoded longer than its base64");
                }
            }
        }
    }

    fn outcome_rules(o: &OperationOutcome) {
        assert!(o.issues.len() <= MAX_ISSUES, "too many issues");
        for i in &o.issues {
            assert!(i.expression.len() <= MAX_PATHS, "too many paths");
            assert!(
                i.expression.iter().all(|p| plain_path(p)),
                "a path that is not plain"
            );
            assert!(
                i.code == "unknown" || !i.code.contains(char::is_whitespace),
                "an issue code that is not a code"
            );
        }
    }

    /// `response` as a plain transaction-response Bundle.
    pub fn canonical_transaction_response(response: &TransactionResponse) -> Value {
        let entries: Vec<Value> = response
            .entries
            .iter()
            .map(|e| {
                let mut r = json!({ "status": e.status.to_string() });
                if let Some(l) = &e.location {
                    r["location"] = Value::from(l.as_str());
                }
                if let Some(o) = &e.outcome {
                    r["outcome"] = canonical_outcome(o);
                }
                json!({ "response": r })
            })
            .collect();
        json!({ "resourceType": "Bundle", "type": "transaction-response", "entry": entries })
    }

    /// `outcome` as a plain OperationOutcome.
    pub fn canonical_outcome(outcome: &OperationOutcome) -> Value {
        let issues: Vec<Value> = outcome
            .issues
            .iter()
            .map(|i| {
                let mut v = json!({ "code": i.code, "expression": i.expression });
                let severity = match i.severity {
                    Severity::Fatal => Some("fatal"),
                    Severity::Error => Some("error"),
                    Severity::Warning => Some("warning"),
                    Severity::Information => Some("information"),
                    Severity::Unknown => None,
                };
                if let Some(s) = severity {
                    v["severity"] = Value::from(s);
                }
                v
            })
            .collect();
        json!({ "resourceType": "OperationOutcome", "issue": issues })
    }
}
