//! Reading what the FHIR server sends back: the `transaction-response` Bundle, the
//! `OperationOutcome` of a refusal, and the `Binary` read back before shredding.
//!
//! Everything here is pure and every input is untrusted: nothing panics, the body, the entries and
//! the issues are bounded (a list too long is refused while it is read, before it is kept), what is
//! read has the fixed depth of the types below, and everything else, the resources a
//! transaction-response carries (a photo's Binary among them) included, is skipped by the JSON
//! reader without recursion and never copied. What is
//! kept is only what the outbox decides on: each entry's status and location, and each issue's
//! severity, type code (one of FHIR's fixed list) and element paths, with anything that is not a
//! plain path dropped. An issue's `diagnostics` and `details` are never read: servers quote the
//! resource in them, and the resource holds patient data.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::FhirReplyError;

/// The largest reply read (a transaction-response holds the resources sent, photos included).
pub const MAX_REPLY_BYTES: usize = 160 << 20;
/// The most entries read from a transaction-response (WardCam sends 4 per photo).
pub const MAX_ENTRIES: usize = 1_000;
/// The most issues read from an OperationOutcome.
pub const MAX_ISSUES: usize = 100;
/// The most element paths kept per issue.
pub const MAX_PATHS: usize = 3;
/// The longest element path kept, and the longest location.
pub const MAX_PATH_CHARS: usize = 160;

/// What a `transaction-response` Bundle says about each entry, in the order sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransactionResponse {
    /// One per entry.
    pub entries: Vec<EntryResponse>,
}

/// One entry's `response`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryResponse {
    /// The HTTP status code at the start of `response.status` (`201 Created` gives 201).
    pub status: u16,
    /// `response.location` (`DocumentReference/123/_history/1`), when it is a short printable
    /// ASCII string; anything else is dropped.
    pub location: Option<String>,
    /// `response.outcome`, when it is an OperationOutcome.
    pub outcome: Option<OperationOutcome>,
}

/// The parts of an OperationOutcome WardCam may show: never its text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperationOutcome {
    /// Its issues, in order.
    pub issues: Vec<Issue>,
}

impl OperationOutcome {
    /// The first issue of severity error or fatal (a refusal's reason), else the first issue.
    pub fn main_issue(&self) -> Option<&Issue> {
        self.issues
            .iter()
            .find(|i| matches!(i.severity, Severity::Error | Severity::Fatal))
            .or_else(|| self.issues.first())
    }
}

/// One `OperationOutcome.issue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Its severity.
    pub severity: Severity,
    /// Its type code from FHIR's IssueType list (`invalid`, `required`, `conflict`...), or
    /// `unknown` for anything else.
    pub code: &'static str,
    /// `expression` (or, failing that, the deprecated `location`) paths made only of element
    /// names, indexes and dots (`Bundle.entry[2].resource.content[0].attachment.hash`): at most
    /// [`MAX_PATHS`], each at most [`MAX_PATH_CHARS`]; anything else (a path with a value in it)
    /// is dropped.
    pub expression: Vec<String>,
}

/// `OperationOutcome.issue.severity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `fatal`.
    Fatal,
    /// `error`.
    Error,
    /// `warning`.
    Warning,
    /// `information`.
    Information,
    /// Missing or not one of the four.
    Unknown,
}

/// FHIR R4 IssueType codes (http://hl7.org/fhir/issue-type).
const ISSUE_TYPES: [&str; 31] = [
    "invalid",
    "structure",
    "required",
    "value",
    "invariant",
    "security",
    "login",
    "unknown",
    "expired",
    "forbidden",
    "suppressed",
    "processing",
    "not-supported",
    "duplicate",
    "multiple-matches",
    "not-found",
    "deleted",
    "too-long",
    "code-invalid",
    "extension",
    "too-costly",
    "business-rule",
    "conflict",
    "transient",
    "lock-error",
    "no-store",
    "exception",
    "timeout",
    "incomplete",
    "throttled",
    "informational",
];

