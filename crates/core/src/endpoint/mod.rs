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
    CertificateStatus, Endpoint, Method, Reply, Request, CONNECT_TIMEOUT, EXPIRY_WARNING_SECS,
};
pub use config::{Credential, EndpointConfig, SpkiPin};
pub use error::{EndpointError, TrustProblem};

/// The fuzz target's body (`fuzz/fuzz_targets/endpoint_config.rs`), here so that a unit test runs
/// it over random inputs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{Endpoint, EndpointConfig, EndpointError, SpkiPin};

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
        let built = EndpointConfig::from_json(data).and_then(|c| Endpoint::new(&c).map(|_| c));
        match built {
            Ok(config) => {
                assert!(!config.spki_pins_sha256.is_empty(), "built with no pin");
                assert!(
                    config.base_url.trim_start().starts_with("https://"),
                    "built without https"
                );
            }
            Err(e) => {
                assert!(
                    matches!(e, EndpointError::ConfigInvalid { .. }),
                    "not a config fault"
                );
                let message = e.to_string();
                let text = String::from_utf8_lossy(data);
                for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
                    if word.len() >= 12 {
                        assert!(!message.contains(word), "the message repeats the input");
                    }
                }
            }
        }
    }
}
