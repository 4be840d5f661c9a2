//! A photo's label, checked whole: a known body site, a side exactly when the site is paired, and
//! a short plain-text description.

use serde::{Deserialize, Serialize};

use super::body_site::{find, BodySite};
use super::error::ReviewError;

/// The longest description, in characters: a caption, not a clinical note.
pub const MAX_DESCRIPTION_CHARS: usize = 280;

/// Which side of the body, coded in SNOMED CT qualifier values for the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Laterality {
    /// Left (SNOMED CT 7771000).
    Left,
    /// Right (SNOMED CT 24028007).
    Right,
    /// Both sides (SNOMED CT 51440002).
    Bilateral,
    /// The site has no side.
    NotApplicable,
}

impl Laterality {
    /// The SNOMED CT qualifier code, if the site has a side.
    pub fn code(self) -> Option<&'static str> {
        match self {
            Laterality::Left => Some("7771000"),
            Laterality::Right => Some("24028007"),
            Laterality::Bilateral => Some("51440002"),
            Laterality::NotApplicable => None,
        }
    }
}

/// A checked label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// The body site.
    pub site: BodySite,
    /// Its side.
    pub laterality: Laterality,
    /// What the photo shows, trimmed; may be empty.
    pub description: String,
}

impl Label {
    /// Checks a label as the UI sends it.
    pub fn new(
        site_code: &str,
        laterality: Laterality,
        description: &str,
    ) -> Result<Label, ReviewError> {
        let site = *find(site_code).ok_or(ReviewError::UnknownBodySite)?;
        match (site.paired, laterality) {
            (true, Laterality::NotApplicable) => return Err(ReviewError::LateralityRequired),
            (false, l) if l != Laterality::NotApplicable => {
                return Err(ReviewError::LateralityNotApplicable)
            }
            _ => {}
        }
        let description = description.trim();
        if description.chars().count() > MAX_DESCRIPTION_CHARS
            || description.chars().any(char::is_control)
        {
            return Err(ReviewError::DescriptionInvalid {
                max: MAX_DESCRIPTION_CHARS,
            });
        }
        Ok(Label {
            site,
            laterality,
            description: description.to_owned(),
        })
    }
}

/// Refuses to queue while any photo lacks a label.
pub fn check_ready_to_queue<'a>(
    labels: impl IntoIterator<Item = Option<&'a Label>>,
) -> Result<(), ReviewError> {
    let count = labels.into_iter().filter(Option::is_none).count();
    if count > 0 {
        return Err(ReviewError::LabelMissing { count });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const FOOT: &str = "56459004";
    const SACRUM: &str = "54735007";

    #[test]
    fn paired_sites_need_a_side_and_midline_sites_refuse_one() {
        assert_eq!(
            Label::new(FOOT, Laterality::NotApplicable, ""),
            Err(ReviewError::LateralityRequired)
        );
        assert_eq!(
            Label::new(SACRUM, Laterality::Left, ""),
            Err(ReviewError::LateralityNotApplicable)
        );
        let foot = Label::new(FOOT, Laterality::Left, "  ulcer, lateral border ").unwrap();
        assert_eq!(foot.site.display, "Foot");
        assert_eq!(foot.description, "ulcer, lateral border");
        assert_eq!(foot.laterality.code(), Some("7771000"));
        assert!(Label::new(SACRUM, Laterality::NotApplicable, "").is_ok());
    }

    #[test]
    fn unknown_sites_and_bad_descriptions_are_refused() {
        assert_eq!(
            Label::new("12345", Laterality::Left, ""),
            Err(ReviewError::UnknownBodySite)
        );
        let long = "x".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(
            Label::new(FOOT, Laterality::Right, &long)
                .unwrap_err()
                .code(),
            "review.description_invalid"
        );
        assert!(Label::new(FOOT, Laterality::Right, "a\u{0}b").is_err());
        assert!(Label::new(FOOT, Laterality::Right, &"é".repeat(MAX_DESCRIPTION_CHARS)).is_ok());
    }

    #[test]
    fn queueing_needs_every_label() {
        let label = Label::new(FOOT, Laterality::Left, "").unwrap();
        assert_eq!(check_ready_to_queue([Some(&label), Some(&label)]), Ok(()));
        assert_eq!(
            check_ready_to_queue([Some(&label), None, None]),
            Err(ReviewError::LabelMissing { count: 2 })
        );
    }
}
