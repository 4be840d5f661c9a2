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

// ---- wristbands ------------------------------------------------------------------------------

mod wristband {
    #![allow(clippy::expect_used)]

    use proptest::prelude::*;
    use serde_json::json;

    use super::super::wristband::gs1_check_digit;
    use super::super::*;

    const GS: char = '\u{1d}';

    fn policy() -> PatientPolicy {
        PatientPolicy::default()
            .with_local_id("RX1", "[A-Z][0-9]{7}")
            .unwrap()
    }

    fn full_band() -> String {
        let gsrn = gsrn_for(&NhsNumber::parse("9434765919").unwrap(), &policy());
        format!("]d28018{gsrn}91A1234567{GS}92RX1{GS}93SMITH/JOHN/19800118")
    }

    #[test]
    fn gs1_check_digit_matches_published_examples() {
        // GTIN-13 4006381333931: the check digit of 400638133393 is 1.
        assert_eq!(gs1_check_digit(b"400638133393"), 1);
        // GS1's SSCC example (00)106141411234567897.
        assert_eq!(gs1_check_digit(b"10614141123456789"), 7);
        assert_eq!(
            gsrn_for(&NhsNumber::parse("9434765919").unwrap(), &policy()),
            "500000094347659194"
        );
    }

    #[test]
    fn full_band_reads_every_field() {
        let d = parse_scan(&full_band(), &policy()).unwrap();
        assert_eq!(d.nhs_number.unwrap().digits(), "9434765919");
        let local = d.local_id.clone().unwrap();
        assert_eq!((local.issuer(), local.value()), ("RX1", "A1234567"));
        assert_eq!(d.family_name.as_deref(), Some("SMITH"));
        assert_eq!(d.given_name.as_deref(), Some("JOHN"));
        assert_eq!(d.date_of_birth.unwrap().formatted(), "18-Jan-1980");
        assert_eq!(d.ods_code.as_deref(), Some("RX1"));
        assert_eq!(d.source, ScanSource::Gs1Wristband);
    }

    #[test]
    fn debug_output_hides_everything_identifying() {
        let d = parse_scan(&full_band(), &policy()).unwrap();
        let debug = format!("{d:?}");
        for secret in [
            "9434765919",
            "943",
            "A1234567",
            "SMITH",
            "JOHN",
            "1980",
            "18",
        ] {
            assert!(!debug.contains(secret), "{debug} shows {secret}");
        }
        assert!(debug.contains("RX1"), "the issuer is not secret: {debug}");
        assert!(!format!("{:?}", d.date_of_birth.unwrap()).contains("1980"));
    }

    #[test]
    fn over_long_input_is_refused_unread_and_quickly() {
        let huge = "9".repeat(50 * 1024 * 1024);
        let start = std::time::Instant::now();
        assert_eq!(
            parse_scan(&huge, &policy()),
            Err(PatientError::TooLong { max: MAX_SCAN_LEN })
        );
        assert!(start.elapsed() < std::time::Duration::from_millis(50));
    }

    #[test]
    fn every_error_code_is_distinct_and_in_the_patient_namespace() {
        let all = PatientError::every_kind();
        let mut codes: Vec<&str> = all.iter().map(PatientError::code).collect();
        assert!(codes.iter().all(|c| c.starts_with("patient.")));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        // And the crate-wide error passes them through.
        assert_eq!(
            crate::Error::from(PatientError::GsrnCheckDigitWrong).code(),
            "patient.gsrn_check_digit_wrong"
        );
        assert_eq!(
            PatientError::NotAWristband { ai: Ai::SRIN }.to_string(),
            "Not a patient wristband: this barcode carries (8019), which wristbands do not. Scan the patient's wristband."
        );
    }

