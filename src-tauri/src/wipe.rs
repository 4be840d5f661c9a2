//! Remote wipe (`wardcam_core::wipe`): the shell only fetches the inputs (MDM's `remote_wipe`
//! value at start and when MDM changes it; a `WCW1:` command scanned or pasted) and hands them to
//! core's [`Ward::wipe`](wardcam_core::visit::Ward::wipe), which checks, records, shreds and
//! reports. What the shell adds is the platform's own copy of the key on phones (the Keystore or
//! Keychain item that lets the phone's lock release it), which only the device plugin can forget.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};
use wardcam_core::policy::Provisioning;
use wardcam_core::visit::WipeRequest;
use wardcam_core::wipe::{Authority, WipeReport, MANAGED_KEY};

use crate::background::blocking;
use crate::error::CommandError;

/// The event the UI listens to: the phone was wiped (its payload is [`WipeStatus`]).
pub(crate) const WIPED: &str = "wipe://wiped";

/// What the wiped and Device screens show.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WipeStatus {
    /// The id a wipe command for this phone alone names (`None` before the first set-up).
    installation: Option<String>,
    /// The last wipe (`None`: never wiped).
    report: Option<WipeReport>,
    /// The app shows the wiped screen: a wipe finished and was not dismissed, or has not finished.
    wiped: bool,
}

fn status<R: Runtime>(app: &AppHandle<R>) -> Result<WipeStatus, CommandError> {
    let ward = crate::ward(app);
    let report = ward.wipe_report()?;
    Ok(WipeStatus {
        installation: ward.installation_id()?,
        wiped: report.as_ref().is_some_and(|r| !r.acknowledged),
        report,
    })
}

/// MDM's `remote_wipe` value, if MDM gives one.
fn managed_request<R: Runtime>(app: &AppHandle<R>) -> Option<String> {
    let values = tauri_plugin_wardcam_provisioning::managed_config(app).ok()??;
    values.get(MANAGED_KEY)?.as_str().map(str::to_owned)
}

/// After a wipe: the platform's copy of the key goes too (phones), MDM is told, and the UI shows
/// the wiped screen.
async fn after_wipe<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_wardcam_device::DeviceExt;
    if let Err(e) = app.device().forget_key(crate::commands::PLATFORM_KEY).await {
        eprintln!(
            "WardCam: the platform could not forget the vault key ({})",
            e.code()
        );
    }
    crate::device_status::report_in_background(app);
    match status(app) {
        Ok(s) => {
            if let Err(e) = app.emit(WIPED, s) {
                eprintln!("WardCam: could not report the wipe: {e}");
            }
        }
        Err(_) => eprintln!("WardCam: could not read the wipe's report"),
    }
}

/// At start, once the key gate is set (`vault::prepare_in_background`): core finishes a wipe
/// that was killed midway and applies MDM's request if it is new.
pub(crate) fn at_start<R: Runtime>(app: &AppHandle<R>) {
    let request = managed_request(app);
    let before = crate::ward(app).wipe_report().ok().flatten();
    match crate::ward(app).wipe_at_start(request.as_deref()) {
        // A thread of its own (`prepare_in_background`'s): waiting on the plugin here is fine.
        Ok(after) if after != before => tauri::async_runtime::block_on(after_wipe(app)),
        Ok(_) => {}
        Err(e) => eprintln!("WardCam: the remote wipe could not finish ({})", e.code()),
    }
}

/// MDM changed its values while WardCam runs: a new `remote_wipe` value wipes now.
pub(crate) fn managed_changed<R: Runtime>(app: &AppHandle<R>, values: &serde_json::Value) {
    let request = values.get(MANAGED_KEY).and_then(|v| v.as_str());
    match crate::ward(app).wipe(WipeRequest::Managed(request)) {
        // MDM's callback thread (`provision::watch_managed` spawns it): not the async runtime.
        Ok(Some(_)) => tauri::async_runtime::block_on(after_wipe(app)),
        Ok(None) => {}
        Err(e) => eprintln!("WardCam: the remote wipe could not finish ({})", e.code()),
    }
}

/// The wipe's state, for the wiped and Device screens.
#[tauri::command]
pub(crate) async fn wipe_status(app: AppHandle) -> Result<WipeStatus, CommandError> {
    blocking(move || status(&app)).await
}

/// A device manager scanned or pasted a `WCW1:` command: core checks it against the trust in
/// force and the provisioning keys, and wipes if it is for this phone and new.
#[tauri::command]
pub(crate) async fn wipe_apply(app: AppHandle, code: String) -> Result<WipeStatus, CommandError> {
    let handle = app.clone();
    blocking(move || {
        let keys = crate::vault::platform_keystore().map_err(wardcam_core::Error::from)?;
        let kept = Provisioning::kept(&keys, &crate::provision::entry(&handle))
            .map_err(wardcam_core::Error::from)?;
        let authority = Authority::of(
            kept.in_force.as_ref().map(|p| &p.policy),
            &crate::provision::built_in_keys(),
        )
        .map_err(wardcam_core::Error::from)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        crate::ward(&handle).wipe(WipeRequest::Code {
            code: &code,
            authority: &authority,
            now,
        })?;
        Ok(())
    })
    .await?;
    after_wipe(&app).await;
    blocking(move || status(&app)).await
}

/// The wiped screen was dismissed (the phone is being set up again).
#[tauri::command]
pub(crate) async fn wipe_acknowledge(app: AppHandle) -> Result<WipeStatus, CommandError> {
    blocking(move || {
        crate::ward(&app).acknowledge_wipe()?;
        status(&app)
    })
    .await
}
