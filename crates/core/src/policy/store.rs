//! The policy in force, kept in the platform keystore beside the key gate's record: it holds the
//! endpoints' credentials (sealed by the keystore, never in a file or a log), it must be read
//! before the vault opens (the idle lock, the passcode minimum), and keeping it there means a
//! copied app folder carries neither.
//!
//! What the phone does at start ([`Provisioning::at_launch`]): MDM's values, if any, else a
//! provisioning code it was handed, else the policy kept from before. A new policy replaces the
//! kept one only if its version is higher (or the same version with the same bytes); one that is
//! refused leaves the kept one in force and is reported.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::PolicyError;
use super::model::{Policy, ProvisioningKey};
use super::payload::{self, sha256_hex, InForce};
use crate::vault::KeyStore;

/// How the policy in force came to the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The MDM's managed configuration (Android) or AppConfig (iOS).
    Managed,
    /// A signed provisioning code, scanned or pasted.
    Code,
}

/// The policy in force.
#[derive(Debug, Clone)]
pub struct Provisioned {
    /// The policy.
    pub policy: Policy,
    /// SHA-256 (hex) of its canonical JSON.
    pub sha256: String,
    /// Where it came from.
    pub source: Source,
}

/// The keystore record: the canonical bytes as a string, so they stay exactly what was signed.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    source: Source,
    policy: String,
}

/// The keystore entry holding the policy for the vault filed under `vault_name`.
pub fn entry_name(vault_name: &str) -> String {
    format!("{vault_name}.policy")
}

fn store_error(e: impl std::fmt::Display) -> PolicyError {
    PolicyError::Store {
        reason: e.to_string(),
    }
}

/// The kept policy, if any. A record that cannot be read back is an error (fail closed), not
/// "no policy": otherwise damaging it would reopen provisioning to a lower version.
pub fn load(keys: &dyn KeyStore, name: &str) -> Result<Option<Provisioned>, PolicyError> {
    let Some(bytes) = keys.load_secret(name).map_err(store_error)? else {
        return Ok(None);
    };
    let record: Record = serde_json::from_slice(&bytes).map_err(|_| PolicyError::Store {
        reason: "the kept policy is damaged".into(),
    })?;
    let policy = Policy::from_json(record.policy.as_bytes())?;
    Ok(Some(Provisioned {
        sha256: sha256_hex(record.policy.as_bytes()),
        policy,
        source: record.source,
    }))
}

fn save(
    keys: &dyn KeyStore,
    name: &str,
    canonical: &[u8],
    source: Source,
) -> Result<(), PolicyError> {
    let policy = String::from_utf8(canonical.to_vec()).map_err(|_| PolicyError::Malformed {
        detail: "not UTF-8".into(),
    })?;
    let record = serde_json::to_vec(&Record { source, policy }).map_err(store_error)?;
    keys.save_secret(name, &record).map_err(store_error)
}

/// What a start found: the policy in force, and why an offered one was refused (shown on the
/// Device screen; the kept policy, if any, stays in force).
#[derive(Debug, Clone, Default)]
pub struct Provisioning {
    /// The policy in force.
    pub in_force: Option<Provisioned>,
    /// Why the policy offered at this start (MDM's, or a code's) was not taken.
    pub refused: Option<PolicyError>,
    /// The version kept before anything was offered (`None`: the phone had none): with
    /// [`Provisioning::version`], what `Ward::policy_applied` compares to audit a new policy.
    pub kept_version: Option<u64>,
}

impl Provisioning {
    /// The kept policy and nothing offered: what a later offer (a pasted code, MDM's change while
    /// running) is judged against.
    pub fn kept(keys: &dyn KeyStore, name: &str) -> Result<Provisioning, PolicyError> {
        let in_force = load(keys, name)?;
        Ok(Provisioning {
            kept_version: in_force.as_ref().map(|p| p.policy.version),
            in_force,
            refused: None,
        })
    }

    /// The version in force now, if one is.
    pub fn version(&self) -> Option<u64> {
        self.in_force.as_ref().map(|p| p.policy.version)
    }

    /// Decides the policy at start. `managed` is MDM's raw values (`None` without MDM); `code` a
    /// provisioning code handed to the app; `built_in` the provisioning keys the app was built
    /// with; `now` Unix seconds.
    pub fn at_launch(
        keys: &dyn KeyStore,
        name: &str,
        managed: Option<&Value>,
        code: Option<&str>,
        built_in: &[ProvisioningKey],
        now: u64,
    ) -> Result<Provisioning, PolicyError> {
        let mut state = Provisioning::kept(keys, name)?;
        let managed = managed.filter(|v| v.as_object().is_some_and(|m| !m.is_empty()));
        if let Some(values) = managed {
            if let Err(e) = state.take_managed(keys, name, values) {
                state.refused = Some(e);
            }
        } else if let Some(code) = code {
            if let Err(e) = state.take_code(keys, name, code, built_in, now) {
                state.refused = Some(e);
            }
        }
        Ok(state)
    }

    fn in_force(&self) -> Option<InForce<'_>> {
        self.in_force.as_ref().map(|p| InForce {
            version: p.policy.version,
            sha256: &p.sha256,
        })
    }

    /// Takes MDM's values if they are a good policy no older than the one in force.
    pub fn take_managed(
        &mut self,
        keys: &dyn KeyStore,
        name: &str,
        values: &Value,
    ) -> Result<&Provisioned, PolicyError> {
        let policy = Policy::from_managed(values)?;
        let bytes = policy.canonical_json()?;
        let sha256 = sha256_hex(&bytes);
        check_order(self.in_force(), policy.version, &sha256)?;
        save(keys, name, &bytes, Source::Managed)?;
        Ok(self.in_force.insert(Provisioned {
            policy,
            sha256,
            source: Source::Managed,
        }))
    }

    /// Takes a provisioning code (all its parts) if it verifies against `built_in` and the keys
    /// the policy in force names.
    pub fn take_code(
        &mut self,
        keys: &dyn KeyStore,
        name: &str,
        code: &str,
        built_in: &[ProvisioningKey],
        now: u64,
    ) -> Result<&Provisioned, PolicyError> {
        let mut trusted = built_in.to_vec();
        if let Some(p) = &self.in_force {
            trusted.extend(p.policy.provisioning_keys());
        }
        let accepted = payload::verify(code, &trusted, now, self.in_force())?;
        save(keys, name, &accepted.bytes, Source::Code)?;
        Ok(self.in_force.insert(Provisioned {
            policy: accepted.policy,
            sha256: accepted.sha256,
            source: Source::Code,
        }))
    }
}

fn check_order(
    in_force: Option<InForce<'_>>,
    version: u64,
    sha256: &str,
) -> Result<(), PolicyError> {
    match in_force {
        Some(c) if version < c.version => Err(PolicyError::Older {
            current: c.version,
            offered: version,
        }),
        Some(c) if version == c.version && sha256 != c.sha256 => {
            Err(PolicyError::VersionReused { version })
        }
        _ => Ok(()),
    }
}
