//! The sealed records a visit keeps in the vault, each a vault item of its own kind:
//!
//! - [`PhotoManifest`] ([`ItemKind::Manifest`]): one per photo, everything delivery and audit
//!   need about it (whose it is, how they were identified, under which consent, its label, its
//!   items, its local state). Updating it seals the new revision before shredding the old, so a
//!   crash leaves one or two revisions and recovery keeps the higher.
//! - [`VisitRecord`] ([`ItemKind::Visit`]): the confirmed patient and the consent in force, so a
//!   visit the app died in can be resumed and a withdrawal can reach an ended visit's photos.
//! - [`WithdrawalRecord`] ([`ItemKind::Withdrawal`]): sealed *before* any photo is shredded, so an
//!   interrupted withdrawal is finished at the next open.
//!
//! Each is JSON inside an envelope `{"format": …, "version": n, "body": …}`. [`decode`] reads every
//! version this build knows and migrates it to the current shape; a newer version is refused
//! (nothing is deleted), so an older app never destroys what a newer one wrote.
//!
//! [`ItemKind::Manifest`]: crate::vault::ItemKind::Manifest
//! [`ItemKind::Visit`]: crate::vault::ItemKind::Visit
//! [`ItemKind::Withdrawal`]: crate::vault::ItemKind::Withdrawal

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::error::VisitError;
use super::identity::PatientIdentity;
use super::ids::{PhotoId, VisitId};
use crate::consent::{ConsentDigest, ConsentId};
use crate::intake::{ImageInfo, Quality};
use crate::review::{Label, Laterality};
use crate::session::{Purpose, Purposes};
use crate::vault::{ItemId, Timestamp};

/// The manifest version this build writes. Version 2 added the record check's override,
/// re-check and hold to the patient identity; version 3 the delivery states and their record;
/// version 4 the destinations (the route being sent, what the FHIR record filed, the routes
/// already verified) and receipts that may name a record filing instead of a PACS store. An
/// older app must not read (and rewrite without) what it does not know, so it refuses a newer
/// version rather than ignore the fields.
pub const MANIFEST_VERSION: u32 = 4;

/// Where a photo is in its life on the phone. A delivered photo has no state: once the server's
/// copy is verified it is shredded, and a sealed [`ReceiptRecord`] remains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// Taken and sealed; not yet in the outbox.
    Captured,
    /// In the outbox, waiting to be sent (again).
    Queued,
    /// Being sent, the attempt sealed with the digest of what goes. A crash here leaves it to be
    /// sent again: its UIDs make a resend replace, not duplicate. A copy read back straight after
    /// the server's answer goes from here to verified with no commit in between.
    Sending,
    /// The server said it stored it, and its copy could not be read back at once; the answer is
    /// sealed, so the next attempt reads it back rather than sending it again.
    Uploaded,
    /// Stopped until a person acts: the server refused it, or its copy differed from what was
    /// sent. [`DeliveryRecord::hold`] says why.
    Held,
    /// Its consent was withdrawn: it is being shredded and can never be queued or delivered.
    Withdrawn,
}

impl LocalState {
    /// In the outbox: queued and not yet delivered (held photos included).
    pub fn in_outbox(self) -> bool {
        matches!(
            self,
            LocalState::Queued | LocalState::Sending | LocalState::Uploaded | LocalState::Held
        )
    }
}

/// A reason in words, with its stable code, as sealed with a photo's delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A stable dotted code (`endpoint.unreachable`, `delivery.readback_mismatch`, ...).
    pub code: String,
    /// Words a clinician can act on. Never quotes the patient or the server's reply.
    pub message: String,
}

/// Where a photo went: the server and the identifiers it was stored under, and the digest of the
/// frame sent, against which the server's copy is compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRecord {
    /// The DICOMweb base address it was stored at.
    pub server: String,
    /// Study Instance UID.
    pub study_uid: String,
    /// Series Instance UID.
    pub series_uid: String,
    /// SOP Instance UID.
    pub sop_uid: String,
    /// SHA-256 of the encapsulated frame sent, hex.
    pub frame_sha256: String,
    /// Its length in bytes (a server pads an odd-length frame with one zero byte).
    pub frame_len: u64,
    /// SHA-256 of the whole Part-10 file sent, hex, and its length: a copy read back byte for
    /// byte is proved without parsing it (absent in records sealed before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<SentFile>,
    /// When the server acknowledged it.
    pub at: Timestamp,
}

