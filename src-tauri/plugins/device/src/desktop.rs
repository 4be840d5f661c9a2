//! Desktop: a development machine. It has no phone lock screen to ask about, no platform key
//! release (the PIN gate releases the vault's key), no lock task mode and no background wake; it
//! answers that, in core's terms, as the desktop build always has.

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::Path;

use serde::de::DeserializeOwned;
use tauri::{plugin::PluginApi, AppHandle, Runtime};
use wardcam_core::device::{LockScreenReport, PinAnswer, Platform, PlatformRelease};
use wardcam_core::visit::FeedbackValue;

use crate::answers::check_alias;
use crate::error::Result;
use crate::{BackgroundWake, StoreAnswer};

pub(crate) fn init<R: Runtime, C: DeserializeOwned>(
    _app: &AppHandle<R>,
    _api: PluginApi<R, C>,
) -> Result<Device<R>> {
    Ok(Device::development())
}

/// The platform facts; on desktop, those of a development machine.
#[derive(Debug)]
pub struct Device<R: Runtime>(PhantomData<fn() -> R>);

impl<R: Runtime> Device<R> {
    pub(crate) fn development() -> Self {
        Device(PhantomData)
    }

    /// "Unknown, development platform" (what `src-tauri/src/passcode.rs` reports today).
    pub fn lock_screen(&self) -> LockScreenReport {
        LockScreenReport::development(Platform::Desktop)
    }

    /// Always [`PlatformRelease::Unavailable`]: the PIN gate releases the key on desktop.
    pub async fn release_key(&self, alias: &str, _reason: &str) -> Result<PlatformRelease> {
        check_alias(alias)?;
        Ok(PlatformRelease::Unavailable)
    }

    /// Always [`StoreAnswer::Unavailable`]: nothing is stored.
    pub async fn store_key(
        &self,
        alias: &str,
        _secret: &[u8; 32],
        _reason: &str,
    ) -> Result<StoreAnswer> {
        check_alias(alias)?;
        Ok(StoreAnswer::Unavailable)
    }

    /// Nothing to forget.
    pub async fn forget_key(&self, alias: &str) -> Result<()> {
        check_alias(alias)
    }

    /// Always [`PinAnswer::Unavailable`]: the kiosk holds in the app only.
    pub async fn start_lock_task(&self) -> PinAnswer {
        PinAnswer::Unavailable
    }

    /// Nothing to stop.
    pub async fn stop_lock_task(&self) {}

    /// Nothing to do: desktop backups are the machine owner's business.
    pub fn exclude_from_backup(&self, _path: &Path) -> Result<()> {
        Ok(())
    }

    /// Nothing to do: a desktop has no file protection classes.
    pub fn protect_until_first_unlock(&self, _path: &Path) -> Result<()> {
        Ok(())
    }

    /// Nothing to do: a desktop has no MDM to read a status.
    pub fn report_status(&self, _feedback: &BTreeMap<&'static str, FeedbackValue>) -> Result<()> {
        Ok(())
    }

    /// Accepts the handler and never calls it.
    pub fn on_background_wake<F: Fn(BackgroundWake) + Send + Sync + 'static>(
        &self,
        _handler: F,
    ) -> Result<()> {
        Ok(())
    }
}
