//! The [`Vault`]: a folder of sealed blobs plus the index, with crash-safe writes and crypto-shredding
//! deletes.
//!
//! Folder layout (`dir` is the app's private, non-backed-up data folder):
//!
//! ```text
//! dir/index.sqlite           the index (plus index.sqlite-wal, index.sqlite-shm while open)
//! dir/blobs/<item id>.wcv    one sealed blob per item
//! dir/blobs/<item id>.tmp    a blob being written; never survives a sweep
//! ```
//!
//! Sealing: write the blob to `<id>.tmp`, fsync it, rename it to `<id>.wcv`, fsync `blobs/`, and only
//! then commit the index row (WAL, `synchronous=FULL`). The item is acknowledged when
//! [`Vault::seal`] returns. A crash before the commit leaves at most a blob whose key was never
//! stored; the start-up [`Vault::sweep`] removes it.
//!
//! Deleting: destroy the wrapped key (committed), then remove the blob and fsync `blobs/`, then
//! remove the row and truncate the WAL. After the first step the item is gone for good; the sweep
//! finishes the rest if a crash interrupts it.
//!
//! Replacing ([`Vault::seal_replacing`]): seal the new blob as above, then insert its row and
//! delete the retired rows (keys included) in **one** commit, then unlink the retired blobs. A
//! record's next revision, or a receipt taking the place of what it records, costs one durable
//! step instead of a seal and a delete (3 fsyncs instead of about 8), and a crash leaves one side
//! or the other, never both.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock};

use zeroize::Zeroizing;

use super::error::VaultError;
use super::format::{Header, ItemId};
use super::index::{Index, Row};
use super::keys::{open_small, seal_small, DataKey, MasterKey, Purpose};
use super::keystore::KeyStore;
use super::model::{ItemKind, ItemMeta, ItemState, PatientFields, SweepReport, Timestamp};
use super::stream;

pub(super) const INDEX_FILE: &str = "index.sqlite";
pub(super) const BLOB_DIR: &str = "blobs";
const BLOB_EXT: &str = "wcv";
const TEMP_EXT: &str = "tmp";
pub(super) const META_VAULT_ID: &str = "vault_id";
const META_MASTER_KEY_ID: &str = "master_key_id";

/// An open vault. `Send + Sync`: share it behind an `Arc`; methods take `&self`.
///
/// Plaintext enters only as `&[u8]` and leaves only as wiped-on-drop buffers; nothing but ciphertext
/// is ever written to disk.
#[derive(Debug)]
pub struct Vault {
    dir: PathBuf,
    blobs: PathBuf,
    vault_id: [u8; 16],
    master: MasterKey,
    index: Mutex<Index>,
    /// Seals hold it shared while their blob has no row yet; the sweep holds it exclusively, so it
    /// never mistakes a seal in progress for an orphan.
    writers: RwLock<()>,
    opened_with: SweepReport,
}

/// When the page images of destroyed keys leave the index log (see [`Vault::seal_replacing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scrub {
    /// Before the call returns: for a shred the user was promised (a delivered photo).
    Now,
    /// At the next truncation: for a record superseded by its own next revision, whose content
    /// lives on in the new one.
    Later,
}

/// What [`Vault::seal_replacing`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replaced {
    /// The new item.
    pub id: ItemId,
    /// How many of the retired items still held a key.
    pub live: usize,
    /// The scrub asked for failed after the commit: the index log may still hold page images of
    /// the destroyed keys until the next truncation.
    pub scrub_pending: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn keystore_name(vault_id: &[u8; 16]) -> String {
    hex(vault_id)
}

fn fields_aad(id: ItemId) -> Vec<u8> {
    let mut aad = b"wardcam.vault.v1.fields".to_vec();
    aad.extend_from_slice(&id.0);
    aad
}

/// fsyncs a directory so a rename or unlink in it is durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(VaultError::io("save changes to the blob folder"))
}

pub(crate) fn make_private_dir(dir: &Path) -> Result<(), VaultError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(VaultError::io("create the vault folder"))
}

fn new_private_file(path: &Path) -> Result<File, VaultError> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(VaultError::io("write an item"))
}

