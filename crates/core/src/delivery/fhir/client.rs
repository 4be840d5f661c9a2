//! The trust's FHIR record, spoken to over the pinned [`Endpoint`]: a photo's transaction Bundle
//! posted to the base address, and its `Binary` read back. Every answer is sorted into what the
//! outbox does next ([`Outcome`]), with the same conventions as the PACS client
//! ([`crate::delivery::Pacs`]):
//!
//! - **200** with a `transaction-response`: every entry `200` or `201` is filed; an entry with a
//!   4xx holds the photo (a server that ran the Bundle entry by entry refused part of it); an
//!   entry with 429 or 5xx waits for this photo; a reply that cannot be read, or with another
//!   number of entries than sent, waits (server-wide) and nothing is deleted.
//! - **401, 403, 404, 405**: this device's credential or address, the same for every photo: wait,
//!   server-wide, with the words for IT.
//! - **Any other 4xx** but 408 (400, 409, 412, 413, 422...): the record refused the Bundle. The photo is
//!   held with words made from the OperationOutcome's issue type and element paths, never from its
//!   text (a server quotes the resource, which holds patient data).
//! - **408, 429, 5xx**, a stall, a reset, an untrusted server, a redirect: wait, server-wide,
//!   honouring `Retry-After`.

use super::audit_event::AuditBundle;
use super::bundle::{EntryKind, SentBinary, TransactionBundle, CONTENT_TYPE};
use super::reply::{
    decoded_digest, parse_binary, parse_operation_outcome, parse_transaction_response,
    OperationOutcome, MAX_REPLY_BYTES,
};
use super::FhirReplyError;
use crate::delivery::outcome::{self, endpoint_retry, problem, Destination, Fhir, Outcome};
use crate::endpoint::EndpointError;

/// FHIR's JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";
/// Room for the JSON around a Binary's data read back, and for a small reply.
const SLACK: usize = 1 << 20;

/// What the record filed: each entry's answer, in the order sent, and the Binary to read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// One per entry sent.
    pub entries: Vec<FiledEntry>,
    /// The Binary sent.
    pub binary: SentBinary,
}

/// One entry's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledEntry {
    /// What the entry held.
    pub kind: EntryKind,
    /// `201` created, `200` matched an existing one (conditional create) or updated (the Binary).
    pub status: u16,
    /// Where the server keeps it (`DocumentReference/123/_history/1`), when it said.
    pub location: Option<String>,
}

/// A FHIR R4 server (the record) reached through the pinned endpoint client.
pub type FhirRecord = Destination<Fhir>;

fn unreadable<T>(code: &str, detail: impl std::fmt::Display) -> Outcome<T> {
    outcome::unreadable("hospital record", code, detail)
}

fn reply_problem<T>(e: FhirReplyError) -> Outcome<T> {
    unreadable(e.code(), e)
}

/// Words for an OperationOutcome issue type (http://hl7.org/fhir/issue-type), never the server's.
fn issue_words(code: &str) -> &'static str {
    match code {
        "invalid" | "structure" | "required" | "value" | "invariant" | "code-invalid"
        | "extension" => "a resource did not pass the record's checks",
        "security" | "login" | "unknown" | "expired" | "forbidden" | "suppressed" => {
            "the record did not allow WardCam to file it"
        }
        "duplicate" | "multiple-matches" | "conflict" => {
            "the record already holds something it conflicts with"
        }
        "too-long" | "too-costly" => "it is too large for the record",
        "not-supported" => "the record does not support what WardCam sent",
        "not-found" | "deleted" => "something it refers to is not in the record",
        "business-rule" => "it breaks one of the record's rules",
        _ => "the record refused it",
    }
}