    #[test]
    fn policy_refuses_unusable_patterns() {
        let p = PatientPolicy::default();
        assert!(p.clone().with_local_id("RX1", "[A-Z][0-9]{7}").is_ok());
        for (issuer, pattern) in [
            ("", "[0-9]+"),
            ("RX1", ""),
            ("RX1", "[0-9]*"),    // matches the empty string
            ("RX1", "([0-9]"),    // does not compile
            ("RX1", "\\w{1000}"), // over the compiled size limit
            ("RX1", &"a".repeat(MAX_PATTERN_LEN + 1)),
            ("R X1", "[0-9]+"),
        ] {
            assert_eq!(
                p.clone().with_local_id(issuer, pattern).err(),
                Some(PatientError::PolicyInvalid),
                "{issuer:?} {pattern:?}"
            );
        }
        // The pattern is anchored: a matching substring is not enough.
        let lp = LocalIdPattern::new("RX1", "[A-Z][0-9]{7}").unwrap();
        assert!(lp.matches("A1234567"));
        assert!(!lp.matches("xA1234567"));
        assert!(!lp.matches("A12345678"));
        assert_eq!(
            p.clone().with_gsrn_prefix("123456").err(),
            Some(PatientError::PolicyInvalid)
        );
        assert_eq!(
            p.with_gsrn_prefix("5012345").unwrap().gsrn_prefix(),
            "5012345"
        );
    }

    #[test]
    fn other_prefix_is_read_only_under_a_policy_that_names_it() {
        let other = PatientPolicy::default()
            .with_gsrn_prefix("5012345")
            .unwrap();
        let gsrn = gsrn_for(&NhsNumber::parse("9434765919").unwrap(), &other);
        let band = format!("]d28018{gsrn}");
        assert!(parse_scan(&band, &other).is_ok());
        assert_eq!(
            parse_scan(&band, &PatientPolicy::default()),
            Err(PatientError::NotNhsWristband)
        );
    }

    #[test]
    fn birth_dates_are_real_dates() {
        assert!(BirthDate::new(2000, 2, 29).is_some());
        assert!(BirthDate::new(1900, 2, 29).is_none());
        assert!(BirthDate::new(2023, 4, 31).is_none());
        assert!(BirthDate::new(1800, 1, 1).is_none());
        assert_eq!(
            BirthDate::parse_iso("1980-01-18").unwrap().iso(),
            "1980-01-18"
        );
        assert!(BirthDate::parse_iso("1980-01").is_none());
        assert!(BirthDate::parse_iso("1980").is_none());
        assert!(BirthDate::parse_iso("1980-1-18").is_none());
        assert!(BirthDate::parse_iso("+980-01-18").is_none());
    }

    // ---- record check (pure) ------------------------------------------------------------------

    fn patient(nhs: &str, family: &str, given: &[&str], dob: &str) -> serde_json::Value {
        json!({
            "resourceType": "Patient",
            "id": "p1",
            "identifier": [{ "system": NHS_NUMBER_SYSTEM, "value": nhs }],
            "name": [{ "use": "official", "family": family, "given": given }],
            "birthDate": dob,
        })
    }

    fn bundle(resources: &[serde_json::Value]) -> serde_json::Value {
        json!({
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": resources.iter().map(|r| json!({ "resource": r, "search": { "mode": "match" } })).collect::<Vec<_>>(),
        })
    }

    fn band() -> WristbandData {
        parse_scan(&full_band(), &policy()).unwrap()
    }

