//! The `thumb` URI scheme: the Review and Outbox screens load thumbnails from
//! `thumb://localhost/<photo>` (`http://thumb.localhost/<photo>` on Windows and Android). Each is
//! unsealed into memory for the response only, with `Cache-Control: no-store`, so the WebView keeps
//! no copy on disk; nothing is served while the app is locked or for a photo not in this session.

use tauri::http::{header, Response, StatusCode};
use tauri::{AppHandle, Manager, Runtime};

use crate::photos::Photos;
use crate::state::AppState;
use crate::vault::VaultSlot;

/// The scheme's name, as the UI's `convertFileSrc(id, 'thumb')` spells it.
pub(crate) const SCHEME: &str = "thumb";

/// The photo a request path names: `/<decimal id>`, anything after `?` ignored.
pub(crate) fn photo_id(path: &str) -> Option<u64> {
    let id = path.strip_prefix('/')?;
    if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
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

/// Answers one request (on a blocking thread: unsealing reads the disk).
pub(crate) fn respond<R: Runtime>(app: &AppHandle<R>, path: &str) -> Response<Vec<u8>> {
    let Some(id) = photo_id(path) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let unlocked = app.state::<AppState>().check_unlocked().is_ok();
    if !unlocked {
        return empty(StatusCode::FORBIDDEN);
    }
    let Some(item) = app.state::<Photos>().thumbnail_item(id) else {
        return empty(StatusCode::NOT_FOUND);
    };
    let Ok(vault) = app.state::<VaultSlot>().get() else {
        return empty(StatusCode::SERVICE_UNAVAILABLE);
    };
    match vault.unseal(item) {
        Ok(mut bytes) => {
            // The response needs an owned buffer: hand over the unsealed one rather than copy it.
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
        Err(_) => empty(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_decimal_id_names_a_photo() {
        assert_eq!(photo_id("/7"), Some(7));
        assert_eq!(photo_id("/18446744073709551615"), Some(u64::MAX));
        for bad in [
            "",
            "/",
            "7",
            "/7/..",
            "/-1",
            "/0x10",
            "/../vault.db",
            "/1e3",
            "/99999999999999999999999",
        ] {
            assert_eq!(photo_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn refusals_say_no_store_too() {
        let r = empty(StatusCode::FORBIDDEN);
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert!(r.body().is_empty());
    }
}
