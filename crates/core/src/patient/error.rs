//! Why an identifier was refused. Messages never repeat the identifier itself, nor any name or date
//! of birth: only which part of the barcode or record was at fault.

use super::record::RecordFields;
use super::wristband::Ai;
use crate::endpoint::error::status_words;
use crate::endpoint::{EndpointError, TrustProblem};

/// A patient identifier that was refused, or a record check that could not vouch for it, with the
/// reason in words a clinician can act on.
///
/// Variants fall in three groups: typed NHS numbers (the first six), scanned wristbands
/// (`TooLong` to `LocalIdInvalid`), and the check against the patient record (`Record*`,
/// `Lookup*`). `PolicyInvalid` and `LookupConfigInvalid` are configuration faults for the trust's
/// IT team, not something the clinician can fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatientError {
    /// Nothing was entered.
    #[error("Enter the patient's NHS number.")]
    Empty,
    /// Something other than digits, spaces or dashes.
    #[error("An NHS number has only digits. Check the number on the wristband and type it again.")]
    NotDigits,
    /// Not ten digits.
    #[error("An NHS number has 10 digits; this has {digits}. Check the number and type it again.")]
    WrongLength {
        /// How many digits were entered.
        digits: usize,
    },
    /// The Modulus 11 check gives 10, which no NHS number can have.
    #[error("This is not a valid NHS number (no number can have this check digit). Check the number and type it again.")]
    CheckDigitImpossible,
    /// The last digit does not match the Modulus 11 check of the first nine.
    #[error("Check digit wrong: this is not a valid NHS number. One digit is probably mistyped; check it against the wristband.")]
    CheckDigitWrong,
    /// The two manual entries differ.
    #[error("The two entries do not match. Type the NHS number again in both boxes.")]
    EntriesDiffer,

    /// The scan is longer than any patient wristband; refused before it is read.
    #[error("This barcode is far too long to be a patient wristband (over {max} characters). Scan the patient's wristband, not another label.")]
    TooLong {
        /// The longest scan accepted, in bytes.
        max: usize,
    },
    /// The scan holds characters no wristband barcode can carry (accents, other alphabets,
    /// control codes).
    #[error("The scan contains characters a wristband barcode cannot hold, so it was misread or is not a wristband. Rescan the wristband, or type the NHS number.")]
    NotAscii,
    /// Neither a GS1 wristband, nor an NHS number, nor a hospital number in this trust's format.
    #[error("Not an NHS wristband, an NHS number or a hospital number this trust uses. Scan the patient's wristband again, or type the NHS number.")]
    NotRecognised,
    /// A GS1 barcode with a data element a patient wristband never has (a product code, a
    /// batch number): probably a drug pack or device label scanned by mistake.
    #[error("Not a patient wristband: this barcode carries {ai}, which wristbands do not. Scan the patient's wristband.")]
    NotAWristband {
        /// The element that gave it away.
        ai: Ai,
    },
    /// The wristband's service number (GSRN) was not issued under the NHS company prefix the trust
    /// configured, so the number in it is not an NHS number.
    #[error("Not an NHS wristband: its service number was not issued by the NHS. Check the patient's identity and type the NHS number if they have one.")]
    NotNhsWristband,
    /// The GSRN's own GS1 check digit is wrong: the barcode was misread or damaged.
    #[error("Check digit wrong in the wristband's service number: the barcode was misread or is damaged. Rescan it; if it fails again, type the NHS number.")]
    GsrnCheckDigitWrong,
    /// A data element stops before its fixed length.
    #[error("The wristband barcode is cut short in {ai}. Rescan the whole barcode; if it fails again, type the NHS number.")]
    Truncated {
        /// The element that was cut short.
        ai: Ai,
    },
    /// A data element's content does not follow its format (wrong characters or length, an
    /// impossible date). Also what a missing separator after a variable-length element looks like.
    #[error("The wristband barcode's {ai} field is unreadable or damaged. Rescan it; if it fails again, type the NHS number and report the band.")]
    FieldInvalid {
        /// The element whose content is wrong.
        ai: Ai,
    },
    /// The same data element appears twice; a band must not carry two identities.
    #[error("The wristband barcode carries {ai} twice, so it cannot be trusted. Do not use this band; check the patient's identity and report the band.")]
    DuplicateField {
        /// The repeated element.
        ai: Ai,
    },
    /// The structure of the GS1 data broke down (no element identifier where one must be).
    #[error("The wristband barcode could not be read completely. Rescan it; if it fails again, type the NHS number.")]
    Unreadable,
    /// A wristband with neither an NHS number nor a hospital number.
    #[error("This wristband carries no NHS number or hospital number. Check the patient's identity and type the NHS number.")]
    NoIdentifier,
    /// A hospital number on a band that does not say which organisation issued it, on a device
    /// with no local number format configured.
    #[error("The wristband's hospital number does not say which hospital issued it. Type the NHS number instead.")]
    MissingIssuer,
    /// A hospital number that does not have this trust's format.
    #[error("This hospital number does not have the format this trust uses. Check it against the wristband, or type the NHS number.")]
    LocalIdInvalid,
    /// The trust's patient policy (local number pattern, GSRN prefix) cannot be used.
    #[error("This device's patient identification settings are invalid. Ask IT to check the device's configuration.")]
    PolicyInvalid,

    /// A bare NHS number came through the band-text field without a scanner's symbology prefix:
    /// it may have been typed, so it must be typed a second time.
    #[error("This looks like a typed NHS number, not a scanned wristband. Type it again in the second box to confirm it.")]
    SecondEntryNeeded,

    /// The record server could not be reached (no network, connection refused, timed out before
    /// the secure connection was made). The band's details stand, marked not verified, and the
    /// visit is checked against the record again before any photo is sent.
    #[error("The patient record could not be reached, so this patient is not verified against the record. Check the wristband carefully; the photos will be checked against the record before they are sent.")]
    RecordUnreachable,
    /// The record server's certificate or connection failed validation.
    #[error("Hospital server not trusted - tell IT ({problem}). Its answer was not used: do not take photographs of this patient until IT has fixed it.")]
    RecordNotTrusted {
        /// What failed.
        problem: TrustProblem,
    },
    /// The record server's certificate is from a trusted authority but not for a pinned key.
    #[error("Hospital server not trusted - tell IT (its key is not one this device was set up for). Its answer was not used: do not take photographs of this patient until IT has fixed it.")]
    RecordPinMismatch,
    /// The record server answered with 5xx or 429, or stopped answering once connected.
    #[error("The patient record system is not answering properly{}, so this patient cannot be checked. Try again; to go on you must record why (for example, the record system is down).", status_words(.status))]
    RecordUnavailable {
        /// The HTTP status, when there was one.
        status: Option<u16>,
    },
    /// The record server's answer is not a FHIR search result this app understands.
    #[error("The patient record server sent an answer WardCam cannot read, so this patient cannot be confirmed. Tell IT.")]
    RecordMalformed,
    /// The record server refused the search (4xx other than 429).
    #[error("The patient record server refused the search (HTTP {status}), so this patient cannot be confirmed. Tell IT: this device's settings may be wrong.")]
    RecordRejected {
        /// The HTTP status.
        status: u16,
    },
    /// The record server tried to redirect the search elsewhere.
    #[error("The patient record server tried to send WardCam to another address (HTTP {status}), so this patient cannot be confirmed. Tell IT.")]
    RecordRedirected {
        /// The HTTP status.
        status: u16,
    },
    /// The record's name or date of birth differ from the band: the session must not go on.
    #[error("The wristband does not match the patient record ({fields} differ). Do not take photographs: check the patient's identity and their wristband.")]
    RecordMismatch {
        /// Which details differ.
        fields: RecordFields,
    },
    /// The record has no patient with this NHS number.
    #[error("No patient with this NHS number was found in the record. Check the number against the wristband; to go on you must record why (for example, a new admission not yet registered).")]
    RecordNotFound,
    /// More than one record carries this NHS number: the record cannot confirm who this is.
    #[error("More than one patient record has this NHS number, so the record cannot confirm the patient. Do not take photographs; tell the records team.")]
    RecordAmbiguous,
    /// A record look-up needs an NHS number, and this patient was identified by hospital number only.
    #[error("The patient record is searched by NHS number, and this patient was identified by hospital number only. Photos will be marked as not verified.")]
    LookupNeedsNhsNumber,
    /// The record server settings (address, trust anchors, pins) cannot be used.
    #[error("This device's patient record settings are invalid, so no patient can be confirmed. Ask IT to check the device's configuration.")]
    LookupConfigInvalid,
    /// This trust does not allow visits that are not verified against the record.
    #[error("This trust requires every patient to be verified against the record before photographs. Try again when the record can be reached.")]
    UnverifiedNotAllowed,
    /// An override was asked for where none is allowed (a mismatch, an untrusted server, or a
    /// trust that does not allow overrides).
    #[error("This result cannot be overridden. Do not take photographs of this patient; check their identity, or tell IT.")]
    OverrideNotAllowed,
    /// An override needs the clinician's own words, and who they are.
    #[error("Say in your own words why you are going on, and make sure your name is set on the Device screen.")]
    OverrideIncomplete,
    /// The trust does not allow this way of entering an identifier (typing a number, or typing the
    /// band's printed text): only a scanned wristband.
    #[error("Your trust allows only a scanned wristband on this phone, not a typed number or band text. Scan the patient's wristband; if it cannot be scanned, follow your trust's procedure.")]
    EntryNotAllowed,
}

