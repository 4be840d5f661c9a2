//! The policy as MDM carries it: Android managed configuration (`app_restrictions.xml`, read
//! through `RestrictionsManager`) and iOS AppConfig (`com.apple.configuration.managed`). Both are
//! flat key-value sets with nested bundles (dictionaries) for the endpoints. The native side hands
//! the raw values over as JSON; everything is decided here.
//!
//! [`MANAGED_KEYS`] is the one list of keys: `app_restrictions.xml`, the AppConfig `specfile.xml`
//! and `wardcam-admin` are checked against it by tests, so they cannot drift.

use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::error::{PolicyError, Problem};
use super::model::{
    AppSettings, ConsentSettings, DeliverySettings, Policy, ProvisioningSettings,
    RetentionSettings, SessionSettings, Trust, WristbandSettings,
};
use crate::consent::ConsentText;
use crate::device::Complexity;
use crate::endpoint::{Credential, EndpointConfig};

/// What kind of value a key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Bool,
    /// Text.
    Text,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// A bundle (Android) or dictionary (iOS) of these keys.
    Bundle(&'static [ManagedKey]),
}

/// One managed-configuration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedKey {
    /// The key.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// Whether a policy must have it.
    pub required: bool,
    /// What it means, for the admin tool's and MDM consoles' descriptions.
    pub description: &'static str,
}

const fn key(
    name: &'static str,
    kind: Kind,
    required: bool,
    description: &'static str,
) -> ManagedKey {
    ManagedKey {
        name,
        kind,
        required,
        description,
    }
}

/// The keys of an endpoint bundle.
pub const ENDPOINT_KEYS: &[ManagedKey] = &[
    key(
        "base_url",
        Kind::Text,
        true,
        "https:// base address of the endpoint",
    ),
    key(
        "trust_anchors_pem",
        Kind::Text,
        true,
        "PEM certificates of the authorities that issue the server's certificate",
    ),
    key(
        "spki_pins_sha256",
        Kind::Text,
        true,
        "Base64 SHA-256 pins of the server's key, current and backup, one per line",
    ),
    key(
        "client_certificate_pem",
        Kind::Text,
        false,
        "Client certificate chain (PEM) for mutual TLS",
    ),
    key(
        "client_key_pem",
        Kind::Text,
        false,
        "The client certificate's private key (PEM)",
    ),
    key(
        "credential_scheme",
        Kind::Choice(&["none", "bearer", "basic"]),
        false,
        "HTTP credential: none, bearer or basic",
    ),
    key("credential_token", Kind::Text, false, "Bearer token"),
    key("credential_username", Kind::Text, false, "Basic user name"),
    key("credential_password", Kind::Text, false, "Basic password"),
];

/// Every top-level key.
pub const MANAGED_KEYS: &[ManagedKey] = &[
    key(
        "policy_version",
        Kind::Integer,
        true,
        "Policy version: raise it with every change",
    ),
    key(
        "trust_name",
        Kind::Text,
        true,
        "The trust's name as staff know it",
    ),
    key("trust_ods_code", Kind::Text, true, "The trust's ODS code"),
    key(
        "record_endpoint",
        Kind::Bundle(ENDPOINT_KEYS),
        false,
        "The FHIR R4 record endpoint (patient look-up; photos too if file_photos_in_record)",
    ),
    key(
        "pacs_endpoint",
        Kind::Bundle(ENDPOINT_KEYS),
        false,
        "The DICOMweb STOW-RS endpoint",
    ),
    key(
        "file_photos_in_record",
        Kind::Bool,
        false,
        "File photos in the FHIR record as well as the PACS",
    ),
    key(
        "send_while_locked",
        Kind::Bool,
        false,
        "Send waiting photos while the app is locked (keeps a sealed copy under a delivery key)",
    ),
    key(
        "gsrn_prefix",
        Kind::Text,
        false,
        "GS1 company prefix NHS wristbands carry (7 digits)",
    ),
    key(
        "local_id_pattern",
        Kind::Text,
        false,
        "Local hospital number format (regular expression)",
    ),
    key(
        "local_id_issuer",
        Kind::Text,
        false,
        "Who issues local hospital numbers (ODS code)",
    ),
    key(
        "allow_band_text",
        Kind::Bool,
        false,
        "Allow typing the band's printed text",
    ),
    key(
        "allow_typed_entry",
        Kind::Bool,
        false,
        "Allow typing an NHS number twice",
    ),
    key(
        "allow_unverified",
        Kind::Bool,
        false,
        "Allow visits the record did not verify",
    ),
    key(
        "consent_text_json",
        Kind::Text,
        false,
        "The trust's consent text (JSON)",
    ),
    key(
        "idle_lock_seconds",
        Kind::Integer,
        false,
        "Lock after this many idle seconds (10-1800)",
    ),
    key(
        "passcode_minimum",
        Kind::Choice(&["low", "medium", "high"]),
        false,
        "Weakest device passcode accepted",
    ),
    key(
        "warn_undelivered_after_hours",
        Kind::Integer,
        false,
        "Warn when a photo waits undelivered this many hours",
    ),
    key(
        "shred_undelivered_after_days",
        Kind::Integer,
        false,
        "Shred an undelivered photo after this many days (0: never)",
    ),
    key(
        "minimum_app_version",
        Kind::Text,
        false,
        "Oldest WardCam version allowed",
    ),
    key(
        "suspended",
        Kind::Bool,
        false,
        "Suspend WardCam on this phone",
    ),
    key(
        "provisioning_public_keys",
        Kind::Text,
        false,
        "Ed25519 public keys that may sign provisioning codes, one per line",
    ),
    // Not a policy field: read by `crate::wipe` (`wipe::MANAGED_KEY`), declared here so MDM
    // consoles offer it and a policy carrying it is not refused as unknown.
    key(
        "remote_wipe",
        Kind::Text,
        false,
        "Wipe this phone: each new text crypto-shreds its vault once (the policy stays)",
    ),
];

