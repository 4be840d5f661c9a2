//! The commands the UI may call for the session, the patient and the device. Each translates
//! between the UI's JSON and `wardcam_core::visit::Ward`, which decides and remembers everything.
//! All are `async` so none runs on the main thread (a synchronous command would freeze the window
//! while it waits on a lock).

use serde::{Deserialize, Serialize};
use tauri::{Manager, State};
use wardcam_core::patient::{
    confirm_manual_entry, read_scan, NhsNumber, OverrideReason, PatientPolicy, WristbandData,
};
use wardcam_core::session::{LockReason, SessionView};
use wardcam_core::visit::{Candidate, Ward, WardStatus};
use zeroize::Zeroizing;

use crate::background::blocking;
use crate::error::CommandError;
use crate::record::{RecheckSummary, RecordEndpoint, RecordStatus};
use crate::state::PatientSummary;
use crate::SharedWard;

/// The session as it stands.
#[tauri::command]
pub(crate) async fn session_view(ward: State<'_, SharedWard>) -> Result<SessionView, CommandError> {
    Ok(ward.view()?)
}

/// Whether a PIN is set and how long before the next attempt: what the lock screen asks for.
#[tauri::command]
pub(crate) async fn session_gate(
    ward: State<'_, SharedWard>,
) -> Result<wardcam_core::auth::GateStatus, CommandError> {
    Ok(ward.gate_status()?)
}

/// Unlocks with the clinician's PIN or passphrase: core's key gate releases the vault's key (or
/// says how long to wait), the vault opens, and what waits in the Outbox goes.
#[tauri::command]
pub(crate) async fn session_unlock(
    app: tauri::AppHandle,
    pin: String,
) -> Result<SessionView, CommandError> {
    let pin = Zeroizing::new(pin);
    let handle = app.clone();
    let view = blocking(move || Ok(crate::ward(&handle).unlock_with_pin(&pin)?)).await?;
    crate::vault::opened(&app);
    Ok(view)
}

/// The alias the phone's keystore keeps WardCam's master key under, for the platform release.
pub(crate) const PLATFORM_KEY: &str = "wardcam-master";

/// Phones: asks the platform to release the vault's key (the phone's own lock: fingerprint, face
/// or passcode); core decides what the answer means (unlocked, set up first, still locked, use the
/// PIN, blocked). A plugin that cannot ask counts as "unavailable": the PIN is the way back. On
/// desktop the answer is always "use the PIN".
#[tauri::command]
pub(crate) async fn session_unlock_platform(
    app: tauri::AppHandle,
) -> Result<wardcam_core::visit::PlatformUnlock, CommandError> {
    use tauri_plugin_wardcam_device::DeviceExt;
    let answer = app
        .device()
        .release_key(PLATFORM_KEY, "Unlock WardCam")
        .await
        .unwrap_or(wardcam_core::device::PlatformRelease::Unavailable);
    let handle = app.clone();
    let outcome = blocking(move || Ok(crate::ward(&handle).unlock_with_platform(answer)?)).await?;
    if matches!(outcome, wardcam_core::visit::PlatformUnlock::Unlocked(_)) {
        crate::vault::opened(&app);
    }
    Ok(outcome)
}

/// Phones, after a PIN unlock: the clinician chose to unlock with the phone's own lock from now
/// on. The PIN releases the key once more (same limiter) and the platform keeps it behind the
/// phone's lock screen. Answers whether the platform kept it.
#[tauri::command]
pub(crate) async fn session_enrol_platform(
    app: tauri::AppHandle,
    pin: String,
) -> Result<bool, CommandError> {
    use tauri_plugin_wardcam_device::{DeviceExt, StoreAnswer};
    let pin = Zeroizing::new(pin);
    let handle = app.clone();
    let key = blocking(move || Ok(crate::ward(&handle).release_for_platform(&pin)?)).await?;
    let stored = app
        .device()
        .store_key(
            PLATFORM_KEY,
            key.expose(),
            "Unlock WardCam with this phone's lock",
        )
        .await;
    Ok(matches!(stored, Ok(StoreAnswer::Stored)))
}

/// The first start: the clinician's PIN or passphrase and name; the vault is created behind it.
#[tauri::command]
pub(crate) async fn session_set_up(
    app: tauri::AppHandle,
    pin: String,
    name: String,
) -> Result<SessionView, CommandError> {
    let pin = Zeroizing::new(pin);
    let handle = app.clone();
    let view = blocking(move || Ok(crate::ward(&handle).set_up(&pin, &name)?)).await?;
    crate::vault::opened(&app);
    Ok(view)
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
    ward: State<'_, SharedWard>,
    reason: UiLockReason,
) -> Result<SessionView, CommandError> {
    Ok(ward.lock_now(match reason {
        UiLockReason::User => LockReason::User,
        UiLockReason::Background => LockReason::Background,
    })?)
}

/// User activity that postpones the idle lock.
#[tauri::command]
pub(crate) async fn session_touch(ward: State<'_, SharedWard>) -> Result<(), CommandError> {
    Ok(ward.touch()?)
}

/// Ends the current patient's visit; its queued photos stay in the outbox.
#[tauri::command]
pub(crate) async fn session_end_patient(
    ward: State<'_, SharedWard>,
) -> Result<SessionView, CommandError> {
    Ok(ward.end_visit()?)
}

