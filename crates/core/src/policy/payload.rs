//! Signed provisioning codes, for trusts without MDM.
//!
//! A QR code holds about 2.9 KB, less than a policy with its CA certificates and consent text. So
//! a code is one or more **parts**, each a line of text (one QR code each):
//!
//! ```text
//! WCP1:1/3:<base64url summary>.<base64url signature>
//! WCP1:2/3:<base64url policy bytes, first chunk>
//! WCP1:3/3:<base64url policy bytes, rest>
//! ```
//!
//! Part 1 is the **signed summary**: what must be trusted (the trust, each endpoint's address and
//! SPKI pins, the policy version, the expiry) and the SHA-256 and length of the full policy's
//! canonical JSON, signed with Ed25519 by the trust's provisioning key. The other parts carry the
//! full policy; they need no signature of their own, because the phone accepts them only if their
//! joined bytes have exactly the digest the signed summary names. Parts may come in any order.
//!
//! A phone accepts a code only if the summary is signed by a key it was built or managed with,
//! the code has not expired, the version is not older than the policy in force (the same version
//! only with the same bytes), the parts' digest matches, the full policy passes every check, and
//! the summary agrees with it. A code carries a credential or private key only when the device
//! manager asked for it explicitly ([`sign_with_secrets`]; whoever sees the code could copy them),
//! and its signed summary says so.

use base64::Engine;
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::PolicyError;
use super::model::{Policy, ProvisioningKey};

/// What every part starts with: format 1.
pub const PART_PREFIX: &str = "WCP1:";
/// Policy bytes per part: with base64 and the prefix a part is under 2,100 characters, which fits
/// a QR code at error correction level M (2,331 bytes).
pub const CHUNK_BYTES: usize = 1_500;
/// The most parts a code may have.
pub const MAX_PARTS: usize = 64;
/// Domain separation: a provisioning signature can never be taken for another message.
const SIGNING_CONTEXT: &[u8] = b"WardCam provisioning code v1\n";

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// One endpoint as the signed summary names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryEndpoint {
    /// `record` or `pacs`.
    pub role: String,
    /// Its base address.
    pub url: String,
    /// Its SPKI pins.
    pub pins: Vec<String>,
}

/// The signed part of a provisioning code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// The trust's name.
    pub trust: String,
    /// Its ODS code.
    pub ods_code: String,
    /// The policy version.
    pub version: u64,
    /// Signed at (Unix seconds).
    pub issued_at: u64,
    /// Refused after (Unix seconds).
    pub expires_at: u64,
    /// The signing key (base64), so a phone with several trusted keys knows which to try.
    pub key: String,
    /// SHA-256 (hex) of the full policy's canonical JSON.
    pub policy_sha256: String,
    /// Its length in bytes.
    pub policy_len: usize,
    /// How many parts the code has, this one included.
    pub parts: usize,
    /// Each endpoint's address and pins.
    pub endpoints: Vec<SummaryEndpoint>,
    /// The device manager chose to put a credential in this code ([`sign_with_secrets`]); a code
    /// without this mark that carries one is refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub carries_secrets: bool,
}

impl Summary {
    fn of(
        policy: &Policy,
        bytes: &[u8],
        key: ProvisioningKey,
        issued_at: u64,
        expires_at: u64,
        parts: usize,
    ) -> Summary {
        Summary {
            trust: policy.trust.name.clone(),
            ods_code: policy.trust.ods_code.clone(),
            version: policy.version,
            issued_at,
            expires_at,
            key: key.to_base64(),
            policy_sha256: sha256_hex(bytes),
            policy_len: bytes.len(),
            parts,
            endpoints: endpoints_of(policy),
            carries_secrets: policy.has_secrets(),
        }
    }
}

fn endpoints_of(policy: &Policy) -> Vec<SummaryEndpoint> {
    [("record", &policy.record), ("pacs", &policy.pacs)]
        .into_iter()
        .filter_map(|(role, e)| {
            e.as_ref().map(|e| SummaryEndpoint {
                role: role.to_owned(),
                url: e.base_url.clone(),
                pins: e.spki_pins_sha256.clone(),
            })
        })
        .collect()
}

/// SHA-256, lower-case hex (the consent record's digest function, public for the shell).
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::consent::canonical::sha256_hex(bytes)
}

/// A new provisioning key pair: the PKCS#8 document (keep it secret, wiped on drop) and its
/// public key.
pub fn generate_key_pair() -> Result<(Zeroizing<Vec<u8>>, ProvisioningKey), PolicyError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| PolicyError::Malformed {
        detail: "the system could not make a key".into(),
    })?;
    let pkcs8 = Zeroizing::new(pkcs8.as_ref().to_vec());
    let public = public_key(&pkcs8)?;
    Ok((pkcs8, public))
}

