//! Text made safe for DICOM value representations: no backslash (it separates values), no
//! control characters, no person-name delimiters inside a name part, and no more characters than
//! the VR holds (64 for LO and for each PN component group).

use crate::vault::Timestamp;

/// Characters in an LO value, and in one PN component group.
const MAX_CHARS: usize = 64;

/// A Long String value.
pub(crate) fn lo(s: &str) -> String {
    clean(s, &['\\']).chars().take(MAX_CHARS).collect()
}

/// Patient's Name: `Family^Given Names`, each as confirmed (case kept: `McDonald` stays so).
pub(crate) fn person_name(family: Option<&str>, given: &[String]) -> String {
    let family = clean(family.unwrap_or_default(), PN_DELIMITERS);
    let given = clean(&given.join(" "), PN_DELIMITERS);
    let name = if given.is_empty() {
        family
    } else {
        format!("{family}^{given}")
    };
    name.chars().take(MAX_CHARS).collect()
}

/// A name known only as one string (a clinician's, as they set it): the whole of it as the
/// family-name component, since splitting it would guess.
pub(crate) fn single_name(s: &str) -> String {
    clean(s, PN_DELIMITERS).chars().take(MAX_CHARS).collect()
}

/// DICOM DA (`YYYYMMDD`) of a wall-clock time, in UTC.
pub(crate) fn dicom_date(at: Timestamp) -> String {
    let t = utc(at);
    format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
}

/// DICOM TM (`HHMMSS`) of a wall-clock time, in UTC.
pub(crate) fn dicom_time(at: Timestamp) -> String {
    let t = utc(at);
    format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second())
}

const PN_DELIMITERS: &[char] = &['\\', '^', '='];

/// `s` with `banned` and control characters made spaces, runs of spaces made one, trimmed.
fn clean(s: &str, banned: &[char]) -> String {
    s.split(|c: char| c.is_control() || banned.contains(&c) || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Unix milliseconds as UTC; a time the calendar cannot hold falls back to the epoch (a
/// manifest's clock reading is never that far off, and a date must be written).
fn utc(at: Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(at.0) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}
