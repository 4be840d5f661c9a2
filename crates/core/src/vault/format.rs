//! The versioned header at the start of every sealed blob (see `docs/vault-format.md`).
//!
//! ```text
//! offset  len  field
//!      0    8  magic    "WCVAULT\0"
//!      8    2  version  big-endian u16, 1
//!     10   16  item id  random, equals the item's id in the index
//!     26    8  key id   fingerprint of the item's data key (see keys::DataKey::id)
//!     34       first segment
//! ```
//!
//! The whole header is the associated data of every segment, so changing any byte of it makes every
//! segment fail authentication. Magic and version are also checked first, so a foreign file or a
//! newer format gets its own error rather than [`VaultError::Tampered`].

use std::fmt;
use std::str::FromStr;

use super::error::VaultError;
use super::keys::{KeyId, KEY_ID_LEN};

/// The first 8 bytes of every sealed blob.
pub const MAGIC: [u8; 8] = *b"WCVAULT\0";
/// The blob format this build writes and the newest it reads.
pub const VERSION: u16 = 1;
/// Length of the v1 header.
pub const HEADER_LEN: usize = 8 + 2 + 16 + KEY_ID_LEN;

/// An item's identity: 128 random bits, shown as 32 lowercase hex digits. It names the blob file and
/// the index row and carries no patient information.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemId(pub [u8; 16]);

impl ItemId {
    /// A fresh random id.
    pub fn generate() -> Result<Self, VaultError> {
        let mut id = [0u8; 16];
        super::keys::random_bytes(&mut id)?;
        Ok(ItemId(id))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemId({self})")
    }
}

impl FromStr for ItemId {
    type Err = VaultError;

    /// Parses 32 hex digits, as [`ItemId`]'s `Display` writes them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 32 {
            return Err(VaultError::ApiMisuse("an item id is 32 hex digits"));
        }
        let mut id = [0u8; 16];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hex = std::str::from_utf8(pair)
                .map_err(|_| VaultError::ApiMisuse("an item id is 32 hex digits"))?;
            id[i] = u8::from_str_radix(hex, 16)
                .map_err(|_| VaultError::ApiMisuse("an item id is 32 hex digits"))?;
        }
        Ok(ItemId(id))
    }
}

/// A parsed v1 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The item this blob belongs to.
    pub item: ItemId,
    /// Fingerprint of the data key that sealed it.
    pub key: KeyId,
}

impl Header {
    /// The header's bytes, exactly as written and as bound into every segment's associated data.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(&MAGIC);
        out[8..10].copy_from_slice(&VERSION.to_be_bytes());
        out[10..26].copy_from_slice(&self.item.0);
        out[26..].copy_from_slice(&self.key.0);
        out
    }

    /// Parses the header at the start of `blob`. Checks, in order: enough bytes for magic and
    /// version ([`VaultError::Truncated`] if a prefix of a valid magic, else
    /// [`VaultError::NotAVault`]), the magic, the version ([`VaultError::UnknownVersion`]), then the
    /// full header length ([`VaultError::Truncated`]).
    pub fn parse(blob: &[u8]) -> Result<Header, VaultError> {
        let magic_len = blob.len().min(MAGIC.len());
        if blob[..magic_len] != MAGIC[..magic_len] {
            return Err(VaultError::NotAVault);
        }
        if blob.len() < 10 {
            return Err(VaultError::Truncated);
        }
        let version = u16::from_be_bytes([blob[8], blob[9]]);
        if version != VERSION {
            return Err(VaultError::UnknownVersion {
                found: version.into(),
                supported: VERSION.into(),
            });
        }
        if blob.len() < HEADER_LEN {
            return Err(VaultError::Truncated);
        }
        let mut item = [0u8; 16];
        item.copy_from_slice(&blob[10..26]);
        let mut key = [0u8; KEY_ID_LEN];
        key.copy_from_slice(&blob[26..HEADER_LEN]);
        Ok(Header {
            item: ItemId(item),
            key: KeyId(key),
        })
    }
}
