#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::client::classify_tls_for_tests as from_tls;
use super::*;
use rustls::{AlertDescription, CertificateError, PeerIncompatible};

// A throwaway self-signed certificate (EC P-256), only parsed here, never served.
const CERT: &str = include_str!("testdata/anchor.pem");
const CERT_PIN: &str = include_str!("testdata/anchor.pin");

fn config(base: &str) -> EndpointConfig {
    EndpointConfig {
        base_url: base.into(),
        trust_anchors_pem: CERT.into(),
        spki_pins_sha256: vec![CERT_PIN.trim().into()],
        client_certificate_pem: None,
        client_key_pem: None,
        credential: None,
    }
}

#[test]
fn a_pin_is_the_sha256_of_the_certificates_key_as_openssl_prints_it() {
    let der = rustls::pki_types::CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap();
    let pin = SpkiPin::of_certificate(&der).unwrap();
    assert_eq!(pin.to_string(), CERT_PIN.trim());
    assert_eq!(SpkiPin::parse(CERT_PIN), Some(pin));
    assert_eq!(
        SpkiPin::parse(&format!("sha256/{}", CERT_PIN.trim())),
        Some(pin)
    );
    assert_eq!(SpkiPin::parse("not base64!"), None);
    assert_eq!(SpkiPin::parse("AAAA"), None, "a digest must be 32 bytes");
}

use rustls::pki_types::pem::PemObject;

#[test]
fn a_usable_configuration_builds() {
    let e = Endpoint::new(&config("https://127.0.0.1:8443/fhir/R4")).unwrap();
    assert_eq!(e.base_url(), "https://127.0.0.1:8443/fhir/R4");
    assert_eq!(e.pin_count(), 1);
    assert_eq!(
        e.certificate_status(0),
        None,
        "nothing seen before a handshake"
    );
}

#[test]
fn every_unusable_setting_is_refused_and_named() {
    let field = |c: EndpointConfig| match Endpoint::new(&c) {
        Err(EndpointError::ConfigInvalid { field }) => field,
        other => panic!("accepted: {other:?}"),
    };
    for base in [
        "http://127.0.0.1/fhir",
        "ftp://x/",
        "https://user:pw@host/fhir",
        "https://host/fhir?x=1",
        "https://host/fhir#f",
        "not a url",
    ] {
        assert_eq!(field(config(base)), "base_url", "{base}");
    }
    let mut c = config("https://h/");
    c.spki_pins_sha256.clear();
    assert_eq!(field(c), "spki_pins_sha256");
    let mut c = config("https://h/");
    c.spki_pins_sha256 = vec!["short".into()];
    assert_eq!(field(c), "spki_pins_sha256");
    let mut c = config("https://h/");
    c.trust_anchors_pem = String::new();
    assert_eq!(field(c), "trust_anchors_pem");
    let mut c = config("https://h/");
    c.trust_anchors_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into();
    assert_eq!(field(c), "trust_anchors_pem");
    let mut c = config("https://h/");
    c.client_certificate_pem = Some(CERT.into());
    assert_eq!(field(c), "client_key_pem", "half a client certificate");
    let mut c = config("https://h/");
    c.client_key_pem = Some(String::from("x").into());
    assert_eq!(field(c), "client_certificate_pem");
}

#[test]
fn the_json_form_is_read_and_unknown_fields_refused() {
    let json = serde_json::json!({
        "base_url": "https://h/fhir",
        "trust_anchors_pem": CERT,
        "spki_pins_sha256": [CERT_PIN.trim()],
        "credential": {"scheme": "basic", "username": "u", "password": "secret-pw"},
    });
    let c = EndpointConfig::from_json(json.to_string().as_bytes()).unwrap();
    assert!(
        !format!("{c:?}").contains("secret-pw"),
        "Debug shows no secret"
    );
    let mut bad = json.clone();
    bad["proxy"] = "http://evil".into();
    assert_eq!(
        EndpointConfig::from_json(bad.to_string().as_bytes()).unwrap_err(),
        EndpointError::ConfigInvalid { field: "format" }
    );
}

