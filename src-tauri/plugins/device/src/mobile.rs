//! Android and iOS: a thin shell over the Kotlin (`android/`) and Swift (`ios/`) plugin classes.
//! NEVER COMPILED on the development machines (no Android SDK or Xcode there): it mirrors the
//! camera and provisioning plugins' `mobile.rs` and only uses `PluginHandle`'s API
//! (`run_mobile_plugin`, `run_mobile_plugin_async`, the inherited `registerListener`).
//!
//! A bridge failure is reported as the platform being unable to say (an unknown lock screen, an
//! unavailable release or lock task), which core fails closed on; only a bad key name is an error.

// The iOS binding macro declares the Swift entry point as an `extern "C"` function.
#![cfg_attr(target_os = "ios", allow(unsafe_code))]

use std::collections::BTreeMap;
use std::path::Path;

use serde::{de::DeserializeOwned, Serialize};
use tauri::{
    ipc::Channel,
    plugin::{PluginApi, PluginHandle},
    AppHandle, Runtime,
};
use wardcam_core::device::{LockScreenReport, PinAnswer, Platform, PlatformRelease};
use wardcam_core::visit::FeedbackValue;
use zeroize::Zeroizing;

use crate::answers::{
    check_alias, encode_secret, lock_screen_report, pin_from, release_from, store_from,
    AnswerResponse, LockScreenResponse,
};
use crate::error::Result;
use crate::{BackgroundWake, StoreAnswer, BACKGROUND_WAKE};

#[cfg(target_os = "android")]
const PLUGIN_IDENTIFIER: &str = "org.wardcam.device";

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_wardcam_device);

const PLATFORM: Platform = if cfg!(target_os = "ios") {
    Platform::Ios
} else {
    Platform::Android
};

/// Registers the Kotlin or Swift plugin class.
pub(crate) fn init<R: Runtime, C: DeserializeOwned>(
    _app: &AppHandle<R>,
    api: PluginApi<R, C>,
) -> Result<Device<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin(PLUGIN_IDENTIFIER, "DevicePlugin")?;
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_wardcam_device)?;
    Ok(Device(handle))
}

/// The platform facts.
#[derive(Debug)]
pub struct Device<R: Runtime>(PluginHandle<R>);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyArgs<'a> {
    alias: &'a str,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<Zeroizing<String>>,
}

#[derive(Serialize)]
struct LockTaskArgs {
    enabled: bool,
}

#[derive(Serialize)]
struct PathArgs<'a> {
    path: &'a str,
}

#[derive(Serialize)]
struct DoneArgs {
    ok: bool,
}

#[derive(Serialize)]
struct StatusArgs<'a> {
    values: &'a BTreeMap<&'static str, FeedbackValue>,
}

/// The payload of the `registerListener` command every Tauri mobile plugin inherits.
#[derive(Serialize)]
struct RegisterListener {
    event: &'static str,
    handler: Channel,
}

impl<R: Runtime> Device<R> {
    /// What the platform says about its lock screen, for `Ward::report_lock_screen`. A local
    /// query; call it off the main thread (from `setup`, an `async` command or a blocking task).
    pub fn lock_screen(&self) -> LockScreenReport {
        let response = self
            .0
            .run_mobile_plugin::<LockScreenResponse>("lockScreen", ())
            .unwrap_or_default();
        lock_screen_report(PLATFORM, response)
    }

    /// Asks the platform to release the key stored under `alias`; the phone shows its own prompt
    /// with `reason`. Waits for the user. Decide with `ReleaseAction::decide`.
    pub async fn release_key(&self, alias: &str, reason: &str) -> Result<PlatformRelease> {
        check_alias(alias)?;
        let args = KeyArgs {
            alias,
            reason,
            secret: None,
        };
        Ok(
            match self
                .0
                .run_mobile_plugin_async::<AnswerResponse>("releaseKey", args)
                .await
            {
                Ok(r) => release_from(r),
                Err(_) => PlatformRelease::Unavailable,
            },
        )
    }

    /// Asks the platform to keep `secret` under `alias` behind the phone's lock screen, replacing
    /// what was there. Android asks the user to authenticate (the Keystore key needs it for every
    /// use); iOS stores without asking.
    pub async fn store_key(
        &self,
        alias: &str,
        secret: &[u8; 32],
        reason: &str,
    ) -> Result<StoreAnswer> {
        check_alias(alias)?;
        let args = KeyArgs {
            alias,
            reason,
            secret: Some(encode_secret(secret)),
        };
        Ok(
            match self
                .0
                .run_mobile_plugin_async::<AnswerResponse>("storeKey", args)
                .await
            {
                Ok(r) => store_from(&r),
                Err(_) => StoreAnswer::Unavailable,
            },
        )
    }