/// Reads a `transaction-response` Bundle. Refused: a body over [`MAX_REPLY_BYTES`]
/// ([`FhirReplyError::TooLarge`]), anything not JSON ([`FhirReplyError::NotJson`]), JSON that is
/// not a Bundle or has a field of the wrong type or twice ([`FhirReplyError::Unexpected`]), a
/// Bundle of another type ([`FhirReplyError::NotTransactionResponse`]), an entry without a
/// readable `response.status` ([`FhirReplyError::BadStatus`]), more than [`MAX_ENTRIES`] entries
/// or [`MAX_ISSUES`] issues in an outcome ([`FhirReplyError::TooMany`]).
pub fn parse_transaction_response(body: &[u8]) -> Result<TransactionResponse, FhirReplyError> {
    let raw: RawBundle = read(body)?;
    if raw.resource_type != "Bundle" {
        return Err(FhirReplyError::Unexpected);
    }
    if raw.kind.as_deref() != Some("transaction-response") {
        return Err(FhirReplyError::NotTransactionResponse);
    }
    let entries = raw
        .entry
        .0
        .into_iter()
        .map(|e| {
            let response = e.response.ok_or(FhirReplyError::BadStatus)?;
            let status = http_status(&response.status).ok_or(FhirReplyError::BadStatus)?;
            let location = response.location.filter(|l| plain_location(l));
            let outcome = match response.outcome {
                Some(o) if o.resource_type == "OperationOutcome" => Some(outcome_of(o)),
                _ => None,
            };
            Ok(EntryResponse {
                status,
                location,
                outcome,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TransactionResponse { entries })
}

/// Reads an OperationOutcome (the body of a refusal). Refused as [`parse_transaction_response`]
/// refuses; JSON that is not an OperationOutcome is [`FhirReplyError::Unexpected`].
pub fn parse_operation_outcome(body: &[u8]) -> Result<OperationOutcome, FhirReplyError> {
    let raw: RawOutcome = read(body)?;
    if raw.resource_type != "OperationOutcome" {
        return Err(FhirReplyError::Unexpected);
    }
    Ok(outcome_of(raw))
}

/// A `Binary` read back as FHIR JSON: its content type and its data, still base64.
pub struct BinaryReply {
    /// `contentType`.
    pub content_type: Option<String>,
    /// `data`, base64 as sent (wiped on drop: it is the photo).
    pub data: Option<Zeroizing<String>>,
}

impl fmt::Debug for BinaryReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BinaryReply")
            .field("content_type", &self.content_type)
            .field("data_len", &self.data.as_ref().map(|d| d.len()))
            .finish()
    }
}

/// Reads a `Binary` resource. Refused as [`parse_transaction_response`] refuses; JSON that is not
/// a Binary is [`FhirReplyError::Unexpected`].
pub fn parse_binary(body: &[u8]) -> Result<BinaryReply, FhirReplyError> {
    #[derive(Deserialize)]
    struct RawBinary {
        #[serde(rename = "resourceType")]
        resource_type: String,
        #[serde(rename = "contentType", default)]
        content_type: Option<String>,
        #[serde(default)]
        data: Option<Zeroizing<String>>,
    }
    let raw: RawBinary = read(body)?;
    if raw.resource_type != "Binary" {
        return Err(FhirReplyError::Unexpected);
    }
    Ok(BinaryReply {
        content_type: raw.content_type,
        data: raw.data,
    })
}

/// The SHA-256 digest and length of base64 `data` decoded, reading it in pieces (no copy of the
/// photo is made); `None` if it is not strict standard base64 (no whitespace, padding only at the
/// end).
pub fn decoded_digest(data: &str) -> Option<([u8; 32], usize)> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    const CHUNK: usize = 4 * 1024;
    let bytes = data.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = Zeroizing::new([0u8; CHUNK / 4 * 3]);
    let mut len = 0usize;
    let mut chunks = bytes.chunks(CHUNK).peekable();
    while let Some(chunk) = chunks.next() {
        // Padding is allowed in the last quantum only.
        if chunks.peek().is_some() && chunk.contains(&b'=') {
            return None;
        }
        let n = STANDARD.decode_slice(chunk, &mut buf[..]).ok()?;
        ctx.update(&buf[..n]);
        len += n;
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    Some((out, len))
}

/// The body as JSON of type `T`, after the size check and without a UTF-8 byte-order mark.
fn read<'de, T: Deserialize<'de>>(body: &'de [u8]) -> Result<T, FhirReplyError> {
    if body.len() > MAX_REPLY_BYTES {
        return Err(FhirReplyError::TooLarge);
    }
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = T::deserialize(&mut de).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            if e.to_string().starts_with(TOO_MANY) {
                FhirReplyError::TooMany
            } else {
                FhirReplyError::Unexpected
            }
        }
        _ => FhirReplyError::NotJson,
    })?;
    de.end().map_err(|_| FhirReplyError::NotJson)?;
    Ok(value)
}

