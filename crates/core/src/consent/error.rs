//! Why a consent record or a consent text was refused. Messages never repeat names, identifiers or
//! free text the clinician typed: only which part was at fault and what to do.

/// A consent record, signature or consent text that was refused, in words a clinician (or, for
/// the provisioned text, the trust's IT team) can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// A permit that covers no purpose.
    #[error("The consent covers no purpose. Tick at least one use the patient agrees to.")]
    NoPurpose,
    /// A purpose other than care was chosen without care (see [`super::ConsentRecord`]).
    #[error("Every photo goes into the patient's clinical record, so the clinical record must be ticked whenever another use is ticked.")]
    CareRequired,
    /// The patient has neither an NHS number nor a hospital number.
    #[error("The patient has no NHS number or hospital number. Confirm the patient from their wristband first.")]
    NoPatientIdentifier,
    /// The patient was identified by hospital number only, and their name is missing.
    #[error("The patient's name is missing. Confirm the patient from their wristband first.")]
    NoPatientName,
    /// A representative without a name.
    #[error("Enter the name of the person consenting for the patient.")]
    RepresentativeNameMissing,
    /// A representative without their relationship to the patient.
    #[error("Enter how the person consenting is related to the patient (for example parent, guardian, lasting power of attorney).")]
    RepresentativeRelationshipMissing,
    /// A best-interests decision without a reason.
    #[error("A best-interests decision needs the reason the patient lacks capacity and why photos are in their best interests (Mental Capacity Act). Enter the reason.")]
    BestInterestsReasonMissing,
    /// Verbal consent without a witness.
    #[error("Verbal consent needs a witness. Enter the name of the colleague who witnessed it.")]
    WitnessMissing,
    /// The clinician recording consent has no name.
    #[error("The clinician's name is missing. Unlock WardCam again so your name is known.")]
    ClinicianMissing,
    /// A free-text field is longer than the record allows.
    #[error("The {field} is too long (over {max} characters). Shorten it.")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
        /// The most characters allowed.
        max: usize,
    },
    /// The consent screen showed a different text version from the one in force.
    #[error("The consent text changed while it was on screen (shown {shown}, current {current}). Show the consent screen again and ask again.")]
    TextVersionMismatch {
        /// The version the screen showed.
        shown: String,
        /// The version in force.
        current: String,
    },
    /// No signature was drawn.
    #[error("No signature was drawn. Ask the patient to sign in the box.")]
    SignatureEmpty,
    /// The signature is a dot or a short stroke, not a signature.
    #[error("The signature is too small to be a signature. Clear it and ask the patient to sign across the box as they usually do.")]
    SignatureTooSmall,
    /// The signature has more strokes or points than any signature needs.
    #[error("The signature is too complex to store. Clear it and sign again.")]
    SignatureTooLarge,
    /// Points outside the signature pad, or a pad of an impossible size.
    #[error("The signature pad sent points outside its area. Clear the signature and sign again.")]
    SignatureMalformed,
    /// The signature image could not be made.
    #[error("The signature image could not be made. Clear the signature and sign again.")]
    SignatureRender,
    /// A permit recorded as "declined", or a refusal recorded as a signature for photos.
    #[error("Consent to photos needs the patient's signature or a witnessed verbal consent; 'declined' is only for a refusal.")]
    MethodMismatch,
    /// A refusal cannot stand in for a consent that allows photos.
    #[error("The patient declined, so no photo can be taken under this record.")]
    Refused,
    /// The provisioned consent text is not valid JSON of the expected shape.
    #[error("The trust's consent text could not be read ({detail}). Ask IT to check the provisioned consent text.")]
    TextInvalid {
        /// What was wrong, without any of the text itself.
        detail: String,
    },
    /// The provisioned consent text lacks a purpose's explanation.
    #[error("The trust's consent text has no explanation for {purpose}. Ask IT to add it to the provisioned consent text.")]
    TextPurposeMissing {
        /// The purpose's label.
        purpose: &'static str,
    },
    /// The provisioned consent text contains markup.
    #[error("The trust's consent text contains HTML or control characters, which are not allowed. Ask IT to provide plain text.")]
    TextMarkup,
    /// The provisioned consent text is too big.
    #[error("The trust's consent text is too long (a field is over {max} characters or the whole text is too big). Ask IT to shorten it.")]
    TextTooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The random source failed while making a consent id.
    #[error("WardCam could not make a record id (the system's random source failed). Try again.")]
    Random,
    /// The record could not be written out.
    #[error("The consent record could not be written out. Try again.")]
    Encoding,
}

impl ConsentError {
    /// A stable, dotted machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ConsentError::NoPurpose => "consent.no_purpose",
            ConsentError::CareRequired => "consent.care_required",
            ConsentError::NoPatientIdentifier => "consent.no_patient_identifier",
            ConsentError::NoPatientName => "consent.no_patient_name",
            ConsentError::RepresentativeNameMissing => "consent.representative_name_missing",
            ConsentError::RepresentativeRelationshipMissing => {
                "consent.representative_relationship_missing"
            }
            ConsentError::BestInterestsReasonMissing => "consent.best_interests_reason_missing",
            ConsentError::WitnessMissing => "consent.witness_missing",
            ConsentError::ClinicianMissing => "consent.clinician_missing",
            ConsentError::FieldTooLong { .. } => "consent.field_too_long",
            ConsentError::TextVersionMismatch { .. } => "consent.text_version_mismatch",
            ConsentError::SignatureEmpty => "consent.signature_empty",
            ConsentError::SignatureTooSmall => "consent.signature_too_small",
            ConsentError::SignatureTooLarge => "consent.signature_too_large",
            ConsentError::SignatureMalformed => "consent.signature_malformed",
            ConsentError::SignatureRender => "consent.signature_render",
            ConsentError::MethodMismatch => "consent.method_mismatch",
            ConsentError::Refused => "consent.refused",
            ConsentError::TextInvalid { .. } => "consent.text_invalid",
            ConsentError::TextPurposeMissing { .. } => "consent.text_purpose_missing",
            ConsentError::TextMarkup => "consent.text_markup",
            ConsentError::TextTooLong { .. } => "consent.text_too_long",
            ConsentError::Random => "consent.random",
            ConsentError::Encoding => "consent.encoding",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "consent.no_purpose",
        "consent.care_required",
        "consent.no_patient_identifier",
        "consent.no_patient_name",
        "consent.representative_name_missing",
        "consent.representative_relationship_missing",
        "consent.best_interests_reason_missing",
        "consent.witness_missing",
        "consent.clinician_missing",
        "consent.field_too_long",
        "consent.text_version_mismatch",
        "consent.signature_empty",
        "consent.signature_too_small",
        "consent.signature_too_large",
        "consent.signature_malformed",
        "consent.signature_render",
        "consent.method_mismatch",
        "consent.refused",
        "consent.text_invalid",
        "consent.text_purpose_missing",
        "consent.text_markup",
        "consent.text_too_long",
        "consent.random",
        "consent.encoding",
    ];
}