    /// Deletes the key under `alias` (and, on Android, its Keystore key).
    pub async fn forget_key(&self, alias: &str) -> Result<()> {
        check_alias(alias)?;
        let args = KeyArgs {
            alias,
            reason: "",
            secret: None,
        };
        self.0
            .run_mobile_plugin_async::<AnswerResponse>("forgetKey", args)
            .await?;
        Ok(())
    }

    /// Asks the platform to confine the phone to WardCam while the patient holds it. Decide with
    /// `KioskPinning::decide`.
    pub async fn start_lock_task(&self) -> PinAnswer {
        match self
            .0
            .run_mobile_plugin_async::<AnswerResponse>("lockTask", LockTaskArgs { enabled: true })
            .await
        {
            Ok(r) => pin_from(&r),
            Err(_) => PinAnswer::Unavailable,
        }
    }

    /// Ends lock task mode / Guided Access (at hand-back). A failure leaves nothing to do: the
    /// platform ends it with its own gesture too.
    pub async fn stop_lock_task(&self) {
        let _ = self
            .0
            .run_mobile_plugin_async::<AnswerResponse>("lockTask", LockTaskArgs { enabled: false })
            .await;
    }

    /// Excludes `path` (the vault's folder) from iCloud backup and device transfer. On Android
    /// the app manifest's backup rules exclude every domain already, so nothing is asked.
    pub fn exclude_from_backup(&self, path: &Path) -> Result<()> {
        self.on_ios_folder("excludeFromBackup", path)
    }

    /// Makes `path` (created if absent) a folder whose files a locked phone can read once it has
    /// been unlocked since it started: iOS `completeUntilFirstUserAuthentication`, inherited by
    /// the files created in it (the app's default class is Complete, which a locked iPhone cannot
    /// read). For the outbound store and the audit log's locked entries, whose contents are all
    /// sealed. On Android credential-encrypted storage is readable after the first unlock
    /// already, so nothing is asked.
    pub fn protect_until_first_unlock(&self, path: &Path) -> Result<()> {
        self.on_ios_folder("protectUntilFirstUnlock", path)
    }

    /// Runs the iOS `command` on the folder `path`; on Android nothing is asked (the manifest and
    /// credential-encrypted storage already do what iOS must be told).
    fn on_ios_folder(&self, command: &str, path: &Path) -> Result<()> {
        if cfg!(target_os = "android") {
            return Ok(());
        }
        let path = path.to_str().ok_or(crate::Error::Bridge {
            detail: "the folder's name is not UTF-8".into(),
        })?;
        self.0
            .run_mobile_plugin::<AnswerResponse>(command, PathArgs { path })?;
        Ok(())
    }

    /// Writes `feedback` (`DeviceStatus::feedback`) where MDM reads it: on iOS managed app
    /// feedback (`com.apple.feedback.managed`), merged; on Android nothing (keyed app states need
    /// a library the project cannot fetch; the Kotlin side answers "unavailable").
    pub fn report_status(&self, feedback: &BTreeMap<&'static str, FeedbackValue>) -> Result<()> {
        self.0
            .run_mobile_plugin::<AnswerResponse>("reportStatus", StatusArgs { values: feedback })?;
        Ok(())
    }

    /// Calls `handler` at each background wake ([`BACKGROUND_WAKE`]); it runs on the native
    /// callback's thread, so it must hand the drain to another task and return. The shell's
    /// courier drain is what it should start, then call [`BackgroundWake::done`].
    pub fn on_background_wake<F: Fn(BackgroundWake) + Send + Sync + 'static>(
        &self,
        handler: F,
    ) -> Result<()> {
        let handle = self.0.clone();
        let channel = Channel::new(move |_empty| {
            let handle = handle.clone();
            handler(BackgroundWake::new(move |ok| {
                let _ = handle
                    .run_mobile_plugin::<AnswerResponse>("backgroundWakeDone", DoneArgs { ok });
            }));
            Ok(())
        });
        self.0.run_mobile_plugin::<()>(
            "registerListener",
            RegisterListener {
                event: BACKGROUND_WAKE,
                handler: channel,
            },
        )?;
        Ok(())
    }
}
