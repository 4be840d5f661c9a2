//! The `thumb` URI scheme: the Review and Outbox screens load thumbnails from
//! `thumb://localhost/<photo id>` (`http://thumb.localhost/<photo id>` on Windows and Android).
//! Core unseals each into memory for the response only; it is served with `Cache-Control:
//! no-store`, so the WebView keeps no copy on disk. Nothing is served while the app is locked or in
//! kiosk mode, or for a photo not on this phone.

use tauri::http::{header, Response, StatusCode};
use tauri::{AppHandle, Runtime};
use wardcam_core::visit::PhotoId;
use zeroize::Zeroizing;

/// The scheme's name, as the UI's `convertFileSrc(id, 'thumb')` spells it.
pub(crate) const SCHEME: &str = "thumb";

/// The photo a request path names: `/<photo id>` (a UUID), anything after `?` ignored.
pub(crate) fn photo_id(path: &str) -> Option<PhotoId> {
    let id = path.strip_prefix('/')?;
    if id.len() != 36 {
        return None;
    }
    id.parse().ok()
}

fn empty(status: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// The response for an unsealed thumbnail, which moves into it: no copy is made here.
///
/// This is where the app's wiping ends. Tauri's responder needs an owned body
/// (`Into<Cow<'static, [u8]>>`), so the bytes leave their `Zeroizing` buffer, which then wipes
/// nothing. The WebView layer takes them from there (wry 0.57: on Linux it copies them into a GLib
/// `GBytes` for WebKitGTK and frees this `Vec` unwiped; on Android it copies them into a Java byte
/// array; on iOS `NSData` adopts this `Vec` and frees it unwiped when done), and the WebView keeps
/// its own copies (network buffers, the decoded bitmap, its in-memory image cache). The app can
/// wipe none of those: see docs/intake.md, "Memory: what is wiped, and what the app cannot wipe".
fn jpeg_response(mut bytes: Zeroizing<Vec<u8>>) -> Response<Vec<u8>> {
    let mut response = Response::new(std::mem::take(&mut *bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("image/jpeg"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Answers one request (on a blocking thread: unsealing reads the disk).
pub(crate) fn respond<R: Runtime>(app: &AppHandle<R>, path: &str) -> Response<Vec<u8>> {
    let Some(id) = photo_id(path) else {
        return empty(StatusCode::NOT_FOUND);
    };
    match crate::ward(app).thumbnail(id) {
        Ok(bytes) => jpeg_response(bytes),
        Err(e) => empty(match e.code() {
            "session.locked" | "session.kiosk_active" => StatusCode::FORBIDDEN,
            "vault.opening" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::NOT_FOUND,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_photo_uuid_is_a_path() {
        assert!(photo_id("/1b4e28ba-2fa1-4d2b-883f-0016d3cca427").is_some());
        for bad in [
            "",
            "/",
            "/1",
            "/../vault/index.sqlite",
            "1b4e28ba-2fa1-4d2b-883f-0016d3cca427",
            "/1b4e28ba2fa14d2b883f0016d3cca427",
            "/1b4e28ba-2fa1-4d2b-883f-0016d3cca427/x",
        ] {
            assert!(photo_id(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_thumbnail_moves_into_the_response_uncopied() {
        let mut unsealed = Vec::with_capacity(64);
        unsealed.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xD9]);
        let at = unsealed.as_ptr();
        let r = jpeg_response(Zeroizing::new(unsealed));
        // The same allocation: a copy would leave a second, unwiped thumbnail behind.
        assert_eq!(r.body().as_ptr(), at);
        assert_eq!(r.body()[..], [0xFF, 0xD8, 0xFF, 0xD9]);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn refusals_say_no_store_too() {
        let r = empty(StatusCode::FORBIDDEN);
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert!(r.body().is_empty());
    }
}
