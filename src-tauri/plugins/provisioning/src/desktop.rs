//! Desktop: no MDM delivers app configuration to a desktop WardCam. Reading says so with
//! `Ok(None)` (not an error: a desktop is provisioned by a pasted, signed payload instead), and
//! no change event ever fires.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use tauri::{plugin::PluginApi, AppHandle, Runtime};

use crate::error::Result;

pub(crate) fn init<R: Runtime, C: DeserializeOwned>(
    _app: &AppHandle<R>,
    _api: PluginApi<R, C>,
) -> Result<Provisioning<R>> {
    Ok(Provisioning::unavailable())
}

/// Access to the managed configuration; on desktop there is none.
#[derive(Debug)]
pub struct Provisioning<R: Runtime>(PhantomData<fn() -> R>);

impl<R: Runtime> Provisioning<R> {
    pub(crate) fn unavailable() -> Self {
        Provisioning(PhantomData)
    }

    /// Always `Ok(None)`: desktop has no MDM app configuration.
    pub fn managed_config(&self) -> Result<Option<serde_json::Value>> {
        Ok(None)
    }

    /// Accepts the handler and never calls it: desktop has no MDM app configuration.
    pub fn on_managed_config_changed<F: Fn() + Send + Sync + 'static>(
        &self,
        _handler: F,
    ) -> Result<()> {
        Ok(())
    }
}