/// "…: <words>; at <paths>" for a refusal's OperationOutcome, or nothing without one.
fn outcome_words(outcome: Option<&OperationOutcome>) -> String {
    let Some(issue) = outcome.and_then(OperationOutcome::main_issue) else {
        return String::new();
    };
    let mut words = format!(": {}", issue_words(issue.code));
    if !issue.expression.is_empty() {
        words.push_str(&format!(", at {}", issue.expression.join(", ")));
    }
    words
}

/// The photo held: the record refused it, and will again until a person acts.
fn refused<T>(status: u16, what: &str, outcome: Option<&OperationOutcome>) -> Outcome<T> {
    Outcome::Hold(problem(
        "delivery.fhir_refused",
        format_args!(
            "The hospital record refused this photo's {what} (HTTP {status}{}). It was kept on the phone: tell IT, then send it again.",
            outcome_words(outcome)
        ),
    ))
}

/// The audit entries held on the phone: the record refused them and will again until IT acts.
fn audit_refused<T>(status: u16, outcome: Option<&OperationOutcome>) -> Outcome<T> {
    Outcome::Hold(problem(
        "delivery.fhir_audit_refused",
        format_args!(
            "The hospital record refused this phone's audit log (HTTP {status}{}). Nothing was lost: the log stays on the phone and photos still go. Tell IT.",
            outcome_words(outcome)
        ),
    ))
}

impl Destination<Fhir> {
    /// Posts a transaction Bundle of `sent` entries (`POST {base}`, `application/fhir+json`) and
    /// reads its transaction-response, which must answer each entry; what to do otherwise is the
    /// `Err`: a refusal of the whole Bundle (4xx) is `refused`'s to word, the rest waits.
    async fn transaction<T>(
        &self,
        body: zeroize::Zeroizing<Vec<u8>>,
        sent: usize,
        refused: impl FnOnce(u16, Option<&OperationOutcome>) -> Outcome<T>,
    ) -> Result<super::TransactionResponse, Outcome<T>> {
        // The reply carries the resources back (a photo's included).
        let max_reply = body
            .len()
            .saturating_mul(2)
            .saturating_add(SLACK)
            .min(MAX_REPLY_BYTES);
        let answer = self.post("", FHIR_JSON, FHIR_JSON, body, max_reply).await?;
        match answer.status {
            200..=299 => {}
            status @ 400..=499 => {
                let outcome = parse_operation_outcome(&answer.body).ok();
                return Err(refused(status, outcome.as_ref()));
            }
            status => return Err(endpoint_retry(EndpointError::from_status(status), None)),
        }
        let response = parse_transaction_response(&answer.body).map_err(reply_problem)?;
        if response.entries.len() != sent {
            return Err(unreadable(
                "delivery.fhir_reply_mismatch",
                format_args!(
                    "it answered {} entries where {sent} were sent",
                    response.entries.len()
                ),
            ));
        }
        Ok(response)
    }

    /// Posts a Bundle of the phone's AuditEvents ([`super::audit_bundle`]). `Done` means the
    /// record holds every one (each `PUT` answered `200` or `201`).
    pub async fn post_audit(&self, bundle: AuditBundle) -> Outcome<()> {
        let AuditBundle { body, count, .. } = bundle;
        let response = match self.transaction(body, count, audit_refused).await {
            Ok(response) => response,
            Err(wait) => return wait,
        };
        for entry in &response.entries {
            match entry.status {
                200 | 201 => {}
                429 | 500..=599 => {
                    return Outcome::Retry {
                        problem: problem(
                            "delivery.fhir_busy",
                            format_args!("The hospital record could not file this phone's audit log now (HTTP {}). WardCam will try again.", entry.status),
                        ),
                        after: None,
                        server_wide: false,
                    }
                }
                400..=499 => return audit_refused(entry.status, entry.outcome.as_ref()),
                other => {
                    return unreadable(
                        "delivery.fhir_reply_status",
                        format_args!("HTTP {other} for an audit event"),
                    )
                }
            }
        }
        Outcome::Done(())
    }

