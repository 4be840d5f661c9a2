//! Why a policy, a provisioning payload or a stored policy was refused. Each variant has a stable
//! code and a message a device manager can act on; none carries a policy value (a value may be a
//! credential), only field names.

use std::fmt;

/// One problem with one field of a policy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The field, as the policy file names it: `record.spki_pins_sha256`, `wristband.gsrn_prefix`.
    pub field: String,
    /// What is wrong and what it must be.
    pub message: String,
}

impl Problem {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem of a refused policy, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [] => f.write_str("no details"),
            [one] => write!(f, "{one}"),
            [first, rest @ ..] => write!(f, "{first} (and {} more)", rest.len()),
        }
    }
}

/// A policy or provisioning payload that WardCam will not use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The policy could be read but breaks a rule.
    #[error("The trust's policy was refused: {problems}. The device manager must correct it.")]
    Invalid {
        /// Every problem found.
        problems: Problems,
    },
    /// The policy or payload is not in a form WardCam reads at all.
    #[error("The trust's policy cannot be read ({detail}). The device manager must make it again with wardcam-admin.")]
    Malformed {
        /// Where reading stopped (a position or a field name, never a value).
        detail: String,
    },
    /// The payload is signed by a key this phone was not built or managed with.
    #[error("This provisioning code was not made by a provisioning key this phone trusts. Ask the device manager for your trust's code.")]
    UnknownKey,
    /// The signature does not match: the payload was changed after it was signed.
    #[error("This provisioning code has been altered since it was signed, so it was not used. Ask the device manager for a new one.")]
    BadSignature,
    /// The payload's validity has ended.
    #[error("This provisioning code has expired. Ask the device manager for a new one.")]
    Expired,
    /// The payload's policy is older than the one in force.
    #[error("This provisioning code carries policy version {offered}, older than version {current} already on this phone, so it was not used.")]
    Older {
        /// The version in force.
        current: u64,
        /// The version offered.
        offered: u64,
    },
    /// The same version number with different content: versions must go up with every change.
    #[error("This policy reuses version {version} with different settings. The device manager must raise the version.")]
    VersionReused {
        /// The version.
        version: u64,
    },
    /// The full policy does not match the digest the signed part vouches for.
    #[error("The provisioning code's parts do not match its signed summary, so nothing was used. Scan every part of the same code.")]
    HashMismatch,
    /// Parts of a multi-part code are missing.
    #[error(
        "The provisioning code has {need} parts; {have} were given. Scan or paste every part."
    )]
    PartsMissing {
        /// Parts given.
        have: usize,
        /// Parts the code has.
        need: usize,
    },
    /// A provisioning code may not carry a credential or a private key (anyone who sees it could
    /// copy them): those come only through MDM.
    #[error("A provisioning code may not carry a password, token or private key; give those through MDM.")]
    SecretInPayload,
    /// This build trusts no provisioning key, and MDM supplied none.
    #[error("This phone has no provisioning key to check a code against. Provision it through MDM, or use a build made for your trust.")]
    NoProvisioningKeys,
    /// The phone's keystore could not keep or read the policy.
    #[error("The policy could not be kept in this phone's keystore ({reason}). Restart WardCam; if it persists, tell IT.")]
    Store {
        /// What the keystore said (no policy content).
        reason: String,
    },
    /// No trust has provisioned this phone.
    #[error(
        "This phone has not been set up by your trust. Ask the device manager to provision it."
    )]
    NotProvisioned,
    /// The trust has suspended WardCam on its phones.
    #[error("Your trust has suspended WardCam on this phone. Use the trust's other way of recording photos.")]
    Suspended,
    /// The trust requires a newer WardCam.
    #[error("Your trust requires WardCam {minimum} or newer; this is {running}. Update WardCam from the trust's app store.")]
    AppTooOld {
        /// The minimum the policy names.
        minimum: String,
        /// This app's version.
        running: String,
    },
}

impl PolicyError {
    /// The stable code the UI and the admin tool map to advice.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::Invalid { .. } => "policy.invalid",
            PolicyError::Malformed { .. } => "policy.malformed",
            PolicyError::UnknownKey => "policy.unknown_key",
            PolicyError::BadSignature => "policy.bad_signature",
            PolicyError::Expired => "policy.expired",
            PolicyError::Older { .. } => "policy.older",
            PolicyError::VersionReused { .. } => "policy.version_reused",
            PolicyError::HashMismatch => "policy.hash_mismatch",
            PolicyError::PartsMissing { .. } => "policy.parts_missing",
            PolicyError::SecretInPayload => "policy.secret_in_payload",
            PolicyError::NoProvisioningKeys => "policy.no_provisioning_keys",
            PolicyError::Store { .. } => "policy.store_failed",
            PolicyError::NotProvisioned => "policy.not_provisioned",
            PolicyError::Suspended => "policy.suspended",
            PolicyError::AppTooOld { .. } => "policy.app_too_old",
        }
    }

    /// Every stable code, for the UI's list and its test.
    pub const CODES: &'static [&'static str] = &[
        "policy.invalid",
        "policy.malformed",
        "policy.unknown_key",
        "policy.bad_signature",
        "policy.expired",
        "policy.older",
        "policy.version_reused",
        "policy.hash_mismatch",
        "policy.parts_missing",
        "policy.secret_in_payload",
        "policy.no_provisioning_keys",
        "policy.store_failed",
        "policy.not_provisioned",
        "policy.suspended",
        "policy.app_too_old",
    ];

    pub(crate) fn invalid(problems: Vec<Problem>) -> PolicyError {
        PolicyError::Invalid {
            problems: Problems(problems),
        }
    }

    /// The problems of an [`PolicyError::Invalid`] policy (empty for other errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            PolicyError::Invalid { problems } => &problems.0,
            _ => &[],
        }
    }
}
