//! How a device reaches one trust endpoint: its address, the authorities and keys it trusts, and
//! how it proves who it is. Provisioning fills this in; [`super::Endpoint::new`] checks it.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::EndpointError;

/// The SHA-256 digest of a certificate's DER `SubjectPublicKeyInfo`: the key a server must hold.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpkiPin(pub [u8; 32]);

impl SpkiPin {
    /// Reads the usual text form: standard base64 of the 32-byte digest (as `openssl pkey -pubin
    /// -outform DER | openssl dgst -sha256 -binary | base64` prints it). A `sha256/` prefix, as in
    /// HPKP and OkHttp, is accepted.
    pub fn parse(text: &str) -> Option<SpkiPin> {
        let text = text.trim();
        let text = text.strip_prefix("sha256/").unwrap_or(text);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?;
        Some(SpkiPin(bytes.try_into().ok()?))
    }

    /// The pin of a DER certificate's key, or `None` when the certificate cannot be parsed.
    pub fn of_certificate(der: &[u8]) -> Option<SpkiPin> {
        let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
        let digest =
            ring::digest::digest(&ring::digest::SHA256, cert.tbs_certificate.subject_pki.raw);
        Some(SpkiPin(digest.as_ref().try_into().ok()?))
    }
}

impl fmt::Display for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&base64::engine::general_purpose::STANDARD.encode(self.0))
    }
}

impl fmt::Debug for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpkiPin({self})")
    }
}

/// An HTTP credential for the endpoint. Held in memory wiped on drop and never printed: `Debug`
/// shows only the scheme.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "snake_case", deny_unknown_fields)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: Zeroizing<String>,
    },
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// The user name.
        username: Zeroizing<String>,
        /// The password.
        password: Zeroizing<String>,
    },
}

impl Credential {
    /// The `Authorization` header value, in a buffer wiped on drop.
    pub(crate) fn header_value(&self) -> Zeroizing<String> {
        match self {
            Credential::Bearer { token } => Zeroizing::new(format!("Bearer {}", token.as_str())),
            Credential::Basic { username, password } => {
                let joined = Zeroizing::new(format!("{}:{}", username.as_str(), password.as_str()));
                Zeroizing::new(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(joined.as_bytes())
                ))
            }
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Credential::Bearer { .. } => "Credential::Bearer(<redacted>)",
            Credential::Basic { .. } => "Credential::Basic(<redacted>)",
        })
    }
}

/// One trust endpoint as provisioned. JSON field names are the provisioning format's:
///
/// ```json
/// {"base_url": "https://records.example.nhs.uk/fhir/R4",
///  "trust_anchors_pem": "-----BEGIN CERTIFICATE-----…",
///  "spki_pins_sha256": ["<current key>", "<backup key>"],
///  "client_certificate_pem": "…", "client_key_pem": "…",
///  "credential": {"scheme": "bearer", "token": "…"}}
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointConfig {
    /// `https://` base address; requests are made below it.
    pub base_url: String,
    /// PEM certificates of the authorities that may vouch for the server (no system roots are used).
    pub trust_anchors_pem: String,
    /// Base64 SHA-256 pins of the keys the server may hold: the current one and a backup.
    pub spki_pins_sha256: Vec<String>,
    /// A client certificate chain (PEM) for mutual TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_pem: Option<String>,
    /// Its PKCS#8 (or SEC1/PKCS#1) private key, PEM. Wiped on drop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_pem: Option<Zeroizing<String>>,
    /// An HTTP credential sent with every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<Credential>,
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("base_url", &self.base_url)
            .field("pins", &self.spki_pins_sha256.len())
            .field("client_certificate", &self.client_certificate_pem.is_some())
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl EndpointConfig {
    /// Reads the JSON form. Any fault is [`EndpointError::ConfigInvalid`]; the message names the
    /// field, never a value.
    pub fn from_json(bytes: &[u8]) -> Result<EndpointConfig, EndpointError> {
        serde_json::from_slice(bytes).map_err(|_| EndpointError::ConfigInvalid { field: "format" })
    }

    /// The pins, checked: at least one, each a base64 SHA-256 digest.
    pub(crate) fn pins(&self) -> Result<Vec<SpkiPin>, EndpointError> {
        let invalid = EndpointError::ConfigInvalid {
            field: "spki_pins_sha256",
        };
        if self.spki_pins_sha256.is_empty() {
            return Err(invalid);
        }
        self.spki_pins_sha256
            .iter()
            .map(|p| SpkiPin::parse(p).ok_or(invalid))
            .collect()
    }
}
