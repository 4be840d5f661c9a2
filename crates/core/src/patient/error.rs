//! Why an identifier was refused. Messages never repeat the identifier itself, nor any name or date
//! of birth: only which part of the barcode or record was at fault.

use super::record::RecordFields;
use super::wristband::Ai;

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

    /// The record server could not be reached (no network, server down, timed out). The band's
    /// details stand, and photos are marked "not verified against the record".
    #[error("The patient record could not be reached, so this patient is not verified against the record. Check the wristband carefully; photos will be marked as not verified.")]
    RecordOffline,
    /// The record server's certificate is not the one this device was provisioned to trust.
    #[error("The patient record server is not the one this device trusts, so its answer was not used. Photos will be marked as not verified; tell IT.")]
    RecordUntrusted,
    /// The record server answered with an HTTP error.
    #[error("The patient record server refused the search (HTTP {status}). Photos will be marked as not verified; tell IT if this persists.")]
    RecordServerError {
        /// The HTTP status code.
        status: u16,
    },
    /// The record server's answer is not a FHIR search result this app understands.
    #[error("The patient record server sent an answer WardCam cannot read. Photos will be marked as not verified; tell IT.")]
    RecordMalformed,
    /// The record's name or date of birth differ from the band: the session must not go on.
    #[error("The wristband does not match the patient record ({fields} differ). Do not take photographs: check the patient's identity and their wristband.")]
    RecordMismatch {
        /// Which details differ.
        fields: RecordFields,
    },
    /// The record has no patient with this NHS number.
    #[error("No patient with this NHS number was found in the record. Check the number against the wristband; photos will be marked as not verified.")]
    RecordNotFound,
    /// More than one record carries this NHS number: the record cannot confirm who this is.
    #[error("More than one patient record has this NHS number, so the record cannot confirm the patient. Do not take photographs; tell the records team.")]
    RecordAmbiguous,
    /// A record look-up needs an NHS number, and this patient was identified by hospital number only.
    #[error("The patient record is searched by NHS number, and this patient was identified by hospital number only. Photos will be marked as not verified.")]
    LookupNeedsNhsNumber,
    /// The record server settings (address, pinned certificate) cannot be used.
    #[error("This device's patient record settings are invalid. Ask IT to check the device's configuration.")]
    LookupConfigInvalid,
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
            PatientError::RecordOffline => "patient.record_offline",
            PatientError::RecordUntrusted => "patient.record_untrusted",
            PatientError::RecordServerError { .. } => "patient.record_server_error",
            PatientError::RecordMalformed => "patient.record_malformed",
            PatientError::RecordMismatch { .. } => "patient.record_mismatch",
            PatientError::RecordNotFound => "patient.record_not_found",
            PatientError::RecordAmbiguous => "patient.record_ambiguous",
            PatientError::LookupNeedsNhsNumber => "patient.lookup_needs_nhs_number",
            PatientError::LookupConfigInvalid => "patient.lookup_config_invalid",
        }
    }

    /// True when the patient may still be photographed on the band's details alone, marked "not
    /// verified against the record" (the record was unreachable, untrusted, unreadable or has no
    /// such patient). False for refusals and for record outcomes that must block the session
    /// (a mismatch, several records).
    pub fn is_unverified_but_usable(&self) -> bool {
        matches!(
            self,
            PatientError::RecordOffline
                | PatientError::RecordUntrusted
                | PatientError::RecordServerError { .. }
                | PatientError::RecordMalformed
                | PatientError::RecordNotFound
                | PatientError::LookupNeedsNhsNumber
                | PatientError::LookupConfigInvalid
        )
    }
}