    /// Posts one transaction Bundle (`POST {base}`, `application/fhir+json`). `Done` means every
    /// entry was filed (created, or matched by its condition); the read-back still has to prove
    /// the Binary.
    pub async fn post_bundle(&self, bundle: TransactionBundle) -> Outcome<Filed> {
        let TransactionBundle {
            body,
            entries,
            binary,
            ..
        } = bundle;
        let refused_entry =
            |status, outcome: Option<&OperationOutcome>| refused(status, "record entry", outcome);
        let response = match self.transaction(body, entries.len(), refused_entry).await {
            Ok(response) => response,
            Err(wait) => return wait,
        };
        let mut filed = Vec::with_capacity(entries.len());
        for (kind, entry) in entries.iter().zip(&response.entries) {
            match entry.status {
                200 | 201 => filed.push(FiledEntry {
                    kind: *kind,
                    status: entry.status,
                    location: entry.location.clone(),
                }),
                429 | 500..=599 => {
                    return Outcome::Retry {
                        problem: problem(
                            "delivery.fhir_busy",
                            format_args!("The hospital record could not file this photo's {} now (HTTP {}). WardCam will try again.", kind.name(), entry.status),
                        ),
                        after: None,
                        server_wide: false,
                    }
                }
                400..=499 => return refused(entry.status, kind.name(), entry.outcome.as_ref()),
                other => {
                    return unreadable(
                        "delivery.fhir_reply_status",
                        format_args!("HTTP {other} for the {}", kind.name()),
                    )
                }
            }
        }
        Outcome::Done(Filed {
            entries: filed,
            binary,
        })
    }

    /// Reads the Binary back (`GET {base}/Binary/<id>`) and says whether its bytes are exactly
    /// the ones sent (same length and SHA-256). A FHIR JSON Binary is decoded from its base64
    /// `data`; a server that answers with the raw bytes instead is compared as it is.
    pub async fn read_back(&self, sent: &SentBinary) -> Outcome<bool> {
        if !fhir_id(&sent.id) {
            return Outcome::Done(false);
        }
        let len = usize::try_from(sent.len).unwrap_or(usize::MAX);
        let max_reply = base64::encoded_len(len, true)
            .unwrap_or(usize::MAX)
            .saturating_add(SLACK)
            .min(MAX_REPLY_BYTES);
        // Larger than the photo sent, base64-encoded, can only be another photo.
        let path = format!("Binary/{}", sent.id);
        let answer = match self
            .fetch_copy(&path, FHIR_JSON, max_reply, &[404, 410])
            .await
        {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        };
        let media = answer
            .content_type
            .as_deref()
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase());
        match media.as_deref() {
            Some(FHIR_JSON) | Some("application/json") => {}
            // The raw bytes (a server that ignores Accept for Binary).
            Some(_) => {
                let digest = ring::digest::digest(&ring::digest::SHA256, &answer.body);
                return Outcome::Done(
                    answer.body.len() == len && digest.as_ref() == sent.sha256.as_slice(),
                );
            }
            None => return unreadable("delivery.fhir_reply_untyped", "no content type"),
        }
        let binary = match parse_binary(&answer.body) {
            Ok(b) => b,
            Err(e) => return reply_problem(e),
        };
        if binary
            .content_type
            .as_deref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(CONTENT_TYPE))
        {
            return Outcome::Done(false);
        }
        let matched = binary
            .data
            .as_deref()
            .and_then(|d| decoded_digest(d))
            .is_some_and(|(digest, n)| n == len && digest == sent.sha256);
        Outcome::Done(matched)
    }
}

/// A FHIR logical id (`[A-Za-z0-9\-\.]{1,64}`): safe as a path segment.
pub(super) fn fhir_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && id != "."
        && id != ".."
}

#[cfg(test)]
pub(super) fn outcome_words_for_tests(outcome: Option<&OperationOutcome>) -> String {
    outcome_words(outcome)
}
