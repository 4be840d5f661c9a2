//! Where master keys live: the [`KeyStore`] trait, the platform implementation over `keyring-core`,
//! and an in-memory one for tests.
//!
//! The app shell chooses the platform store once at start-up (apple-native on iOS, android-native on
//! Android, Secret Service on Linux) and hands it to [`KeyringKeyStore::new`]. Nothing here falls
//! back to a weaker store: no store, a locked store, or a store that keeps keys only in memory is a
//! clear [`VaultError`], and the vault does not open.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use keyring_core::api::CredentialPersistence;
use keyring_core::{CredentialStore, Error as KeyringError};
use zeroize::Zeroizing;

use super::error::VaultError;
use super::keys::{MasterKey, KEY_LEN};

/// The keystore "service" under which every WardCam vault key is filed; the "user" is the vault id.
pub const KEYRING_SERVICE: &str = "WardCam vault";

/// Somewhere to keep vault master keys, one per vault, under a name the vault chooses (its id).
///
/// Implementations must keep keys at least as safe as the platform keystore and must never log them.
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// The master key filed under `name`, or `None` if there is none.
    fn load(&self, name: &str) -> Result<Option<MasterKey>, VaultError>;
    /// Files `key` under `name`, replacing any key there.
    fn save(&self, name: &str, key: &MasterKey) -> Result<(), VaultError>;
    /// Removes the key (or secret) filed under `name`; no error if there is none. Removing a
    /// vault's key destroys every item of that vault.
    fn remove(&self, name: &str) -> Result<(), VaultError>;
    /// A small secret filed under `name` (the key gate's wrapped master key and its attempt
    /// count, `auth::gate`), or `None`. Stores that keep only keys refuse.
    fn load_secret(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let _ = name;
        Err(VaultError::KeystoreMissing {
            reason: "this keystore keeps no secrets but keys".into(),
        })
    }
    /// Files a small secret under `name`, replacing any there.
    fn save_secret(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        let _ = (name, secret);
        Err(VaultError::KeystoreMissing {
            reason: "this keystore keeps no secrets but keys".into(),
        })
    }
}

/// A [`KeyStore`] over a `keyring-core` credential store: the platform keystore.
pub struct KeyringKeyStore {
    store: Arc<CredentialStore>,
    /// Store-specific options applied to every entry, such as the iOS access policy.
    modifiers: Vec<(&'static str, &'static str)>,
}

impl fmt::Debug for KeyringKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringKeyStore")
            .field("vendor", &self.store.vendor())
            .finish()
    }
}

fn map_keyring(e: KeyringError) -> VaultError {
    match e {
        KeyringError::NoStorageAccess(inner) => VaultError::KeystoreLocked {
            reason: inner.to_string(),
        },
        KeyringError::NoDefaultStore => VaultError::KeystoreMissing {
            reason: "no platform keystore was set up at start-up".into(),
        },
        // These carry the stored bytes in their payload: never format them.
        KeyringError::BadEncoding(_)
        | KeyringError::BadDataFormat(..)
        | KeyringError::Ambiguous(_) => VaultError::KeystoreCorrupt,
        KeyringError::PlatformFailure(inner) => VaultError::KeystoreMissing {
            reason: inner.to_string(),
        },
        other => VaultError::KeystoreMissing {
            reason: other.to_string(),
        },
    }
}

impl KeyringKeyStore {
    /// Uses `store`, which the app shell chose for this platform. Refuses a store that keeps keys
    /// only for the life of an entry or process (such as keyring-core's mock store): a vault whose
    /// key vanishes loses every photo.
    pub fn new(store: Arc<CredentialStore>) -> Result<Self, VaultError> {
        match store.persistence() {
            CredentialPersistence::EntryOnly | CredentialPersistence::ProcessOnly => {
                Err(VaultError::KeystoreMissing {
                    reason: format!("{} keeps keys only in memory", store.vendor()),
                })
            }
            _ => Ok(KeyringKeyStore {
                store,
                modifiers: Vec::new(),
            }),
        }
    }

    /// Uses the store set with `keyring_core::set_default_store`; a clear error if none was set.
    pub fn from_default() -> Result<Self, VaultError> {
        let store = keyring_core::get_default_store().ok_or(VaultError::KeystoreMissing {
            reason: "no platform keystore was set up at start-up".into(),
        })?;
        Self::new(store)
    }

