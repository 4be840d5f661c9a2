//! The trust's policy: every setting a trust decides for its phones, in one document that MDM,
//! a signed provisioning code or `wardcam-admin` carries. Read strictly (unknown fields refused),
//! then checked field by field so that a device manager sees every problem at once, each naming
//! its field.

use std::sync::Arc;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::{PolicyError, Problem};
use crate::consent::ConsentText;
use crate::device::{Complexity, PasscodePolicy};
use crate::endpoint::{Endpoint, EndpointConfig, EndpointError};
use crate::patient::{PatientPolicy, RecordPolicy, DEFAULT_GSRN_PREFIX};
use crate::session::SessionPolicy;

/// The largest policy accepted, in bytes of JSON (CA certificates and a consent text fit easily).
pub const MAX_POLICY_BYTES: usize = 256 * 1024;
/// The shortest and longest idle lock a trust may set, in seconds.
pub const IDLE_LOCK_SECONDS: std::ops::RangeInclusive<u32> = 10..=1_800;
/// The highest policy version: Android's managed configuration integers are 32-bit.
pub const MAX_VERSION: u64 = i32::MAX as u64;
/// The most provisioning public keys a policy may name (a current key and a few for rotation).
pub const MAX_PROVISIONING_KEYS: usize = 4;

/// One trust's policy. See `docs/provisioning.md` for every field and its default.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Goes up with every change; a phone never accepts a lower one.
    pub version: u64,
    /// Who the phone belongs to.
    pub trust: Trust,
    /// The record (FHIR R4) endpoint: patient look-up, and filing photos when `delivery` says so.
    /// A policy may name no endpoint yet (a trust provisioning phones before its servers are
    /// ready): bands then stand "not verified" and photos wait on the phone, and the Device
    /// screen says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<EndpointConfig>,
    /// The PACS (DICOMweb STOW-RS) endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pacs: Option<EndpointConfig>,
    /// Where photos go.
    #[serde(default)]
    pub delivery: DeliverySettings,
    /// How wristbands and typed identifiers are read.
    #[serde(default)]
    pub wristband: WristbandSettings,
    /// The consent text shown to patients.
    #[serde(default)]
    pub consent: ConsentSettings,
    /// The app lock.
    #[serde(default)]
    pub session: SessionSettings,
    /// How long photos may wait on the phone.
    #[serde(default)]
    pub retention: RetentionSettings,
    /// Which WardCam may run, and whether at all.
    #[serde(default)]
    pub app: AppSettings,
    /// Which keys may sign the next provisioning code.
    #[serde(default)]
    pub provisioning: ProvisioningSettings,
}

impl std::fmt::Debug for Policy {
    // Endpoints print through their own redacting Debug; the consent text is summarised.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("version", &self.version)
            .field("trust", &self.trust)
            .field("record", &self.record)
            .field("pacs", &self.pacs)
            .field("delivery", &self.delivery)
            .field("wristband", &self.wristband)
            .field(
                "consent_text",
                &self.consent.text.as_ref().map(|t| t.version.as_str()),
            )
            .field("session", &self.session)
            .field("retention", &self.retention)
            .field("app", &self.app)
            .field("provisioning_keys", &self.provisioning.public_keys.len())
            .finish()
    }
}

/// The trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trust {
    /// As staff know it: "Example Hospitals NHS Foundation Trust".
    pub name: String,
    /// Its ODS code: `RX1`.
    pub ods_code: String,
}

/// Where photos are delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// File photos in the FHIR record (as `Media`) as well as, or instead of, the PACS.
    #[serde(default)]
    pub file_photos_in_record: bool,
    /// Send waiting photos while the app is locked (a background wake with the phone in a
    /// pocket). Off unless the trust opts in: it keeps a second, sealed copy of each waiting
    /// photo under a delivery key the phone releases without the clinician's PIN once the phone
    /// itself has been unlocked since it started (docs/delivery.md, "While locked").
    #[serde(default)]
    pub send_while_locked: bool,
}

/// How patients are identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WristbandSettings {
    /// The GS1 company prefix NHS wristbands carry in their GSRN (7 digits).
    #[serde(default = "default_gsrn_prefix")]
    pub gsrn_prefix: String,
    /// The trust's local hospital number format (Rust regex, whole number), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id_pattern: Option<String>,
    /// Who issues those numbers (normally the trust's ODS code). Required with a pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id_issuer: Option<String>,
    /// Whether the band's printed text `(8018)…` may be typed in.
    #[serde(default = "yes")]
    pub allow_band_text: bool,
    /// Whether an NHS number may be typed (twice) when no band can be scanned.
    #[serde(default = "yes")]
    pub allow_typed_entry: bool,
    /// Whether a visit the record did not vouch for (not verified, or overridden) may go on.
    #[serde(default = "yes")]
    pub allow_unverified: bool,
}

