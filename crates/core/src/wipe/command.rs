//! The signed wipe command, for trusts without MDM: one line of text (and one QR code),
//!
//! ```text
//! WCW1:<base64url order JSON>.<base64url Ed25519 signature>
//! ```
//!
//! signed by the trust's provisioning key, the same key (and the same trusted-key list: the
//! build's and the policy's) as the signed provisioning codes (`crate::policy::payload`). The
//! signature covers a context string of its own, so a provisioning signature can never be taken
//! for a wipe, nor the reverse. The order names the trust (ODS code), the target (one
//! installation, or every phone of the trust), a random nonce, and when it was issued and
//! expires (at most [`MAX_VALIDITY_SECS`] apart). Nothing in the order is read before a trusted
//! key's signature checks.

use base64::Engine;
use ring::signature::{Ed25519KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};

use super::error::WipeError;
use crate::policy::payload::public_key;
use crate::policy::ProvisioningKey;

/// What a wipe command starts with: format 1.
pub const CODE_PREFIX: &str = "WCW1:";
/// The longest a command may be valid: a lost phone is wiped within days, and a code that
/// outlives its purpose could be replayed on a phone that never saw it.
pub const MAX_VALIDITY_SECS: u64 = 7 * 24 * 3_600;
/// How long `wardcam-admin wipe` makes a command valid by default.
pub const DEFAULT_VALIDITY_SECS: u64 = 24 * 3_600;
/// Domain separation from the provisioning codes' signatures.
const SIGNING_CONTEXT: &[u8] = b"WardCam wipe command v1\n";
/// Longer than any command: refused before any work.
const MAX_CODE_LEN: usize = 2_048;

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// Which phones a command wipes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    /// One installation of WardCam: the id its Device screen shows ([`super::installation_id`]).
    Installation(String),
    /// Every phone of the trust that scans it (a fleet code; each phone applies it once).
    Fleet,
}

/// The signed part of a wipe command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The trust's ODS code: a phone of another trust refuses it.
    pub ods_code: String,
    /// Which phones.
    pub target: Target,
    /// 16 random bytes, hex: what the phone records so the command is applied once.
    pub nonce: String,
    /// Signed at (Unix seconds).
    pub issued_at: u64,
    /// Refused after (Unix seconds).
    pub expires_at: u64,
    /// The signing key (base64), so a phone with several trusted keys knows which it was.
    pub key: String,
}

impl Order {
    /// A new order with a fresh nonce, valid from `issued_at` for `valid_for` seconds.
    pub fn new(
        ods_code: &str,
        target: Target,
        issued_at: u64,
        valid_for: u64,
    ) -> Result<Order, WipeError> {
        let mut nonce = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| WipeError::malformed("the system could not make a nonce"))?;
        Ok(Order {
            ods_code: ods_code.to_owned(),
            target,
            nonce: hex::encode(nonce),
            issued_at,
            expires_at: issued_at.saturating_add(valid_for),
            key: String::new(),
        })
    }

    fn check_shape(&self) -> Result<(), WipeError> {
        let hex_of = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        if !hex_of(&self.nonce, 32) {
            return Err(WipeError::malformed("the nonce is not 32 hex digits"));
        }
        if let Target::Installation(id) = &self.target {
            if !hex_of(id, 32) {
                return Err(WipeError::malformed(
                    "the installation id is not 32 hex digits",
                ));
            }
        }
        if self.ods_code.is_empty()
            || self.ods_code.len() > 10
            || !self
                .ods_code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(WipeError::malformed(
                "the ODS code is not 1-10 capitals and digits",
            ));
        }
        if self.expires_at < self.issued_at || self.expires_at - self.issued_at > MAX_VALIDITY_SECS
        {
            return Err(WipeError::malformed("the validity is longer than 7 days"));
        }
        Ok(())
    }
}

fn signed_message(order_json: &[u8]) -> Vec<u8> {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(order_json);
    message
}

/// Signs `order` with the trust's provisioning key (PKCS#8, as `wardcam-admin keygen` writes it)
/// into one line of text. The order's `key` is set to that key's public half.
pub fn sign(order: &Order, pkcs8: &[u8]) -> Result<String, WipeError> {
    let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|_| {
        WipeError::malformed("the provisioning private key is not a PKCS#8 Ed25519 key")
    })?;
    let key = public_key(pkcs8).map_err(|_| {
        WipeError::malformed("the provisioning private key is not a PKCS#8 Ed25519 key")
    })?;
    let order = Order {
        key: key.to_base64(),
        ..order.clone()
    };
    order.check_shape()?;
    let json = serde_json::to_vec(&order)
        .map_err(|_| WipeError::malformed("the order cannot be written"))?;
    let signature = pair.sign(&signed_message(&json));
    Ok(format!(
        "{CODE_PREFIX}{}.{}",
        b64().encode(&json),
        b64().encode(signature.as_ref())
    ))
}

fn split(code: &str) -> Result<(Vec<u8>, &str), WipeError> {
    let code = code.trim();
    if code.len() > MAX_CODE_LEN {
        return Err(WipeError::malformed(
            "the text is far longer than a wipe command",
        ));
    }
    let rest = code
        .strip_prefix(CODE_PREFIX)
        .ok_or_else(|| WipeError::malformed("the text does not start with WCW1:"))?;
    let (order_b64, signature_b64) = rest.split_once('.').ok_or(WipeError::BadSignature)?;
    let json = b64()
        .decode(order_b64)
        .map_err(|_| WipeError::malformed("the order is not base64url"))?;
    Ok((json, signature_b64))
}

/// Checks a command's signature against the keys this phone trusts and its validity at `now`
/// (Unix seconds); returns the order. Whether it is for this phone, and not replayed, is the
/// wipe record's to judge ([`super::Admitted`]).
pub fn verify(code: &str, trusted: &[ProvisioningKey], now: u64) -> Result<Order, WipeError> {
    if trusted.is_empty() {
        return Err(WipeError::NoProvisioningKeys);
    }
    let (json, signature_b64) = split(code)?;
    let signature = b64()
        .decode(signature_b64)
        .map_err(|_| WipeError::BadSignature)?;
    let message = signed_message(&json);
    let Some(key) = trusted.iter().copied().find(|k| {
        UnparsedPublicKey::new(&ED25519, k.0)
            .verify(&message, &signature)
            .is_ok()
    }) else {
        // As for provisioning codes: a key this phone does not hold, or a changed command.
        let named = serde_json::from_slice::<Order>(&json)
            .ok()
            .and_then(|o| ProvisioningKey::parse(&o.key));
        return Err(match named {
            Some(k) if !trusted.contains(&k) => WipeError::UnknownKey,
            _ => WipeError::BadSignature,
        });
    };
    let order: Order = serde_json::from_slice(&json)
        .map_err(|_| WipeError::malformed("the order is not a WardCam wipe order"))?;
    if ProvisioningKey::parse(&order.key) != Some(key) {
        return Err(WipeError::BadSignature);
    }
    // From here the order is the trust's own words.
    order.check_shape()?;
    if now > order.expires_at {
        return Err(WipeError::Expired);
    }
    Ok(order)
}

/// The order of a command, read without checking it: for `wardcam-admin` to show what a command
/// says.
pub fn read_order(code: &str) -> Result<Order, WipeError> {
    let (json, _) = split(code)?;
    serde_json::from_slice(&json)
        .map_err(|_| WipeError::malformed("the order is not a WardCam wipe order"))
}

/// The `wipe_command` fuzz target's body, here (a child of the reader) so it can sign raw order
/// bytes in the command's signing context; unit tests run it too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing;
