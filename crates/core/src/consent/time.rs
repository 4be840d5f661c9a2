//! Wall-clock times in the forms FHIR and DICOM write them (UTC).

use crate::vault::Timestamp;

/// A UTC date and time, to the second.
pub(crate) struct Utc(time::OffsetDateTime);

/// `at` as UTC; times the calendar cannot hold fall back to the epoch.
pub(crate) fn utc(at: Timestamp) -> Utc {
    let nanos = i128::from(at.0) * 1_000_000;
    Utc(time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH))
}

impl Utc {
    /// The calendar time itself (a PDF's creation date).
    pub(crate) fn get(&self) -> time::OffsetDateTime {
        self.0
    }

    /// FHIR `dateTime`/`instant`: `2026-11-05T09:30:00Z`.
    pub(crate) fn fhir(&self) -> String {
        self.joined('T', "Z")
    }

    /// For people: `2026-11-05 09:30:15` (UTC, said by the caller).
    pub(crate) fn words(&self) -> String {
        self.joined(' ', "")
    }

    fn joined(&self, between: char, after: &str) -> String {
        let t = self.0;
        format!(
            "{:04}-{:02}-{:02}{between}{:02}:{:02}:{:02}{after}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// DICOM DA: `20261105`.
    pub(crate) fn dicom_date(&self) -> String {
        let t = self.0;
        format!("{:04}{:02}{:02}", t.year(), u8::from(t.month()), t.day())
    }

    /// DICOM TM: `093000`.
    pub(crate) fn dicom_time(&self) -> String {
        let t = self.0;
        format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second())
    }
}