fn default_gsrn_prefix() -> String {
    DEFAULT_GSRN_PREFIX.to_owned()
}

fn yes() -> bool {
    true
}

impl Default for WristbandSettings {
    fn default() -> Self {
        WristbandSettings {
            gsrn_prefix: default_gsrn_prefix(),
            local_id_pattern: None,
            local_id_issuer: None,
            allow_band_text: true,
            allow_typed_entry: true,
            allow_unverified: true,
        }
    }
}

/// The consent text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentSettings {
    /// The trust's own text; WardCam's bundled `en-GB-v1` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<ConsentText>,
}

/// The app lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Lock after this many seconds without a touch (10 to 1800; default 120).
    #[serde(default = "default_idle")]
    pub idle_lock_seconds: u32,
    /// The weakest device passcode accepted: `low` (any passcode, the default), `medium` or
    /// `high`. `none` is refused: a passcode is always required.
    #[serde(default = "default_complexity")]
    pub passcode_minimum: Complexity,
}

fn default_idle() -> u32 {
    120
}

fn default_complexity() -> Complexity {
    Complexity::Low
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_lock_seconds: default_idle(),
            passcode_minimum: default_complexity(),
        }
    }
}

/// How long photos may wait on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// Warn the clinician when a photo has waited this many hours undelivered (1 to 168;
    /// default 24).
    #[serde(default = "default_warn_hours")]
    pub warn_undelivered_after_hours: u32,
    /// Shred an undelivered photo after this many days (1 to 90). Absent (the default): never; an
    /// undelivered photo waits until it is delivered or a clinician deletes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shred_undelivered_after_days: Option<u32>,
}

fn default_warn_hours() -> u32 {
    24
}

impl Default for RetentionSettings {
    fn default() -> Self {
        RetentionSettings {
            warn_undelivered_after_hours: default_warn_hours(),
            shred_undelivered_after_days: None,
        }
    }
}

/// Which app may run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// The oldest WardCam allowed (`1.2.3`); absent: any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_version: Option<String>,
    /// Stop WardCam on the trust's phones: nothing unlocks while set.
    #[serde(default)]
    pub suspended: bool,
}

/// Provisioning keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisioningSettings {
    /// Ed25519 public keys (base64, 32 bytes) that may sign this trust's next provisioning code,
    /// besides those the app was built with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<String>,
}

/// A checked Ed25519 provisioning public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProvisioningKey(pub [u8; 32]);

impl ProvisioningKey {
    /// Reads standard base64 of the 32-byte key.
    pub fn parse(text: &str) -> Option<ProvisioningKey> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        Some(ProvisioningKey(bytes.try_into().ok()?))
    }

    /// Reads keys separated by commas, spaces or line breaks (a build's or MDM's list); `None`
    /// if any is not a key.
    pub fn parse_list(text: &str) -> Option<Vec<ProvisioningKey>> {
        list_items(text).map(ProvisioningKey::parse).collect()
    }

    /// The base64 form.
    pub fn to_base64(self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

/// The items of a list given as one text (a build's key file, MDM's pins and keys): separated by
/// commas, spaces or line breaks.
pub(crate) fn list_items(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

/// Parses `1.2.3` (missing parts are 0).
fn app_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.trim().split('.');
    let mut next = || -> Option<u32> {
        match parts.next() {
            None => Some(0),
            Some(p) if !p.is_empty() && p.len() <= 9 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok()
            }
            Some(_) => None,
        }
    };
    let version = (next()?, next()?, next()?);
    parts.next().is_none().then_some(version)
}

fn plain_text(text: &str, max_chars: usize) -> bool {
    let n = text.chars().count();
    n > 0 && n <= max_chars && text.trim() == text && !text.chars().any(char::is_control)
}

fn endpoint_problem(role: &str, e: &EndpointError) -> Problem {
    let (field, what) = match e {
        EndpointError::ConfigInvalid { field } => (
            *field,
            match *field {
                "base_url" => "must be an https:// address with a host, no user name, query or fragment",
                "trust_anchors_pem" => "must hold at least one PEM certificate of the authority that issues the server's certificate",
                "spki_pins_sha256" => "must list at least one pin: base64 of the SHA-256 of the server key's SubjectPublicKeyInfo (give a backup too)",
                "client_certificate_pem" | "client_key_pem" => "the client certificate and its private key must both be given, as PEM, and match",
                "credential" => "the credential is not valid",
                _ => "is not valid",
            },
        ),
        _ => ("", "is not valid"),
    };
    let field = if field.is_empty() {
        role.to_owned()
    } else {
        format!("{role}.{field}")
    };
    Problem::new(field, what)
}

