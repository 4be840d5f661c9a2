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

/// The fuzz targets' bodies (`fuzz/fuzz_targets/endpoint_config.rs`, `http_date.rs`), here so that
/// unit tests run them over random inputs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{
        parse_http_date, parse_retry_after, Endpoint, EndpointConfig, EndpointError, RetryAfter,
        SpkiPin,
    };

    /// 0000-01-01 00:00:00 UTC and 9999-12-31 23:59:59 UTC: what an IMF-fixdate's four-digit
    /// year can say, in Unix seconds.
    pub const HTTP_DATE_RANGE: std::ops::RangeInclusive<i64> = -62_167_219_200..=253_402_300_799;

    /// `unix` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), built from `time`'s calendar
    /// fields (the crate has no formatting here); `None` outside [`HTTP_DATE_RANGE`].
    pub fn imf_fixdate(unix: i64) -> Option<String> {
        if !HTTP_DATE_RANGE.contains(&unix) {
            return None;
        }
        let t = time::OffsetDateTime::from_unix_timestamp(unix).ok()?;
        let weekday = t.weekday().to_string();
        let month = t.month().to_string();
        Some(format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
            weekday.get(..3)?,
            t.day(),
            month.get(..3)?,
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        ))
    }

    /// Reads `data` (lossily as UTF-8) as an HTTP date, as a `Date` or `Retry-After` header is
    /// read, and its first 8 bytes as a moment to write as one. Panics only if an invariant
    /// breaks: reading is deterministic; an accepted date is within [`HTTP_DATE_RANGE`], reads the
    /// same through `parse_retry_after`, and written back as an IMF-fixdate reads as the same
    /// moment; every moment in the range written as an IMF-fixdate reads back as itself.
    pub fn http_date(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let parsed = parse_http_date(&text);
        assert_eq!(parsed, parse_http_date(&text), "not deterministic");
        if let Some(unix) = parsed {
            assert!(
                HTTP_DATE_RANGE.contains(&unix),
                "a date out of range: {unix}"
            );
            assert_eq!(
                parse_retry_after(&text),
                Some(RetryAfter::At(unix)),
                "Retry-After reads it otherwise"
            );
            let written = imf_fixdate(unix);
            assert!(written.is_some(), "an accepted date cannot be written");
            let again = written.as_deref().and_then(parse_http_date);
            assert_eq!(again, Some(unix), "{written:?} does not read back");
        }
        let mut moment = [0u8; 8];
        for (m, d) in moment.iter_mut().zip(data) {
            *m = *d;
        }
        let span = HTTP_DATE_RANGE.end() - HTTP_DATE_RANGE.start() + 1;
        let unix = HTTP_DATE_RANGE.start() + i64::from_le_bytes(moment).rem_euclid(span);
        let written = imf_fixdate(unix);
        assert!(written.is_some(), "a moment in range cannot be written");
        let again = written.as_deref().and_then(parse_http_date);
        assert_eq!(again, Some(unix), "{written:?} does not read back");
    }

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