/// The values of one level, checked against `keys`. MDM consoles send an empty string for a
/// field left blank: that is absence.
struct Level<'a> {
    prefix: &'a str,
    values: &'a Map<String, Value>,
    problems: &'a mut Vec<Problem>,
}

impl Level<'_> {
    fn field(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn present(&self, name: &str) -> Option<&Value> {
        match self.values.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(v) => Some(v),
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        match self.present(name)? {
            Value::String(s) => Some(s.clone()),
            _ => {
                let field = self.field(name);
                self.problems.push(Problem::new(field, "must be text"));
                None
            }
        }
    }

    fn integer(&mut self, name: &str) -> Option<u64> {
        match self.present(name)? {
            Value::Number(n) if n.as_u64().is_some() => n.as_u64(),
            _ => {
                let field = self.field(name);
                self.problems
                    .push(Problem::new(field, "must be a whole number, 0 or more"));
                None
            }
        }
    }

    fn u32(&mut self, name: &str) -> Option<u32> {
        let n = self.integer(name)?;
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                let field = self.field(name);
                self.problems.push(Problem::new(field, "is far too large"));
                None
            }
        }
    }

    fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.present(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                let field = self.field(name);
                self.problems
                    .push(Problem::new(field, "must be true or false"));
                None
            }
        }
    }

    fn required_text(&mut self, name: &str) -> String {
        if self.present(name).is_none() {
            let field = self.field(name);
            self.problems.push(Problem::new(field, "is required"));
        }
        self.text(name).unwrap_or_default()
    }

    fn unknown_keys(&mut self, keys: &[ManagedKey]) {
        let unknown: Vec<String> = self
            .values
            .keys()
            .filter(|k| !keys.iter().any(|m| m.name == k.as_str()))
            // A key with no name (the fuzzer found one) is still named, so the message points at it.
            .map(|k| {
                self.field(if k.is_empty() {
                    "(a key with no name)"
                } else {
                    k
                })
            })
            .collect();
        for field in unknown {
            self.problems.push(Problem::new(
                field,
                "is not a WardCam setting (a newer WardCam may know it: update the app first)",
            ));
        }
    }
}

fn lines(text: &str) -> Vec<String> {
    super::model::list_items(text).map(str::to_owned).collect()
}

fn endpoint(role: &str, value: &Value, problems: &mut Vec<Problem>) -> Option<EndpointConfig> {
    let Value::Object(values) = value else {
        problems.push(Problem::new(role, "must be a bundle of endpoint settings"));
        return None;
    };
    let mut l = Level {
        prefix: role,
        values,
        problems,
    };
    l.unknown_keys(ENDPOINT_KEYS);
    let base_url = l.required_text("base_url");
    let trust_anchors_pem = l.required_text("trust_anchors_pem");
    let pins = l.required_text("spki_pins_sha256");
    let client_certificate_pem = l.text("client_certificate_pem");
    let client_key_pem = l.text("client_key_pem").map(Zeroizing::new);
    let scheme = l.text("credential_scheme");
    let token = l.text("credential_token").map(Zeroizing::new);
    let username = l.text("credential_username").map(Zeroizing::new);
    let password = l.text("credential_password").map(Zeroizing::new);
    let credential = match (scheme.as_deref(), token, username, password) {
        (None | Some("none"), None, None, None) => None,
        (Some("bearer"), Some(token), None, None) => Some(Credential::Bearer { token }),
        (Some("basic"), None, Some(username), Some(password)) => {
            Some(Credential::Basic { username, password })
        }
        _ => {
            let field = l.field("credential_scheme");
            l.problems.push(Problem::new(
                field,
                "bearer needs credential_token only; basic needs credential_username and credential_password only; none needs neither",
            ));
            None
        }
    };
    Some(EndpointConfig {
        base_url,
        trust_anchors_pem,
        spki_pins_sha256: lines(&pins),
        client_certificate_pem,
        client_key_pem,
        credential,
    })
}

