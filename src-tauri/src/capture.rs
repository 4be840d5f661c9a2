//! Capture, review and queueing: the photo's bytes arrive from the camera, pass core's intake,
//! are sealed in the vault and offered to the session; the Review screen labels, redacts or deletes
//! them, and queueing hands them to the outbox. Image work runs on a blocking thread, never on the
//! main thread.

use serde::{Deserialize, Serialize};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Manager, State};
use wardcam_core::intake::{self, IntakePolicy, Redaction};
use wardcam_core::review::{self, Label, Laterality};
use wardcam_core::session::{Event, PhotoRef, Purpose, SessionView};
use wardcam_core::vault::Timestamp;
use zeroize::Zeroizing;

use crate::background::blocking;
use crate::error::CommandError;
use crate::photos::{self, PhotoSummary, Photos};
use crate::state::AppState;
use crate::vault::VaultSlot;

/// The header naming the use a photo is taken for (a consent purpose such as `care`).
pub(crate) const PURPOSE_HEADER: &str = "x-wardcam-purpose";

/// The session after a change, and the photo it concerns.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PhotoChange {
    view: SessionView,
    photo: Option<PhotoSummary>,
}

/// Reads the intended use from the header (`care`, `second_opinion`, `teaching`, `publication`).
fn purpose_from_header(value: Option<&str>) -> Result<Purpose, CommandError> {
    let value = value.ok_or_else(|| CommandError::bad_request("no intended use"))?;
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| CommandError::bad_request("unknown intended use"))
}

/// A photo from the WebView camera: the JPEG (or PNG) as the raw request body, the intended use in
/// the `x-wardcam-purpose` header. The native camera on phones feeds the same path from Rust.
#[tauri::command]
pub(crate) async fn capture_photo(
    app: AppHandle,
    request: Request<'_>,
) -> Result<PhotoChange, CommandError> {
    let InvokeBody::Raw(raw) = request.body() else {
        return Err(CommandError::bad_request("no image bytes"));
    };
    // Tauri's own copy of the body is not ours to wipe; ours is.
    let bytes = Zeroizing::new(raw.clone());
    let purpose = purpose_from_header(
        request
            .headers()
            .get(PURPOSE_HEADER)
            .and_then(|v| v.to_str().ok()),
    )?;
    blocking(move || take(&app, &bytes, purpose)).await
}

/// A photo from the phone's native camera (`src-tauri/plugins/camera`): the plugin takes it into
/// memory and hands the bytes to Rust, so they never pass through JavaScript. On desktop the plugin
/// answers `camera.native_unavailable` and the WebView camera sends `capture_photo` instead.
#[tauri::command]
pub(crate) async fn capture_native(
    app: AppHandle,
    purpose: Purpose,
) -> Result<PhotoChange, CommandError> {
    use tauri_plugin_wardcam_camera::{CameraExt, CaptureOptions};
    // Refuse before the shutter fires when no photo could be kept (locked, no consent).
    app.state::<AppState>().photo_fields()?;
    let photo = app.camera().capture(CaptureOptions::default()).await?;
    blocking(move || take(&app, &photo.bytes, purpose)).await
}

/// Intake, seal, then offer to the session; if the session refuses, the sealed items are shredded,
/// so nothing is kept that the session does not know about.
pub(crate) fn take(
    app: &AppHandle,
    bytes: &[u8],
    purpose: Purpose,
) -> Result<PhotoChange, CommandError> {
    let state = app.state::<AppState>();
    let photos = app.state::<Photos>();
    let vault = app.state::<VaultSlot>().get()?;
    // Refuse early (locked, no consent) before any image work or sealing.
    let fields = state.photo_fields()?;
    let sealed = intake::seal_photo(
        &vault,
        bytes,
        &IntakePolicy::default(),
        Some(&fields),
        Timestamp::now(),
    )?;
    let id = photos.next_ref()?;
    let view = match state.photo_taken(id, purpose) {
        Ok(view) => view,
        Err(e) => {
            photos::shred(&vault, &sealed);
            return Err(e);
        }
    };
    let photo = photos.add(id, sealed, purpose)?;
    Ok(PhotoChange {
        view,
        photo: Some(photo),
    })
}