/// The whole file sent, for the read-back's fast path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentFile {
    /// SHA-256, hex.
    pub sha256: String,
    /// Length in bytes.
    pub len: u64,
}

/// Where a photo goes: the trust's PACS (DICOMweb) or its electronic record (FHIR). A trust
/// configures one or both; a photo is shredded only once every configured route has read it back.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// The PACS, by DICOMweb STOW-RS.
    #[default]
    Pacs,
    /// The electronic patient record, by a FHIR transaction.
    Record,
}

impl Route {
    /// Every route, in the order a photo takes them when both are open.
    pub const ALL: [Route; 2] = [Route::Pacs, Route::Record];

    /// The route's name in words.
    pub fn words(self) -> &'static str {
        match self {
            Route::Pacs => "hospital image server",
            Route::Record => "hospital record",
        }
    }
}

/// What the FHIR record filed for a photo: the Binary read back before shredding, and where the
/// DocumentReference, Consent and Provenance are, for the audit trail and a later withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiledRecord {
    /// The FHIR base address it was filed at.
    pub server: String,
    /// The Binary's logical id (derived from the photo id).
    pub binary_id: String,
    /// SHA-256 of the photo's bytes in the Binary, hex.
    pub sha256: String,
    /// Their length.
    pub len: u64,
    /// The DocumentReference's identifier value (`urn:uuid:…`, derived from the photo id).
    pub document_identifier: String,
    /// Where the server put the DocumentReference (`DocumentReference/<id>/_history/<v>`), as it
    /// answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_reference: Option<String>,
    /// Where it put (or found) the Consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    /// When the server acknowledged it.
    pub at: Timestamp,
}

/// A photo's delivery so far. Empty until it is first sent. The steps (`sending`, `uploaded`)
/// are those of [`DeliveryRecord::route`]; a route read back is listed in
/// [`DeliveryRecord::verified`] and its proof (`sent` or `filed`) kept for the receipt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// Attempts to send (or verify) made, every route together.
    pub attempts: u32,
    /// Not to be tried again before this.
    pub next_attempt_at: Option<Timestamp>,
    /// Why the last attempt failed, if it did.
    pub problem: Option<Problem>,
    /// Why it is held ([`LocalState::Held`]).
    pub hold: Option<Problem>,
    /// What the PACS acknowledged, once it did.
    pub sent: Option<SentRecord>,
    /// What the FHIR record filed, once it did (version 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filed: Option<FiledRecord>,
    /// The route the photo is being sent (or verified) on; before version 4 always the PACS.
    #[serde(default)]
    pub route: Route,
    /// The routes whose copy was read back and matched (version 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verified: Vec<Route>,
}

impl DeliveryRecord {
    /// Whether `route`'s copy was read back and matched.
    pub fn is_verified(&self, route: Route) -> bool {
        self.verified.contains(&route)
    }

    /// Drops the proof of the route being sent unless that route was verified (a resend, or
    /// "Send again" after a hold): a verified route's proof belongs in the receipt.
    pub fn forget_unverified_proof(&mut self) {
        if self.is_verified(self.route) {
            return;
        }
        match self.route {
            Route::Pacs => self.sent = None,
            Route::Record => self.filed = None,
        }
    }

    /// Whether the route being sent holds an acknowledgement to read back.
    pub fn acknowledged(&self) -> bool {
        match self.route {
            Route::Pacs => self.sent.is_some(),
            Route::Record => self.filed.is_some(),
        }
    }
}

/// A photo's label as sealed: the SNOMED CT code, side and description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRecord {
    /// SNOMED CT concept id of the body site.
    pub body_site: String,
    /// Its side.
    pub laterality: Laterality,
    /// What the photo shows.
    pub description: String,
}

impl From<&Label> for LabelRecord {
    fn from(l: &Label) -> Self {
        LabelRecord {
            body_site: l.site.code.to_owned(),
            laterality: l.laterality,
            description: l.description.clone(),
        }
    }
}