impl Policy {
    /// Reads MDM's values (a JSON object of [`MANAGED_KEYS`]) and checks the policy. Every problem
    /// is reported, each naming its key.
    pub fn from_managed(values: &Value) -> Result<Policy, PolicyError> {
        let Value::Object(values) = values else {
            return Err(PolicyError::Malformed {
                detail: "the managed configuration is not a set of keys".into(),
            });
        };
        let mut problems = Vec::new();
        let mut l = Level {
            prefix: "",
            values,
            problems: &mut problems,
        };
        l.unknown_keys(MANAGED_KEYS);
        let version = match l.integer("policy_version") {
            Some(v) => v,
            None => {
                if l.present("policy_version").is_none() {
                    l.problems
                        .push(Problem::new("policy_version", "is required"));
                }
                0
            }
        };
        let trust = Trust {
            name: l.required_text("trust_name"),
            ods_code: l.required_text("trust_ods_code"),
        };
        let mut defaults = WristbandSettings::default();
        let wristband = WristbandSettings {
            gsrn_prefix: l
                .text("gsrn_prefix")
                .unwrap_or(defaults.gsrn_prefix.split_off(0)),
            local_id_pattern: l.text("local_id_pattern"),
            local_id_issuer: l.text("local_id_issuer"),
            allow_band_text: l.boolean("allow_band_text").unwrap_or(true),
            allow_typed_entry: l.boolean("allow_typed_entry").unwrap_or(true),
            allow_unverified: l.boolean("allow_unverified").unwrap_or(true),
        };
        let text = match l.text("consent_text_json") {
            Some(json) => match ConsentText::from_provisioned(&json) {
                Ok(text) => Some(text),
                Err(e) => {
                    l.problems
                        .push(Problem::new("consent_text_json", e.to_string()));
                    None
                }
            },
            None => None,
        };
        let session_defaults = SessionSettings::default();
        let passcode_minimum = match l.text("passcode_minimum").as_deref() {
            None => session_defaults.passcode_minimum,
            Some("low") => Complexity::Low,
            Some("medium") => Complexity::Medium,
            Some("high") => Complexity::High,
            Some(_) => {
                l.problems.push(Problem::new(
                    "passcode_minimum",
                    "must be low, medium or high",
                ));
                session_defaults.passcode_minimum
            }
        };
        let session = SessionSettings {
            idle_lock_seconds: l
                .u32("idle_lock_seconds")
                .unwrap_or(session_defaults.idle_lock_seconds),
            passcode_minimum,
        };
        let retention = RetentionSettings {
            warn_undelivered_after_hours: l
                .u32("warn_undelivered_after_hours")
                .unwrap_or(RetentionSettings::default().warn_undelivered_after_hours),
            shred_undelivered_after_days: l.u32("shred_undelivered_after_days").filter(|&d| d > 0),
        };
        let app = AppSettings {
            minimum_version: l.text("minimum_app_version"),
            suspended: l.boolean("suspended").unwrap_or(false),
        };
        let provisioning = ProvisioningSettings {
            public_keys: l
                .text("provisioning_public_keys")
                .map(|t| lines(&t))
                .unwrap_or_default(),
        };
        let delivery = DeliverySettings {
            file_photos_in_record: l.boolean("file_photos_in_record").unwrap_or(false),
            send_while_locked: l.boolean("send_while_locked").unwrap_or(false),
        };
        let record = values
            .get("record_endpoint")
            .filter(|v| !v.is_null())
            .and_then(|v| endpoint("record_endpoint", v, &mut problems));
        let pacs = values
            .get("pacs_endpoint")
            .filter(|v| !v.is_null())
            .and_then(|v| endpoint("pacs_endpoint", v, &mut problems));
        let policy = Policy {
            version,
            trust,
            record,
            pacs,
            delivery,
            wristband,
            consent: ConsentSettings { text },
            session,
            retention,
            app,
            provisioning,
        };
        // The model's own checks, under the managed keys' names.
        for p in policy.problems() {
            let field = managed_name(&p.field);
            if !problems.iter().any(|q| q.field == field) {
                problems.push(Problem::new(field, p.message));
            }
        }
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyError::invalid(problems))
        }
    }

    /// The managed-configuration values of this policy: what `wardcam-admin` hands an MDM.
    /// [`Policy::from_managed`] reads them back to the same policy.
    pub fn to_managed(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Value| {
            m.insert(k.to_owned(), v);
        };
        put("policy_version", self.version.into());
        put("trust_name", self.trust.name.clone().into());
        put("trust_ods_code", self.trust.ods_code.clone().into());
        if let Some(e) = &self.record {
            put("record_endpoint", endpoint_values(e));
        }
        if let Some(e) = &self.pacs {
            put("pacs_endpoint", endpoint_values(e));
        }
        put(
            "file_photos_in_record",
            self.delivery.file_photos_in_record.into(),
        );
        put("send_while_locked", self.delivery.send_while_locked.into());
        let w = &self.wristband;
        put("gsrn_prefix", w.gsrn_prefix.clone().into());
        if let Some(p) = &w.local_id_pattern {
            put("local_id_pattern", p.clone().into());
        }
        if let Some(i) = &w.local_id_issuer {
            put("local_id_issuer", i.clone().into());
        }
        put("allow_band_text", w.allow_band_text.into());
        put("allow_typed_entry", w.allow_typed_entry.into());
        put("allow_unverified", w.allow_unverified.into());
        if let Some(text) = &self.consent.text {
            if let Ok(json) = serde_json::to_string(text) {
                put("consent_text_json", json.into());
            }
        }
        put("idle_lock_seconds", self.session.idle_lock_seconds.into());
        put(
            "passcode_minimum",
            match self.session.passcode_minimum {
                Complexity::None => "none",
                Complexity::Low => "low",
                Complexity::Medium => "medium",
                Complexity::High => "high",
            }
            .into(),
        );
        put(
            "warn_undelivered_after_hours",
            self.retention.warn_undelivered_after_hours.into(),
        );
        put(
            "shred_undelivered_after_days",
            self.retention
                .shred_undelivered_after_days
                .unwrap_or(0)
                .into(),
        );
        if let Some(v) = &self.app.minimum_version {
            put("minimum_app_version", v.clone().into());
        }
        put("suspended", self.app.suspended.into());
        if !self.provisioning.public_keys.is_empty() {
            put(
                "provisioning_public_keys",
                self.provisioning.public_keys.join("\n").into(),
            );
        }
        Value::Object(m)
    }
}

