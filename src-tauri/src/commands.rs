//! The commands the UI may call. Each is thin: it translates between the UI's JSON and
//! `wardcam-core`, which makes every decision. All are `async` so none runs on the main thread
//! (a synchronous command would freeze the window while it waits on a lock).

use serde::{Deserialize, Serialize};
use tauri::State;
use wardcam_core::patient::{
    confirm_manual_entry, parse_scan, NhsNumber, PatientPolicy, WristbandData,
};
use wardcam_core::session::{Event, LockReason, SessionView, UnlockMethod};

use crate::error::CommandError;
use crate::record::{RecordEndpoint, RecordStatus};
use crate::state::{AppState, Identified, PatientSummary};

/// The session as it stands.
#[tauri::command]
pub(crate) async fn session_view(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    state.view()
}

/// The development unlock: honoured by core only when the build allows it (debug builds).
#[tauri::command]
pub(crate) async fn session_unlock_development(
    state: State<'_, AppState>,
) -> Result<SessionView, CommandError> {
    state.apply(Event::Unlock(UnlockMethod::Development))
}

/// Why the UI asks to lock.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UiLockReason {
    /// The Lock button.
    User,
    /// The page became hidden (app backgrounded, window minimised).
    Background,
}

/// Locks now.
#[tauri::command]
pub(crate) async fn session_lock(
    state: State<'_, AppState>,
    reason: UiLockReason,
) -> Result<SessionView, CommandError> {
    state.apply(Event::Lock(match reason {
        UiLockReason::User => LockReason::User,
        UiLockReason::Background => LockReason::Background,
    }))
}

/// User activity that postpones the idle lock.
#[tauri::command]
pub(crate) async fn session_touch(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.touch()
}

/// Ends the current patient's session.
#[tauri::command]
pub(crate) async fn session_end_patient(
    state: State<'_, AppState>,
    photos: State<'_, crate::photos::Photos>,
) -> Result<SessionView, CommandError> {
    let view = state.end_patient()?;
    // Queued photos stay sealed in the vault for the outbox; the session's list starts afresh.
    photos.clear()?;
    Ok(view)
}

/// Opens the camera; core refuses before consent.
#[tauri::command]
pub(crate) async fn session_start_capture(
    state: State<'_, AppState>,
) -> Result<SessionView, CommandError> {
    state.apply(Event::StartCapture)
}

/// Live validation of an NHS number as it is typed. The rules live in core, not in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NhsNumberCheck {
    valid: bool,
    formatted: Option<String>,
    error: Option<CommandError>,
}

/// Checks one NHS number entry without confirming anything.
#[tauri::command]
pub(crate) async fn patient_check_nhs_number(input: String) -> NhsNumberCheck {
    match NhsNumber::parse(&input) {
        Ok(n) => NhsNumberCheck {
            valid: true,
            formatted: Some(n.formatted()),
            error: None,
        },
        Err(e) => NhsNumberCheck {
            valid: false,
            formatted: None,
            error: Some(e.into()),
        },
    }
}

/// Checks `band` against the record (when the device has one) and holds it for confirmation.
/// Refused before any look-up while locked or while another patient is in session.
async fn identify(
    state: &AppState,
    record: &RecordEndpoint,
    band: WristbandData,
) -> Result<PatientSummary, CommandError> {
    state.check_new_patient()?;
    let verification = record.verify(&band).await;
    state.set_candidate(Identified { band, verification })
}

/// Identifies the patient from an NHS number typed twice by hand; confirmation comes next.
#[tauri::command]
pub(crate) async fn patient_identify_manual(
    state: State<'_, AppState>,
    record: State<'_, RecordEndpoint>,
    first: String,
    second: String,
) -> Result<PatientSummary, CommandError> {
    let number = confirm_manual_entry(&first, &second)?;
    identify(&state, &record, WristbandData::manual_entry(number)).await
}

/// Identifies the patient from what a barcode scanner read off the wristband (the mobile scanner,
/// or a keyboard-wedge scanner or pasted text on desktop); confirmation comes next.
#[tauri::command]
pub(crate) async fn patient_identify_scan(
    state: State<'_, AppState>,
    record: State<'_, RecordEndpoint>,
    payload: String,
) -> Result<PatientSummary, CommandError> {
    // Provisioning will supply the trust's GS1 prefix and local number format.
    let band = parse_scan(&payload, &PatientPolicy::default())?;
    identify(&state, &record, band).await
}

/// The patient awaiting confirmation, if any (none while locked).
#[tauri::command]
pub(crate) async fn patient_candidate(
    state: State<'_, AppState>,
) -> Result<Option<PatientSummary>, CommandError> {
    state.candidate()
}

/// The clinician confirms the identified patient: the session is fixed to them.
#[tauri::command]
pub(crate) async fn patient_confirm(
    state: State<'_, AppState>,
) -> Result<SessionView, CommandError> {
    state.confirm_candidate()
}

/// Drops the patient awaiting confirmation, to scan or type again.
#[tauri::command]
pub(crate) async fn patient_discard(state: State<'_, AppState>) -> Result<(), CommandError> {
    state.discard_candidate()
}

/// The confirmed patient for the header and Patient screen; nothing while locked.
#[tauri::command]
pub(crate) async fn patient_current(
    state: State<'_, AppState>,
) -> Result<Option<PatientSummary>, CommandError> {
    state.current_patient()
}

/// Facts for the Device screen.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DeviceInfo {
    app_version: String,
    build: &'static str,
    development_unlock: bool,
    idle_timeout_ms: u64,
    platform: &'static str,
    /// Whether the native wristband scanner exists (mobile builds).
    barcode_scanner: bool,
    /// The patient record endpoint, if provisioned.
    record: RecordStatus,
}

/// What the Device screen shows about this build and policy.
#[tauri::command]
pub(crate) async fn device_info(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    record: State<'_, RecordEndpoint>,
) -> Result<DeviceInfo, CommandError> {
    let view = state.view()?;
    Ok(DeviceInfo {
        app_version: app.package_info().version.to_string(),
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        development_unlock: crate::policy::development_unlock_allowed(),
        idle_timeout_ms: view.idle_timeout_ms,
        platform: std::env::consts::OS,
        barcode_scanner: cfg!(mobile),
        record: record.status(),
    })
}

/// The vault's health for the Device screen: opening, open (with its keystore), or why not.
#[tauri::command]
pub(crate) async fn vault_status(
    vault: State<'_, crate::vault::VaultSlot>,
) -> Result<crate::vault::VaultStatus, CommandError> {
    vault.status()
}