/// Opens the camera; core refuses before consent.
#[tauri::command]
pub(crate) async fn session_start_capture(
    ward: State<'_, SharedWard>,
) -> Result<SessionView, CommandError> {
    Ok(ward.start_capture()?)
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

/// Checks `band` against the record (when the device has one) and hands it to core for
/// confirmation. Refused before any look-up while locked or while another patient is in session.
async fn identify(
    ward: &Ward,
    record: &RecordEndpoint,
    band: WristbandData,
    raw: Option<&str>,
    via_camera: bool,
) -> Result<PatientSummary, CommandError> {
    ward.check_new_patient()?;
    let verification = record.verify(&band).await;
    let candidate = ward.identify(Candidate::new(band, verification, raw, via_camera))?;
    PatientSummary::candidate(ward, &candidate)
}

/// Identifies the patient from an NHS number typed twice by hand; confirmation comes next.
#[tauri::command]
pub(crate) async fn patient_identify_manual(
    ward: State<'_, SharedWard>,
    record: State<'_, RecordEndpoint>,
    first: String,
    second: String,
) -> Result<PatientSummary, CommandError> {
    let number = confirm_manual_entry(&first, &second)?;
    identify(
        &ward,
        &record,
        WristbandData::manual_entry(number),
        None,
        false,
    )
    .await
}

/// Identifies the patient from what a barcode scanner read off the wristband: the phone's camera
/// scanner (`via_camera`), or a keyboard-wedge scanner or pasted text; confirmation comes next.
/// Core refuses a bare NHS number that may have been typed into the band-text field
/// (`patient.second_entry_needed`): the UI then asks for it a second time.
#[tauri::command]
pub(crate) async fn patient_identify_scan(
    ward: State<'_, SharedWard>,
    record: State<'_, RecordEndpoint>,
    payload: String,
    via_camera: bool,
) -> Result<PatientSummary, CommandError> {
    // Provisioning will supply the trust's GS1 prefix and local number format.
    let band = read_scan(&payload, &PatientPolicy::default(), via_camera)?;
    identify(&ward, &record, band, Some(&payload), via_camera).await
}

/// The clinician goes on although the record check needs an override (no such patient in the
/// record, or the record system not answering properly): a reason from the short list and their
/// own words. Core refuses any other outcome, and records who and when; confirmation comes next.
#[tauri::command]
pub(crate) async fn patient_override(
    app: tauri::AppHandle,
    reason: OverrideReason,
    detail: String,
) -> Result<PatientSummary, CommandError> {
    blocking(move || {
        let ward = crate::ward(&app);
        let candidate = ward.override_record_check(reason, &detail)?;
        PatientSummary::candidate(&ward, &candidate)
    })
    .await
}

/// Checks every visit that is due against the record again (confirmed while the record was out
/// of reach, or overridden): a match verifies it, a blocked answer holds its photos, no answer
/// leaves it due. The Outbox asks when it opens and when the network comes back.
#[tauri::command]
pub(crate) async fn record_recheck(
    ward: State<'_, SharedWard>,
    record: State<'_, RecordEndpoint>,
) -> Result<RecheckSummary, CommandError> {
    record.recheck(&ward).await
}

/// The patient awaiting confirmation, if any (none while locked).
#[tauri::command]
pub(crate) async fn patient_candidate(
    ward: State<'_, SharedWard>,
) -> Result<Option<PatientSummary>, CommandError> {
    ward.candidate()?
        .map(|c| PatientSummary::candidate(&ward, &c))
        .transpose()
}

/// The clinician confirms the identified patient: a visit begins, fixed to them.
#[tauri::command]
pub(crate) async fn patient_confirm(app: tauri::AppHandle) -> Result<SessionView, CommandError> {
    blocking(move || Ok(crate::ward(&app).confirm()?)).await
}

/// Drops the patient awaiting confirmation, to scan or type again.
#[tauri::command]
pub(crate) async fn patient_discard(ward: State<'_, SharedWard>) -> Result<(), CommandError> {
    Ok(ward.discard_candidate()?)
}

/// The confirmed patient for the header and Patient screen; nothing while locked.
#[tauri::command]
pub(crate) async fn patient_current(
    ward: State<'_, SharedWard>,
) -> Result<Option<PatientSummary>, CommandError> {
    Ok(ward.current_patient()?.as_ref().map(PatientSummary::from))
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
    /// The PACS photos are delivered to, if provisioned.
    pacs: RecordStatus,
    /// The trust's policy in force (`provision.rs`).
    provision: crate::provision::ProvisionStatus,
}

/// What the Device screen shows about this build and policy.
#[tauri::command]
pub(crate) async fn device_info(
    app: tauri::AppHandle,
    ward: State<'_, SharedWard>,
    record: State<'_, RecordEndpoint>,
    delivery: State<'_, crate::delivery::Delivery>,
) -> Result<DeviceInfo, CommandError> {
    let policy = ward.policy()?;
    Ok(DeviceInfo {
        app_version: app.package_info().version.to_string(),
        build: if cfg!(feature = "mock-camera") {
            "test (mock-camera)"
        } else {
            "release"
        },
        development_unlock: policy.allow_development_unlock,
        idle_timeout_ms: policy.idle_timeout_ms,
        platform: std::env::consts::OS,
        barcode_scanner: cfg!(mobile),
        record: record.status(crate::record::now_secs()),
        pacs: delivery.endpoint_status(crate::record::now_secs()),
        provision: app.state::<crate::provision::ProvisionSlot>().snapshot()?,
    })
}

/// The vault's health for the Device screen: opening, open (with its keystore), or why not.
#[tauri::command]
pub(crate) async fn vault_status(
    app: tauri::AppHandle,
) -> Result<crate::vault::VaultStatus, CommandError> {
    blocking(move || crate::vault::status(&app)).await
}

/// What opening the vault recovered, the photos waiting and the shreds still to finish.
#[tauri::command]
pub(crate) async fn ward_status(ward: State<'_, SharedWard>) -> Result<WardStatus, CommandError> {
    Ok(ward.status()?)
}
