//! The trust's policy and how a phone gets it: one validated model ([`Policy`]), read from MDM's
//! managed configuration ([`managed`]) or a signed provisioning code ([`payload`]), and kept in the
//! platform keystore ([`store`]). Every setting WardCam used to compile in is read from here;
//! `docs/provisioning.md` lists them with their defaults.

mod error;
pub mod managed;
mod model;
pub mod payload;
pub mod store;
#[cfg(test)]
mod tests;

pub use error::{PolicyError, Problem, Problems};
pub use managed::{Kind, ManagedKey, ENDPOINT_KEYS, MANAGED_KEYS};
pub use model::{
    AppSettings, ConsentSettings, DeliverySettings, Policy, ProvisioningKey, ProvisioningSettings,
    RetentionSettings, SessionSettings, Trust, WristbandSettings, IDLE_LOCK_SECONDS,
    MAX_POLICY_BYTES, MAX_PROVISIONING_KEYS, MAX_VERSION,
};
pub use store::{Provisioned, Provisioning, Source};

/// The bodies of the `policy_code` and `policy_managed` fuzz targets, kept here so unit tests run
/// them too.
pub mod fuzzing {
    use base64::Engine;
    use ring::signature::{Ed25519KeyPair, KeyPair};

    use super::payload::{self, sha256_hex, Summary, PART_PREFIX};
    use super::{Policy, ProvisioningKey};

    /// A fixed test key (seed 7, 7, …): the fuzzer's seeds are signed with it.
    pub fn key_pair() -> Option<Ed25519KeyPair> {
        Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).ok()
    }

    /// Reads `data` as a provisioning code, then signs it as a code's policy bytes and reads that.
    /// Panics only if an invariant breaks: a code is accepted only if its policy is one
    /// [`Policy::from_json`] accepts, with exactly those bytes.
    pub fn provisioning_code(data: &[u8]) {
        let Some(pair) = key_pair() else { return };
        let Ok(public) = <[u8; 32]>::try_from(pair.public_key().as_ref()) else {
            return;
        };
        let key = ProvisioningKey(public);
        let text = String::from_utf8_lossy(data);
        if let Ok(accepted) = payload::verify(&text, &[key], 1_800_000_000, None) {
            assert!(Policy::from_json(&accepted.bytes).is_ok());
        }
        // The same bytes as a signed policy: past the signature, into the policy checks.
        let policy = Policy::from_json(data);
        let summary = Summary {
            trust: policy
                .as_ref()
                .map(|p| p.trust.name.clone())
                .unwrap_or_default(),
            ods_code: policy
                .as_ref()
                .map(|p| p.trust.ods_code.clone())
                .unwrap_or_default(),
            version: policy.as_ref().map_or(1, |p| p.version),
            issued_at: 0,
            expires_at: u64::MAX,
            key: key.to_base64(),
            policy_sha256: sha256_hex(data),
            policy_len: data.len(),
            parts: 2,
            endpoints: Vec::new(),
            carries_secrets: false,
        };
        let Ok(json) = serde_json::to_vec(&summary) else {
            return;
        };
        let mut message = b"WardCam provisioning code v1\n".to_vec();
        message.extend_from_slice(&json);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let code = format!(
            "{PART_PREFIX}1/2:{}.{}\n{PART_PREFIX}2/2:{}",
            b64.encode(&json),
            b64.encode(pair.sign(&message).as_ref()),
            b64.encode(data)
        );
        if let Ok(accepted) = payload::verify(&code, &[key], 1_800_000_000, None) {
            assert_eq!(accepted.bytes, data);
            assert!(policy.is_ok());
        }
    }

    /// Reads `data` as MDM's managed configuration. Panics only if an invariant breaks: an accepted
    /// configuration reads back through [`Policy::to_managed`] to the same policy, and every
    /// refusal names a field.
    pub fn managed_config(data: &[u8]) {
        let Ok(values) = serde_json::from_slice::<serde_json::Value>(data) else {
            return;
        };
        match Policy::from_managed(&values) {
            Ok(policy) => {
                let again = Policy::from_managed(&policy.to_managed());
                let again = again.ok().and_then(|p| p.canonical_json().ok());
                assert_eq!(again, policy.canonical_json().ok());
            }
            Err(e) => {
                for p in e.problems() {
                    assert!(!p.field.is_empty());
                }
            }
        }
    }
}
