//! The photos of the current patient's session: where each one's image and thumbnail are sealed in
//! the vault, what intake said about it, and the clinician's label. Held in memory; the bytes are only
//! ever in the vault (sealed) or in a zeroizing buffer while being worked on.
//!
//! Core decides what may happen (the session's events, intake, the label rules); this file keeps the
//! bookkeeping between a session `PhotoRef` and its vault items.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use wardcam_core::intake::{ImageInfo, Quality, SealedPhoto};
use wardcam_core::review::{Label, Laterality};
use wardcam_core::session::{PhotoRef, Purpose};
use wardcam_core::vault::{ItemId, ItemState, Vault};

use crate::error::CommandError;

/// One photo of the session.
#[derive(Debug, Clone)]
struct Entry {
    image: ItemId,
    thumbnail: ItemId,
    info: ImageInfo,
    quality: Quality,
    intended_use: Purpose,
    label: Option<Label>,
    queued: bool,
    redacted: bool,
    /// Bumped when the thumbnail changes, so the WebView fetches the new one.
    version: u32,
}

/// What the Review and Outbox screens show of a photo (no image bytes: the thumbnail is fetched
/// through the `thumb` protocol).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PhotoSummary {
    id: u64,
    width: u32,
    height: u32,
    quality: Quality,
    intended_use: Purpose,
    body_site: Option<BodySiteView>,
    laterality: Option<Laterality>,
    description: String,
    queued: bool,
    redacted: bool,
    version: u32,
}

/// A body site as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct BodySiteView {
    code: &'static str,
    display: &'static str,
    paired: bool,
}

impl From<&wardcam_core::review::BodySite> for BodySiteView {
    fn from(s: &wardcam_core::review::BodySite) -> Self {
        BodySiteView {
            code: s.code,
            display: s.display,
            paired: s.paired,
        }
    }
}

impl Entry {
    fn summary(&self, id: PhotoRef) -> PhotoSummary {
        let (width, height) = self.info.upright_size();
        PhotoSummary {
            id: id.0,
            width,
            height,
            quality: self.quality,
            intended_use: self.intended_use,
            body_site: self.label.as_ref().map(|l| BodySiteView::from(&l.site)),
            laterality: self.label.as_ref().map(|l| l.laterality),
            description: self
                .label
                .as_ref()
                .map(|l| l.description.clone())
                .unwrap_or_default(),
            queued: self.queued,
            redacted: self.redacted,
            version: self.version,
        }
    }
}

/// The session's photos, by the session's `PhotoRef`.
#[derive(Debug, Default)]
pub(crate) struct Photos {
    inner: Mutex<Book>,
}

#[derive(Debug, Default)]
struct Book {
    entries: BTreeMap<u64, Entry>,
    next: u64,
}

/// Crypto-shreds both items of a photo the session refused.
pub(crate) fn shred(vault: &Vault, sealed: &SealedPhoto) {
    let _ = vault.delete(sealed.image);
    let _ = vault.delete(sealed.thumbnail);
}

