//! Crypto-shredding a whole vault **without its master key**: the first step of a remote wipe
//! (`crate::wipe`), which must work while the app is locked and the key is shut behind the key
//! gate (a lost phone is locked).
//!
//! Every item's data key is wrapped by the master key and stored only in the index, so
//! overwriting every wrapped key (and every sealed patient field) in one transaction destroys
//! every item at once, with or without the master key in memory; the index log is then truncated
//! so no page image of a destroyed key stays in the folder. The wipe then removes the master key
//! from the keystore and the files. Running it again finds nothing live and changes nothing, so a
//! wipe killed midway simply runs it again.

use std::path::Path;

use super::error::VaultError;
use super::format::ItemId;
use super::index::Index;
use super::store::{keystore_name_of, INDEX_FILE};
use super::Vault;

/// What [`Vault::erase_keys_in`] destroyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The name the vault's master key is filed under in the keystore (`None`: no vault there).
    pub keystore_name: Option<String>,
    /// Items whose keys were destroyed by this call (0 when run again).
    pub items: usize,
}

fn open_index(dir: &Path) -> Result<Option<Index>, VaultError> {
    let path = dir.join(INDEX_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    Index::open(&path).map(Some)
}

impl Vault {
    /// How many items in the vault in `dir` still hold a key, read from its index without any
    /// key (0 when there is no vault): what a wipe reports it shredded.
    pub fn live_items_in(dir: &Path) -> Result<usize, VaultError> {
        match open_index(dir)? {
            None => Ok(0),
            Some(index) => Ok(index.rows(true)?.len()),
        }
    }

    /// Destroys every item of the vault in `dir` without its master key: every wrapped data key
    /// and sealed patient field is overwritten in **one** transaction (a crash leaves all items
    /// readable or none), then the index log is truncated. Returns the keystore name of its
    /// master key, which the caller removes next, and how many items this call destroyed.
    /// Idempotent. Call it with no [`Vault`] of `dir` open, or after shredding through it: an
    /// open vault keeps its own connection to the index.
    pub fn erase_keys_in(dir: &Path) -> Result<Erased, VaultError> {
        let Some(mut index) = open_index(dir)? else {
            return Ok(Erased {
                keystore_name: None,
                items: 0,
            });
        };
        let keystore_name = keystore_name_of(&index)?;
        let ids: Vec<ItemId> = index.rows(true)?.iter().map(|r| r.id).collect();
        let items = index.shred(&ids)?;
        // A reader elsewhere (a delivery step finishing on an open vault) can keep the log from
        // being truncated now. That is not a failure of the wipe: the log is a file of the
        // folder the wipe removes next, and the master key that wrapped those keys goes first.
        let _ = index.checkpoint_truncate();
        Ok(Erased {
            keystore_name,
            items,
        })
    }
}