/// The photos of this patient's session (none while locked).
#[tauri::command]
pub(crate) async fn photos_list(
    state: State<'_, AppState>,
    photos: State<'_, Photos>,
) -> Result<Vec<PhotoSummary>, CommandError> {
    if state.view()?.state == wardcam_core::session::State::Locked {
        return Ok(Vec::new());
    }
    photos.list()
}

/// Body sites matching what the clinician typed (SNOMED CT coded).
#[tauri::command]
pub(crate) async fn body_sites(query: String) -> Vec<photos::BodySiteView> {
    review::search(&query)
        .into_iter()
        .map(photos::BodySiteView::from)
        .collect()
}

/// A photo's label as the Review screen sends it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct LabelInput {
    body_site: String,
    laterality: Laterality,
    #[serde(default)]
    description: String,
}

/// Sets a photo's body site, side and description; core checks them.
#[tauri::command]
pub(crate) async fn photo_label(
    state: State<'_, AppState>,
    photos: State<'_, Photos>,
    id: u64,
    label: LabelInput,
) -> Result<PhotoSummary, CommandError> {
    state.check_unlocked()?;
    let label = Label::new(&label.body_site, label.laterality, &label.description)?;
    photos.label(PhotoRef(id), label)
}

/// Deletes a photo before it is queued: the session lets go of it, then both items are shredded.
#[tauri::command]
pub(crate) async fn photo_delete(app: AppHandle, id: u64) -> Result<PhotoChange, CommandError> {
    blocking(move || {
        let state = app.state::<AppState>();
        let vault = app.state::<VaultSlot>().get()?;
        let view = state.apply(Event::DiscardPhoto(PhotoRef(id)))?;
        for item in app.state::<Photos>().remove(PhotoRef(id))? {
            vault.delete(item)?;
        }
        Ok(PhotoChange { view, photo: None })
    })
    .await
}

/// Redacts a photo: solid rectangles and a crop on the full image, re-encoded once; the new version
/// is sealed first, then the original is crypto-shredded, so only the redacted one remains.
#[tauri::command]
pub(crate) async fn photo_redact(
    app: AppHandle,
    id: u64,
    redaction: Redaction,
) -> Result<PhotoChange, CommandError> {
    blocking(move || {
        let state = app.state::<AppState>();
        let photos = app.state::<Photos>();
        let vault = app.state::<VaultSlot>().get()?;
        let fields = state.photo_fields()?;
        let original = vault.unseal(photos.image_item(PhotoRef(id))?)?;
        let redacted = intake::redact(&original, &redaction, &IntakePolicy::default())?;
        drop(original);
        let sealed = intake::seal_intake(&vault, &redacted, Some(&fields), Timestamp::now())?;
        let (photo, old) = photos.replace(PhotoRef(id), sealed)?;
        for item in old {
            vault.delete(item)?;
        }
        Ok(PhotoChange {
            view: state.view()?,
            photo: Some(photo),
        })
    })
    .await
}

/// From the camera to reviewing the photos taken.
#[tauri::command]
pub(crate) async fn session_review(
    state: State<'_, AppState>,
) -> Result<SessionView, CommandError> {
    state.apply(Event::Review)
}

/// Hands the reviewed photos to the outbox; core refuses while any lacks a body site.
#[tauri::command]
pub(crate) async fn session_queue(app: AppHandle) -> Result<SessionView, CommandError> {
    blocking(move || {
        let state = app.state::<AppState>();
        let photos = app.state::<Photos>();
        let vault = app.state::<VaultSlot>().get()?;
        let labels = photos.pending_labels()?;
        review::check_ready_to_queue(labels.iter().map(Option::as_ref))?;
        let view = state.apply(Event::Queue)?;
        photos::set_queued(&vault, &photos.mark_queued()?)?;
        Ok(view)
    })
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_intended_use_header_is_a_consent_purpose() {
        assert_eq!(purpose_from_header(Some("care")).unwrap(), Purpose::Care);
        assert_eq!(
            purpose_from_header(Some("second_opinion")).unwrap(),
            Purpose::SecondOpinion
        );
        for bad in [None, Some(""), Some("Care"), Some("gallery")] {
            let err = serde_json::to_value(purpose_from_header(bad).unwrap_err()).unwrap();
            assert_eq!(err["code"], "app.bad_request");
        }
    }
}
