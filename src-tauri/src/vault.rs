//! Puts the sealed vault (`wardcam_core::vault`) behind the key gate (`wardcam_core::auth::gate`)
//! with this platform's keystore, off the main thread, and reports its health. The vault opens
//! only when the clinician's PIN unlocks the app (`commands::session_unlock`) and shuts at every
//! lock. The shell only chooses the keystore and the folder; everything else is core's.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use wardcam_core::auth::KeyGate;
use wardcam_core::vault::{KeyringKeyStore, VaultError};

use crate::error::CommandError;

/// The event the UI listens to for vault health changes.
pub(crate) const VAULT_CHANGED: &str = "vault://changed";

/// Where the vault stands, for the Device screen.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum VaultStatus {
    /// Still being opened (the keystore may be slow to answer).
    Opening,
    /// Shut behind the key gate until the clinician's PIN opens it.
    Locked {
        /// The keystore holding the wrapped master key.
        keystore: String,
        /// Whether a PIN has been set (if not, the lock screen asks for one).
        set_up: bool,
    },
    /// Open and swept.
    Open {
        /// The keystore holding the master key.
        keystore: String,
        /// Items in the vault.
        items: usize,
        /// Leftovers of interrupted writes removed when the vault opened.
        repaired: usize,
    },
    /// It could not be opened; the error says what to do. Nothing can be captured.
    Unavailable { error: CommandError },
}

/// How opening the vault went: still going, done (with the keystore's name), or why it failed.
#[derive(Debug, Default)]
pub(crate) struct VaultSlot {
    inner: Mutex<Option<Result<String, CommandError>>>,
}

impl VaultSlot {
    fn set(&self, value: Result<String, CommandError>) {
        if let Ok(mut slot) = self.inner.lock() {
            *slot = Some(value);
        }
    }

    fn get(&self) -> Result<Option<Result<String, CommandError>>, CommandError> {
        self.inner
            .lock()
            .map(|s| s.clone())
            .map_err(|_| CommandError::unexpected("vault lock poisoned"))
    }
}

/// The vault's health now.
pub(crate) fn status<R: Runtime>(app: &AppHandle<R>) -> Result<VaultStatus, CommandError> {
    Ok(match app.state::<VaultSlot>().get()? {
        None => VaultStatus::Opening,
        Some(Err(error)) => VaultStatus::Unavailable { error },
        Some(Ok(keystore)) => {
            let ward = crate::ward(app);
            let Ok(vault) = ward.vault() else {
                return Ok(VaultStatus::Locked {
                    keystore,
                    set_up: ward.gate_status()?.set_up,
                });
            };
            let sweep = vault.last_sweep();
            VaultStatus::Open {
                keystore,
                items: vault.list().map_err(wardcam_core::Error::from)?.len(),
                repaired: sweep.temp_files_removed
                    + sweep.orphan_blobs_removed.len()
                    + sweep.deletions_finished.len()
                    + sweep.missing_blobs.len(),
            }
        }
    })
}

/// Puts the vault behind the key gate in the background (the keystore may be slow to answer)
/// and tells the UI when the lock screen can take a PIN (or why it cannot).
pub(crate) fn prepare_in_background(app: AppHandle) {
    std::thread::spawn(move || {
        let result = vault_dir(&app).and_then(|dir| {
            // iOS: the vault's folder never goes into an iCloud or device backup (Android's
            // backup rules exclude every domain in the manifest).
            {
                use tauri_plugin_wardcam_device::DeviceExt;
                if let Err(e) = app.device().exclude_from_backup(&dir) {
                    eprintln!("WardCam: could not exclude the vault from backup: {e}");
                }
            }
            // iOS: the outbound store and the audit log's locked entries must be readable by a
            // background wake on a locked phone (after its first unlock); all they hold is sealed.
            {
                use tauri_plugin_wardcam_device::DeviceExt;
                let audit = wardcam_core::audit::audit_dir(&dir);
                for folder in [dir.join(wardcam_core::visit::OUTBOUND_DIR), audit] {
                    if let Err(e) = app.device().protect_until_first_unlock(&folder) {
                        eprintln!("WardCam: could not set a folder's file protection: {e}");
                    }
                }
            }
            let keys = platform_keystore().map_err(wardcam_core::Error::from)?;
            let keystore = keys.vendor();
            crate::ward(&app).use_key_gate(dir.clone(), KeyGate::new(Arc::new(keys)))?;
            // The outbound store (delivery while locked, when the trust allows it): its own key,
            // released without the clinician once the phone has been unlocked since it started.
            let delivery_keys = delivery_keystore().map_err(wardcam_core::Error::from)?;
            crate::ward(&app).use_outbound(
                dir.join(wardcam_core::visit::OUTBOUND_DIR),
                Arc::new(delivery_keys),
            )?;
            // A wipe killed midway finishes, and MDM's wipe request is applied, before the lock
            // screen can take a PIN.
            crate::wipe::at_start(&app);
            Ok(keystore)
        });
        app.state::<VaultSlot>().set(result);
        changed(&app);
    });
}