impl LabelRecord {
    /// The label, checked again against today's body-site list.
    pub fn label(&self) -> Option<Label> {
        Label::new(&self.body_site, self.laterality, &self.description).ok()
    }
}

/// The consent a photo was taken under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentLink {
    /// The consent record's id.
    pub consent_id: ConsentId,
    /// SHA-256 of its canonical JSON.
    pub digest: ConsentDigest,
    /// The vault item holding the record.
    pub record_item: ItemId,
    /// The vault item holding the signature PNG, if signed.
    pub signature_item: Option<ItemId>,
    /// The uses agreed to.
    pub purposes: Purposes,
    /// When it was recorded.
    pub recorded_at: Timestamp,
}

impl ConsentLink {
    /// The vault items this consent keeps alive.
    pub fn items(&self) -> impl Iterator<Item = ItemId> {
        std::iter::once(self.record_item).chain(self.signature_item)
    }
}

/// One redaction applied to a photo: the original's image item was shredded once the redacted one
/// was sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionStep {
    /// When.
    pub at: Timestamp,
    /// The image item it replaced (now shredded).
    pub replaced: ItemId,
    /// How many areas were covered.
    pub fills: usize,
    /// Whether the image was cropped.
    pub cropped: bool,
}

/// Everything kept about one photo. See the module documentation.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoManifest {
    /// The stable photo id.
    pub photo_id: PhotoId,
    /// The visit that took it.
    pub visit_id: VisitId,
    /// Bumped on every update; recovery keeps the highest.
    pub revision: u32,
    /// The patient as confirmed.
    pub patient: PatientIdentity,
    /// The clinician who took it.
    pub clinician: Option<String>,
    /// The consent in force when it was taken.
    pub consent: ConsentLink,
    /// The use it was taken for.
    pub intended_use: Purpose,
    /// Body site, side and description, once set.
    pub label: Option<LabelRecord>,
    /// When it was taken (wall clock).
    pub captured_at: Timestamp,
    /// What intake read from its header.
    pub info: ImageInfo,
    /// Intake's quality advice.
    pub quality: Quality,
    /// The sealed image.
    pub image: ItemId,
    /// The sealed thumbnail.
    pub thumbnail: ItemId,
    /// Redactions applied, oldest first.
    pub redactions: Vec<RedactionStep>,
    /// Where it is in its life on the phone.
    pub state: LocalState,
    /// Its delivery so far (absent before version 3: nothing was ever sent).
    #[serde(default)]
    pub delivery: DeliveryRecord,
}

impl std::fmt::Debug for PhotoManifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoManifest")
            .field("photo_id", &self.photo_id)
            .field("visit_id", &self.visit_id)
            .field("revision", &self.revision)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl PhotoManifest {
    /// The vault items this manifest keeps alive (not counting the manifest's own item).
    pub fn items(&self) -> [ItemId; 2] {
        [self.image, self.thumbnail]
    }
}

/// A visit as sealed. See the module documentation.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitRecord {
    /// The visit.
    pub visit_id: VisitId,
    /// Bumped on every update; recovery keeps the highest.
    pub revision: u32,
    /// The patient as confirmed.
    pub patient: PatientIdentity,
    /// When the patient was confirmed.
    pub confirmed_at: Timestamp,
    /// The consent in force, if any.
    pub consent: Option<ConsentLink>,
    /// Consents of this visit that were withdrawn (their records are kept with the withdrawal).
    pub withdrawn: Vec<ConsentLink>,
    /// The patient's refusal, if they declined.
    pub declined: Option<ConsentLink>,
    /// The clinician ended the visit (its photos may still wait in the outbox).
    pub ended: bool,
    /// The consent's own copy in the PACS, for a trust whose record gets no FHIR `Consent`
    /// (version 4; none before anything of the visit was sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_copy: Option<ConsentCopy>,
    /// The label given last to a photo of this visit, offered as one tap for the next photo of
    /// the same wound; kept after the photos themselves are delivered and shredded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_label: Option<LabelRecord>,
}

