//! What a trust configures about its patients' identifiers: the GS1 company prefix its NHS
//! wristbands carry, and the format of its local hospital numbers.

use std::fmt;

use regex::{Regex, RegexBuilder};

use super::PatientError;

/// The GS1 company prefix under which NHS wristbands encode the NHS number in a GSRN (AI 8018):
/// `prefix (7 digits) + NHS number (10) + GS1 check digit (1)` = 18 digits.
///
/// **Confirm this value against the current DCB1077 specification before deployment**: it is a
/// deployment setting ([`PatientPolicy::with_gsrn_prefix`]), and this default exists so test bands
/// and a fresh device agree with each other.
pub const DEFAULT_GSRN_PREFIX: &str = "5000000";

/// The longest local-number pattern accepted, in bytes, before it is compiled.
pub const MAX_PATTERN_LEN: usize = 256;

/// Compiled size limit for a local-number pattern: small enough that a hostile or careless
/// pattern cannot make matching slow or large, generous for any real hospital number format.
const REGEX_SIZE_LIMIT: usize = 64 * 1024;

/// The longest issuer name accepted.
const MAX_ISSUER_LEN: usize = 64;

/// How a trust's local hospital numbers (MRNs) look, and who issues them.
#[derive(Clone)]
pub struct LocalIdPattern {
    issuer: String,
    source: String,
    regex: Regex,
}

impl LocalIdPattern {
    /// Compiles `pattern` (Rust `regex` syntax, matched against the whole number: `^(?:…)$` is
    /// implied) for numbers issued by `issuer`, normally the trust's ODS code (`RX1`).
    ///
    /// Refuses ([`PatientError::PolicyInvalid`]) an empty or over-long issuer, a pattern over
    /// [`MAX_PATTERN_LEN`] bytes, one that does not compile within a 64 KiB size limit, and one
    /// that matches the empty string.
    pub fn new(issuer: &str, pattern: &str) -> Result<LocalIdPattern, PatientError> {
        let issuer = issuer.trim();
        if issuer.is_empty()
            || issuer.len() > MAX_ISSUER_LEN
            || !issuer.bytes().all(|b| b.is_ascii_graphic())
            || pattern.is_empty()
            || pattern.len() > MAX_PATTERN_LEN
        {
            return Err(PatientError::PolicyInvalid);
        }
        let regex = RegexBuilder::new(&format!("^(?:{pattern})$"))
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(REGEX_SIZE_LIMIT)
            .nest_limit(16)
            .build()
            .map_err(|_| PatientError::PolicyInvalid)?;
        if regex.is_match("") {
            return Err(PatientError::PolicyInvalid);
        }
        Ok(LocalIdPattern {
            issuer: issuer.to_owned(),
            source: pattern.to_owned(),
            regex,
        })
    }

    /// The organisation that issues these numbers.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The pattern as configured (without the implied anchors).
    pub fn pattern(&self) -> &str {
        &self.source
    }

    /// Whether `value` is a whole number in this format.
    pub fn matches(&self, value: &str) -> bool {
        self.regex.is_match(value)
    }
}

impl fmt::Debug for LocalIdPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalIdPattern")
            .field("issuer", &self.issuer)
            .field("pattern", &self.source)
            .finish()
    }
}

/// A trust's settings for reading patient identifiers. [`PatientPolicy::default`] accepts NHS
/// wristbands under [`DEFAULT_GSRN_PREFIX`] and bare NHS numbers, and no local numbers.
#[derive(Debug, Clone)]
pub struct PatientPolicy {
    gsrn_prefix: String,
    local_id: Option<LocalIdPattern>,
    /// The band's printed text `(8018)…` may be typed in.
    allow_band_text: bool,
    /// An NHS number may be typed (twice).
    allow_typed_entry: bool,
}

impl Default for PatientPolicy {
    fn default() -> Self {
        PatientPolicy {
            gsrn_prefix: DEFAULT_GSRN_PREFIX.to_owned(),
            local_id: None,
            allow_band_text: true,
            allow_typed_entry: true,
        }
    }
}

impl PatientPolicy {
    /// The default policy (see [`PatientPolicy`]).
    pub fn new() -> PatientPolicy {
        PatientPolicy::default()
    }

    /// Sets the GS1 company prefix NHS wristbands carry in their GSRN: exactly 7 digits.
    pub fn with_gsrn_prefix(mut self, prefix: &str) -> Result<PatientPolicy, PatientError> {
        if prefix.len() != 7 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PatientError::PolicyInvalid);
        }
        prefix.clone_into(&mut self.gsrn_prefix);
        Ok(self)
    }

    /// Accepts local hospital numbers issued by `issuer` in the format `pattern` (see
    /// [`LocalIdPattern::new`]).
    pub fn with_local_id(
        mut self,
        issuer: &str,
        pattern: &str,
    ) -> Result<PatientPolicy, PatientError> {
        self.local_id = Some(LocalIdPattern::new(issuer, pattern)?);
        Ok(self)
    }

    /// Whether the band's printed text and a typed NHS number are accepted (both are, by default).
    pub fn allowing_entry(mut self, band_text: bool, typed: bool) -> PatientPolicy {
        self.allow_band_text = band_text;
        self.allow_typed_entry = typed;
        self
    }

    /// Refuses a typed NHS number ([`PatientError::EntryNotAllowed`]) where the trust allows only
    /// scanned wristbands.
    pub fn check_typed_entry(&self) -> Result<(), PatientError> {
        if self.allow_typed_entry {
            Ok(())
        } else {
            Err(PatientError::EntryNotAllowed)
        }
    }

    /// Whether the band's printed text may be typed in.
    pub fn allows_band_text(&self) -> bool {
        self.allow_band_text
    }

    /// The GS1 company prefix NHS wristbands carry.
    pub fn gsrn_prefix(&self) -> &str {
        &self.gsrn_prefix
    }

    /// The local hospital number format, if the trust configured one.
    pub fn local_id(&self) -> Option<&LocalIdPattern> {
        self.local_id.as_ref()
    }
}