#[test]
fn a_credential_makes_the_authorization_header() {
    let basic = Credential::Basic {
        username: String::from("Aladdin").into(),
        password: String::from("open sesame").into(),
    };
    assert_eq!(
        basic.header_value().as_str(),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    let bearer = Credential::Bearer {
        token: String::from("t0k").into(),
    };
    assert_eq!(bearer.header_value().as_str(), "Bearer t0k");
    assert!(!format!("{bearer:?}").contains("t0k"));
}

#[test]
fn requests_never_leave_the_base_address() {
    let e = Endpoint::new(&config("https://h:1/fhir/R4")).unwrap();
    assert_eq!(
        e.url_for_tests("Patient/_search").unwrap().as_str(),
        "https://h:1/fhir/R4/Patient/_search"
    );
    for path in [
        "/Patient",
        "https://evil/x",
        "../admin",
        "a/../../b",
        "//evil/x",
    ] {
        assert!(e.url_for_tests(path).is_err(), "{path}");
    }
}

#[test]
fn statuses_sort_into_classes() {
    assert_eq!(
        EndpointError::from_status(302),
        EndpointError::Redirected { status: 302 }
    );
    assert_eq!(
        EndpointError::from_status(503),
        EndpointError::Unavailable { status: Some(503) }
    );
    assert_eq!(
        EndpointError::from_status(429),
        EndpointError::Unavailable { status: Some(429) }
    );
    assert_eq!(
        EndpointError::from_status(401),
        EndpointError::Rejected { status: 401 }
    );
    assert_eq!(
        EndpointError::from_status(404),
        EndpointError::Rejected { status: 404 }
    );
    assert_eq!(EndpointError::from_status(199), EndpointError::Malformed);
}

#[test]
fn tls_failures_sort_into_trust_problems() {
    use rustls::Error as E;
    let trust = |e: E| match from_tls(&e) {
        EndpointError::NotTrusted { problem } => problem,
        other => panic!("{e:?} gave {other:?}"),
    };
    assert_eq!(
        from_tls(&E::InvalidCertificate(
            CertificateError::ApplicationVerificationFailure
        )),
        EndpointError::PinMismatch
    );
    assert_eq!(
        trust(E::InvalidCertificate(CertificateError::UnknownIssuer)),
        TrustProblem::UnknownIssuer
    );
    assert_eq!(
        trust(E::InvalidCertificate(CertificateError::Expired)),
        TrustProblem::Expired
    );
    assert_eq!(
        trust(E::InvalidCertificate(CertificateError::NotValidForName)),
        TrustProblem::WrongHost
    );
    assert_eq!(
        trust(E::PeerIncompatible(PeerIncompatible::Tls12NotOffered)),
        TrustProblem::OldProtocol
    );
    assert_eq!(
        trust(E::AlertReceived(AlertDescription::ProtocolVersion)),
        TrustProblem::OldProtocol
    );
    assert_eq!(
        trust(E::AlertReceived(AlertDescription::CertificateRequired)),
        TrustProblem::ClientCertificateRefused
    );
    assert_eq!(trust(E::DecryptError), TrustProblem::Other);
}

#[test]
fn messages_say_what_to_do_and_codes_are_stable() {
    let all = [
        EndpointError::Unreachable,
        EndpointError::NotTrusted {
            problem: TrustProblem::UnknownIssuer,
        },
        EndpointError::PinMismatch,
        EndpointError::Unavailable { status: Some(503) },
        EndpointError::Unavailable { status: None },
        EndpointError::Malformed,
        EndpointError::Rejected { status: 401 },
        EndpointError::Redirected { status: 302 },
        EndpointError::ConfigInvalid { field: "base_url" },
    ];
    for e in all {
        assert!(e.code().starts_with("endpoint."));
        assert!(e.to_string().ends_with('.'), "{e}");
    }
    assert!(EndpointError::PinMismatch
        .to_string()
        .starts_with("Hospital server not trusted - tell IT"));
    assert!(EndpointError::NotTrusted {
        problem: TrustProblem::Expired
    }
    .to_string()
    .starts_with("Hospital server not trusted - tell IT"));
}

#[test]
fn the_fuzz_body_holds_for_random_and_near_valid_inputs() {
    use proptest::prelude::*;
    let valid = serde_json::json!({
        "base_url": "https://127.0.0.1:9/fhir/R4",
        "trust_anchors_pem": CERT,
        "spki_pins_sha256": [CERT_PIN.trim()],
    })
    .to_string();
    fuzzing::endpoint_config(valid.as_bytes());
    fuzzing::endpoint_config(CERT.as_bytes());
    // The URL parser folds the scheme's case and drops leading control characters: such a base
    // builds, and the client's address is still https (a case the random run once found).
    for odd in ["HTTPS://", "\\u0001https://", "hTTps://"] {
        fuzzing::endpoint_config(valid.replace("https://", odd).as_bytes());
    }
    let plain = valid.replace("https://", "http://");
    fuzzing::endpoint_config(plain.as_bytes());
    assert!(EndpointConfig::from_json(plain.as_bytes())
        .and_then(|c| Endpoint::new(&c))
        .is_err());
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(
            &(
                proptest::collection::vec(any::<u8>(), 0..256),
                0usize..400,
                any::<u8>(),
            ),
            |(noise, at, byte)| {
                fuzzing::endpoint_config(&noise);
                let mut near = valid.clone().into_bytes();
                let at = at % near.len();
                near[at] = byte;
                fuzzing::endpoint_config(&near);
                Ok(())
            },
        )
        .unwrap();
}

#[test]
fn the_http_date_fuzz_body_holds_for_real_odd_and_random_dates() {
    use proptest::prelude::*;
    assert_eq!(
        fuzzing::imf_fixdate(784_111_777).as_deref(),
        Some("Sun, 06 Nov 1994 08:49:37 GMT")
    );
    let (first, last) = (
        *fuzzing::HTTP_DATE_RANGE.start(),
        *fuzzing::HTTP_DATE_RANGE.end(),
    );
    assert_eq!(
        fuzzing::imf_fixdate(first).as_deref(),
        Some("Sat, 01 Jan 0000 00:00:00 GMT")
    );
    assert_eq!(
        fuzzing::imf_fixdate(last).as_deref(),
        Some("Fri, 31 Dec 9999 23:59:59 GMT")
    );
    assert_eq!(fuzzing::imf_fixdate(first - 1), None);
    assert_eq!(fuzzing::imf_fixdate(last + 1), None);
    for text in fuzz_http_dates() {
        fuzzing::http_date(text.as_bytes());
    }
    // Inputs the fuzzer found, kept as vectors: a signed year, which `time` read as 1995 BC.
    let found = include_bytes!("../../tests/vectors/http_date_signed_year.txt");
    fuzzing::http_date(found);
    assert_eq!(parse_http_date(std::str::from_utf8(found).unwrap()), None);
    for signed in [
        "Sun, 06 Nov +1994 08:49:37 GMT",
        "Sun, 06 Nov -001 08:49:37 GMT",
    ] {
        assert_eq!(parse_http_date(signed), None, "{signed}");
    }
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(
            &(
                proptest::collection::vec(any::<u8>(), 0..40),
                0usize..29,
                any::<u8>(),
            ),
            |(noise, at, byte)| {
                fuzzing::http_date(&noise);
                let mut near = b"Sun, 06 Nov 1994 08:49:37 GMT".to_vec();
                near[at] = byte;
                fuzzing::http_date(&near);
                Ok(())
            },
        )
        .unwrap();
}

/// The `http_date` fuzz target's seeds: RFC 9110's example and its obsolete forms, the range's
/// ends, a leap day, a wrong weekday, a leap second, surrounding space.
fn fuzz_http_dates() -> [&'static str; 10] {
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sat, 01 Jan 0000 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Thu, 29 Feb 2024 12:00:00 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT",
        "Sat, 31 Dec 2016 23:59:60 GMT",
        " Tue, 01 Dec 2026 03:14:56 GMT ",
        "Tue, 01 Dec 2026 03:14:56 UTC",
    ]
}

/// Writes the `http_date` fuzz target's seeds:
/// `cargo test -p wardcam-core --lib endpoint::tests::write_http_date_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/http_date"]
fn write_http_date_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/http_date");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, text) in fuzz_http_dates().iter().enumerate() {
        std::fs::write(dir.join(format!("date_{i}.txt")), text).unwrap();
    }
}
