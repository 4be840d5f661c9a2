//! Intake and sealing of one photo as one step: the app takes every photo this way, and
//! `bench/intake` measures it. (Sealing the image on a second thread while the thumbnail is
//! decoded was tried: no faster here, as the scaled decode dominates and already uses both cores.)

use super::{intake, ImageInfo, Intake, IntakePolicy, Quality};
use crate::vault::{ItemId, ItemKind, PatientFields, Timestamp, Vault};
use crate::Error;

/// A photo that passed intake and is sealed: its two vault items and what intake learnt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SealedPhoto {
    /// The stripped image ([`ItemKind::Photo`], with the patient's fields).
    pub image: ItemId,
    /// The thumbnail ([`ItemKind::Thumbnail`]).
    pub thumbnail: ItemId,
    /// What the header says.
    pub info: ImageInfo,
    /// Quality advice for the Review screen.
    pub quality: Quality,
}

/// Checks, strips and thumbnails `bytes` (see [`intake`]), then seals the result with
/// [`seal_intake`]. On any error nothing of the photo stays in the vault.
pub fn seal_photo(
    vault: &Vault,
    bytes: &[u8],
    policy: &IntakePolicy,
    patient: Option<&PatientFields>,
    now: Timestamp,
) -> Result<SealedPhoto, Error> {
    seal_intake(vault, &intake(bytes, policy)?, patient, now)
}

/// Seals an image that passed intake (or [`super::redact`]) and its thumbnail, the image with the
/// patient's fields. An image sealed before the thumbnail's sealing failed is crypto-shredded
/// again, so on error nothing of it stays in the vault.
pub fn seal_intake(
    vault: &Vault,
    photo: &Intake,
    patient: Option<&PatientFields>,
    now: Timestamp,
) -> Result<SealedPhoto, Error> {
    let image = vault.seal(ItemKind::Photo, &photo.image, patient, now)?;
    let thumbnail = vault
        .seal(ItemKind::Thumbnail, &photo.thumbnail, None, now)
        .map_err(|e| {
            let _ = vault.delete(image);
            Error::from(e)
        })?;
    Ok(SealedPhoto {
        image,
        thumbnail,
        info: photo.info,
        quality: photo.quality,
    })
}
