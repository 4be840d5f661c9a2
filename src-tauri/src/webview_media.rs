//! What the WebView may ask the platform for. The desktop Capture screen uses the webcam through
//! `getUserMedia`, so the page of the app itself may open a camera; nothing else is granted:
//! no microphone, no screen capture, no location or notifications, and no other origin.
//!
//! On Linux (WebKitGTK) [`install`] turns media streams on and answers every permission request
//! with [`decide`]. With `--dev-mock-camera` in a debug build it also turns on WebKitGTK's mock
//! capture device, so end-to-end tests get a real stream without a webcam.

use tauri::Url;

/// What a page asked for, as far as the decision needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request {
    /// `getUserMedia`: which kinds of device.
    Media {
        /// A camera.
        video: bool,
        /// A microphone.
        audio: bool,
        /// The screen (`getDisplayMedia`).
        display: bool,
    },
    /// Anything else: geolocation, notifications, pointer lock, storage access, etc.
    Other,
}

/// The answer to a permission request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Grant it.
    Allow,
    /// Refuse it.
    Deny,
}

/// An origin the app's own UI is served from: scheme, host and port, compared exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppOrigin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl AppOrigin {
    fn of(url: &Url) -> Option<Self> {
        Some(AppOrigin {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_owned(),
            port: url.port_or_known_default(),
        })
    }
}

/// The origins the app's UI comes from: the bundled assets (`tauri://localhost` on Linux and
/// macOS, `http(s)://tauri.localhost` on Windows and Android) and, only when the build loads
/// the dev server, `devUrl`.
pub(crate) fn app_origins(dev_url: Option<&Url>, loads_dev_server: bool) -> Vec<AppOrigin> {
    let mut origins: Vec<AppOrigin> = [
        "tauri://localhost",
        "http://tauri.localhost",
        "https://tauri.localhost",
    ]
    .iter()
    .filter_map(|u| Url::parse(u).ok())
    .filter_map(|u| AppOrigin::of(&u))
    .collect();
    if loads_dev_server {
        origins.extend(dev_url.and_then(AppOrigin::of));
    }
    origins
}

/// Allows a camera-only stream for a page of the app itself; denies everything else.
pub(crate) fn decide(request: Request, page_url: &str, app: &[AppOrigin]) -> Decision {
    let camera_only = matches!(
        request,
        Request::Media {
            video: true,
            audio: false,
            display: false
        }
    );
    let own_page = Url::parse(page_url)
        .ok()
        .and_then(|u| AppOrigin::of(&u))
        .is_some_and(|o| app.contains(&o));
    if camera_only && own_page {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

/// [`install`] on the main window, trusting the app's own origins for this build.
#[cfg(target_os = "linux")]
pub(crate) fn install_on_main<R: tauri::Runtime>(
    app: &tauri::App<R>,
    mock_camera: bool,
) -> tauri::Result<()> {
    use tauri::Manager;
    let origins = app_origins(app.config().build.dev_url.as_ref(), tauri::is_dev());
    match app.get_webview_window("main") {
        Some(window) => install(&window, mock_camera, origins),
        None => Ok(()),
    }
}

/// Turns media streams on for the main window and installs [`decide`] as its permission handler;
/// with `mock_camera` also WebKitGTK's mock capture device. Linux only: other platforms keep
/// their WebView's defaults (mobile uses the native camera plugin).
#[cfg(target_os = "linux")]
pub(crate) fn install<R: tauri::Runtime>(
    window: &tauri::WebviewWindow<R>,
    mock_camera: bool,
    origins: Vec<AppOrigin>,
) -> tauri::Result<()> {
    use webkit2gtk::glib::object::Cast;
    use webkit2gtk::{
        PermissionRequestExt, SettingsExt, UserMediaPermissionRequest,
        UserMediaPermissionRequestExt, WebViewExt,
    };

    window.with_webview(move |webview| {
        let view = webview.inner();
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_media_stream(true);
            settings.set_enable_mock_capture_devices(mock_camera);
        }
        view.connect_permission_request(move |view, request| {
            let kind = match request.downcast_ref::<UserMediaPermissionRequest>() {
                Some(media) => {
                    let (video, audio) = (media.is_for_video_device(), media.is_for_audio_device());
                    // WebKitGTK reports screen capture as neither camera nor microphone (as wry
                    // reads it without the 2.42 API).
                    Request::Media {
                        video,
                        audio,
                        display: !video && !audio,
                    }
                }
                None => Request::Other,
            };
            let page = view.uri().map(|u| u.to_string()).unwrap_or_default();
            match decide(kind, &page, &origins) {
                Decision::Allow => request.allow(),
                Decision::Deny => request.deny(),
            }
            true
        });
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const CAMERA: Request = Request::Media {
        video: true,
        audio: false,
        display: false,
    };

    fn bundled() -> Vec<AppOrigin> {
        app_origins(None, false)
    }

    fn with_dev_server() -> Vec<AppOrigin> {
        let dev = Url::parse("http://localhost:1420").unwrap();
        app_origins(Some(&dev), true)
    }

    #[test]
    fn the_apps_own_page_may_open_the_camera() {
        assert_eq!(
            decide(CAMERA, "tauri://localhost/", &bundled()),
            Decision::Allow
        );
        assert_eq!(
            decide(CAMERA, "tauri://localhost/index.html#capture", &bundled()),
            Decision::Allow
        );
        assert_eq!(
            decide(CAMERA, "http://tauri.localhost/", &bundled()),
            Decision::Allow
        );
    }

    #[test]
    fn microphone_and_screen_capture_are_refused_even_for_the_app() {
        for request in [
            Request::Media {
                video: true,
                audio: true,
                display: false,
            },
            Request::Media {
                video: false,
                audio: true,
                display: false,
            },
            Request::Media {
                video: false,
                audio: false,
                display: true,
            },
            Request::Media {
                video: true,
                audio: false,
                display: true,
            },
        ] {
            assert_eq!(
                decide(request, "tauri://localhost/", &bundled()),
                Decision::Deny,
                "{request:?}"
            );
        }
    }

    #[test]
    fn other_permissions_are_refused_even_for_the_app() {
        assert_eq!(
            decide(Request::Other, "tauri://localhost/", &bundled()),
            Decision::Deny
        );
    }

    #[test]
    fn other_origins_may_not_open_the_camera() {
        for page in [
            "https://example.org/",
            "tauri://localhost.evil.example/",
            "tauri://evil.example/",
            "https://tauri.localhost.evil.example/",
            "http://localhost:1420/",
            "http://localhost/",
            "file:///tmp/page.html",
            "about:blank",
            "data:text/html,<video>",
            "",
            "not a url",
        ] {
            assert_eq!(decide(CAMERA, page, &bundled()), Decision::Deny, "{page}");
        }
    }

    #[test]
    fn the_dev_server_counts_only_when_the_build_loads_it() {
        assert_eq!(
            decide(CAMERA, "http://localhost:1420/", &with_dev_server()),
            Decision::Allow
        );
        let dev = Url::parse("http://localhost:1420").unwrap();
        assert_eq!(
            decide(
                CAMERA,
                "http://localhost:1420/",
                &app_origins(Some(&dev), false)
            ),
            Decision::Deny
        );
        // Same host on another port, or https instead of http, is another origin.
        assert_eq!(
            decide(CAMERA, "http://localhost:1421/", &with_dev_server()),
            Decision::Deny
        );
        assert_eq!(
            decide(CAMERA, "https://localhost:1420/", &with_dev_server()),
            Decision::Deny
        );
    }
}