/// The leading three-digit HTTP status of `response.status` (`"201"`, `"201 Created"`).
fn http_status(text: &str) -> Option<u16> {
    let text = text.trim_start();
    let digits = text.get(..3)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if text[3..].chars().next().is_some_and(|c| !c.is_whitespace()) {
        return None;
    }
    digits.parse().ok().filter(|s| (100..=599).contains(s))
}

/// A location worth keeping: short, printable ASCII, no spaces.
fn plain_location(l: &str) -> bool {
    !l.is_empty() && l.len() <= MAX_PATH_CHARS && l.bytes().all(|b| b.is_ascii_graphic())
}

/// An element path worth keeping: letters, digits, `_`, `.`, `[` and `]` only, starting with a
/// letter: element names and indexes, never a value.
pub(crate) fn plain_path(p: &str) -> bool {
    p.len() <= MAX_PATH_CHARS
        && p.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']'))
}

fn outcome_of(raw: RawOutcome) -> OperationOutcome {
    let issues = raw
        .issue
        .0
        .into_iter()
        .map(|i| {
            let severity = match i.severity.as_deref() {
                Some("fatal") => Severity::Fatal,
                Some("error") => Severity::Error,
                Some("warning") => Severity::Warning,
                Some("information") => Severity::Information,
                _ => Severity::Unknown,
            };
            let code = i
                .code
                .as_deref()
                .and_then(|c| ISSUE_TYPES.iter().find(|t| **t == c))
                .copied()
                .unwrap_or("unknown");
            let paths = if i.expression.0.is_empty() {
                i.location.0
            } else {
                i.expression.0
            };
            let expression = paths
                .into_iter()
                .flatten()
                .filter(|p| plain_path(p))
                .take(MAX_PATHS)
                .collect();
            Issue {
                severity,
                code,
                expression,
            }
        })
        .collect();
    OperationOutcome { issues }
}

#[derive(Deserialize)]
struct RawBundle {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    entry: Bounded<RawEntry, MAX_ENTRIES>,
}

#[derive(Deserialize)]
struct RawEntry {
    // `resource` and everything else are skipped by serde without being kept.
    #[serde(default)]
    response: Option<RawResponse>,
}

#[derive(Deserialize)]
struct RawResponse {
    status: String,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    outcome: Option<RawOutcome>,
}

#[derive(Deserialize)]
struct RawOutcome {
    #[serde(rename = "resourceType")]
    resource_type: String,
    #[serde(default)]
    issue: Bounded<RawIssue, MAX_ISSUES>,
}

#[derive(Deserialize)]
struct RawIssue {
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    expression: Bounded<Option<String>, MAX_ISSUES>,
    #[serde(default)]
    location: Bounded<Option<String>, MAX_ISSUES>,
}

/// The start of the error a [`Bounded`] list raises when it is too long.
const TOO_MANY: &str = "wardcam: too many items";

/// A JSON array of at most `N` items; a longer one is an error (read before the items are kept).
struct Bounded<T, const N: usize>(Vec<T>);

impl<T, const N: usize> Default for Bounded<T, N> {
    fn default() -> Self {
        Bounded(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Items<T, const N: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Items<T, N> {
            type Value = Bounded<T, N>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of at most {N} items")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    if items.len() == N {
                        return Err(de::Error::custom(TOO_MANY));
                    }
                    items.push(item);
                }
                Ok(Bounded(items))
            }
        }
        d.deserialize_seq(Items::<T, N>(PhantomData))
    }
}
