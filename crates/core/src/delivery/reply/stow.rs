//! The STOW-RS response body: a DICOM JSON data set (PS3.18 §10.5.3, Annex F.2) listing what the
//! server stored, what failed and why, and any warnings.

use serde_json::{Map, Value};

use super::ReplyError;

/// The largest STOW-RS reply read, 32 MiB: thousands of items' worth, far beyond a few photos.
pub const MAX_STOW_REPLY_BYTES: usize = 32 << 20;
/// The most items read from one sequence of a STOW-RS reply.
pub const MAX_ITEMS: usize = 10_000;

/// (0008,1196) Warning Reason.
const WARNING_REASON: u32 = 0x0008_1196;
/// (0008,1197) Failure Reason.
const FAILURE_REASON: u32 = 0x0008_1197;
/// (0008,1198) Failed SOP Sequence.
const FAILED_SOP_SEQUENCE: u32 = 0x0008_1198;
/// (0008,1199) Referenced SOP Sequence.
const REFERENCED_SOP_SEQUENCE: u32 = 0x0008_1199;
/// (0008,119A) Other Failures Sequence.
const OTHER_FAILURES_SEQUENCE: u32 = 0x0008_119A;
/// (0008,1155) Referenced SOP Instance UID.
const REFERENCED_SOP_INSTANCE_UID: u32 = 0x0008_1155;
/// Failure Reason 0110H, Processing failure (PS3.4 Annex C.4.2): used for a failed item whose
/// Failure Reason is missing, so the failure is never lost.
const PROCESSING_FAILURE: u16 = 0x0110;

/// What a STOW-RS response body (`application/dicom+json`, PS3.18 §10.5.3) says about the
/// instances.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StowReply {
    /// SOP Instance UIDs the server says it stored: (0008,1199) Referenced SOP Sequence items'
    /// (0008,1155). An item without one gives an empty string, so the count stays the server's.
    pub stored: Vec<String>,
    /// (SOP Instance UID, Failure Reason (0008,1197)) from (0008,1198) Failed SOP Sequence, then
    /// from (0008,119A) Other Failures Sequence. The UID is empty if absent; a missing Failure
    /// Reason is reported as 0110H (Processing failure).
    pub failed: Vec<(String, u16)>,
    /// Warning Reason (0008,1196) codes, from the top level and from referenced items.
    pub warnings: Vec<u16>,
}

/// Parses a STOW-RS response body.
///
/// Accepts a JSON object (one data set) and a JSON array holding one data set (servers do both; an
/// empty array is read as an empty reply); tags as 8 upper- or lower-case hex digits; values per
/// the DICOM JSON model (PS3.18 F.2): `{"vr":"SQ","Value":[{...}]}`, `{"vr":"UI","Value":["1.2.3"]}`,
/// `{"vr":"US","Value":[272]}` (numbers may also be strings, `"272"`). Attributes other than the
/// ones read are only checked for shape (an object under a tag key). An empty body (or one of JSON
/// whitespace only) is `Ok(StowReply::default())`: the caller decides what an empty 200 means.
///
/// Refused: a body over [`MAX_STOW_REPLY_BYTES`] ([`ReplyError::TooLarge`]), anything that is
/// not JSON or is nested deeper than 128 levels ([`ReplyError::NotJson`]), JSON that is not one
/// DICOM JSON data set, or names a tag twice in different case ([`ReplyError::NotDicomJson`]), a status code that is not 0..=65535
/// ([`ReplyError::BadStatusCode`]), a sequence of more than [`MAX_ITEMS`] items
/// ([`ReplyError::TooManyItems`]).
pub fn parse_stow_reply(body: &[u8]) -> Result<StowReply, ReplyError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return Ok(StowReply::default());
    }
    if body.len() > MAX_STOW_REPLY_BYTES {
        return Err(ReplyError::TooLarge);
    }
    // serde_json refuses nesting deeper than 128 levels rather than overflowing the stack.
    let value: Value = serde_json::from_slice(body).map_err(|_| ReplyError::NotJson)?;
    let dataset = match &value {
        Value::Object(map) => map,
        Value::Array(sets) => match sets.as_slice() {
            [] => return Ok(StowReply::default()),
            [Value::Object(map)] => map,
            _ => return Err(ReplyError::NotDicomJson),
        },
        _ => return Err(ReplyError::NotDicomJson),
    };
    let mut reply = StowReply::default();
    check_distinct(dataset)?;
    for (tag, attribute) in attributes(dataset) {
        let (tag, attribute) = (tag?, attribute?);
        match tag {
            REFERENCED_SOP_SEQUENCE => {
                for item in items(attribute)? {
                    read_referenced(item?, &mut reply)?;
                }
            }
            FAILED_SOP_SEQUENCE | OTHER_FAILURES_SEQUENCE => {
                for item in items(attribute)? {
                    reply.failed.push(read_failed(item?)?);
                }
            }
            WARNING_REASON => push_codes(attribute, &mut reply.warnings)?,
            _ => {}
        }
    }
    Ok(reply)
}

