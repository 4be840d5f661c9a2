//! The key hierarchy: one master key per vault (in the platform keystore), one random data key per
//! item (wrapped by the master key and kept in the index), and two subkeys derived from each data key.
//!
//! Every key type wipes its bytes on drop and prints as `<redacted>`.

use std::fmt;

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::digest;
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use super::error::VaultError;

/// Length of every symmetric key in the vault: 256 bits.
pub const KEY_LEN: usize = 32;
/// Length of a key fingerprint ([`KeyId`]).
pub const KEY_ID_LEN: usize = 8;
/// Length of a wrapped data key: 12-byte random nonce, 32-byte sealed key, 16-byte tag.
pub const WRAPPED_KEY_LEN: usize = 12 + KEY_LEN + 16;

/// A public fingerprint of a key: the first 8 bytes of SHA-256 over a label and the key. It lets the
/// vault say "this is the wrong key" before trying to decrypt, and reveals nothing about the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

fn fingerprint(label: &[u8], key: &[u8; KEY_LEN]) -> KeyId {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(label);
    ctx.update(key);
    let d = ctx.finish();
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&d.as_ref()[..KEY_ID_LEN]);
    KeyId(id)
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), VaultError> {
    SystemRandom::new()
        .fill(buf)
        .map_err(|_| VaultError::ApiMisuse("the system random source failed"))
}

