//! Informed consent to clinical photography (GMC guidance): what the patient agreed to, who
//! decided, how, before whom, under which text, and the signature.
//!
//! - [`ConsentText`]: the versioned plain-language text per purpose, bundled
//!   ([`DEFAULT_TEXT_JSON`]) or provisioned by the trust and checked by
//!   [`ConsentText::from_provisioned`].
//! - [`ConsentForm`]: what the consent screen sends (choices and strokes only);
//!   [`ConsentRecord::build`] checks it with the app's [`RecordContext`] and makes the record.
//! - [`Signature`]: vector strokes; trivial signatures are refused and the PNG is rendered here
//!   from the strokes, so image and record cannot disagree.
//! - [`ConsentRecord::sha256`]: the digest of the record's canonical JSON, bound into each photo
//!   ([`crate::session::Consent::digest`]); [`ConsentRecord::reference`] for the DICOM writer;
//!   [`fhir::consent_resource`] for the record system.
//!
//! Promises: `Debug` of a record hides the patient's identifiers; error messages never repeat
//! names, identifiers or typed text. Not done here: sealing the record (the app seals
//! [`ConsentRecord::canonical_bytes`] in the [`vault`](crate::vault)), and uploading it.

pub(crate) mod canonical;
mod error;
pub mod fhir;
mod record;
mod signature;
#[cfg(test)]
mod tests;
mod text;
pub(crate) mod time;

pub use error::ConsentError;
pub use record::{
    Clinician, ConsentDigest, ConsentForm, ConsentId, ConsentPatient, ConsentRecord,
    ConsentReference, ConsentedBy, Decision, Method, RecordContext, MAX_NAME_CHARS,
    MAX_REASON_CHARS,
};
pub use signature::{Point, Signature, MAX_POINTS, MAX_STROKES, PAD_SIDE};
pub use text::{
    ConsentText, PurposeText, PurposeTexts, DEFAULT_TEXT_JSON, MAX_FIELD_CHARS, MAX_TEXT_BYTES,
    MAX_VERSION_CHARS,
};
