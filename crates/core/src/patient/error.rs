//! Why an identifier was refused. Messages never repeat the identifier itself.

/// A patient identifier that was refused, with the reason in words a clinician can act on.
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
        }
    }
}