impl Photos {
    fn book(&self) -> Result<MutexGuard<'_, Book>, CommandError> {
        self.inner
            .lock()
            .map_err(|_| CommandError::unexpected("photo list lock poisoned"))
    }

    /// The reference the next photo will get.
    pub(crate) fn next_ref(&self) -> Result<PhotoRef, CommandError> {
        let mut book = self.book()?;
        book.next += 1;
        Ok(PhotoRef(book.next))
    }

    /// Records a photo the session accepted.
    pub(crate) fn add(
        &self,
        id: PhotoRef,
        sealed: SealedPhoto,
        intended_use: Purpose,
    ) -> Result<PhotoSummary, CommandError> {
        let entry = Entry {
            image: sealed.image,
            thumbnail: sealed.thumbnail,
            info: sealed.info,
            quality: sealed.quality,
            intended_use,
            label: None,
            queued: false,
            redacted: false,
            version: 1,
        };
        let summary = entry.summary(id);
        self.book()?.entries.insert(id.0, entry);
        Ok(summary)
    }

    /// Every photo of the session, oldest first.
    pub(crate) fn list(&self) -> Result<Vec<PhotoSummary>, CommandError> {
        Ok(self
            .book()?
            .entries
            .iter()
            .map(|(id, e)| e.summary(PhotoRef(*id)))
            .collect())
    }

    fn entry(book: &mut Book, id: PhotoRef) -> Result<&mut Entry, CommandError> {
        book.entries
            .get_mut(&id.0)
            .ok_or_else(|| wardcam_core::session::SessionError::UnknownPhoto.into())
    }

    /// Sets the label of a photo not yet queued.
    pub(crate) fn label(&self, id: PhotoRef, label: Label) -> Result<PhotoSummary, CommandError> {
        let mut book = self.book()?;
        let entry = Self::entry(&mut book, id)?;
        if entry.queued {
            return Err(wardcam_core::session::SessionError::UnknownPhoto.into());
        }
        entry.label = Some(label);
        Ok(entry.summary(id))
    }

    /// The labels of the photos not yet queued, for core's "ready to queue" check.
    pub(crate) fn pending_labels(&self) -> Result<Vec<Option<Label>>, CommandError> {
        Ok(self
            .book()?
            .entries
            .values()
            .filter(|e| !e.queued)
            .map(|e| e.label.clone())
            .collect())
    }

    /// The sealed image of a photo, for redaction.
    pub(crate) fn image_item(&self, id: PhotoRef) -> Result<ItemId, CommandError> {
        let mut book = self.book()?;
        Ok(Self::entry(&mut book, id)?.image)
    }

    /// The sealed thumbnail of a photo, for the `thumb` protocol.
    pub(crate) fn thumbnail_item(&self, id: u64) -> Option<ItemId> {
        self.inner
            .lock()
            .ok()
            .and_then(|b| b.entries.get(&id).map(|e| e.thumbnail))
    }

    /// Swaps in the redacted version and returns the original's items, which the caller shreds.
    pub(crate) fn replace(
        &self,
        id: PhotoRef,
        sealed: SealedPhoto,
    ) -> Result<(PhotoSummary, [ItemId; 2]), CommandError> {
        let mut book = self.book()?;
        let entry = Self::entry(&mut book, id)?;
        let old = [entry.image, entry.thumbnail];
        entry.image = sealed.image;
        entry.thumbnail = sealed.thumbnail;
        entry.info = sealed.info;
        entry.quality = sealed.quality;
        entry.redacted = true;
        entry.version += 1;
        Ok((entry.summary(id), old))
    }

    /// Forgets a photo and returns its items, which the caller shreds.
    pub(crate) fn remove(&self, id: PhotoRef) -> Result<[ItemId; 2], CommandError> {
        let entry = self
            .book()?
            .entries
            .remove(&id.0)
            .ok_or(wardcam_core::session::SessionError::UnknownPhoto)?;
        Ok([entry.image, entry.thumbnail])
    }

    /// Marks every pending photo queued; returns their items so the vault can record the state.
    pub(crate) fn mark_queued(&self) -> Result<Vec<ItemId>, CommandError> {
        let mut book = self.book()?;
        let mut items = Vec::new();
        for e in book.entries.values_mut().filter(|e| !e.queued) {
            e.queued = true;
            items.extend([e.image, e.thumbnail]);
        }
        Ok(items)
    }

    /// Forgets every photo (the patient's session ended); their sealed items stay in the vault.
    pub(crate) fn clear(&self) -> Result<(), CommandError> {
        self.book()?.entries.clear();
        Ok(())
    }
}

/// Records in the vault that `items` are in the outbox.
pub(crate) fn set_queued(vault: &Vault, items: &[ItemId]) -> Result<(), CommandError> {
    for id in items {
        vault.set_state(*id, ItemState::Queued)?;
    }
    Ok(())
}
