//! The one client for every connection to the trust: the record look-up now, delivery next.
//!
//! [`EndpointConfig`] is what provisioning supplies (address, trust anchors, SPKI pins, optional
//! client certificate and credential); [`Endpoint`] is the client built from it; [`EndpointError`]
//! sorts every failure into the classes the callers decide on. Nothing here logs, and no error
//! carries request or reply content.

mod client;
mod config;
pub(crate) mod error;
#[cfg(test)]
mod tests;
mod verifier;

pub use client::{
    parse_http_date, parse_retry_after, Answer, CertificateStatus, Endpoint, Method, Reply,
    Request, RetryAfter, CONNECT_TIMEOUT, EXPIRY_WARNING_SECS,
};
pub use config::{Credential, EndpointConfig, SpkiPin};
pub use error::{EndpointError, TrustProblem};

/// The fuzz target's body (`fuzz/fuzz_targets/endpoint_config.rs`), here so that a unit test runs
/// it over random inputs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{Endpoint, EndpointConfig, EndpointError, SpkiPin};

    /// Every name a configuration refusal may give.
    const FIELDS: [&str; 9] = [
        "format",
        "base_url",
        "trust_anchors_pem",
        "spki_pins_sha256",
        "client_certificate_pem",
        "client_key_pem",
        "credential",
        "tls",
        "path",
    ];

    /// Reads `data` as a provisioned endpoint configuration and builds the client from it; also
    /// reads it as a certificate and as a pin. Panics only if an invariant breaks: a refusal must
    /// be a configuration fault whose message names a field, never a value from the input.
    pub fn endpoint_config(data: &[u8]) {
        let _ = SpkiPin::of_certificate(data);
        if let Ok(text) = std::str::from_utf8(data) {
            if let Some(pin) = SpkiPin::parse(text) {
                assert!(
                    SpkiPin::parse(&pin.to_string()) == Some(pin),
                    "a pin does not round-trip"
                );
            }
        }
        let built = EndpointConfig::from_json(data).and_then(|c| Endpoint::new(&c).map(|e| (c, e)));
        match built {
            Ok((config, endpoint)) => {
                assert!(!config.spki_pins_sha256.is_empty(), "built with no pin");
                // The address as the client will use it (the URL parser folds the scheme's case
                // and drops leading control characters, so the configured text may differ).
                assert!(
                    endpoint.base_url().starts_with("https://"),
                    "built without https"
                );
                assert!(endpoint.pin_count() >= 1, "built with no usable pin");
            }
            Err(e) => {
                // A refusal names one of the configuration's fields, never a value: the field is
                // a fixed name, so the message cannot carry the input.
                let EndpointError::ConfigInvalid { field } = e else {
                    panic!("not a configuration fault: {}", e.code());
                };
                assert!(FIELDS.contains(&field), "an unknown field name");
            }
        }
    }
}
