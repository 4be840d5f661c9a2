//! The vault's public value types: what an item is, its state, its patient fields, and the reports
//! that deletion, retention and the start-up sweep return for the audit log.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::error::VaultError;
use super::format::ItemId;

/// A point in time as Unix milliseconds, as the index stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The current wall-clock time (0 if the clock is before 1970).
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }

    /// This time plus `d`, saturating.
    pub fn plus(self, d: Duration) -> Timestamp {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }

    /// This time minus `d`, saturating at the epoch.
    pub fn minus(self, d: Duration) -> Timestamp {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Timestamp(self.0.saturating_sub(ms))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Self {
        let ms = t
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }
}

/// What an item holds. Each kind is sealed the same way; the kind is kept in the index so the app
/// can list and purge by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A clinical photo.
    Photo,
    /// A small preview of a photo.
    Thumbnail,
    /// A consent record.
    Consent,
    /// A patient's or clinician's signature.
    Signature,
    /// The clinician's PIN hash, name and attempt count (desktop hand-back from kiosk mode).
    ClinicianPin,
    /// A photo's manifest: whose it is, under which consent, its label and local state
    /// (`crate::visit`). One live manifest per photo.
    Manifest,
    /// A visit's record: the confirmed patient and the consent in force (`crate::visit`).
    Visit,
    /// A consent withdrawal: which consent, when, by whom, which photos it shreds.
    Withdrawal,
    /// What remains once a photo (or a visit's consent) has gone to the record: where, under
    /// which identifiers, when it was shredded here (`crate::visit`).
    Receipt,
    /// The audit log's keys: its chain key, patient-hash key and X25519 secret (`crate::audit`).
    AuditKey,
    /// The retention clock: the time a trust server last vouched for and the since-boot reading
    /// it came at, a floor no reboot lowers, and each waiting photo's age and warning
    /// (`crate::visit`). Never purged.
    Retention,
    /// The exact bytes one route will receive for one waiting photo (a DICOM Part-10 file or a
    /// FHIR transaction Bundle), built while unlocked so the courier can send them while the app
    /// is locked. Kept only in the outbound vault, under the delivery key (`crate::visit`).
    Parcel,
    /// Where a parcel's delivery stands (packed, begun, waiting, stopped, verified), in the
    /// outbound vault beside it (`crate::visit`).
    ParcelState,
}

impl ItemKind {
    /// Every kind.
    pub const ALL: [ItemKind; 13] = [
        ItemKind::Photo,
        ItemKind::Thumbnail,
        ItemKind::Consent,
        ItemKind::Signature,
        ItemKind::ClinicianPin,
        ItemKind::Manifest,
        ItemKind::Visit,
        ItemKind::Withdrawal,
        ItemKind::Receipt,
        ItemKind::AuditKey,
        ItemKind::Retention,
        ItemKind::Parcel,
        ItemKind::ParcelState,
    ];

    /// The name stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Photo => "photo",
            ItemKind::Thumbnail => "thumbnail",
            ItemKind::Consent => "consent",
            ItemKind::Signature => "signature",
            ItemKind::ClinicianPin => "clinician_pin",
            ItemKind::Manifest => "manifest",
            ItemKind::Visit => "visit",
            ItemKind::Withdrawal => "withdrawal",
            ItemKind::Receipt => "receipt",
            ItemKind::AuditKey => "audit_key",
            ItemKind::Retention => "retention",
            ItemKind::Parcel => "parcel",
            ItemKind::ParcelState => "parcel_state",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<ItemKind, VaultError> {
        ItemKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(VaultError::Index {
                detail: "an item has an unknown kind".into(),
            })
    }
}

/// Where an item is in its life on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Sealed in the vault; not yet handed to the outbox.
    Stored,
    /// In the outbox, waiting for or in upload.
    Queued,
    /// Confirmed on the trust's server; kept only until retention removes it.
    Sent,
}

impl ItemState {
    /// Every state.
    pub const ALL: [ItemState; 3] = [ItemState::Stored, ItemState::Queued, ItemState::Sent];

    /// The name stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Stored => "stored",
            ItemState::Queued => "queued",
            ItemState::Sent => "sent",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<ItemState, VaultError> {
        ItemState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(VaultError::Index {
                detail: "an item has an unknown state".into(),
            })
    }
}

/// What the index says about an item, without its contents. Carries no patient identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemMeta {
    /// The item's id.
    pub id: ItemId,
    /// What it holds.
    pub kind: ItemKind,
    /// When it was sealed.
    pub created_at: Timestamp,
    /// Where it is in its life.
    pub state: ItemState,
    /// Plaintext size in bytes.
    pub size: u64,
}

impl Serialize for ItemId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ItemId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Patient-identifying details kept with an item. They are sealed in the index under the item's own
/// key (so deleting the item shreds them too) and never appear in `Debug` output.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientFields {
    /// The NHS number, digits only.
    pub nhs_number: Option<String>,
    /// Family name.
    pub family_name: Option<String>,
    /// Given names.
    pub given_names: Option<String>,
    /// Date of birth, ISO 8601 (`YYYY-MM-DD`).
    pub date_of_birth: Option<String>,
    /// Free text the clinician typed (a caption, a body site).
    pub note: Option<String>,
}

impl fmt::Debug for PatientFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PatientFields(<redacted>)")
    }
}

/// What [`Vault::sweep`](super::Vault::sweep) cleaned up. Counts and ids only, for the audit log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Half-written temporary files removed (a seal interrupted before its rename).
    pub temp_files_removed: usize,
    /// Complete blobs with no index row, removed (a seal interrupted before its commit; the item was
    /// never acknowledged and its key never stored).
    pub orphan_blobs_removed: Vec<ItemId>,
    /// Deletions interrupted after the key was destroyed, now finished.
    pub deletions_finished: Vec<ItemId>,
    /// Index rows whose blob was missing (removed outside WardCam); their rows and keys are removed.
    pub missing_blobs: Vec<ItemId>,
    /// Files in the blob folder that WardCam did not name; left alone.
    pub unknown_files: usize,
}

impl SweepReport {
    /// Whether the sweep found nothing to do.
    pub fn is_clean(&self) -> bool {
        self.temp_files_removed == 0
            && self.orphan_blobs_removed.is_empty()
            && self.deletions_finished.is_empty()
            && self.missing_blobs.is_empty()
    }
}
