//! Consent in the app: the text to show, recording a consent or refusal, kiosk hand-over and
//! hand-back with the clinician PIN, and withdrawal. Core decides and remembers everything
//! (`wardcam_core::visit::Ward`); these commands translate arguments, and run the slow parts (PBKDF2,
//! PNG rendering, sealing) on blocking threads so the window never freezes.

use serde::Deserialize;
use tauri::Emitter;
use tauri::{AppHandle, State};
use tauri_plugin_wardcam_device::DeviceExt;
use wardcam_core::consent::{ConsentForm, ConsentText, ConsentedBy, Decision, Method};
use wardcam_core::device::KioskPinning;
use wardcam_core::session::{Purposes, SessionView};
use wardcam_core::visit::{PhotoId, PinStatus};
use zeroize::Zeroizing;

use crate::background::blocking;
use crate::error::CommandError;
use crate::SharedWard;

/// The consent text in force, for the consent screen.
#[tauri::command]
pub(crate) async fn consent_text(ward: State<'_, SharedWard>) -> Result<ConsentText, CommandError> {
    Ok(ward.consent_text()?.as_ref().clone())
}

/// Whether a clinician PIN is set, and whose.
#[tauri::command]
pub(crate) async fn clinician_pin_status(
    ward: State<'_, SharedWard>,
) -> Result<PinStatus, CommandError> {
    Ok(ward.pin_status()?)
}

/// Sets the clinician PIN and name; changing a working PIN needs the current one (`old_pin`).
#[tauri::command]
pub(crate) async fn clinician_pin_set(
    app: AppHandle,
    pin: String,
    name: String,
    old_pin: Option<String>,
) -> Result<PinStatus, CommandError> {
    let pin = Zeroizing::new(pin);
    let old_pin = old_pin.map(Zeroizing::new);
    blocking(move || Ok(crate::ward(&app).set_pin(&pin, &name, old_pin.as_ref())?)).await
}

/// The clinician hands the phone to the patient: kiosk mode, which core holds in the app; the
/// platform is asked to confine the phone to WardCam too (Android lock task, iOS Guided Access),
/// and core's judgement of its answer (with any instruction for the clinician) goes to the window
/// as `kiosk-pinning`.
#[tauri::command]
pub(crate) async fn consent_hand_to_patient(
    app: AppHandle,
    ward: State<'_, SharedWard>,
) -> Result<SessionView, CommandError> {
    let view = ward.hand_to_patient()?;
    let answer = app.device().start_lock_task().await;
    let platform = ward
        .passcode()?
        .map_or(wardcam_core::device::Platform::Desktop, |s| {
            s.report().platform
        });
    let pinning = KioskPinning::decide(platform, answer);
    if let Err(e) = app.emit("kiosk-pinning", pinning) {
        eprintln!("WardCam: could not tell the window how the kiosk holds: {e}");
    }
    Ok(view)
}

/// Records consent from the screen's form (a refusal declines).
#[tauri::command]
pub(crate) async fn consent_record(
    app: AppHandle,
    form: ConsentForm,
) -> Result<SessionView, CommandError> {
    blocking(move || Ok(crate::ward(&app).record_consent(form)?)).await
}

/// What the screen sends when the patient presses Decline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclineForm {
    purposes: Purposes,
    consented_by: ConsentedBy,
    text_version: String,
}

impl From<DeclineForm> for ConsentForm {
    fn from(d: DeclineForm) -> Self {
        ConsentForm {
            decision: Decision::Refuse,
            purposes: d.purposes,
            consented_by: d.consented_by,
            method: Method::Declined,
            text_version: d.text_version,
        }
    }
}

/// The patient declined: the refusal is recorded and sealed, and the visit ends (at hand-back in
/// kiosk mode).
#[tauri::command]
pub(crate) async fn consent_decline(
    app: AppHandle,
    form: DeclineForm,
) -> Result<SessionView, CommandError> {
    blocking(move || Ok(crate::ward(&app).record_consent(form.into())?)).await
}

/// The clinician takes the phone back: with their PIN, or with none the development unlock where
/// the session policy allows it.
#[tauri::command]
pub(crate) async fn consent_hand_back(
    app: AppHandle,
    pin: Option<String>,
) -> Result<SessionView, CommandError> {
    let pin = pin.map(Zeroizing::new);
    let handle = app.clone();
    let view = blocking(move || Ok(crate::ward(&handle).hand_back(pin.as_ref())?)).await?;
    // Back with the clinician: the platform's confinement ends too.
    app.device().stop_lock_task().await;
    Ok(view)
}

/// The patient withdraws consent: for the visit open now, or (from the Outbox) for the visit that
/// took `photo`. Every photo it covers that is still on the phone is crypto-shredded.
#[tauri::command]
pub(crate) async fn consent_withdraw(
    app: AppHandle,
    photo: Option<String>,
) -> Result<SessionView, CommandError> {
    let photo = photo.map(|p| p.parse::<PhotoId>()).transpose()?;
    blocking(move || Ok(crate::ward(&app).withdraw(photo)?)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_decline_form_becomes_a_refusal() {
        let form: DeclineForm = serde_json::from_value(serde_json::json!({
            "purposes": ["care"],
            "consented_by": { "kind": "patient" },
            "text_version": "en-GB-v1"
        }))
        .unwrap();
        let form = ConsentForm::from(form);
        assert_eq!(form.decision, Decision::Refuse);
        assert_eq!(form.method, Method::Declined);
    }
}