fn remove_if_present(path: &Path) -> Result<bool, VaultError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(VaultError::io("remove an item")(e)),
    }
}

pub(crate) fn meta_of(r: &Row) -> Result<ItemMeta, VaultError> {
    Ok(ItemMeta {
        id: r.id,
        kind: ItemKind::parse(&r.kind)?,
        created_at: Timestamp(u64::try_from(r.created_at).unwrap_or(0)),
        state: ItemState::parse(&r.state)?,
        size: u64::try_from(r.size).unwrap_or(0),
    })
}

impl Vault {
    /// Creates a new vault in `dir` (created with mode 0700 if absent), with a fresh master key saved
    /// in `keys`. Fails with [`VaultError::AlreadyExists`] if `dir` already holds a vault.
    pub fn create(dir: &Path, keys: &dyn KeyStore) -> Result<Vault, VaultError> {
        make_private_dir(&dir.join(BLOB_DIR))?;
        let mut index = Index::open(&dir.join(INDEX_FILE))?;
        if index.meta(META_VAULT_ID)?.is_some() {
            return Err(VaultError::AlreadyExists);
        }
        let mut vault_id = [0u8; 16];
        super::keys::random_bytes(&mut vault_id)?;
        let master = MasterKey::generate()?;
        // Key first: a crash after this leaves an unused key in the keystore, never a vault
        // without its key.
        keys.save(&keystore_name(&vault_id), &master)?;
        if let Err(e) = index.set_meta(&[
            (META_VAULT_ID, &vault_id),
            (META_MASTER_KEY_ID, &master.id().0),
        ]) {
            // Best effort: the key protects nothing yet.
            let _ = keys.remove(&keystore_name(&vault_id));
            return Err(e);
        }
        Self::assemble(dir, vault_id, master, index)
    }

    /// Opens the vault in `dir` with its master key from `keys`, then sweeps it (see
    /// [`Vault::last_sweep`]). Errors: [`VaultError::NoVault`] if there is none,
    /// [`VaultError::KeyUnavailable`] if the keystore lacks its key or holds another vault's,
    /// [`VaultError::UnknownVersion`] if a newer WardCam wrote the index, keystore errors as they come.
    pub fn open(dir: &Path, keys: &dyn KeyStore) -> Result<Vault, VaultError> {
        let index_path = dir.join(INDEX_FILE);
        if !index_path.is_file() {
            return Err(VaultError::NoVault);
        }
        let index = Index::open(&index_path)?;
        let vault_id: [u8; 16] = match index.meta(META_VAULT_ID)? {
            None => return Err(VaultError::NoVault),
            Some(v) => v.as_slice().try_into().map_err(|_| VaultError::Index {
                detail: "the vault id is damaged".into(),
            })?,
        };
        let master = keys
            .load(&keystore_name(&vault_id))?
            .ok_or(VaultError::KeyUnavailable)?;
        if index.meta(META_MASTER_KEY_ID)?.as_deref() != Some(master.id().0.as_slice()) {
            return Err(VaultError::KeyUnavailable);
        }
        make_private_dir(&dir.join(BLOB_DIR))?;
        Self::assemble(dir, vault_id, master, index)
    }

    /// The name the vault in `dir` files its master key under in a [`KeyStore`], read from its
    /// index without any key; `None` when `dir` holds no vault yet. The key gate
    /// (`auth::gate`) needs it before it can release the key.
    pub fn keystore_name_in(dir: &Path) -> Result<Option<String>, VaultError> {
        let index_path = dir.join(INDEX_FILE);
        if !index_path.is_file() {
            return Ok(None);
        }
        keystore_name_of(&Index::open(&index_path)?)
    }

    /// Opens the vault in `dir`, creating it if there is none. A vault whose key is missing is an
    /// error ([`VaultError::KeyUnavailable`]), never silently replaced.
    pub fn open_or_create(dir: &Path, keys: &dyn KeyStore) -> Result<Vault, VaultError> {
        match Self::open(dir, keys) {
            Err(VaultError::NoVault) => Self::create(dir, keys),
            other => other,
        }
    }

