//! The sealed vault: where every photo, thumbnail, consent record and signature lives on the phone.
//!
//! Promises kept here:
//! - **Nothing but ciphertext reaches the disk.** The API takes plaintext as `&[u8]` and returns it
//!   in buffers that wipe themselves on drop ([`zeroize::Zeroizing`]); blobs are segmented
//!   AES-256-GCM ([`blob`]) and patient-identifying fields are sealed inside the index, so neither
//!   the blob folder nor the `.sqlite` file alone reveals a patient.
//! - **Every item has its own key.** A random 256-bit [`DataKey`] per item, wrapped (AES-256-GCM)
//!   by the vault's [`MasterKey`], which lives in the platform keystore ([`KeyStore`]). Deleting an
//!   item destroys its wrapped key first (crypto-shredding), then its file.
//! - **A crash leaves nothing or a complete item.** [`Vault::seal`] returns only once the blob and
//!   its index row are durable; [`Vault::sweep`] (run on open) clears what an interrupted seal or
//!   delete left behind.
//! - **Bad input is a typed error.** Corrupt, truncated, tampered or foreign blobs and indexes give a
//!   [`VaultError`], never a panic and never partial plaintext.
//!
//! What it does not do: choose the platform keystore (the app shell does, at start-up, and passes
//! it to [`KeyringKeyStore::new`]), exclude the folder from backups (the hardening work does), or
//! decide retention (the ward does, per photo state, on a clock the user cannot wind forward:
//! `crate::visit`'s `retention.rs`, `docs/retention.md`). The format is specified in
//! `docs/vault-format.md`.
//!
//! ```
//! use wardcam_core::vault::{danger::MemoryKeyStore, ItemKind, Timestamp, Vault};
//! # fn main() -> Result<(), wardcam_core::vault::VaultError> {
//! # let dir = std::env::temp_dir().join(format!("wardcam-doc-{}", std::process::id()));
//! let keys = MemoryKeyStore::new(); // the shell passes the platform keystore instead
//! let vault = Vault::open_or_create(&dir, &keys)?;
//! let id = vault.seal(ItemKind::Photo, b"jpeg bytes", None, Timestamp::now())?;
//! assert_eq!(&vault.unseal(id)?[..], b"jpeg bytes");
//! vault.delete(id)?;
//! # drop(vault); let _ = std::fs::remove_dir_all(&dir);
//! # Ok(()) }
//! ```

mod erase;
mod error;
mod format;
mod index;
mod keys;
mod keystore;
mod model;
mod store;
pub(crate) use store::make_private_dir;
mod stream;
#[cfg(test)]
pub(crate) mod tests;

pub use erase::Erased;
pub use error::VaultError;
pub use format::ItemId;
pub use keys::KeyId;
pub use keystore::{KeyStore, KeyringKeyStore, KEYRING_SERVICE};
pub use model::{ItemKind, ItemMeta, ItemState, PatientFields, SweepReport, Timestamp};
pub use store::{Replaced, Scrub, Vault};

/// Raw key material: the master key a [`KeyStore`] keeps and the per-item data keys. Only keystore
/// implementations, test vectors and benchmarks need these; everything else goes through the
/// [`Vault`], which never hands a key out.
pub mod hazmat {
    pub use super::keys::{DataKey, MasterKey, KEY_LEN};
}

/// The sealed blob format on its own, for test vectors, fuzzing and benchmarks (the
/// `test-support` feature; never in the app). The [`Vault`] is the API for everything else.
#[cfg(any(test, feature = "test-support"))]
pub mod blob {
    pub use super::format::{Header, HEADER_LEN, MAGIC, VERSION};
    pub use super::stream::{
        open_blob, open_from, seal_blob, seal_to, seal_to_file, sealed_len, SEALED_SEGMENT_LEN,
        SEGMENT_LEN, TAG_LEN,
    };
}

/// Things that weaken the vault's guarantees, for tests and benchmarks only.
pub mod danger {
    pub use super::keystore::MemoryKeyStore;
}

/// The body of the `vault_open` fuzz target (`fuzz/fuzz_targets/vault_open.rs`), kept here so a
/// normal unit test runs it over random inputs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::blob::{open_blob, seal_blob, Header};
    use super::hazmat::DataKey;

    /// The fixed data key the fuzz target opens blobs with (the corpus is sealed under it).
    pub const FUZZ_KEY: [u8; 32] = [0x5a; 32];

    /// Opens `data` as a blob under [`FUZZ_KEY`] and seals it as a plaintext. Panics only if an
    /// invariant breaks: a blob that opens must be exactly the canonical sealing of its plaintext
    /// (so no two blobs open to the same item), and sealing then opening must round-trip.
    pub fn vault_open(data: &[u8]) {
        let key = DataKey::from_bytes(&FUZZ_KEY);
        if let Ok(plain) = open_blob(&key, None, data) {
            let header = Header::parse(data);
            assert!(header.is_ok(), "a blob opened without a valid header");
            if let Ok(header) = header {
                let again = seal_blob(&key, &header, &plain);
                assert!(
                    again.as_deref() == Ok(data),
                    "a blob opened but is not the canonical sealing of its plaintext"
                );
            }
        }
        let header = Header {
            item: super::ItemId([0x11; 16]),
            key: key.id(),
        };
        let sealed = seal_blob(&key, &header, data);
        assert!(sealed.is_ok(), "sealing failed");
        if let Ok(sealed) = sealed {
            let opened = open_blob(&key, Some(header.item), &sealed);
            assert!(
                opened.as_deref().map(|p| p.as_slice()) == Ok(data),
                "seal then open did not round-trip"
            );
        }
    }
}
