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
/// re-check and hold to the patient identity: an older app must not read (and rewrite without) a
/// hold, so it refuses version 2 rather than ignore the fields it does not know.
pub const MANIFEST_VERSION: u32 = 2;

/// Where a photo is in its life on the phone. Delivery adds its own states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalState {
    /// Taken and sealed; not yet in the outbox.
    Captured,
    /// In the outbox.
    Queued,
    /// Its consent was withdrawn: it is being shredded and can never be queued or delivered.
    Withdrawn,
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
        1 | 2 => serde_json::from_slice::<Envelope<T>>(bytes)
            .map(|e| e.body)
            .map_err(|_| VisitError::ManifestInvalid {
                detail: "a field is missing or malformed",
            }),
        newer => Err(VisitError::ManifestVersion { version: newer }),
    }
}