    fn assemble(
        dir: &Path,
        vault_id: [u8; 16],
        master: MasterKey,
        index: Index,
    ) -> Result<Vault, VaultError> {
        let mut vault = Vault {
            dir: dir.to_path_buf(),
            blobs: dir.join(BLOB_DIR),
            vault_id,
            master,
            index: Mutex::new(index),
            writers: RwLock::new(()),
            opened_with: SweepReport::default(),
        };
        vault.opened_with = vault.sweep()?;
        Ok(vault)
    }

    /// The vault's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the sweep run by [`Vault::open`] cleaned up, for the audit log.
    pub fn last_sweep(&self) -> &SweepReport {
        &self.opened_with
    }

    pub(crate) fn index(&self) -> Result<MutexGuard<'_, Index>, VaultError> {
        self.index
            .lock()
            .map_err(|_| VaultError::ApiMisuse("the vault index lock was poisoned by a panic"))
    }

    fn blob_path(&self, id: ItemId, ext: &str) -> PathBuf {
        self.blobs.join(format!("{id}.{ext}"))
    }

    /// Seals `data` as a new item of `kind` created at `created_at`, with optional patient fields
    /// (sealed in the index). Returns once blob and row are durable: from then on the item survives
    /// a crash or power loss. On error nothing of the item remains (or the sweep removes it).
    pub fn seal(
        &self,
        kind: ItemKind,
        data: &[u8],
        patient: Option<&PatientFields>,
        created_at: Timestamp,
    ) -> Result<ItemId, VaultError> {
        self.seal_replacing(kind, data, patient, created_at, &[], Scrub::Later)
            .map(|r| r.id)
    }

    /// Seals `data` as [`Vault::seal`] does and, **in the same index transaction**, crypto-shreds
    /// `retire` (their rows, with their wrapped keys, are deleted). A crash leaves either the old
    /// items or the new one, never both and never neither. This is how a record is replaced by
    /// its next revision, or a receipt takes the place of what it records, in one durable commit
    /// instead of a seal followed by a delete.
    ///
    /// After the commit the retired blobs are unlinked (ciphertext whose key is gone; a crash
    /// before that leaves orphans the sweep removes). With [`Scrub::Now`] the index log is then
    /// truncated, so no page image holding a destroyed key stays in the folder; with
    /// [`Scrub::Later`] that happens at the next truncation (the next [`Scrub::Now`], delete or
    /// sweep). An error means nothing was committed; a scrub that fails after the commit is
    /// reported in [`Replaced::scrub_pending`] (the retired items are unreadable either way, and
    /// the next truncation clears the log).
    pub fn seal_replacing(
        &self,
        kind: ItemKind,
        data: &[u8],
        patient: Option<&PatientFields>,
        created_at: Timestamp,
        retire: &[ItemId],
        scrub: Scrub,
    ) -> Result<Replaced, VaultError> {
        let _writing = self
            .writers
            .read()
            .map_err(|_| VaultError::ApiMisuse("the vault sweep lock was poisoned by a panic"))?;
        let id = ItemId::generate()?;
        let key = DataKey::generate()?;
        let header = Header {
            item: id,
            key: key.id(),
        };
        let temp = self.blob_path(id, TEMP_EXT);
        let done = self.blob_path(id, BLOB_EXT);
        let written = (|| {
            let mut file = new_private_file(&temp)?;
            // Seals and fsyncs the blob (starting writeback early where the platform allows).
            stream::seal_to_file(&key, &header, data, &mut file)?;
            drop(file);
            fs::rename(&temp, &done).map_err(VaultError::io("write an item"))?;
            sync_dir(&self.blobs)
        })();
        if let Err(e) = written {
            let _ = remove_if_present(&temp);
            let _ = remove_if_present(&done);
            return Err(e);
        }
        let mut index = match self.index() {
            Ok(index) => index,
            Err(e) => {
                let _ = remove_if_present(&done);
                return Err(e);
            }
        };
        let committed = (|| {
            let wrapped = self.master.wrap(&key, &self.vault_id, &id.0)?;
            let sealed_patient = match patient {
                None => None,
                Some(p) => {
                    let json = Zeroizing::new(
                        serde_json::to_vec(p)
                            .map_err(|_| VaultError::ApiMisuse("patient fields did not encode"))?,
                    );
                    Some(seal_small(
                        &key.subkey(Purpose::Fields)?,
                        &fields_aad(id),
                        &json,
                    )?)
                }
            };
            index.insert_retiring(
                &Row {
                    id,
                    kind: kind.as_str().into(),
                    created_at: i64::try_from(created_at.0).unwrap_or(i64::MAX),
                    state: ItemState::Stored.as_str().into(),
                    size: i64::try_from(data.len()).unwrap_or(i64::MAX),
                    wrapped_key: Some(wrapped.to_vec()),
                    patient: sealed_patient,
                },
                retire,
            )
        })();
        let live = match committed {
            Ok(live) => live,
            Err(e) => {
                let _ = remove_if_present(&done);
                return Err(e);
            }
        };
        // Committed: the retired keys are gone. Unlinking their ciphertext is tidying; a failure
        // (or a crash) leaves orphans the sweep removes, so it is not an error here.
        for &old in retire {
            let _ = remove_if_present(&self.blob_path(old, BLOB_EXT));
        }
        let scrub_pending =
            scrub == Scrub::Now && !retire.is_empty() && index.checkpoint_truncate().is_err();
        Ok(Replaced {
            id,
            live,
            scrub_pending,
        })
    }

    /// Clears the index log now of the page images of keys destroyed by earlier
    /// [`Scrub::Later`] replaces (a truncating checkpoint): for a caller that batches the scrubs
    /// of many shreds (a drain of the outbox) into one.
    pub fn scrub(&self) -> Result<(), VaultError> {
        let _writing = self
            .writers
            .read()
            .map_err(|_| VaultError::ApiMisuse("the vault sweep lock was poisoned by a panic"))?;
        self.index()?.checkpoint_truncate()
    }

    pub(crate) fn live_row(&self, id: ItemId) -> Result<(Row, DataKey), VaultError> {
        let row = self.index()?.get(id)?.ok_or(VaultError::NotFound)?;
        let wrapped = row.wrapped_key.as_deref().ok_or(VaultError::NotFound)?;
        let key = self.master.unwrap_key(wrapped, &self.vault_id, &id.0)?;
        Ok((row, key))
    }

    /// Unseals item `id`, returning its bytes in a buffer wiped on drop. Errors:
    /// [`VaultError::NotFound`], [`VaultError::Tampered`], [`VaultError::Truncated`], I/O.
    pub fn unseal(&self, id: ItemId) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let (_, key) = self.live_row(id)?;
        let file =
            File::open(self.blob_path(id, BLOB_EXT)).map_err(VaultError::io("read an item"))?;
        let len = file
            .metadata()
            .map_err(VaultError::io("read an item"))?
            .len();
        stream::open_from(&key, Some(id), file, usize::try_from(len).unwrap_or(0))
    }

    /// The patient fields sealed with item `id`, if any were given.
    pub fn patient_fields(&self, id: ItemId) -> Result<Option<PatientFields>, VaultError> {
        let (row, key) = self.live_row(id)?;
        let Some(sealed) = row.patient else {
            return Ok(None);
        };
        let json = open_small(&key.subkey(Purpose::Fields)?, &fields_aad(id), &sealed)?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|_| VaultError::Tampered)
    }

    /// What the index says about item `id`.
    pub fn meta(&self, id: ItemId) -> Result<ItemMeta, VaultError> {
        let row = self.index()?.get(id)?.ok_or(VaultError::NotFound)?;
        if row.wrapped_key.is_none() {
            return Err(VaultError::NotFound);
        }
        meta_of(&row)
    }

    /// Every item, oldest first.
    pub fn list(&self) -> Result<Vec<ItemMeta>, VaultError> {
        self.index()?.rows(true)?.iter().map(meta_of).collect()
    }

    /// Moves item `id` to `state`.
    pub fn set_state(&self, id: ItemId, state: ItemState) -> Result<(), VaultError> {
        if self.index()?.set_state(id, state.as_str())? {
            Ok(())
        } else {
            Err(VaultError::NotFound)
        }
    }

    /// Crypto-shreds item `id`: its wrapped key and patient fields are destroyed first (committed),
    /// then its blob is removed and the index log truncated. Once the key is gone the item cannot be
    /// recovered even if a later step fails; the next sweep finishes the job.
    pub fn delete(&self, id: ItemId) -> Result<(), VaultError> {
        self.shred_all(&[id]).and_then(|n| {
            if n == 0 {
                Err(VaultError::NotFound)
            } else {
                Ok(())
            }
        })
    }

    /// Crypto-shreds every item of `ids` at once: their keys are destroyed in **one** index
    /// transaction, so a crash leaves either all of them or none readable; then blobs, rows and the
    /// WAL go. Returns how many were live. An error after the keys are gone still leaves the items
    /// unreadable; the next sweep finishes the rest.
    pub fn shred_all(&self, ids: &[ItemId]) -> Result<usize, VaultError> {
        let mut index = self.index()?;
        let n = index.shred(ids)?;
        let mut removed = false;
        for &id in ids {
            removed |= remove_if_present(&self.blob_path(id, BLOB_EXT))?;
        }
        if removed {
            sync_dir(&self.blobs)?;
        }
        index.delete_rows(ids)?;
        index.checkpoint_truncate()?;
        Ok(n)
    }

    /// Removes what a crash can leave behind, in both directions: temporary files, blobs with no
    /// index row, rows of interrupted deletions, and rows whose blob is gone. Runs on every
    /// [`Vault::open`]; safe to call at any time (it waits for seals in progress).
    pub fn sweep(&self) -> Result<SweepReport, VaultError> {
        let _exclusive = self
            .writers
            .write()
            .map_err(|_| VaultError::ApiMisuse("the vault sweep lock was poisoned by a panic"))?;
        let mut index = self.index()?;
        let mut report = SweepReport::default();
        let rows = index.rows(false)?;
        let mut blobs = std::collections::HashSet::new();
        let mut removed_files = false;
        let entries = fs::read_dir(&self.blobs).map_err(VaultError::io("read the blob folder"))?;
        for entry in entries {
            let entry = entry.map_err(VaultError::io("read the blob folder"))?;
            let path = entry.path();
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("");
            let id = stem.parse::<ItemId>().ok();
            match (id, ext) {
                (Some(_), TEMP_EXT) => {
                    removed_files |= remove_if_present(&path)?;
                    report.temp_files_removed += 1;
                }
                (Some(id), BLOB_EXT) => {
                    blobs.insert(id);
                }
                _ => report.unknown_files += 1,
            }
        }
        let mut dead_rows = Vec::new();
        for r in &rows {
            let has_blob = blobs.remove(&r.id);
            if r.wrapped_key.is_none() {
                if has_blob {
                    removed_files |= remove_if_present(&self.blob_path(r.id, BLOB_EXT))?;
                }
                report.deletions_finished.push(r.id);
                dead_rows.push(r.id);
            } else if !has_blob {
                report.missing_blobs.push(r.id);
                dead_rows.push(r.id);
            }
        }
        // What is left in `blobs` has no row: its key was never stored.
        let mut orphans: Vec<ItemId> = blobs.into_iter().collect();
        orphans.sort();
        for &id in &orphans {
            removed_files |= remove_if_present(&self.blob_path(id, BLOB_EXT))?;
        }
        report.orphan_blobs_removed = orphans;
        if removed_files {
            sync_dir(&self.blobs)?;
        }
        if !dead_rows.is_empty() {
            // Rows whose blob is missing still hold a key: shred it before the row goes.
            index.shred(&dead_rows)?;
            index.delete_rows(&dead_rows)?;
        }
        // Always: this also clears a WAL left holding destroyed keys by a crash mid-delete.
        index.checkpoint_truncate()?;
        Ok(report)
    }
}

/// The keystore name of the vault whose index is `index`, read without any key; `None` before
/// the vault has an id.
pub(super) fn keystore_name_of(index: &Index) -> Result<Option<String>, VaultError> {
    match index.meta(META_VAULT_ID)? {
        None => Ok(None),
        Some(v) => {
            let id: [u8; 16] = v.as_slice().try_into().map_err(|_| VaultError::Index {
                detail: "the vault id is damaged".into(),
            })?;
            Ok(Some(keystore_name(&id)))
        }
    }
}
