//! Why the vault refused or failed, in words a device manager can act on.
//!
//! An AEAD failure cannot say *why* it failed, so every authentication failure is one
//! [`VaultError::Tampered`]; faults the format can see by itself (a short file, an unknown version, a
//! foreign file) get their own variants. No message carries key material or patient identifiers.

use std::io;

/// A vault operation that failed. The vault is unchanged when one is returned, except where a
/// variant says otherwise (a failed delete, for instance, may have shredded the key already).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// An item, its wrapped key or its sealed patient details failed authentication: some byte was
    /// changed after sealing, or parts of two items were mixed.
    #[error("An item in the vault has been altered or damaged and cannot be opened. It is unreadable, not exposed; retake the photo or record if it has not been sent, and report the device to the device manager.")]
    Tampered,
    /// The item's file ends early: it was cut short, for instance by a full disk or a copy that did
    /// not finish.
    #[error("An item in the vault is incomplete (its file ends early) and cannot be opened. Retake the photo or record if it has not been sent, and check that the device has free storage.")]
    Truncated,
    /// The item or index was written by a newer (or unknown) version of WardCam.
    #[error("This vault was written by a newer version of WardCam (format {found}, this version reads up to {supported}). Update WardCam on this device; do not reset it, or unsent photos will be lost.")]
    UnknownVersion {
        /// The version found in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The file is not a WardCam vault item at all.
    #[error("A file in the vault folder is not a WardCam item. Something other than WardCam wrote to the app's private folder; report the device to the device manager.")]
    NotAVault,
    /// The device keystore holds no key for this vault, or a key that belongs to another vault.
    #[error("The key for this vault is missing from the device keystore, so its photos cannot be opened. This happens after the device passcode is removed or the device is restored from backup; unsent photos are lost. Re-provision WardCam on this device.")]
    KeyUnavailable,
    /// No usable keystore: the platform keystore could not be reached. WardCam never falls back to
    /// a weaker one.
    #[error("The device keystore is not available ({reason}), so WardCam cannot protect photos and will not take any. Set a device passcode (on Linux: start and unlock the Secret Service, such as GNOME Keyring) and restart WardCam.")]
    KeystoreMissing {
        /// What the platform said, without secrets.
        reason: String,
    },
    /// The keystore exists but refused access, for instance because it is locked.
    #[error("The device keystore refused access ({reason}). Unlock the device (on Linux: unlock the login keyring) and try again.")]
    KeystoreLocked {
        /// What the platform said, without secrets.
        reason: String,
    },
    /// The keystore holds something for this vault that is not a vault key.
    #[error("The device keystore holds a damaged key for this vault, so its photos cannot be opened. Re-provision WardCam on this device.")]
    KeystoreCorrupt,
    /// No item with that id is in the vault (it may have been deleted or purged).
    #[error("That item is no longer in the vault; it may have been deleted or removed by the retention policy.")]
    NotFound,
    /// A vault was to be created where one already exists.
    #[error("A vault already exists in this folder. Open it instead of creating a new one.")]
    AlreadyExists,
    /// A vault was to be opened where there is none.
    #[error("There is no vault in this folder. Create one when provisioning the device.")]
    NoVault,
    /// The vault folder could not be read or written.
    #[error("WardCam could not {action} in its vault folder ({kind}). Check that the device has free storage, then restart WardCam.")]
    Io {
        /// What the vault was doing, such as "write an item".
        action: &'static str,
        /// The operating system's error kind.
        kind: io::ErrorKind,
    },
    /// The vault's index database failed.
    #[error("The vault's index could not be read or written ({detail}). Restart WardCam; if this repeats, report the device to the device manager.")]
    Index {
        /// SQLite's message (it never includes stored values).
        detail: String,
    },
    /// The caller broke the API's rules (a programming error in the app, not bad data).
    #[error(
        "WardCam made an invalid request to its vault ({0}). Report this to the WardCam team."
    )]
    ApiMisuse(&'static str),
}

impl VaultError {
    /// A stable, dotted machine code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::Tampered => "vault.tampered",
            VaultError::Truncated => "vault.truncated",
            VaultError::UnknownVersion { .. } => "vault.unknown_version",
            VaultError::NotAVault => "vault.not_a_vault",
            VaultError::KeyUnavailable => "vault.key_unavailable",
            VaultError::KeystoreMissing { .. } => "vault.keystore_missing",
            VaultError::KeystoreLocked { .. } => "vault.keystore_locked",
            VaultError::KeystoreCorrupt => "vault.keystore_corrupt",
            VaultError::NotFound => "vault.not_found",
            VaultError::AlreadyExists => "vault.already_exists",
            VaultError::NoVault => "vault.no_vault",
            VaultError::Io { .. } => "vault.io",
            VaultError::Index { .. } => "vault.index",
            VaultError::ApiMisuse(_) => "vault.api_misuse",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "vault.tampered",
        "vault.truncated",
        "vault.unknown_version",
        "vault.not_a_vault",
        "vault.key_unavailable",
        "vault.keystore_missing",
        "vault.keystore_locked",
        "vault.keystore_corrupt",
        "vault.not_found",
        "vault.already_exists",
        "vault.no_vault",
        "vault.io",
        "vault.index",
        "vault.api_misuse",
    ];

    /// An I/O failure while doing `action`.
    pub(crate) fn io(action: &'static str) -> impl FnOnce(io::Error) -> VaultError {
        move |e| VaultError::Io {
            action,
            kind: e.kind(),
        }
    }
}

impl From<rusqlite::Error> for VaultError {
    fn from(e: rusqlite::Error) -> Self {
        // rusqlite's messages name SQL and columns, never bound values, so no patient data leaks.
        VaultError::Index {
            detail: e.to_string(),
        }
    }
}
