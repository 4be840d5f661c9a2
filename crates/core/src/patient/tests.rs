#![allow(clippy::unwrap_used)]

use super::*;

#[test]
fn valid_numbers_parse_in_every_typed_form() {
    for input in [
        "9434765919",
        "943 476 5919",
        "943-476-5919",
        " 943 4765 919 ",
        "4010232137",
    ] {
        let n = NhsNumber::parse(input).unwrap();
        assert_eq!(n.digits().len(), 10, "{input}");
    }
    assert_eq!(
        NhsNumber::parse("9434765919").unwrap().formatted(),
        "943 476 5919"
    );
}

#[test]
fn check_digit_zero_when_remainder_is_zero() {
    // 401 023 213 7 is a published valid example; 000 000 000 0 has remainder 0, so check digit 0.
    assert!(NhsNumber::parse("0000000000").is_ok());
}

#[test]
fn each_refusal_says_why() {
    assert_eq!(NhsNumber::parse(""), Err(PatientError::Empty));
    assert_eq!(NhsNumber::parse("  - "), Err(PatientError::Empty));
    assert_eq!(
        NhsNumber::parse("943476591"),
        Err(PatientError::WrongLength { digits: 9 })
    );
    assert_eq!(
        NhsNumber::parse("94347659190"),
        Err(PatientError::WrongLength { digits: 11 })
    );
    assert_eq!(NhsNumber::parse("943476591x"), Err(PatientError::NotDigits));
    assert_eq!(
        NhsNumber::parse("９４３４７６５９１９"),
        Err(PatientError::NotDigits)
    );
    assert_eq!(
        NhsNumber::parse("9434765918"),
        Err(PatientError::CheckDigitWrong)
    );
    // 123 456 789: weighted sum 10*1+9*2+...+2*9 = 210, 210 % 11 = 1, 11 - 1 = 10: impossible.
    assert_eq!(
        NhsNumber::parse("1234567890"),
        Err(PatientError::CheckDigitImpossible)
    );
}

#[test]
fn every_single_digit_slip_is_caught() {
    // Modulus 11 catches any one wrong digit: the property that makes manual entry tolerable.
    let good = "9434765919";
    for pos in 0..10 {
        for d in b'0'..=b'9' {
            let mut s = good.as_bytes().to_vec();
            if s[pos] == d {
                continue;
            }
            s[pos] = d;
            let s = String::from_utf8(s).unwrap();
            assert!(NhsNumber::parse(&s).is_err(), "{s} should be refused");
        }
    }
}

#[test]
fn manual_entry_needs_two_matching_valid_entries() {
    assert!(confirm_manual_entry("943 476 5919", "943-476-5919").is_ok());
    assert_eq!(
        confirm_manual_entry("9434765919", "4010232137"),
        Err(PatientError::EntriesDiffer)
    );
    assert_eq!(
        confirm_manual_entry("9434765918", "9434765918"),
        Err(PatientError::CheckDigitWrong)
    );
}

#[test]
fn debug_and_errors_never_show_the_number() {
    let n = NhsNumber::parse("9434765919").unwrap();
    assert!(!format!("{n:?}").contains("9434765919"));
    assert!(!format!("{n:?}").contains("943"));
    let e = NhsNumber::parse("9434765918").unwrap_err();
    assert!(!e.to_string().contains("943"));
}