/// The public key of a PKCS#8 Ed25519 key pair.
pub fn public_key(pkcs8: &[u8]) -> Result<ProvisioningKey, PolicyError> {
    let pair = key_pair(pkcs8)?;
    let bytes: [u8; 32] =
        pair.public_key()
            .as_ref()
            .try_into()
            .map_err(|_| PolicyError::Malformed {
                detail: "not an Ed25519 key".into(),
            })?;
    Ok(ProvisioningKey(bytes))
}

fn key_pair(pkcs8: &[u8]) -> Result<Ed25519KeyPair, PolicyError> {
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|_| PolicyError::Malformed {
        detail: "the provisioning private key is not a PKCS#8 Ed25519 key".into(),
    })
}

/// Signs `policy` (checked first) into the parts of a provisioning code, valid from `issued_at`
/// to `expires_at` (Unix seconds). Refuses a policy with secrets.
pub fn sign(
    policy: &Policy,
    pkcs8: &[u8],
    issued_at: u64,
    expires_at: u64,
) -> Result<Vec<String>, PolicyError> {
    if policy.has_secrets() {
        return Err(PolicyError::SecretInPayload);
    }
    sign_with_secrets(policy, pkcs8, issued_at, expires_at)
}

/// [`sign`], letting an HTTP credential or client key into the code: only when the device
/// manager says so, because anyone who sees the code (or its printout) can read them. The signed
/// summary marks such a code, and a phone refuses an unmarked code that carries one.
pub fn sign_with_secrets(
    policy: &Policy,
    pkcs8: &[u8],
    issued_at: u64,
    expires_at: u64,
) -> Result<Vec<String>, PolicyError> {
    policy.check()?;
    let pair = key_pair(pkcs8)?;
    let key = public_key(pkcs8)?;
    let bytes = policy.canonical_json()?;
    let chunks: Vec<&[u8]> = bytes.chunks(CHUNK_BYTES).collect();
    let total = chunks.len() + 1;
    if total > MAX_PARTS {
        return Err(PolicyError::Malformed {
            detail: format!("the policy needs more than {MAX_PARTS} parts"),
        });
    }
    let summary = Summary::of(policy, &bytes, key, issued_at, expires_at, total);
    let summary_json = serde_json::to_vec(&summary).map_err(|_| PolicyError::Malformed {
        detail: "the summary cannot be written".into(),
    })?;
    let signature = pair.sign(&signed_message(&summary_json));
    let mut parts = vec![format!(
        "{PART_PREFIX}1/{total}:{}.{}",
        b64().encode(&summary_json),
        b64().encode(signature.as_ref())
    )];
    for (i, chunk) in chunks.iter().enumerate() {
        parts.push(format!(
            "{PART_PREFIX}{}/{total}:{}",
            i + 2,
            b64().encode(chunk)
        ));
    }
    Ok(parts)
}

fn signed_message(summary_json: &[u8]) -> Vec<u8> {
    let mut message = SIGNING_CONTEXT.to_vec();
    message.extend_from_slice(summary_json);
    message
}

/// The policy in force on the phone, which a code must not go back from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce<'a> {
    /// Its version.
    pub version: u64,
    /// SHA-256 (hex) of its canonical JSON.
    pub sha256: &'a str,
}

/// A code's policy, accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The policy.
    pub policy: Policy,
    /// Its canonical bytes, as signed (what the phone keeps).
    pub bytes: Vec<u8>,
    /// Their SHA-256, hex.
    pub sha256: String,
    /// The key that signed it.
    pub signed_by: ProvisioningKey,
}

fn malformed(detail: &str) -> PolicyError {
    PolicyError::Malformed {
        detail: detail.to_owned(),
    }
}

/// Splits `text` (the parts, one per line, in any order; blank lines and spaces ignored) and
/// returns them ordered: part 1 first. Never panics; bounded by [`MAX_PARTS`].
fn parts(text: &str) -> Result<Vec<String>, PolicyError> {
    let mut found: Vec<Option<String>> = Vec::new();
    let mut total = None;
    let mut given = 0usize;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let rest = line
            .strip_prefix(PART_PREFIX)
            .ok_or_else(|| malformed("a line is not part of a WardCam provisioning code"))?;
        let (position, data) = rest
            .split_once(':')
            .ok_or_else(|| malformed("a part has no position"))?;
        let (k, n) = position
            .split_once('/')
            .ok_or_else(|| malformed("a part's position is not k/n"))?;
        let (k, n): (usize, usize) = match (k.parse(), n.parse()) {
            (Ok(k), Ok(n)) if k >= 1 && k <= n && (1..=MAX_PARTS).contains(&n) => (k, n),
            _ => return Err(malformed("a part's position is not k/n")),
        };
        if *total.get_or_insert(n) != n {
            return Err(malformed("the parts come from different codes"));
        }
        if found.is_empty() {
            found = vec![None; n];
        }
        let slot = &mut found[k - 1];
        match slot {
            Some(previous) if previous != data => {
                return Err(malformed("two different parts claim the same position"));
            }
            Some(_) => {}
            None => {
                *slot = Some(data.to_owned());
                given += 1;
            }
        }
    }
    let need = total.ok_or_else(|| malformed("there is no provisioning code in the text"))?;
    if given < need {
        return Err(PolicyError::PartsMissing { have: given, need });
    }
    Ok(found.into_iter().flatten().collect())
}