/// The consent as an Encapsulated PDF instance in the visit's study, for a trust that delivers to
/// its PACS only: its delivery so far. The consent is not shredded with the visit's last photo
/// until this copy has been read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentCopy {
    /// The consent this is a copy of (a new consent after a withdrawal needs a copy of its own).
    pub consent_id: ConsentId,
    /// Attempts that failed.
    pub attempts: u32,
    /// Not to be tried again before this.
    pub next_attempt_at: Option<Timestamp>,
    /// Why the last attempt failed.
    pub problem: Option<Problem>,
    /// What the PACS acknowledged, to be read back (the PDF stands for the frame).
    pub sent: Option<SentRecord>,
    /// When its read-back matched.
    pub verified_at: Option<Timestamp>,
}

impl ConsentCopy {
    /// A copy of `consent_id` not yet sent.
    pub fn new(consent_id: ConsentId) -> ConsentCopy {
        ConsentCopy {
            consent_id,
            attempts: 0,
            next_attempt_at: None,
            problem: None,
            sent: None,
            verified_at: None,
        }
    }
}

impl VisitRecord {
    /// Whether the consent in force has a copy in the PACS, read back.
    pub fn consent_copied(&self) -> bool {
        match (&self.consent, &self.consent_copy) {
            (Some(link), Some(copy)) => {
                copy.consent_id == link.consent_id && copy.verified_at.is_some()
            }
            _ => false,
        }
    }
}

impl std::fmt::Debug for VisitRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisitRecord")
            .field("visit_id", &self.visit_id)
            .field("revision", &self.revision)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl VisitRecord {
    /// The vault items this record keeps alive: its consents' records and signatures.
    pub fn items(&self) -> impl Iterator<Item = ItemId> + '_ {
        self.consent
            .iter()
            .chain(&self.withdrawn)
            .chain(&self.declined)
            .flat_map(ConsentLink::items)
    }
}

/// A consent withdrawal as sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalRecord {
    /// The visit whose consent was withdrawn.
    pub visit_id: VisitId,
    /// The consent withdrawn.
    pub consent_id: ConsentId,
    /// Its digest.
    pub consent_sha256: ConsentDigest,
    /// When.
    pub withdrawn_at: Timestamp,
    /// The clinician who recorded it.
    pub clinician: Option<String>,
    /// The photos it shreds (every photo of the visit taken under that consent, not yet delivered).
    pub photos: Vec<PhotoId>,
}

/// What stays on the phone once a photo, or the last of a visit's photos, has gone to the record:
/// sealed, for the audit trail and so a later withdrawal can still reach the server's copies.
// A receipt is sealed once and read a few times; boxing its variant's records would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReceiptRecord {
    /// A photo verified on the server and crypto-shredded here.
    Deletion {
        /// The photo.
        photo_id: PhotoId,
        /// Its visit.
        visit_id: VisitId,
        /// The consent it was taken under.
        consent_id: ConsentId,
        /// Where it went in the PACS and under which identifiers, with the digest that matched
        /// (none when the trust files to its record only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sent: Option<SentRecord>,
        /// Where it was filed in the FHIR record, with the digest that matched (version 4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filed: Option<FiledRecord>,
        /// Its body site (SNOMED CT), for the Outbox's "Sent" list; no patient identifier.
        body_site: Option<String>,
        /// Its side.
        laterality: Option<Laterality>,
        /// When the server's copy was verified and the local one shredded.
        shredded_at: Timestamp,
    },
    /// A visit's consent, shredded with its signature once the last photo taken under it was
    /// delivered; what a later withdrawal needs to reach the record.
    Consent {
        /// The visit.
        visit_id: VisitId,
        /// The consent.
        consent_id: ConsentId,
        /// Its digest.
        consent_sha256: ConsentDigest,
        /// The uses agreed to.
        purposes: Purposes,
        /// Where its photos went in the PACS: (server, study UID, SOP instance UIDs).
        delivered: Vec<SentRecord>,
        /// Where they were filed in the FHIR record: the DocumentReferences and the Consent, which
        /// a later withdrawal makes inactive (version 4).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        filed: Vec<FiledRecord>,
        /// The consent's own copy in the PACS (Encapsulated PDF), when the trust has no FHIR
        /// record route (version 4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consent_copy: Option<SentRecord>,
        /// When the consent was shredded.
        shredded_at: Timestamp,
    },
    /// A consent withdrawn after some of its photos had reached the record (version 4): what the
    /// record team must remove, and the record's `Consent` being made inactive.
    Withdrawn {
        /// The visit.
        visit_id: VisitId,
        /// The consent withdrawn.
        consent_id: ConsentId,
        /// When.
        withdrawn_at: Timestamp,
        /// The clinician who recorded it.
        clinician: Option<String>,
        /// The photos in the PACS, for the record team.
        delivered: Vec<SentRecord>,
        /// The photos filed in the FHIR record, for the record team.
        filed: Vec<FiledRecord>,
        /// The consent's own copy in the PACS, if it went there.
        consent_copy: Option<SentRecord>,
        /// The record's `Consent` to make inactive; none when the consent never went to a FHIR
        /// record.
        record_update: Option<RecordUpdate>,
    },
}

