//! Why a photo's label was refused, in words a clinician can act on.

/// A label or queueing refused on the Review screen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The body site code is not on the list.
    #[error("Choose the body site from the list.")]
    UnknownBodySite,
    /// A paired site (an arm, an ear) with no side chosen.
    #[error("Choose left, right or both sides for this body site.")]
    LateralityRequired,
    /// A side given for a midline site (the sacrum, the abdomen).
    #[error("This body site has no left or right: choose \"not applicable\".")]
    LateralityNotApplicable,
    /// The description is too long or holds control characters.
    #[error("Keep the description to {max} characters of plain text.")]
    DescriptionInvalid {
        /// The most characters allowed.
        max: usize,
    },
    /// Photos without a body site cannot be sent.
    #[error("Set the body site of every photo before sending ({count} still need one).")]
    LabelMissing {
        /// How many photos lack a label.
        count: usize,
    },
}

impl ReviewError {
    /// A stable dotted code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            ReviewError::UnknownBodySite => "review.unknown_body_site",
            ReviewError::LateralityRequired => "review.laterality_required",
            ReviewError::LateralityNotApplicable => "review.laterality_not_applicable",
            ReviewError::DescriptionInvalid { .. } => "review.description_invalid",
            ReviewError::LabelMissing { .. } => "review.label_missing",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "review.unknown_body_site",
        "review.laterality_required",
        "review.laterality_not_applicable",
        "review.description_invalid",
        "review.label_missing",
    ];
}
