//! Test vectors for the wristband parser, one test per file in `tests/vectors/patient_*`.
//!
//! # File format
//!
//! Line 1 is the header, everything after its newline is the raw scanner payload (one trailing
//! newline, if present, is not part of it).
//!
//! Header: `expect: ok <field>=<value> …` or `expect: error <code>`, optionally followed by
//! `policy=none`.
//! - `ok` fields: `nhs` (10 digits), `local` (`ISSUER:VALUE`), `ods`, `family`, `given` (`_` stands
//!   for a space), `dob` (`YYYY-MM-DD`), `srin`, `source` (`gs1`, `hr`, `nhs`, `local`). Every field
//!   not listed must be absent from the result.
//! - `error`: the full [`PatientError::code`](wardcam_core::patient::PatientError::code).
//! - Policy: [`PatientPolicy::default`] plus local numbers issued by `RX1` matching `[A-Z][0-9]{7}`;
//!   `policy=none` uses the default alone.
//!
//! Payload escapes, so control characters stay visible: `\xNN` (two hex digits) is the character
//! U+00NN: `\x1d` is GS and `\xe8` is `è`, which some decoders emit for FNC1; `\u{…}` is any
//! character; `\t`, `\r`, `\n` and `\\` as usual. Everything else, including UTF-8, is literal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use wardcam_core::patient::{parse_scan, PatientPolicy, ScanSource, WristbandData};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Decodes the payload escapes described in the module documentation.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().expect("escape at end of payload") {
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).unwrap()));
            }
            'u' => {
                assert_eq!(chars.next(), Some('{'));
                let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'n' => out.push('\n'),
            '\\' => out.push('\\'),
            other => panic!("unknown escape \\{other}"),
        }
    }
    out
}

fn policy(none: bool) -> PatientPolicy {
    if none {
        PatientPolicy::default()
    } else {
        PatientPolicy::default()
            .with_local_id("RX1", "[A-Z][0-9]{7}")
            .unwrap()
    }
}

/// The result reduced to `key=value` pairs, in the header's vocabulary.
fn describe(d: &WristbandData) -> Vec<String> {
    let mut out = Vec::new();
    let sp = |s: &str| s.replace(' ', "_");
    if let Some(n) = &d.nhs_number {
        out.push(format!("nhs={}", n.digits()));
    }
    if let Some(l) = &d.local_id {
        out.push(format!("local={}:{}", l.issuer(), l.value()));
    }
    if let Some(o) = &d.ods_code {
        out.push(format!("ods={o}"));
    }
    if let Some(f) = &d.family_name {
        out.push(format!("family={}", sp(f)));
    }
    if let Some(g) = &d.given_name {
        out.push(format!("given={}", sp(g)));
    }
    if let Some(b) = &d.date_of_birth {
        out.push(format!("dob={}", b.iso()));
    }
    if let Some(s) = &d.service_instance {
        out.push(format!("srin={s}"));
    }
    let source = match d.source {
        ScanSource::Gs1Wristband => "gs1",
        ScanSource::Gs1HumanReadable => "hr",
        ScanSource::NhsNumber => "nhs",
        ScanSource::LocalNumber => "local",
        _ => "other",
    };
    out.push(format!("source={source}"));
    out.sort();
    out
}

fn load(name: &str) -> (Vec<String>, bool, String) {
    let text = fs::read_to_string(dir().join(name)).unwrap();
    let (header, payload) = text.split_once('\n').unwrap_or((&text, ""));
    let payload = payload.strip_suffix('\n').unwrap_or(payload);
    let expect = header
        .strip_prefix("expect: ")
        .expect("first line is `expect: ...`");
    let mut words: Vec<String> = expect.split(' ').map(str::to_owned).collect();
    let none = words.last().is_some_and(|w| w == "policy=none");
    if none {
        words.pop();
    }
    (words, none, unescape(payload))
}

fn run(name: &str) {
    let (expect, no_policy, payload) = load(name);
    let got = parse_scan(&payload, &policy(no_policy));
    match expect[0].as_str() {
        "ok" => {
            let data = got.unwrap_or_else(|e| panic!("{name}: refused with {}", e.code()));
            let mut want: Vec<String> = expect[1..].to_vec();
            want.sort();
            let mut have = describe(&data);
            if !want.iter().any(|w| w.starts_with("source=")) {
                have.retain(|h| !h.starts_with("source="));
            }
            assert_eq!(have, want, "{name}");
            // Whatever was read, Debug must not show it.
            let debug = format!("{data:?}");
            for secret in ["9434765919", "A1234567", "SMITH", "JOHN", "1980"] {
                assert!(!debug.contains(secret), "{name}: Debug shows {secret}");
            }
        }
        "error" => {
            let e = got.err().unwrap_or_else(|| panic!("{name}: accepted"));
            assert_eq!(e.code(), expect[1], "{name}");
            assert!(
                !e.to_string().contains("9434765919"),
                "{name}: message leaks"
            );
        }
        other => panic!("{name}: unknown expectation {other}"),
    }
}