/// After the PIN opened the vault: core has rebuilt the visit and the outbox from it, so whatever
/// waits in it goes now.
pub(crate) fn opened(app: &AppHandle) {
    crate::delivery::start(app);
    let handle = app.clone();
    tauri::async_runtime::spawn_blocking(move || retention_pass(&crate::ward(&handle)));
    changed(app);
}

/// One retention pass (core decides what to warn about and, where the trust's policy says so,
/// purge: `docs/retention.md`), at unlock and whenever the Outbox is shown. Refused quietly while
/// locked or in kiosk mode; its view reaches the Outbox through `outbox_status`.
pub(crate) fn retention_pass(ward: &wardcam_core::visit::Ward) {
    if let Err(e) = ward.retention() {
        if !matches!(e.code(), "session.locked" | "session.kiosk_active") {
            eprintln!("WardCam: the retention pass failed ({})", e.code());
        }
    }
}

fn changed(app: &AppHandle) {
    if let Ok(status) = status(app) {
        if let Err(e) = app.emit(VAULT_CHANGED, status) {
            eprintln!("WardCam: could not report the vault's state: {e}");
        }
    }
}

/// The vault lives in the app's private data folder, never in shared storage.
fn vault_dir(app: &AppHandle) -> Result<PathBuf, CommandError> {
    app.path()
        .app_local_data_dir()
        .map(|d| d.join("vault"))
        .map_err(|_| CommandError::unexpected("no private data folder"))
}

/// This platform's keystore. There is no fallback: without it the vault stays closed.
#[cfg(target_os = "linux")]
pub(crate) fn platform_keystore() -> Result<KeyringKeyStore, VaultError> {
    KeyringKeyStore::linux_secret_service()
}

/// iOS: the Keychain's protected data store, never synced to iCloud, and the key exists only
/// while the phone has a passcode and only on this device.
#[cfg(target_os = "ios")]
pub(crate) fn platform_keystore() -> Result<KeyringKeyStore, VaultError> {
    let store = apple_native_keyring_store::protected::Store::new().map_err(|e| {
        VaultError::KeystoreMissing {
            reason: e.to_string(),
        }
    })?;
    Ok(
        KeyringKeyStore::new(store)?
            .with_modifier("access-policy", "WhenPasscodeSetThisDeviceOnly"),
    )
}

/// The keystore of the outbound store's delivery key (`wardcam_core::visit` outbound module):
/// readable while the app is locked, so a background wake can send what was packed. Desktop:
/// the same Secret Service (unlocked with the user's session).
#[cfg(not(target_os = "ios"))]
pub(crate) fn delivery_keystore() -> Result<KeyringKeyStore, VaultError> {
    platform_keystore()
}

/// iOS: the Keychain's protected store, readable after the phone's first unlock since it started
/// (so a `BGProcessingTask` on a locked phone can read it; before the first unlock after a
/// reboot it cannot, and nothing is sent). Never synced to iCloud.
#[cfg(target_os = "ios")]
pub(crate) fn delivery_keystore() -> Result<KeyringKeyStore, VaultError> {
    let store = apple_native_keyring_store::protected::Store::new().map_err(|e| {
        VaultError::KeystoreMissing {
            reason: e.to_string(),
        }
    })?;
    Ok(KeyringKeyStore::new(store)?
        .with_modifier("access-policy", "AfterFirstUnlockThisDeviceOnly"))
}

/// Android: the Android Keystore (via SharedPreferences sealed by a Keystore key). The store needs
/// the Android context, which Tauri's Android runtime registers with `ndk-context` before setup.
#[cfg(target_os = "android")]
pub(crate) fn platform_keystore() -> Result<KeyringKeyStore, VaultError> {
    let store =
        android_native_keyring_store::Store::new().map_err(|e| VaultError::KeystoreMissing {
            reason: e.to_string(),
        })?;
    KeyringKeyStore::new(store)
}

#[cfg(not(any(target_os = "linux", target_os = "ios", target_os = "android")))]
pub(crate) fn platform_keystore() -> Result<KeyringKeyStore, VaultError> {
    Err(VaultError::KeystoreMissing {
        reason: "this platform has no supported keystore yet".into(),
    })
}