impl PatientError {
    /// A stable, dotted machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            PatientError::Empty => "patient.empty",
            PatientError::NotDigits => "patient.not_digits",
            PatientError::WrongLength { .. } => "patient.wrong_length",
            PatientError::CheckDigitImpossible => "patient.check_digit_impossible",
            PatientError::CheckDigitWrong => "patient.check_digit_wrong",
            PatientError::EntriesDiffer => "patient.entries_differ",
            PatientError::TooLong { .. } => "patient.too_long",
            PatientError::NotAscii => "patient.not_ascii",
            PatientError::NotRecognised => "patient.not_recognised",
            PatientError::NotAWristband { .. } => "patient.not_a_wristband",
            PatientError::NotNhsWristband => "patient.not_nhs_wristband",
            PatientError::GsrnCheckDigitWrong => "patient.gsrn_check_digit_wrong",
            PatientError::Truncated { .. } => "patient.truncated",
            PatientError::FieldInvalid { .. } => "patient.field_invalid",
            PatientError::DuplicateField { .. } => "patient.duplicate_field",
            PatientError::Unreadable => "patient.unreadable",
            PatientError::NoIdentifier => "patient.no_identifier",
            PatientError::MissingIssuer => "patient.missing_issuer",
            PatientError::LocalIdInvalid => "patient.local_id_invalid",
            PatientError::PolicyInvalid => "patient.policy_invalid",
            PatientError::SecondEntryNeeded => "patient.second_entry_needed",
            PatientError::RecordUnreachable => "patient.record_unreachable",
            PatientError::RecordNotTrusted { .. } => "patient.record_not_trusted",
            PatientError::RecordPinMismatch => "patient.record_pin_mismatch",
            PatientError::RecordUnavailable { .. } => "patient.record_unavailable",
            PatientError::RecordMalformed => "patient.record_malformed",
            PatientError::RecordRejected { .. } => "patient.record_rejected",
            PatientError::RecordRedirected { .. } => "patient.record_redirected",
            PatientError::RecordMismatch { .. } => "patient.record_mismatch",
            PatientError::RecordNotFound => "patient.record_not_found",
            PatientError::RecordAmbiguous => "patient.record_ambiguous",
            PatientError::LookupNeedsNhsNumber => "patient.lookup_needs_nhs_number",
            PatientError::LookupConfigInvalid => "patient.lookup_config_invalid",
            PatientError::UnverifiedNotAllowed => "patient.unverified_not_allowed",
            PatientError::OverrideNotAllowed => "patient.override_not_allowed",
            PatientError::OverrideIncomplete => "patient.override_incomplete",
            PatientError::EntryNotAllowed => "patient.entry_not_allowed",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "patient.empty",
        "patient.not_digits",
        "patient.wrong_length",
        "patient.check_digit_impossible",
        "patient.check_digit_wrong",
        "patient.entries_differ",
        "patient.too_long",
        "patient.not_ascii",
        "patient.not_recognised",
        "patient.not_a_wristband",
        "patient.not_nhs_wristband",
        "patient.gsrn_check_digit_wrong",
        "patient.truncated",
        "patient.field_invalid",
        "patient.duplicate_field",
        "patient.unreadable",
        "patient.no_identifier",
        "patient.missing_issuer",
        "patient.local_id_invalid",
        "patient.policy_invalid",
        "patient.second_entry_needed",
        "patient.record_unreachable",
        "patient.record_not_trusted",
        "patient.record_pin_mismatch",
        "patient.record_unavailable",
        "patient.record_malformed",
        "patient.record_rejected",
        "patient.record_redirected",
        "patient.record_mismatch",
        "patient.record_not_found",
        "patient.record_ambiguous",
        "patient.lookup_needs_nhs_number",
        "patient.lookup_config_invalid",
        "patient.unverified_not_allowed",
        "patient.override_not_allowed",
        "patient.override_incomplete",
        "patient.entry_not_allowed",
    ];
}