fn endpoint_values(e: &EndpointConfig) -> Value {
    let mut m = Map::new();
    m.insert("base_url".into(), e.base_url.clone().into());
    m.insert(
        "trust_anchors_pem".into(),
        e.trust_anchors_pem.clone().into(),
    );
    m.insert(
        "spki_pins_sha256".into(),
        e.spki_pins_sha256.join("\n").into(),
    );
    if let Some(c) = &e.client_certificate_pem {
        m.insert("client_certificate_pem".into(), c.clone().into());
    }
    if let Some(k) = &e.client_key_pem {
        m.insert("client_key_pem".into(), k.as_str().into());
    }
    match &e.credential {
        None => {}
        Some(Credential::Bearer { token }) => {
            m.insert("credential_scheme".into(), "bearer".into());
            m.insert("credential_token".into(), token.as_str().into());
        }
        Some(Credential::Basic { username, password }) => {
            m.insert("credential_scheme".into(), "basic".into());
            m.insert("credential_username".into(), username.as_str().into());
            m.insert("credential_password".into(), password.as_str().into());
        }
    }
    Value::Object(m)
}

/// The managed key for a policy field (`wristband.gsrn_prefix` is `gsrn_prefix`).
fn managed_name(field: &str) -> String {
    let (head, rest) = field.split_once('.').unwrap_or((field, ""));
    match (head, rest) {
        ("version", _) => "policy_version".into(),
        ("trust", r) => format!("trust_{r}"),
        ("record", "") => "record_endpoint".into(),
        ("record", r) => format!("record_endpoint.{r}"),
        ("pacs", "") => "pacs_endpoint".into(),
        ("pacs", r) => format!("pacs_endpoint.{r}"),
        ("consent", _) => "consent_text_json".into(),
        ("app", "minimum_version") => "minimum_app_version".into(),
        ("provisioning", _) => "provisioning_public_keys".into(),
        (_, "") => head.into(),
        (_, r) => r.into(),
    }
}