    #[test]
    fn record_that_agrees_is_a_match() {
        let b = bundle(&[patient("9434765919", "Smith", &["John"], "1980-01-18")]);
        match check_record(&b, &band()).unwrap() {
            RecordCheck::Match { record, compared } => {
                assert_eq!(record.id.as_deref(), Some("p1"));
                assert!(compared.family_name && compared.given_name && compared.birth_date);
                assert!(!format!("{record:?}").contains("Smith"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_differing_field_is_named() {
        let cases = [
            (
                patient("9434765919", "Smyth", &["John"], "1980-01-18"),
                (true, false, false),
            ),
            (
                patient("9434765919", "Smith", &["Jon"], "1980-01-18"),
                (false, true, false),
            ),
            (
                patient("9434765919", "Smith", &["John"], "1980-01-19"),
                (false, false, true),
            ),
            (
                patient("9434765919", "Smith", &["John"], "1980"),
                (false, false, true),
            ),
            (
                patient("9434765919", "Jones", &["Mary"], "1970-01-01"),
                (true, true, true),
            ),
        ];
        for (p, (family_name, given_name, birth_date)) in cases {
            let outcome = check_record(&bundle(&[p]), &band()).unwrap();
            let want = RecordFields {
                family_name,
                given_name,
                birth_date,
            };
            assert!(outcome.blocks_session());
            assert_eq!(
                outcome.to_error(),
                Some(PatientError::RecordMismatch { fields: want })
            );
            assert!(matches!(outcome, RecordCheck::Mismatch { fields, .. } if fields == want));
        }
        assert_eq!(
            PatientError::RecordMismatch {
                fields: RecordFields { family_name: true, given_name: false, birth_date: true }
            }
            .to_string(),
            "The wristband does not match the patient record (family name, date of birth differ). Do not take photographs: check the patient's identity and their wristband."
        );
    }

    #[test]
    fn names_compare_on_letters_but_not_across_name_entries() {
        let b = bundle(&[json!({
            "resourceType": "Patient",
            "identifier": [{ "system": NHS_NUMBER_SYSTEM, "value": "943 476 5919" }],
            "name": [
                { "use": "usual", "family": "smith", "given": ["Johnny"] },
                { "use": "official", "family": "Other", "given": ["John"] },
            ],
            "birthDate": "1980-01-18",
        })]);
        // Family matches one name, given the other: both are reported.
        assert!(matches!(
            check_record(&b, &band()).unwrap(),
            RecordCheck::Mismatch {
                fields: RecordFields {
                    family_name: true,
                    given_name: true,
                    birth_date: false
                },
                ..
            }
        ));
        let b = bundle(&[patient(
            "9434765919",
            "s-m i'th",
            &["Paul", "John"],
            "1980-01-18",
        )]);
        assert!(matches!(
            check_record(&b, &band()).unwrap(),
            RecordCheck::Match { .. }
        ));
    }

    #[test]
    fn only_patients_carrying_the_number_count() {
        let other = patient("4010232137", "Smith", &["John"], "1980-01-18");
        let mut wrong_system = patient("9434765919", "Smith", &["John"], "1980-01-18");
        wrong_system["identifier"][0]["system"] = json!("https://example.org/mrn");
        let mut included = bundle(&[patient("9434765919", "Smith", &["John"], "1980-01-18")]);
        included["entry"][0]["search"]["mode"] = json!("include");
        assert_eq!(
            check_record(&bundle(&[other, wrong_system]), &band()).unwrap(),
            RecordCheck::NotFound
        );
        assert_eq!(
            check_record(&included, &band()).unwrap(),
            RecordCheck::NotFound
        );
        assert_eq!(
            check_record(
                &json!({"resourceType": "Bundle", "type": "searchset", "total": 0}),
                &band()
            )
            .unwrap(),
            RecordCheck::NotFound
        );
        let same = patient("9434765919", "Smith", &["John"], "1980-01-18");
        assert_eq!(
            check_record(&bundle(&[same.clone(), same]), &band()).unwrap(),
            RecordCheck::Ambiguous { count: 2 }
        );
    }

    #[test]
    fn malformed_answers_and_missing_numbers_are_errors() {
        for bad in [
            json!({"resourceType": "OperationOutcome", "issue": []}),
            json!({"resourceType": "Bundle", "entry": {}}),
            json!({"resourceType": "Bundle", "entry": [1]}),
            json!([]),
        ] {
            assert_eq!(
                check_record(&bad, &band()),
                Err(PatientError::RecordMalformed)
            );
        }
        let local_only = parse_scan("A1234567", &policy()).unwrap();
        assert_eq!(
            check_record(&bundle(&[]), &local_only),
            Err(PatientError::LookupNeedsNhsNumber)
        );
    }

    #[test]
    fn an_unusable_endpoint_configuration_is_a_configuration_fault() {
        let pem = include_str!("../../tests/fixtures/unrelated-cert.pem");
        let config = |url: &str, pem: &str, pins: &[&str]| crate::endpoint::EndpointConfig {
            base_url: url.into(),
            trust_anchors_pem: pem.into(),
            spki_pins_sha256: pins.iter().map(|p| (*p).to_owned()).collect(),
            client_certificate_pem: None,
            client_key_pem: None,
            credential: None,
        };
        let pin = "UUAov0E5RUuj5t1s6dL3MXLDRL8KWa/3JDQkIr+bixM=";
        assert!(FhirPatientLookup::from_config(&config(
            "https://127.0.0.1:1/fhir/R4",
            pem,
            &[pin]
        ))
        .is_ok());
        for c in [
            config("http://127.0.0.1/fhir", pem, &[pin]),
            config("127.0.0.1/fhir", pem, &[pin]),
            config("https://127.0.0.1/fhir", "", &[pin]),
            config("https://127.0.0.1/fhir", pem, &[]),
        ] {
            assert_eq!(
                FhirPatientLookup::from_config(&c).err(),
                Some(PatientError::LookupConfigInvalid),
                "{c:?}"
            );
        }
    }

    #[tokio::test]
    async fn verify_uses_any_lookup() {
        use crate::patient::testing::Canned;
        let ok = Canned(Ok(bundle(&[patient(
            "9434765919",
            "Smith",
            &["John"],
            "1980-01-18",
        )])));
        assert!(matches!(
            verify_against_record(&ok, &band()).await.unwrap(),
            RecordCheck::Match { .. }
        ));
        let offline = Canned(Err(PatientError::RecordUnreachable));
        assert_eq!(
            verify_against_record(&offline, &band()).await,
            Err(PatientError::RecordUnreachable)
        );
    }

    // ---- properties ---------------------------------------------------------------------------

    /// A valid NHS number from nine random digits (skipping the ones whose check digit is 10).
    fn nhs_number() -> impl Strategy<Value = NhsNumber> {
        proptest::collection::vec(0u8..10, 9).prop_filter_map("check digit 10", |d| {
            let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
            (0..10).find_map(|c| NhsNumber::parse(&format!("{s}{c}")).ok())
        })
    }

    fn name() -> impl Strategy<Value = String> {
        "[A-Z][A-Za-z'.-]{0,10}( [A-Z][A-Za-z'-]{0,8})?"
    }

    prop_compose! {
        fn band_data()(
            nhs in proptest::option::of(nhs_number()),
            mrn in proptest::option::of("[A-Z][0-9]{7}"),
            ods in "[A-Z][A-Z0-9]{2,5}",
            names in proptest::option::of((name(), proptest::option::of(name()), 1900u16..2030, 1u8..13, 1u8..29)),
            srin in proptest::option::of("[0-9]{1,10}"),
        ) -> WristbandData {
            let mut d = WristbandData {
                nhs_number: nhs,
                local_id: mrn.map(|value| LocalId::for_tests(&ods, &value)),
                family_name: None,
                given_name: None,
                date_of_birth: None,
                ods_code: Some(ods),
                service_instance: srin,
                source: ScanSource::Gs1Wristband,
            };
            if let Some((family, given, y, m, day)) = names {
                d.family_name = Some(family);
                d.given_name = given;
                d.date_of_birth = BirthDate::new(y, m, day);
            }
            if d.nhs_number.is_none() && d.local_id.is_none() {
                d.nhs_number = NhsNumber::parse("9434765919").ok();
            }
            d
        }
    }

    /// Rewrites an encoded band the way different scanners send it.
    fn variant(encoded: &str, style: u8) -> String {
        let body = encoded.trim_start_matches("]d2");
        match style {
            0 => encoded.to_owned(),
            1 => body.to_owned(),
            2 => format!("{GS}{}", body.replace(GS, "\u{e8}")),
            3 => format!("]d2{}", body.replace(GS, "<GS><GS>")),
            _ => format!("]Q3{body}{GS}\r\n"),
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_any_string(s in "\\PC{0,600}") {
            let _ = parse_scan(&s, &policy());
        }

        #[test]
        fn never_panics_on_any_bytes(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse_scan(&String::from_utf8_lossy(&b), &policy());
            let _ = parse_scan(&String::from_utf8_lossy(&b), &PatientPolicy::default());
        }

        #[test]
        fn never_panics_on_gs1_shaped_noise(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("8018".to_owned()), Just("8019".to_owned()), Just("91".to_owned()),
                    Just("92".to_owned()), Just("93".to_owned()), Just("99".to_owned()),
                    Just("01".to_owned()), Just("\u{1d}".to_owned()), Just("(".to_owned()),
                    Just(")".to_owned()), Just("/".to_owned()), Just("]d2".to_owned()),
                    "[0-9]{1,18}", "[A-Z]{1,6}",
                ],
                0..40,
            )
        ) {
            let _ = parse_scan(&parts.concat(), &policy());
        }

        #[test]
        fn a_generated_band_round_trips(d in band_data(), style in 0u8..5) {
            let encoded = encode_wristband(&d, &policy());
            let scanned = variant(&encoded, style);
            let mut read = parse_scan(&scanned, &policy()).unwrap();
            read.source = ScanSource::Gs1Wristband;
            prop_assert_eq!(read, d);
        }

        #[test]
        fn any_corrupted_gsrn_digit_is_refused(nhs in nhs_number(), pos in 0usize..18, delta in 1u8..10) {
            let mut gsrn = gsrn_for(&nhs, &policy()).into_bytes();
            gsrn[pos] = b'0' + (gsrn[pos] - b'0' + delta) % 10;
            let band = format!("]d28018{}", String::from_utf8(gsrn).unwrap());
            prop_assert!(parse_scan(&band, &policy()).is_err());
        }
    }
}

mod fuzz_body {
    use proptest::prelude::*;

    use super::super::fuzzing::patient_barcode;

    #[test]
    fn fuzz_body_survives_the_vectors() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_name().to_string_lossy().starts_with("patient_") {
                let bytes = std::fs::read(entry.path()).unwrap();
                let payload = bytes.splitn(2, |&b| b == b'\n').nth(1).unwrap_or(&[]);
                patient_barcode(payload);
            }
        }
    }

    proptest! {
        #[test]
        fn fuzz_body_survives_random_input(b in proptest::collection::vec(any::<u8>(), 0..300)) {
            patient_barcode(&b);
        }

        #[test]
        fn fuzz_body_survives_mutated_bands(
            cut in 0usize..80,
            flip in 0usize..80,
            byte in any::<u8>(),
        ) {
            let band = "]d28018500000094347659194\u{1d}91A1234567\u{1d}92RX1\u{1d}93SMITH/JOHN/19800118";
            let mut b = band.as_bytes().to_vec();
            if flip < b.len() {
                b[flip] = byte;
            }
            b.truncate(cut.max(1).min(b.len()));
            patient_barcode(&b);
        }
    }
}

mod typed_or_scanned {
    #![allow(clippy::unwrap_used)]

    use crate::patient::{read_scan, PatientError, PatientPolicy, ScanSource};

    #[test]
    fn a_bare_number_in_the_text_field_must_be_typed_again() {
        let policy = PatientPolicy::default();
        for typed in ["9434765919", " 943 476 5919 ", "943-476-5919"] {
            assert_eq!(
                read_scan(typed, &policy, false),
                Err(PatientError::SecondEntryNeeded),
                "{typed:?}"
            );
            // From the camera scanner it was read off the band.
            let band = read_scan(typed, &policy, true).unwrap();
            assert_eq!(band.source, ScanSource::NhsNumber);
        }
        // A scanner that sends its symbology identifier read it from a barcode.
        for scanned in ["]C09434765919", "]A09434765919", "]d19434765919"] {
            let band = read_scan(scanned, &policy, false).unwrap();
            assert_eq!(band.source, ScanSource::NhsNumber, "{scanned}");
        }
        // A GS1 wristband string is a wristband whichever way it came.
        let gs1 = "]d2801850000009434765919493SMITH/JOHN/19800118";
        assert!(read_scan(gs1, &policy, false).is_ok());
        // A wrong number is still refused for what it is, not sent to the second entry.
        assert_eq!(
            read_scan("9434765918", &policy, false),
            Err(PatientError::CheckDigitWrong)
        );
    }
}
