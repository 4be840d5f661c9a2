//! The versioned consent text shown to the patient: the default bundled with WardCam, or a trust's
//! provisioned override, checked before it can be shown.

use serde::{Deserialize, Serialize};

use super::canonical::{canonical_json, sha256_hex};
use super::ConsentError;
use crate::session::Purpose;

/// The default consent text, British English, version `en-GB-v1`.
pub const DEFAULT_TEXT_JSON: &str = include_str!("../../resources/consent/en-GB-v1.json");

/// Largest provisioned text accepted, in bytes of JSON.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Longest single field, in characters.
pub const MAX_FIELD_CHARS: usize = 2_000;
/// Longest version string, in characters.
pub const MAX_VERSION_CHARS: usize = 64;

/// What the screen tells the patient about one purpose, in plain language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeText {
    /// A short heading.
    pub title: String,
    /// What is stored.
    pub stored: String,
    /// Where it is kept.
    #[serde(rename = "where")]
    pub where_kept: String,
    /// Who sees it.
    pub who_sees: String,
    /// How long it is kept.
    pub how_long: String,
    /// How to withdraw.
    pub withdraw: String,
}

/// The explanation of each purpose; all four are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurposeTexts {
    /// The clinical record.
    pub care: Option<PurposeText>,
    /// A second opinion in the trust.
    pub second_opinion: Option<PurposeText>,
    /// Teaching.
    pub teaching: Option<PurposeText>,
    /// Publication.
    pub publication: Option<PurposeText>,
}

/// A consent text: a version string, a language, and the words for each part of the screen. The
/// record stores the version and [`ConsentText::sha256`], so it says exactly what was shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentText {
    /// The version, such as `en-GB-v1`: letters, digits, `.`, `-`, `_`.
    pub version: String,
    /// The BCP 47 language tag of the text.
    pub language: String,
    /// The screen's heading.
    pub title: String,
    /// The opening paragraph.
    pub introduction: String,
    /// One explanation per purpose.
    pub purposes: PurposeTexts,
    /// What declining means.
    pub declining: String,
}

impl ConsentText {
    /// The default text bundled with WardCam.
    pub fn default_text() -> Result<ConsentText, ConsentError> {
        ConsentText::from_provisioned(DEFAULT_TEXT_JSON)
    }

    /// Reads and checks a trust's consent text: valid JSON of this shape with no unknown fields,
    /// every purpose explained, a plain version string, every field non-empty plain text (no `<`,
    /// `>` or control characters other than line breaks) within the size limits.
    pub fn from_provisioned(json: &str) -> Result<ConsentText, ConsentError> {
        if json.len() > MAX_TEXT_BYTES {
            return Err(ConsentError::TextTooLong {
                max: MAX_TEXT_BYTES,
            });
        }
        let text: ConsentText =
            serde_json::from_str(json).map_err(|e| ConsentError::TextInvalid {
                // serde's message names the field or position, never the text's content.
                detail: format!(
                    "{:?} error at line {} column {}",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        text.check()?;
        Ok(text)
    }

    /// The explanation of `purpose`. Present for every purpose once the text is checked.
    pub fn purpose(&self, purpose: Purpose) -> Option<&PurposeText> {
        let p = &self.purposes;
        match purpose {
            Purpose::Care => p.care.as_ref(),
            Purpose::SecondOpinion => p.second_opinion.as_ref(),
            Purpose::Teaching => p.teaching.as_ref(),
            Purpose::Publication => p.publication.as_ref(),
        }
    }

    /// SHA-256 (hex) of the text's canonical JSON: the same for the same words, whatever the
    /// provisioned file's spacing or key order.
    pub fn sha256(&self) -> Result<String, ConsentError> {
        let value = serde_json::to_value(self).map_err(|_| ConsentError::Encoding)?;
        Ok(sha256_hex(&canonical_json(&value)))
    }

    pub(crate) fn check(&self) -> Result<(), ConsentError> {
        let version_ok = !self.version.is_empty()
            && self.version.chars().count() <= MAX_VERSION_CHARS
            && self
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !version_ok {
            return Err(ConsentError::TextInvalid {
                detail: "the version must be 1-64 letters, digits, '.', '-' or '_'".into(),
            });
        }
        let mut fields = vec![
            ("language", &self.language),
            ("title", &self.title),
            ("introduction", &self.introduction),
            ("declining", &self.declining),
        ];
        for purpose in Purpose::ALL {
            let t = self
                .purpose(purpose)
                .ok_or(ConsentError::TextPurposeMissing {
                    purpose: purpose.label(),
                })?;
            fields.extend([
                ("purpose title", &t.title),
                ("stored", &t.stored),
                ("where", &t.where_kept),
                ("who_sees", &t.who_sees),
                ("how_long", &t.how_long),
                ("withdraw", &t.withdraw),
            ]);
        }
        for (name, value) in fields {
            if value.trim().is_empty() {
                return Err(ConsentError::TextInvalid {
                    detail: format!("the {name} is empty"),
                });
            }
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(ConsentError::TextTooLong {
                    max: MAX_FIELD_CHARS,
                });
            }
            if value
                .chars()
                .any(|c| c == '<' || c == '>' || (c.is_control() && c != '\n'))
            {
                return Err(ConsentError::TextMarkup);
            }
        }
        Ok(())
    }
}