impl ReceiptRecord {
    /// The visit it belongs to.
    pub fn visit_id(&self) -> VisitId {
        match self {
            ReceiptRecord::Deletion { visit_id, .. }
            | ReceiptRecord::Consent { visit_id, .. }
            | ReceiptRecord::Withdrawn { visit_id, .. } => *visit_id,
        }
    }
}

/// Making the record's `Consent` inactive after a withdrawal: its progress, sealed in the
/// withdrawal's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordUpdate {
    /// The FHIR base the consent was filed at.
    pub server: String,
    /// Attempts that failed.
    pub attempts: u32,
    /// Not to be tried again before this.
    pub next_attempt_at: Option<Timestamp>,
    /// Why the last attempt failed.
    pub problem: Option<Problem>,
    /// Stopped until a person acts (the record refused, or holds the consent twice).
    pub held: bool,
    /// The Consent made inactive (`Consent/<id>`), once read back so.
    pub done: Option<String>,
    /// When.
    pub done_at: Option<Timestamp>,
}

/// The envelope every record is sealed in.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    format: String,
    version: u32,
    body: T,
}

/// What each record's envelope names.
pub trait Record: Serialize + DeserializeOwned {
    /// The envelope's `format`.
    const FORMAT: &'static str;
}

impl Record for PhotoManifest {
    const FORMAT: &'static str = "wardcam.photo-manifest";
}
impl Record for VisitRecord {
    const FORMAT: &'static str = "wardcam.visit";
}
impl Record for WithdrawalRecord {
    const FORMAT: &'static str = "wardcam.withdrawal";
}
impl Record for ReceiptRecord {
    const FORMAT: &'static str = "wardcam.receipt";
}

/// Encodes `record` in its envelope at the current version, in a buffer wiped on drop.
pub fn encode<T: Record>(record: &T) -> Result<Zeroizing<Vec<u8>>, VisitError> {
    serde_json::to_vec(&Envelope {
        format: T::FORMAT.to_owned(),
        version: MANIFEST_VERSION,
        body: record,
    })
    .map(Zeroizing::new)
    .map_err(|_| VisitError::ManifestInvalid {
        detail: "it did not encode",
    })
}

/// Decodes a record of type `T`, migrating older versions to the current shape.
pub fn decode<T: Record>(bytes: &[u8]) -> Result<T, VisitError> {
    // The head first (the body is skipped, not copied: it holds patient data), then the body
    // straight into its type.
    #[derive(Deserialize)]
    struct Head {
        format: String,
        version: u32,
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|_| VisitError::ManifestInvalid {
        detail: "not a WardCam record",
    })?;
    if head.format != T::FORMAT {
        return Err(VisitError::ManifestInvalid {
            detail: "a record of another kind",
        });
    }
    match head.version {
        // Version 1 lacks the identity's `recheck_due`, `recheck` and `hold`, and never had an
        // override: read as version 2, they default to "nothing due, no re-check, no hold", which
        // is what a version-1 visit was (its record check had no such states).
        // Version 2 lacks `delivery`: it defaults to "never sent", which is what it was.
        // Version 3 knew the PACS only: its route defaults to the PACS, nothing filed or verified.
        1..=4 => serde_json::from_slice::<Envelope<T>>(bytes)
            .map(|e| e.body)
            .map_err(|_| VisitError::ManifestInvalid {
                detail: "a field is missing or malformed",
            }),
        newer => Err(VisitError::ManifestVersion { version: newer }),
    }
}
