//! Intake and sealing of one photo as one step: the app takes every photo this way, and
//! `bench/intake` measures it. The image is stripped (copied without its metadata) and sealed
//! (encrypted, written, synced) on a second thread while this one decodes the thumbnail from the
//! input: neither needs the other, so a photo is in the vault sooner.

use std::{panic, thread};

use super::{check, ImageInfo, Intake, IntakePolicy, Quality};
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

/// Checks, strips and thumbnails `bytes` as [`intake`](super::intake) does, and seals the image
/// (with the patient's fields) and the thumbnail. On any error nothing of the photo stays in the
/// vault.
pub fn seal_photo(
    vault: &Vault,
    bytes: &[u8],
    policy: &IntakePolicy,
    patient: Option<&PatientFields>,
    now: Timestamp,
) -> Result<SealedPhoto, Error> {
    let checked = check(bytes, policy)?;
    let (image, thumbnail) = thread::scope(|scope| {
        // A JPEG is copied (stripped) on this thread too, while the thumbnail is decoded.
        let sealing = scope.spawn(|| -> Result<ItemId, Error> {
            let sealed =
                checked.with_image(|image| vault.seal(ItemKind::Photo, image, patient, now))?;
            Ok(sealed?)
        });
        let thumbnail = checked.thumbnail(policy);
        // A panic while sealing carries on here, as it would without the thread.
        let image = sealing.join().unwrap_or_else(|p| panic::resume_unwind(p));
        (image, thumbnail)
    });
    let image = image?;
    // An image whose thumbnail cannot be made (damaged data the header did not show) is shredded.
    let thumbnail = match thumbnail {
        Ok(t) => t,
        Err(e) => {
            shred_unnamed(vault, image);
            return Err(e.into());
        }
    };
    Ok(SealedPhoto {
        image,
        thumbnail: seal_thumbnail(vault, image, &thumbnail.jpeg, now)?,
        info: checked.info(),
        quality: thumbnail.quality,
    })
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
    let thumbnail = seal_thumbnail(vault, image, &photo.thumbnail, now)?;
    Ok(SealedPhoto {
        image,
        thumbnail,
        info: photo.info,
        quality: photo.quality,
    })
}

/// Seals the thumbnail of the image sealed as `image`; if that fails, shreds the image.
fn seal_thumbnail(
    vault: &Vault,
    image: ItemId,
    thumbnail: &[u8],
    now: Timestamp,
) -> Result<ItemId, Error> {
    vault
        .seal(ItemKind::Thumbnail, thumbnail, None, now)
        .map_err(|e| {
            shred_unnamed(vault, image);
            Error::from(e)
        })
}

/// Shreds an item sealed for a photo that failed before anything named it. If the shred itself
/// fails, the item stays unnamed by any manifest, and the visit's recovery shreds it at the next
/// open (`crate::visit`): the caller's own error is the one to report.
fn shred_unnamed(vault: &Vault, item: ItemId) {
    if vault.shred_all(&[item]).is_err() {
        // Left for the next open's recovery, as the doc above says.
    }
}