impl Policy {
    /// Reads and checks the JSON form (the canonical form, a stored policy, or MDM's rendering).
    pub fn from_json(bytes: &[u8]) -> Result<Policy, PolicyError> {
        if bytes.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::Malformed {
                detail: format!("over {} KiB", MAX_POLICY_BYTES / 1024),
            });
        }
        let policy: Policy = serde_json::from_slice(bytes).map_err(|e| PolicyError::Malformed {
            // serde names the field or position; a value is never quoted for these errors
            // except an unknown variant or field name, which is not a secret.
            detail: format!(
                "line {} column {}: {}",
                e.line(),
                e.column(),
                serde_reason(&e)
            ),
        })?;
        policy.check()?;
        Ok(policy)
    }

    /// Checks every field; all problems are reported together.
    pub fn check(&self) -> Result<(), PolicyError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PolicyError::invalid(problems))
        }
    }

    /// Every problem, in field order (empty for a good policy).
    pub fn problems(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        // Android's managed configuration integers are 32-bit: every channel can carry it.
        if self.version == 0 || self.version > MAX_VERSION {
            p.push(Problem::new(
                "version",
                "must be 1 to 2147483647, and go up with every change",
            ));
        }
        if !plain_text(&self.trust.name, 120) {
            p.push(Problem::new(
                "trust.name",
                "must be 1-120 characters of plain text, no line breaks or leading spaces",
            ));
        }
        let ods = &self.trust.ods_code;
        if !(3..=10).contains(&ods.len())
            || !ods
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            p.push(Problem::new(
                "trust.ods_code",
                "must be the trust's ODS code: 3-10 capital letters and digits, such as RX1",
            ));
        }
        for (role, endpoint) in [("record", &self.record), ("pacs", &self.pacs)] {
            if let Some(config) = endpoint {
                if let Err(e) = Endpoint::new(config) {
                    p.push(endpoint_problem(role, &e));
                }
                if config.spki_pins_sha256.len() > 4 {
                    p.push(Problem::new(
                        format!("{role}.spki_pins_sha256"),
                        "at most 4 pins: the current key and backups",
                    ));
                }
            }
        }
        if self.delivery.file_photos_in_record && self.record.is_none() {
            p.push(Problem::new(
                "delivery.file_photos_in_record",
                "needs a record endpoint to file photos in",
            ));
        }
        let w = &self.wristband;
        if PatientPolicy::new()
            .with_gsrn_prefix(&w.gsrn_prefix)
            .is_err()
        {
            p.push(Problem::new(
                "wristband.gsrn_prefix",
                "must be the 7-digit GS1 company prefix NHS wristbands carry",
            ));
        }
        match (&w.local_id_pattern, &w.local_id_issuer) {
            (None, None) => {}
            (Some(pattern), Some(issuer)) => {
                if PatientPolicy::new().with_local_id(issuer, pattern).is_err() {
                    p.push(Problem::new(
                        "wristband.local_id_pattern",
                        "must be a regular expression of at most 256 bytes that does not match an empty number, with an issuer of 1-64 characters",
                    ));
                }
            }
            (Some(_), None) => p.push(Problem::new(
                "wristband.local_id_issuer",
                "is needed with local_id_pattern (normally the trust's ODS code)",
            )),
            (None, Some(_)) => p.push(Problem::new(
                "wristband.local_id_pattern",
                "is needed with local_id_issuer",
            )),
        }
        if let Some(text) = &self.consent.text {
            if let Err(e) = text.check() {
                p.push(Problem::new("consent.text", e.to_string()));
            }
        }
        let s = &self.session;
        if !IDLE_LOCK_SECONDS.contains(&s.idle_lock_seconds) {
            p.push(Problem::new(
                "session.idle_lock_seconds",
                format!(
                    "must be {} to {} seconds",
                    IDLE_LOCK_SECONDS.start(),
                    IDLE_LOCK_SECONDS.end()
                ),
            ));
        }
        if s.passcode_minimum == Complexity::None {
            p.push(Problem::new(
                "session.passcode_minimum",
                "must be low, medium or high: a device passcode is always required",
            ));
        }
        let r = &self.retention;
        if !(1..=168).contains(&r.warn_undelivered_after_hours) {
            p.push(Problem::new(
                "retention.warn_undelivered_after_hours",
                "must be 1 to 168 hours",
            ));
        }
        if let Some(days) = r.shred_undelivered_after_days {
            if !(1..=90).contains(&days) {
                p.push(Problem::new(
                    "retention.shred_undelivered_after_days",
                    "must be 1 to 90 days, or absent to never shred an undelivered photo",
                ));
            }
        }
        if let Some(v) = &self.app.minimum_version {
            if app_version(v).is_none() {
                p.push(Problem::new(
                    "app.minimum_version",
                    "must be a version such as 1.2.3",
                ));
            }
        }
        let keys = &self.provisioning.public_keys;
        if keys.len() > MAX_PROVISIONING_KEYS {
            p.push(Problem::new(
                "provisioning.public_keys",
                format!("at most {MAX_PROVISIONING_KEYS} keys"),
            ));
        }
        if keys.iter().any(|k| ProvisioningKey::parse(k).is_none()) {
            p.push(Problem::new(
                "provisioning.public_keys",
                "each must be base64 of a 32-byte Ed25519 public key, as wardcam-admin keygen prints it",
            ));
        }
        p
    }

    /// The canonical bytes: compact JSON in field order. Its SHA-256 is what a provisioning code
    /// signs for.
    pub fn canonical_json(&self) -> Result<Vec<u8>, PolicyError> {
        serde_json::to_vec(self).map_err(|_| PolicyError::Malformed {
            detail: "cannot be written as JSON".into(),
        })
    }

    /// Whether the policy carries something secret (an HTTP credential or a client private key):
    /// such a policy may come through MDM, never in a provisioning code.
    pub fn has_secrets(&self) -> bool {
        [&self.record, &self.pacs]
            .into_iter()
            .flatten()
            .any(|e| e.credential.is_some() || e.client_key_pem.is_some())
    }

    /// Refuses a suspended policy, or one that needs a newer app than `running`.
    pub fn admits_app(&self, running: &str) -> Result<(), PolicyError> {
        if self.app.suspended {
            return Err(PolicyError::Suspended);
        }
        if let Some(minimum) = &self.app.minimum_version {
            let too_old = match (app_version(minimum), app_version(running)) {
                (Some(min), Some(run)) => run < min,
                // An unreadable version of this app cannot be shown to be new enough.
                _ => true,
            };
            if too_old {
                return Err(PolicyError::AppTooOld {
                    minimum: minimum.clone(),
                    running: running.to_owned(),
                });
            }
        }
        Ok(())
    }

    /// The session settings core enforces.
    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy {
            idle_timeout_ms: u64::from(self.session.idle_lock_seconds) * 1_000,
            ..SessionPolicy::default()
        }
    }

    /// The passcode gate's minimum.
    pub fn passcode_policy(&self) -> PasscodePolicy {
        PasscodePolicy {
            min_complexity: self.session.passcode_minimum,
            ..PasscodePolicy::DEFAULT
        }
    }

    /// How identifiers are read. A checked policy always gives one.
    pub fn patient_policy(&self) -> Result<PatientPolicy, PolicyError> {
        let w = &self.wristband;
        let bad = |field: &str| PolicyError::invalid(vec![Problem::new(field, "is not valid")]);
        let mut policy = PatientPolicy::new()
            .with_gsrn_prefix(&w.gsrn_prefix)
            .map_err(|_| bad("wristband.gsrn_prefix"))?
            .allowing_entry(w.allow_band_text, w.allow_typed_entry);
        if let (Some(pattern), Some(issuer)) = (&w.local_id_pattern, &w.local_id_issuer) {
            policy = policy
                .with_local_id(issuer, pattern)
                .map_err(|_| bad("wristband.local_id_pattern"))?;
        }
        Ok(policy)
    }

    /// What the trust allows when the record cannot vouch for a patient.
    pub fn record_policy(&self) -> RecordPolicy {
        RecordPolicy {
            allow_unverified: self.wristband.allow_unverified,
        }
    }

    /// The trust's consent text, or the bundled one.
    pub fn consent_text(&self) -> Option<Arc<ConsentText>> {
        self.consent.text.clone().map(Arc::new)
    }

    /// The provisioning keys this policy adds.
    pub fn provisioning_keys(&self) -> Vec<ProvisioningKey> {
        self.provisioning
            .public_keys
            .iter()
            .filter_map(|k| ProvisioningKey::parse(k))
            .collect()
    }
}

/// serde's reason without the offending value where it could be one (`invalid type: string
/// "secret"` becomes `invalid type`).
fn serde_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line ").next().unwrap_or("");
    if text.starts_with("unknown field") || text.starts_with("missing field") {
        // Field names are the policy's, not values.
        text.split(", expected").next().unwrap_or(text).to_owned()
    } else {
        match text.split_once(':') {
            Some((kind, _)) => kind.to_owned(),
            None => text.to_owned(),
        }
    }
}
