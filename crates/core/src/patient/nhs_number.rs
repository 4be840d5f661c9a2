//! The NHS number: ten digits, the last a Modulus 11 check digit (NHS Data Dictionary).

use std::fmt;
use std::str::FromStr;

use super::PatientError;

/// A validated NHS number. `Debug` hides the digits; use [`NhsNumber::formatted`] to show it to the
/// clinician and [`NhsNumber::digits`] to send it to the record system.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NhsNumber([u8; 10]);

impl NhsNumber {
    /// Parses an NHS number as typed or printed: ten digits, spaces and dashes allowed anywhere
    /// (`943 476 5919`, `943-476-5919`, `9434765919`).
    pub fn parse(input: &str) -> Result<NhsNumber, PatientError> {
        let mut digits = [0u8; 10];
        let mut count = 0usize;
        for c in input.trim().chars() {
            match c {
                ' ' | '-' => {}
                '0'..='9' => {
                    if count < digits.len() {
                        // `c` is an ASCII digit, so the subtraction cannot wrap.
                        digits[count] = c as u8 - b'0';
                    }
                    count += 1;
                }
                _ => return Err(PatientError::NotDigits),
            }
        }
        match count {
            0 => return Err(PatientError::Empty),
            10 => {}
            n => return Err(PatientError::WrongLength { digits: n }),
        }
        match check_digit(&digits) {
            None => Err(PatientError::CheckDigitImpossible),
            Some(check) if check != digits[9] => Err(PatientError::CheckDigitWrong),
            Some(_) => Ok(NhsNumber(digits)),
        }
    }

    /// The ten digits with no separators, as record systems expect.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The number grouped 3-3-4 (`943 476 5919`), as printed on NHS documents.
    pub fn formatted(&self) -> String {
        let d = self.digits();
        format!("{} {} {}", &d[0..3], &d[3..6], &d[6..10])
    }
}

/// The Modulus 11 check digit of the first nine digits, or `None` when it would be 10, which
/// makes the number invalid.
fn check_digit(digits: &[u8; 10]) -> Option<u8> {
    let sum: u32 = digits[..9]
        .iter()
        .zip((2..=10u32).rev())
        .map(|(d, weight)| u32::from(*d) * weight)
        .sum();
    match 11 - (sum % 11) {
        11 => Some(0),
        10 => None,
        // 1..=9, which fits in u8.
        n => u8::try_from(n).ok(),
    }
}

impl FromStr for NhsNumber {
    type Err = PatientError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NhsNumber::parse(s)
    }
}

impl fmt::Debug for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the identifier: Debug output ends up in logs and crash reports.
        f.write_str("NhsNumber(<redacted>)")
    }
}

/// Checks an NHS number typed twice by hand: each entry must be valid and both must be the same
/// number (separators may differ).
pub fn confirm_manual_entry(first: &str, second: &str) -> Result<NhsNumber, PatientError> {
    let a = NhsNumber::parse(first)?;
    let b = NhsNumber::parse(second)?;
    if a != b {
        return Err(PatientError::EntriesDiffer);
    }
    Ok(a)
}