/// Checks a provisioning code (all its parts, in `text`) against the keys this phone trusts, the
/// time `now` (Unix seconds) and the policy in force; returns the policy to apply.
pub fn verify(
    text: &str,
    trusted: &[ProvisioningKey],
    now: u64,
    in_force: Option<InForce<'_>>,
) -> Result<Accepted, PolicyError> {
    if trusted.is_empty() {
        return Err(PolicyError::NoProvisioningKeys);
    }
    // Longer than any code of MAX_PARTS parts: refused before any work.
    if text.len() > MAX_PARTS * 2 * CHUNK_BYTES + 4_096 {
        return Err(malformed("the text is far longer than a provisioning code"));
    }
    let parts = parts(text)?;
    let (summary_b64, signature_b64) = parts[0].split_once('.').ok_or(PolicyError::BadSignature)?;
    let summary_json = b64()
        .decode(summary_b64)
        .map_err(|_| malformed("the summary is not base64url"))?;
    let signature = b64()
        .decode(signature_b64)
        .map_err(|_| PolicyError::BadSignature)?;
    // Nothing in the summary is read before a trusted key vouches for it: each trusted key is
    // tried (a phone holds a few at most).
    let message = signed_message(&summary_json);
    let Some(key) = trusted.iter().copied().find(|k| {
        UnparsedPublicKey::new(&ED25519, k.0)
            .verify(&message, &signature)
            .is_ok()
    }) else {
        // Which reason to give: a code that names a key this phone does not hold, or one changed
        // since it was signed.
        let named = serde_json::from_slice::<Summary>(&summary_json)
            .ok()
            .and_then(|s| ProvisioningKey::parse(&s.key));
        return Err(match named {
            Some(k) if !trusted.contains(&k) => PolicyError::UnknownKey,
            _ => PolicyError::BadSignature,
        });
    };
    let summary: Summary =
        serde_json::from_slice(&summary_json).map_err(|_| malformed("the summary is not JSON"))?;
    if ProvisioningKey::parse(&summary.key) != Some(key) {
        return Err(PolicyError::BadSignature);
    }
    // From here the summary is the trust's own words.
    if summary.parts != parts.len() {
        return Err(PolicyError::HashMismatch);
    }
    if now > summary.expires_at {
        return Err(PolicyError::Expired);
    }
    let mut bytes = Vec::with_capacity(summary.policy_len.min(super::model::MAX_POLICY_BYTES));
    for part in &parts[1..] {
        let chunk = b64()
            .decode(part)
            .map_err(|_| malformed("a part is not base64url"))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > super::model::MAX_POLICY_BYTES {
            return Err(PolicyError::HashMismatch);
        }
    }
    let sha256 = sha256_hex(&bytes);
    if bytes.len() != summary.policy_len || sha256 != summary.policy_sha256 {
        return Err(PolicyError::HashMismatch);
    }
    if let Some(current) = in_force {
        if summary.version < current.version {
            return Err(PolicyError::Older {
                current: current.version,
                offered: summary.version,
            });
        }
        if summary.version == current.version && sha256 != current.sha256 {
            return Err(PolicyError::VersionReused {
                version: summary.version,
            });
        }
    }
    let policy = Policy::from_json(&bytes)?;
    if policy.has_secrets() && !summary.carries_secrets {
        return Err(PolicyError::SecretInPayload);
    }
    // The digest binds the parts to the summary; this makes sure the summary a person could read
    // off part 1 says what the policy says.
    if policy.version != summary.version
        || policy.trust.name != summary.trust
        || policy.trust.ods_code != summary.ods_code
        || endpoints_of(&policy) != summary.endpoints
    {
        return Err(PolicyError::HashMismatch);
    }
    Ok(Accepted {
        policy,
        bytes,
        sha256,
        signed_by: key,
    })
}

/// The summary of a code, read without checking it: for `wardcam-admin` to show what a code says.
pub fn read_summary(text: &str) -> Result<Summary, PolicyError> {
    let parts = parts(text)?;
    let summary_b64 = parts[0].split('.').next().unwrap_or("");
    let json = b64()
        .decode(summary_b64)
        .map_err(|_| malformed("the summary is not base64url"))?;
    serde_json::from_slice(&json).map_err(|_| malformed("the summary is not JSON"))
}