impl From<EndpointError> for PatientError {
    /// The endpoint's failure classes, as the record check reports them.
    fn from(e: EndpointError) -> PatientError {
        match e {
            EndpointError::Unreachable => PatientError::RecordUnreachable,
            EndpointError::NotTrusted { problem } => PatientError::RecordNotTrusted { problem },
            EndpointError::PinMismatch => PatientError::RecordPinMismatch,
            EndpointError::Unavailable { status } => PatientError::RecordUnavailable { status },
            EndpointError::Malformed => PatientError::RecordMalformed,
            EndpointError::Rejected { status } => PatientError::RecordRejected { status },
            EndpointError::Redirected { status } => PatientError::RecordRedirected { status },
            EndpointError::ConfigInvalid { .. } => PatientError::LookupConfigInvalid,
            // A class this code has never seen: refuse, as a reply that cannot be read.
            #[allow(unreachable_patterns)]
            _ => PatientError::RecordMalformed,
        }
    }
}

#[cfg(test)]
impl PatientError {
    /// One value of every variant, for table-driven and property tests. A variant added to the
    /// enum and not here fails `every_kind_is_listed`.
    pub(crate) fn every_kind() -> Vec<PatientError> {
        use super::record::RecordFields;
        let ai = Ai::GSRN;
        let fields = RecordFields {
            birth_date: true,
            ..RecordFields::default()
        };
        vec![
            PatientError::Empty,
            PatientError::NotDigits,
            PatientError::WrongLength { digits: 3 },
            PatientError::CheckDigitImpossible,
            PatientError::CheckDigitWrong,
            PatientError::EntriesDiffer,
            PatientError::TooLong { max: 1 },
            PatientError::NotAscii,
            PatientError::NotRecognised,
            PatientError::NotAWristband { ai },
            PatientError::NotNhsWristband,
            PatientError::GsrnCheckDigitWrong,
            PatientError::Truncated { ai },
            PatientError::FieldInvalid { ai },
            PatientError::DuplicateField { ai },
            PatientError::Unreadable,
            PatientError::NoIdentifier,
            PatientError::MissingIssuer,
            PatientError::LocalIdInvalid,
            PatientError::PolicyInvalid,
            PatientError::SecondEntryNeeded,
            PatientError::RecordUnreachable,
            PatientError::RecordNotTrusted {
                problem: TrustProblem::UnknownIssuer,
            },
            PatientError::RecordPinMismatch,
            PatientError::RecordUnavailable { status: Some(503) },
            PatientError::RecordMalformed,
            PatientError::RecordRejected { status: 401 },
            PatientError::RecordRedirected { status: 302 },
            PatientError::RecordMismatch { fields },
            PatientError::RecordNotFound,
            PatientError::RecordAmbiguous,
            PatientError::LookupNeedsNhsNumber,
            PatientError::LookupConfigInvalid,
            PatientError::UnverifiedNotAllowed,
            PatientError::OverrideNotAllowed,
            PatientError::OverrideIncomplete,
            PatientError::EntryNotAllowed,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exhaustive on purpose (no wildcard): adding a variant breaks this until `every_kind`
    /// lists it, so the verdict tables below see every error there is.
    #[test]
    fn every_kind_is_listed() {
        let listed = PatientError::every_kind();
        for e in &listed {
            let position = match e {
                PatientError::Empty => 0,
                PatientError::NotDigits => 1,
                PatientError::WrongLength { .. } => 2,
                PatientError::CheckDigitImpossible => 3,
                PatientError::CheckDigitWrong => 4,
                PatientError::EntriesDiffer => 5,
                PatientError::TooLong { .. } => 6,
                PatientError::NotAscii => 7,
                PatientError::NotRecognised => 8,
                PatientError::NotAWristband { .. } => 9,
                PatientError::NotNhsWristband => 10,
                PatientError::GsrnCheckDigitWrong => 11,
                PatientError::Truncated { .. } => 12,
                PatientError::FieldInvalid { .. } => 13,
                PatientError::DuplicateField { .. } => 14,
                PatientError::Unreadable => 15,
                PatientError::NoIdentifier => 16,
                PatientError::MissingIssuer => 17,
                PatientError::LocalIdInvalid => 18,
                PatientError::PolicyInvalid => 19,
                PatientError::SecondEntryNeeded => 20,
                PatientError::RecordUnreachable => 21,
                PatientError::RecordNotTrusted { .. } => 22,
                PatientError::RecordPinMismatch => 23,
                PatientError::RecordUnavailable { .. } => 24,
                PatientError::RecordMalformed => 25,
                PatientError::RecordRejected { .. } => 26,
                PatientError::RecordRedirected { .. } => 27,
                PatientError::RecordMismatch { .. } => 28,
                PatientError::RecordNotFound => 29,
                PatientError::RecordAmbiguous => 30,
                PatientError::LookupNeedsNhsNumber => 31,
                PatientError::LookupConfigInvalid => 32,
                PatientError::UnverifiedNotAllowed => 33,
                PatientError::OverrideNotAllowed => 34,
                PatientError::OverrideIncomplete => 35,
                PatientError::EntryNotAllowed => 36,
            };
            assert_eq!(listed[position], *e);
        }
        assert_eq!(listed.len(), 37);
    }

    #[test]
    fn every_endpoint_failure_has_its_record_error() {
        use crate::endpoint::EndpointError as E;
        let pairs = [
            (E::Unreachable, "patient.record_unreachable"),
            (
                E::NotTrusted {
                    problem: TrustProblem::Expired,
                },
                "patient.record_not_trusted",
            ),
            (E::PinMismatch, "patient.record_pin_mismatch"),
            (
                E::Unavailable { status: None },
                "patient.record_unavailable",
            ),
            (E::Malformed, "patient.record_malformed"),
            (E::Rejected { status: 403 }, "patient.record_rejected"),
            (E::Redirected { status: 307 }, "patient.record_redirected"),
            (
                E::ConfigInvalid { field: "base_url" },
                "patient.lookup_config_invalid",
            ),
        ];
        for (e, code) in pairs {
            assert_eq!(PatientError::from(e).code(), code);
        }
    }
}
