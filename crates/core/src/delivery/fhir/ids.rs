//! The FHIR identifiers of a photo's resources, derived from its stable photo id (and the consent's
//! id) as `delivery::uids` derives the DICOM UIDs: the first 16 bytes of SHA-256 over a fixed label
//! (one per purpose), a zero byte and the id's bytes, made a UUID of version 8 (custom, RFC 9562)
//! with the RFC 4122 variant. So every retry of a photo names the same resources, and no two
//! purposes ever share a value.
//!
//! - [`binary_id`]: the `Binary`'s logical id, a lower-case UUID (36 characters of `[0-9a-f-]`, a
//!   valid FHIR `id`), assigned by WardCam and sent with `PUT Binary/<id>`.
//! - [`document_identifier`]: the `DocumentReference.identifier` value, `urn:uuid:<uuid>` under
//!   the system `urn:ietf:rfc:3986`, the key of its conditional create.
//! - [`placeholder`]: the `urn:uuid:` `fullUrl` of an entry in the transaction Bundle. Never the
//!   same string as an identifier: a server replaces placeholders wherever they appear in the
//!   Bundle, identifier values and `ifNoneExist` included, so an identifier equal to its entry's
//!   `fullUrl` would be rewritten to a server id and never match again.

use crate::consent::ConsentId;
use crate::visit::PhotoId;

/// The labels hashed with each id. Never change them: every resource already filed depends on them.
const BINARY: &str = "wardcam.fhir.binary.v1";
const DOCUMENT_REFERENCE: &str = "wardcam.fhir.document-reference.v1";
const ENTRY_CONSENT: &str = "wardcam.fhir.entry.consent.v1";
const ENTRY_DOCUMENT_REFERENCE: &str = "wardcam.fhir.entry.document-reference.v1";
const ENTRY_PROVENANCE: &str = "wardcam.fhir.entry.provenance.v1";

/// The system of every `urn:uuid:` identifier WardCam assigns (and of the consent's).
pub const URN_SYSTEM: &str = "urn:ietf:rfc:3986";

/// The logical id of a photo's `Binary`, the same through every retry and a redaction.
pub fn binary_id(photo: PhotoId) -> String {
    derived(BINARY, &photo.0)
}

/// The `DocumentReference.identifier` value of a photo: `urn:uuid:<uuid>`.
pub fn document_identifier(photo: PhotoId) -> String {
    format!("urn:uuid:{}", derived(DOCUMENT_REFERENCE, &photo.0))
}

/// Which entry of a photo's Bundle a placeholder names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The consent (one per consent, shared by the visit's photos).
    Consent(ConsentId),
    /// The photo's DocumentReference.
    DocumentReference(PhotoId),
    /// The photo's Provenance.
    Provenance(PhotoId),
}

/// The `fullUrl` of an entry: `urn:uuid:<uuid>`.
pub(crate) fn placeholder(entry: Entry) -> String {
    let id = match entry {
        Entry::Consent(c) => derived(ENTRY_CONSENT, c.as_bytes()),
        Entry::DocumentReference(p) => derived(ENTRY_DOCUMENT_REFERENCE, &p.0),
        Entry::Provenance(p) => derived(ENTRY_PROVENANCE, &p.0),
    };
    format!("urn:uuid:{id}")
}

/// A lower-case hyphenated UUID derived as the DICOM UIDs are ([`crate::delivery::uids`]).
fn derived(label: &str, bytes: &[u8]) -> String {
    uuid::Uuid::from_bytes(crate::delivery::uids::derived_uuid(label, bytes))
        .hyphenated()
        .to_string()
}
