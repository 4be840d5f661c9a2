//! Capture, review and queueing: the photo's bytes arrive from the camera and go to core
//! (`Ward::capture`: intake, sealing, manifest); the Review and Outbox screens list, label, redact,
//! delete, queue and withdraw through core. Image work runs on a blocking thread, never on the
//! main thread.

use serde::{Deserialize, Serialize};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Manager, State};
use wardcam_core::intake::Redaction;
use wardcam_core::review::{self, BodySite, Label, Laterality};
use wardcam_core::session::{Purpose, SessionView, State as SessionState};
use wardcam_core::visit::{LabelSuggestions, PhotoId, PhotoView};
use zeroize::Zeroizing;

use crate::background::blocking;
use crate::error::CommandError;
use crate::SharedWard;

/// The header naming the use a photo is taken for (a consent purpose such as `care`).
pub(crate) const PURPOSE_HEADER: &str = "x-wardcam-purpose";

/// The session after a change, and the photo it concerns.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PhotoChange {
    view: SessionView,
    photo: Option<PhotoView>,
}

/// Reads the intended use from the header (`care`, `second_opinion`, `teaching`, `publication`).
fn purpose_from_header(value: Option<&str>) -> Result<Purpose, CommandError> {
    let value = value.ok_or_else(|| CommandError::bad_request("no intended use"))?;
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| CommandError::bad_request("unknown intended use"))
}

/// A photo id as the UI sends it (the UUID).
fn photo_id(id: &str) -> Result<PhotoId, CommandError> {
    Ok(id.parse::<PhotoId>()?)
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
    let photo = app.camera().capture(CaptureOptions::default()).await?;
    blocking(move || take(&app, &photo.bytes, purpose)).await
}

/// Hands the bytes to core and returns what changed.
fn take(app: &AppHandle, bytes: &[u8], purpose: Purpose) -> Result<PhotoChange, CommandError> {
    let ward = crate::ward(app);
    let photo = ward.capture(bytes, purpose)?;
    Ok(PhotoChange {
        view: ward.view()?,
        photo: Some(photo),
    })
}

/// The photos of the visit open now (none while locked).
#[tauri::command]
pub(crate) async fn photos_list(
    ward: State<'_, SharedWard>,
) -> Result<Vec<PhotoView>, CommandError> {
    Ok(ward.photos()?)
}

/// Every photo on this phone not yet delivered, of any visit (none while locked or in kiosk mode).
#[tauri::command]
pub(crate) async fn outbox_list(
    ward: State<'_, SharedWard>,
) -> Result<Vec<PhotoView>, CommandError> {
    crate::vault::retention_pass(&ward);
    Ok(ward.outbox()?)
}

/// Body sites matching what the clinician typed (SNOMED CT coded).
#[tauri::command]
pub(crate) async fn body_sites(query: String) -> Vec<BodySite> {
    review::search(&query).into_iter().copied().collect()
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
    app: AppHandle,
    id: String,
    label: LabelInput,
) -> Result<PhotoView, CommandError> {
    let id = photo_id(&id)?;
    let label = Label::new(&label.body_site, label.laterality, &label.description)?;
    blocking(move || Ok(crate::ward(&app).label(id, label)?)).await
}

/// Labels a photo and sends it from the camera in one step; core queues it with every photo of the
/// visit when none is left without a label, or moves to Review when one is.
#[tauri::command]
pub(crate) async fn photo_send(
    app: AppHandle,
    id: String,
    label: LabelInput,
) -> Result<SessionView, CommandError> {
    let id = photo_id(&id)?;
    let label = Label::new(&label.body_site, label.laterality, &label.description)?;
    let sending = app.clone();
    let view = blocking(move || Ok(crate::ward(&sending).send(id, label)?)).await?;
    if view.state == SessionState::Queued {
        // Queued photos go at once if they can.
        app.state::<crate::delivery::Delivery>().nudge(false);
    }
    Ok(view)
}

/// The body sites offered one tap away under the camera's preview.
#[tauri::command]
pub(crate) async fn label_suggestions(
    ward: State<'_, SharedWard>,
) -> Result<LabelSuggestions, CommandError> {
    Ok(ward.label_suggestions()?)
}

/// Deletes a photo before it is queued: it is crypto-shredded.
#[tauri::command]
pub(crate) async fn photo_delete(app: AppHandle, id: String) -> Result<PhotoChange, CommandError> {
    let id = photo_id(&id)?;
    blocking(move || {
        let view = crate::ward(&app).discard(id)?;
        Ok(PhotoChange { view, photo: None })
    })
    .await
}

/// Discards the photos of a held visit (a later record check blocked its patient): every photo of
/// `id`'s visit is crypto-shredded. Core refuses a photo that is not held, and the visit open now.
#[tauri::command]
pub(crate) async fn photos_discard_held(app: AppHandle, id: String) -> Result<(), CommandError> {
    let id = photo_id(&id)?;
    blocking(move || Ok(crate::ward(&app).discard_held(id)?)).await
}

/// Redacts a photo: solid rectangles and a crop on the full image, re-encoded once; the new version
/// is sealed first, then the original is crypto-shredded.
#[tauri::command]
pub(crate) async fn photo_redact(
    app: AppHandle,
    id: String,
    redaction: Redaction,
) -> Result<PhotoChange, CommandError> {
    let id = photo_id(&id)?;
    blocking(move || {
        let ward = crate::ward(&app);
        let photo = ward.redact(id, &redaction)?;
        Ok(PhotoChange {
            view: ward.view()?,
            photo: Some(photo),
        })
    })
    .await
}

/// From the camera to reviewing the photos taken.
#[tauri::command]
pub(crate) async fn session_review(
    ward: State<'_, SharedWard>,
) -> Result<SessionView, CommandError> {
    Ok(ward.review()?)
}

/// Hands the reviewed photos to the outbox; core refuses while any lacks a body site.
#[tauri::command]
pub(crate) async fn session_queue(app: AppHandle) -> Result<SessionView, CommandError> {
    let queued = app.clone();
    let view = blocking(move || Ok(crate::ward(&queued).queue()?)).await?;
    // Queued photos go at once if they can.
    app.state::<crate::delivery::Delivery>().nudge(false);
    Ok(view)
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

    #[test]
    fn photo_ids_are_uuids() {
        assert!(photo_id("1b4e28ba-2fa1-4d2b-883f-0016d3cca427").is_ok());
        for bad in ["", "1", "../etc", "1b4e28ba2fa14d2b883f0016d3cca427x"] {
            let err = serde_json::to_value(photo_id(bad).unwrap_err()).unwrap();
            assert_eq!(err["code"], "visit.unknown_photo");
        }
    }
}