    /// The Linux desktop's Secret Service (GNOME Keyring, KWallet) over D-Bus, with the secret
    /// encrypted in transit. Fails with [`VaultError::KeystoreMissing`] if no Secret Service answers
    /// on the session bus.
    #[cfg(target_os = "linux")]
    pub fn linux_secret_service() -> Result<Self, VaultError> {
        let store = dbus_secret_service_keyring_store::Store::new().map_err(map_keyring)?;
        Self::new(store)
    }

    /// Applies a store-specific option to every key this keystore files, e.g. on iOS
    /// `("access-policy", "WhenPasscodeSetThisDeviceOnly")` so the key exists only while the phone
    /// has a passcode and never leaves the device.
    #[must_use]
    pub fn with_modifier(mut self, key: &'static str, value: &'static str) -> Self {
        self.modifiers.push((key, value));
        self
    }

    /// The store's own name, for the device manager's health view.
    pub fn vendor(&self) -> String {
        // Stores append their crate's web address after a comma; the device manager needs the name.
        let vendor = self.store.vendor();
        match vendor.split_once(", http") {
            Some((name, _)) => name.to_owned(),
            None => vendor,
        }
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry, VaultError> {
        let modifiers: HashMap<&str, &str> = self.modifiers.iter().copied().collect();
        let modifiers = (!modifiers.is_empty()).then_some(&modifiers);
        self.store
            .build(KEYRING_SERVICE, name, modifiers)
            .map_err(map_keyring)
    }
}

impl KeyStore for KeyringKeyStore {
    fn load(&self, name: &str) -> Result<Option<MasterKey>, VaultError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                let bytes: &[u8; KEY_LEN] = secret
                    .as_slice()
                    .try_into()
                    .map_err(|_| VaultError::KeystoreCorrupt)?;
                Ok(Some(MasterKey::from_bytes(bytes)))
            }
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn save(&self, name: &str, key: &MasterKey) -> Result<(), VaultError> {
        self.entry(name)?
            .set_secret(key.expose())
            .map_err(map_keyring)
    }

    fn remove(&self, name: &str) -> Result<(), VaultError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn load_secret(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn save_secret(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.entry(name)?.set_secret(secret).map_err(map_keyring)
    }
}

/// A [`KeyStore`] in process memory: keys vanish when it is dropped. For tests and benchmarks only;
/// reachable as `vault::danger::MemoryKeyStore`.
#[derive(Default)]
pub struct MemoryKeyStore {
    keys: Mutex<KeyMap>,
    secrets: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

type KeyMap = HashMap<String, Zeroizing<[u8; KEY_LEN]>>;

impl fmt::Debug for MemoryKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryKeyStore(<redacted>)")
    }
}

impl MemoryKeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn keys(&self) -> Result<std::sync::MutexGuard<'_, KeyMap>, VaultError> {
        self.keys.lock().map_err(|_| VaultError::KeystoreCorrupt)
    }
}

impl KeyStore for MemoryKeyStore {
    fn load(&self, name: &str) -> Result<Option<MasterKey>, VaultError> {
        Ok(self.keys()?.get(name).map(|k| MasterKey::from_bytes(k)))
    }

    fn save(&self, name: &str, key: &MasterKey) -> Result<(), VaultError> {
        self.keys()?
            .insert(name.to_owned(), Zeroizing::new(*key.expose()));
        Ok(())
    }

    fn remove(&self, name: &str) -> Result<(), VaultError> {
        self.keys()?.remove(name);
        self.secrets
            .lock()
            .map_err(|_| VaultError::KeystoreCorrupt)?
            .remove(name);
        Ok(())
    }

    fn load_secret(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        let secrets = self
            .secrets
            .lock()
            .map_err(|_| VaultError::KeystoreCorrupt)?;
        Ok(secrets.get(name).cloned())
    }

    fn save_secret(&self, name: &str, secret: &[u8]) -> Result<(), VaultError> {
        self.secrets
            .lock()
            .map_err(|_| VaultError::KeystoreCorrupt)?
            .insert(name.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }
}