macro_rules! secret_key {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        pub struct $name(Zeroizing<[u8; KEY_LEN]>);

        impl $name {
            /// A fresh key from the operating system's random source (`ring::rand::SystemRandom`).
            pub fn generate() -> Result<Self, VaultError> {
                let mut k = Zeroizing::new([0u8; KEY_LEN]);
                random_bytes(k.as_mut())?;
                Ok($name(k))
            }

            /// Wraps existing key bytes (from the keystore, a test vector). The caller's copy is not
            /// wiped: pass a `Zeroizing` buffer.
            pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
                $name(Zeroizing::new(*bytes))
            }

            /// The raw key bytes. Never log them; hand them only to a keystore.
            pub fn expose(&self) -> &[u8; KEY_LEN] {
                &self.0
            }

            /// This key's public fingerprint.
            pub fn id(&self) -> KeyId {
                fingerprint($label, &self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_key!(
    /// A vault's 256-bit master key. It lives in the platform keystore and in memory while the vault
    /// is open; it only ever wraps data keys. Wiped on drop.
    MasterKey,
    b"wardcam.vault.v1.master-key-id"
);

secret_key!(
    /// One item's 256-bit data key. Generated fresh for every item and used for that item only:
    /// **a data key must never seal two items**, because blob nonces restart at zero for each item.
    /// Stored only wrapped by the [`MasterKey`]; destroying the wrapped copy crypto-shreds the item.
    /// Wiped on drop.
    DataKey,
    b"wardcam.vault.v1.data-key-id"
);

/// AES-256-GCM key built from 32 bytes; infallible for the right length.
pub(crate) fn aead_key(bytes: &[u8; KEY_LEN]) -> Result<LessSafeKey, VaultError> {
    UnboundKey::new(&AES_256_GCM, bytes)
        .map(LessSafeKey::new)
        .map_err(|_| VaultError::ApiMisuse("AES-256-GCM key setup failed"))
}

/// What a subkey of a data key is for (HKDF-SHA256 `info`).
#[derive(Clone, Copy)]
pub(crate) enum Purpose {
    /// Encrypts the item's blob (STREAM segments).
    Blob,
    /// Encrypts the item's sealed patient fields in the index.
    Fields,
}

impl hkdf::KeyType for Purpose {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

impl DataKey {
    /// Derives the AES-256-GCM key for `purpose` with HKDF-SHA256 (RFC 5869): no salt, the data key
    /// as input key material, `info` = "wardcam.vault.v1.blob" or "wardcam.vault.v1.fields".
    pub(crate) fn subkey(&self, purpose: Purpose) -> Result<LessSafeKey, VaultError> {
        let info: &[u8] = match purpose {
            Purpose::Blob => b"wardcam.vault.v1.blob",
            Purpose::Fields => b"wardcam.vault.v1.fields",
        };
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(self.expose());
        let infos = [info];
        let okm = prk
            .expand(&infos, purpose)
            .map_err(|_| VaultError::ApiMisuse("HKDF output length"))?;
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        okm.fill(k.as_mut())
            .map_err(|_| VaultError::ApiMisuse("HKDF output length"))?;
        aead_key(&k)
    }
}

fn wrap_aad(vault_id: &[u8], item_id: &[u8], master: KeyId) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"wardcam.vault.v1.wrap");
    aad.extend_from_slice(vault_id);
    aad.extend_from_slice(item_id);
    aad.extend_from_slice(&master.0);
    aad
}

impl MasterKey {
    /// Wraps `data` for item `item_id` of vault `vault_id`: AES-256-GCM with a random 96-bit nonce
    /// (a master key wraps at most a few million keys in its life, far below the 2^32 random-nonce
    /// bound), associated data = label || vault id || item id || master key id. Output:
    /// nonce || ciphertext || tag, [`WRAPPED_KEY_LEN`] bytes.
    pub(crate) fn wrap(
        &self,
        data: &DataKey,
        vault_id: &[u8],
        item_id: &[u8],
    ) -> Result<[u8; WRAPPED_KEY_LEN], VaultError> {
        let key = aead_key(self.expose())?;
        let mut out = [0u8; WRAPPED_KEY_LEN];
        random_bytes(&mut out[..12])?;
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&out[..12]);
        out[12..12 + KEY_LEN].copy_from_slice(data.expose());
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(wrap_aad(vault_id, item_id, self.id())),
                &mut out[12..12 + KEY_LEN],
            )
            .map_err(|_| VaultError::ApiMisuse("AES-256-GCM seal failed"))?;
        out[12 + KEY_LEN..].copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Unwraps a key made by [`MasterKey::wrap`] for the same vault and item; any change gives
    /// [`VaultError::Tampered`].
    pub(crate) fn unwrap_key(
        &self,
        wrapped: &[u8],
        vault_id: &[u8],
        item_id: &[u8],
    ) -> Result<DataKey, VaultError> {
        if wrapped.len() != WRAPPED_KEY_LEN {
            return Err(VaultError::Tampered);
        }
        let key = aead_key(self.expose())?;
        let mut nonce = [0u8; 12];
        nonce.copy_from_slice(&wrapped[..12]);
        let mut buf = Zeroizing::new([0u8; KEY_LEN + 16]);
        buf.copy_from_slice(&wrapped[12..]);
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(wrap_aad(vault_id, item_id, self.id())),
                buf.as_mut(),
            )
            .map_err(|_| VaultError::Tampered)?;
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        k.copy_from_slice(plain);
        Ok(DataKey::from_bytes(&k))
    }
}

/// Seals a small value (the patient fields) under `key` with a random nonce:
/// nonce || ciphertext || tag.
pub(crate) fn seal_small(
    key: &LessSafeKey,
    aad: &[u8],
    plain: &[u8],
) -> Result<Vec<u8>, VaultError> {
    let mut out = vec![0u8; 12];
    random_bytes(&mut out)?;
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&out);
    out.extend_from_slice(plain);
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut out[12..],
        )
        .map_err(|_| VaultError::ApiMisuse("AES-256-GCM seal failed"))?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens a value made by [`seal_small`]; the plaintext is wiped on drop.
pub(crate) fn open_small(
    key: &LessSafeKey,
    aad: &[u8],
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    if sealed.len() < 12 + aead::MAX_TAG_LEN {
        return Err(VaultError::Tampered);
    }
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&sealed[..12]);
    let mut buf = Zeroizing::new(sealed[12..].to_vec());
    let n = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buf,
        )
        .map_err(|_| VaultError::Tampered)?
        .len();
    buf.truncate(n);
    Ok(buf)
}