/// One Referenced SOP Sequence item: its SOP Instance UID and any Warning Reason.
fn read_referenced(item: &Map<String, Value>, reply: &mut StowReply) -> Result<(), ReplyError> {
    check_distinct(item)?;
    let mut uid = String::new();
    for (tag, attribute) in attributes(item) {
        match (tag?, attribute?) {
            (REFERENCED_SOP_INSTANCE_UID, a) => uid = first_uid(a)?,
            (WARNING_REASON, a) => push_codes(a, &mut reply.warnings)?,
            _ => {}
        }
    }
    reply.stored.push(uid);
    Ok(())
}

/// One Failed SOP Sequence (or Other Failures Sequence) item: its SOP Instance UID and Failure
/// Reason.
fn read_failed(item: &Map<String, Value>) -> Result<(String, u16), ReplyError> {
    check_distinct(item)?;
    let mut uid = String::new();
    let mut reason = None;
    for (tag, attribute) in attributes(item) {
        match (tag?, attribute?) {
            (REFERENCED_SOP_INSTANCE_UID, a) => uid = first_uid(a)?,
            (FAILURE_REASON, a) => {
                let mut codes = Vec::new();
                push_codes(a, &mut codes)?;
                reason = codes.first().copied();
            }
            _ => {}
        }
    }
    Ok((uid, reason.unwrap_or(PROCESSING_FAILURE)))
}

/// One attribute of a data set: its tag, and its value as a JSON object.
type Attribute<'a> = (
    Result<u32, ReplyError>,
    Result<&'a Map<String, Value>, ReplyError>,
);

/// A data set's attributes: each key read as a tag, each value required to be a JSON object.
fn attributes(dataset: &Map<String, Value>) -> impl Iterator<Item = Attribute<'_>> {
    dataset
        .iter()
        .map(|(key, value)| (tag(key), value.as_object().ok_or(ReplyError::NotDicomJson)))
}

/// Refuses a data set naming one tag twice (`"0008119A"` and `"0008119a"`): JSON keeps both, but a
/// data set holds each attribute once.
fn check_distinct(dataset: &Map<String, Value>) -> Result<(), ReplyError> {
    let mut tags = dataset
        .keys()
        .map(|k| tag(k))
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort_unstable();
    if tags.windows(2).any(|w| w[0] == w[1]) {
        return Err(ReplyError::NotDicomJson);
    }
    Ok(())
}

/// A DICOM JSON tag key: exactly 8 hex digits, either case.
fn tag(key: &str) -> Result<u32, ReplyError> {
    if key.len() != 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ReplyError::NotDicomJson);
    }
    u32::from_str_radix(key, 16).map_err(|_| ReplyError::NotDicomJson)
}

/// An attribute's values: its `Value` array, or none when it has no `Value`.
fn values(attribute: &Map<String, Value>) -> Result<&[Value], ReplyError> {
    match attribute.get("Value") {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(values)) => Ok(values),
        Some(_) => Err(ReplyError::NotDicomJson),
    }
}

/// A sequence's items (at most [`MAX_ITEMS`]), each required to be a JSON object.
fn items(
    attribute: &Map<String, Value>,
) -> Result<impl Iterator<Item = Result<&Map<String, Value>, ReplyError>>, ReplyError> {
    let values = values(attribute)?;
    if values.len() > MAX_ITEMS {
        return Err(ReplyError::TooManyItems);
    }
    Ok(values
        .iter()
        .map(|item| item.as_object().ok_or(ReplyError::NotDicomJson)))
}

/// The first value of a UI attribute, without trailing padding; empty when it has none.
fn first_uid(attribute: &Map<String, Value>) -> Result<String, ReplyError> {
    match values(attribute)?.first() {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(uid)) => Ok(uid.trim_end_matches(['\0', ' ']).to_owned()),
        Some(_) => Err(ReplyError::NotDicomJson),
    }
}

/// Appends a US attribute's values (numbers, or decimal strings) to `out`; null values are skipped.
fn push_codes(attribute: &Map<String, Value>, out: &mut Vec<u16>) -> Result<(), ReplyError> {
    for value in values(attribute)? {
        let code = match value {
            Value::Null => continue,
            Value::Number(n) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && (0.0..=65535.0).contains(f))
                        .map(|f| f as u64)
                })
                .and_then(|n| u16::try_from(n).ok()),
            Value::String(s) => s.trim().parse::<u16>().ok(),
            _ => None,
        };
        out.push(code.ok_or(ReplyError::BadStatusCode)?);
    }
    Ok(())
}