macro_rules! vectors {
    ($($name:ident),* $(,)?) => {
        const NAMES: &[&str] = &[$(stringify!($name)),*];
        $( #[test] fn $name() { run(stringify!($name)); } )*
    };
}

vectors! {
    patient_empty,
    patient_whitespace_only,
    patient_nhs_bare_valid,
    patient_nhs_spaces,
    patient_nhs_dashes,
    patient_nhs_crlf_suffix,
    patient_nhs_other_symbology,
    patient_nhs_check_digit_wrong,
    patient_nhs_check_digit_impossible,
    patient_nhs_nine_digits,
    patient_nhs_eleven_digits,
    patient_nhs_fullwidth_digits,
    patient_nhs_letter_o_for_zero,
    patient_nhs_control_character,
    patient_gs1_full_gs,
    patient_gs1_no_symbology,
    patient_gs1_leading_fnc1,
    patient_gs1_fnc1_codeword_e8,
    patient_gs1_text_gs_placeholder,
    patient_gs1_text_fnc1_placeholder,
    patient_gs1_doubled_separators,
    patient_gs1_separator_after_gsrn,
    patient_gs1_trailing_separator,
    patient_gs1_missing_separator_after_demographics,
    patient_gs1_missing_separator_after_local_id,
    patient_gs1_missing_separator_after_local_id_no_policy,
    patient_gs1_missing_separator_after_ods,
    patient_gs1_missing_separator_local_then_names,
    patient_gs1_any_order,
    patient_gs1_any_order_gsrn_middle,
    patient_gs1_unknown_ai_gtin,
    patient_gs1_unknown_ai_expiry,
    patient_gs1_unknown_ai_four_digit,
    patient_gs1_internal_ai_ignored,
    patient_gs1_internal_ai_too_long,
    patient_gs1_gsrn_check_digit_wrong,
    patient_gs1_gsrn_not_nhs_prefix,
    patient_gs1_gsrn_nhs_check_digit_wrong,
    patient_gs1_gsrn_letters,
    patient_gs1_truncated_gsrn,
    patient_gs1_truncated_gsrn_before_separator,
    patient_gs1_truncated_demographics,
    patient_gs1_truncated_after_ai,
    patient_gs1_truncated_mid_ai,
    patient_gs1_truncated_one_digit,
    patient_gs1_duplicate_gsrn,
    patient_gs1_duplicate_local_id,
    patient_gs1_human_readable,
    patient_gs1_human_readable_spaced,
    patient_gs1_human_readable_with_symbology,
    patient_gs1_human_readable_truncated,
    patient_gs1_human_readable_overlong_gsrn,
    patient_gs1_human_readable_unknown_ai,
    patient_gs1_human_readable_broken,
    patient_gs1_impossible_date,
    patient_gs1_leap_day,
    patient_gs1_no_given_name,
    patient_gs1_name_with_digits,
    patient_gs1_name_too_long,
    patient_gs1_space_in_names,
    patient_gs1_apostrophe_hyphen_names,
    patient_gs1_non_ascii_name,
    patient_gs1_srin,
    patient_gs1_srin_too_long,
    patient_gs1_nhs_only,
    patient_gs1_local_only,
    patient_gs1_local_without_ods_uses_policy,
    patient_gs1_local_wrong_format_same_issuer,
    patient_gs1_local_other_trust,
    patient_gs1_local_too_long,
    patient_gs1_ods_too_long,
    patient_gs1_no_identifier,
    patient_gs1_symbology_only,
    patient_gs1_separators_only,
    patient_gs1_qr_symbology,
    patient_gs1_128_symbology,
    patient_gs1_garbage_after_gsrn,
    patient_too_long_text,
    patient_too_long_digits,
    patient_too_long_band_padded,
    patient_longest_accepted,
    patient_local_number_valid,
    patient_local_number_wrong_format,
    patient_local_number_no_policy,
    patient_not_recognised_text,
    patient_iso15434_envelope,
    patient_emoji,
    patient_rtl_override,
}

#[test]
fn every_vector_file_has_a_test() {
    let mut files: Vec<String> = fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("patient_"))
        .collect();
    files.sort();
    let mut names: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
    names.sort();
    assert_eq!(files, names);
}

/// Writes every vector's decoded payload to `fuzz/corpus/patient_barcode/` as fuzzing seeds.
#[test]
#[ignore = "rewrites the fuzz seeds; run with WARDCAM_WRITE_VECTORS=1"]
fn write_fuzz_seeds() {
    if std::env::var_os("WARDCAM_WRITE_VECTORS").is_none() {
        return;
    }
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/patient_barcode");
    fs::create_dir_all(&corpus).unwrap();
    for name in NAMES {
        let (_, _, payload) = load(name);
        fs::write(corpus.join(name.trim_start_matches("patient_")), payload).unwrap();
    }
}
