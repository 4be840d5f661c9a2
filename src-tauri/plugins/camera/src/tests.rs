#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::models::CaptureResponse;
use crate::{
    CaptureOptions, Error, Facing, FlashMode, FocusPoint, NativeErrorCode, PreviewOptions,
    MAX_PHOTO_BYTES,
};

/// A tiny byte string shaped like a JPEG (SOI, an APP0 marker, EOI); enough for the checks here.
fn jpeg_like(len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len.saturating_sub(6)).map(|i| (i * 7 % 251) as u8));
    v.extend([0xFF, 0xD9]);
    v
}

fn response(bytes: &[u8], width: u32, height: u32) -> CaptureResponse {
    let json = serde_json::json!({
        "jpegBase64": base64::engine::general_purpose::STANDARD.encode(bytes),
        "width": width,
        "height": height,
    });
    serde_json::from_value(json).unwrap()
}

// --- models: what JS and the native side send and expect -------------------------------------

#[test]
fn options_use_the_native_sides_camel_case_names() {
    let json = serde_json::to_value(CaptureOptions {
        flash: Some(FlashMode::Auto),
        jpeg_quality: 90,
    })
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!({"flash": "auto", "jpegQuality": 90})
    );
    let preview: PreviewOptions = serde_json::from_str(r#"{"facing":"front"}"#).unwrap();
    assert_eq!(preview.facing, Facing::Front);
}

#[test]
fn omitted_options_mean_back_camera_no_flash_high_quality() {
    let preview: PreviewOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(preview.facing, Facing::Back);
    let capture: CaptureOptions = serde_json::from_str("{}").unwrap();
    assert_eq!(capture.flash, None);
    assert_eq!(capture.jpeg_quality, 95);
    assert_eq!(FlashMode::default(), FlashMode::Off);
}

#[test]
fn unknown_flash_modes_are_refused() {
    assert!(serde_json::from_str::<FlashMode>(r#""torch""#).is_err());
    assert!(serde_json::from_str::<FlashMode>(r#""OFF""#).is_err());
}

#[test]
fn focus_points_off_the_preview_are_refused() {
    for (x, y) in [
        (-0.01, 0.5),
        (0.5, 1.01),
        (f64::NAN, 0.5),
        (0.5, f64::INFINITY),
    ] {
        let err = FocusPoint { x, y }.checked().unwrap_err();
        assert_eq!(err.code(), "camera.invalid_argument", "{x},{y}");
    }
    for (x, y) in [(0.0, 0.0), (1.0, 1.0), (0.25, 0.75)] {
        assert_eq!(FocusPoint { x, y }.checked().unwrap(), FocusPoint { x, y });
    }
}

#[test]
fn jpeg_quality_outside_1_to_100_is_refused() {
    for q in [0, 101, 255] {
        let options = CaptureOptions {
            jpeg_quality: q,
            ..CaptureOptions::default()
        };
        assert!(matches!(
            options.checked(),
            Err(Error::InvalidArgument { .. })
        ));
    }
    assert!(CaptureOptions {
        jpeg_quality: 1,
        flash: None
    }
    .checked()
    .is_ok());
}

// --- the photo handed over by Kotlin/Swift ----------------------------------------------------

#[test]
fn a_capture_response_decodes_to_the_exact_bytes() {
    let original = jpeg_like(10_001);
    let photo = response(&original, 4000, 3000)
        .into_photo(MAX_PHOTO_BYTES)
        .unwrap();
    assert_eq!(photo.bytes.as_slice(), original.as_slice());
    assert_eq!((photo.width, photo.height), (4000, 3000));
}

#[test]
fn the_decoded_buffer_never_reallocates() {
    // A reallocation would leave an unwiped copy of the photo on the heap.
    for len in [6, 7, 8, 9, 1000, 1001, 1002] {
        let original = jpeg_like(len);
        let photo = response(&original, 1, 1)
            .into_photo(MAX_PHOTO_BYTES)
            .unwrap();
        let estimate = base64::decoded_len_estimate(
            base64::engine::general_purpose::STANDARD
                .encode(&original)
                .len(),
        );
        assert_eq!(photo.bytes.capacity(), estimate, "len {len}");
    }
}

fn response_with(text: String, rotation: Option<u16>) -> CaptureResponse {
    CaptureResponse {
        jpeg_base64: Zeroizing::new(text),
        width: 4,
        height: 3,
        rotation_degrees: rotation,
    }
}

#[test]
fn url_safe_base64_with_or_without_padding_decodes_to_the_exact_bytes() {
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    // Lengths covering every padding case, with bytes that encode to `-` and `_` (0xFB, 0xFF).
    for len in [6, 7, 8, 1000, 1001, 1002] {
        let mut original = jpeg_like(len);
        original[3..len - 2]
            .iter_mut()
            .step_by(3)
            .for_each(|b| *b = 0xFB);
        let padded = URL_SAFE.encode(&original);
        let unpadded = URL_SAFE_NO_PAD.encode(&original);
        assert!(padded.contains(['-', '_']), "len {len}: {padded}");
        for text in [padded, unpadded] {
            let estimate = base64::decoded_len_estimate(text.len());
            let photo = response_with(text, None)
                .into_photo(MAX_PHOTO_BYTES)
                .unwrap();
            assert_eq!(photo.bytes.as_slice(), original.as_slice(), "len {len}");
            assert_eq!(photo.bytes.capacity(), estimate, "len {len}");
        }
    }
}

#[test]
fn base64_mixing_both_alphabets_is_refused() {
    let mut original = jpeg_like(300);
    original[2..298].iter_mut().for_each(|b| *b = 0xFB);
    let standard = base64::engine::general_purpose::STANDARD.encode(&original);
    assert!(standard.contains('+') || standard.contains('/'));
    // Half standard, half URL-safe: neither alphabet accepts it.
    let mid = standard.len() / 2;
    let mixed = format!(
        "{}{}",
        &standard[..mid],
        standard[mid..].replace('+', "-").replace('/', "_")
    );
    assert!(mixed.contains(['+', '/']) && mixed.contains(['-', '_']));
    assert_eq!(
        response_with(mixed, None)
            .into_photo(MAX_PHOTO_BYTES)
            .unwrap_err(),
        Error::BadResponse {
            what: "the photo data is not valid base64"
        }
    );
}

#[test]
fn the_reported_rotation_is_passed_on_and_must_be_a_quarter_turn() {
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jpeg_like(50));
    for rotation in [None, Some(0), Some(90), Some(180), Some(270)] {
        let photo = response_with(text.clone(), rotation)
            .into_photo(MAX_PHOTO_BYTES)
            .unwrap();
        assert_eq!(photo.rotation_degrees, rotation);
    }
    for rotation in [45, 360, 271] {
        assert_eq!(
            response_with(text.clone(), Some(rotation))
                .into_photo(MAX_PHOTO_BYTES)
                .unwrap_err()
                .code(),
            "camera.bad_response",
            "{rotation}"
        );
    }
    // As Kotlin sends it; iOS leaves the field out.
    let json =
        serde_json::json!({"jpegBase64": text, "width": 4, "height": 3, "rotationDegrees": 90});
    let photo = serde_json::from_value::<CaptureResponse>(json)
        .unwrap()
        .into_photo(MAX_PHOTO_BYTES)
        .unwrap();
    assert_eq!(photo.rotation_degrees, Some(90));
}

#[test]
fn a_photo_over_the_limit_is_refused_before_decoding() {
    let original = jpeg_like(3_000);
    let err = response(&original, 10, 10).into_photo(1_000).unwrap_err();
    match err {
        Error::PhotoTooLarge { bytes, limit } => {
            assert!(bytes >= 3_000);
            assert_eq!(limit, 1_000);
        }
        other => panic!("expected PhotoTooLarge, got {other:?}"),
    }
}

#[test]
fn a_photo_just_over_the_limit_is_refused_after_decoding() {
    // 1001 bytes encode to 1336 chars, whose estimate (1002) slips under the pre-check.
    let original = jpeg_like(1_001);
    let err = response(&original, 10, 10).into_photo(1_000).unwrap_err();
    assert_eq!(
        err,
        Error::PhotoTooLarge {
            bytes: 1_001,
            limit: 1_000
        }
    );
    // ...and exactly at the limit it passes.
    assert!(response(&jpeg_like(1_000), 10, 10)
        .into_photo(1_000)
        .is_ok());
}

#[test]
fn a_response_that_is_not_a_usable_jpeg_is_refused() {
    let png = b"\x89PNG\r\n\x1a\n0000";
    assert_eq!(
        response(png, 1, 1).into_photo(MAX_PHOTO_BYTES).unwrap_err(),
        Error::BadResponse {
            what: "the photo is not a JPEG"
        }
    );
    assert_eq!(
        response(&jpeg_like(100), 0, 10)
            .into_photo(MAX_PHOTO_BYTES)
            .unwrap_err()
            .code(),
        "camera.bad_response"
    );
    let garbage = CaptureResponse {
        jpeg_base64: Zeroizing::new("/9j/4AAQ*not base64*".into()),
        width: 1,
        height: 1,
        rotation_degrees: None,
    };
    assert_eq!(
        garbage.into_photo(MAX_PHOTO_BYTES).unwrap_err(),
        Error::BadResponse {
            what: "the photo data is not valid base64"
        }
    );
    let empty = CaptureResponse {
        jpeg_base64: Zeroizing::new(String::new()),
        width: 1,
        height: 1,
        rotation_degrees: None,
    };
    assert_eq!(
        empty.into_photo(MAX_PHOTO_BYTES).unwrap_err().code(),
        "camera.capture_failed"
    );
}

#[test]
fn a_response_missing_fields_does_not_deserialize() {
    let json = serde_json::json!({"jpegBase64": "/9j/", "width": 1});
    assert!(serde_json::from_value::<CaptureResponse>(json).is_err());
}

// --- errors ------------------------------------------------------------------------------------

fn every_error() -> Vec<Error> {
    vec![
        Error::Unsupported,
        Error::PermissionDenied,
        Error::NoCamera,
        Error::PreviewNotOpen,
        Error::Busy,
        Error::TorchUnavailable,
        Error::CaptureFailed { reason: "x".into() },
        Error::UsageDescriptionMissing,
        Error::PhotoTooLarge { bytes: 2, limit: 1 },
        Error::BadResponse { what: "x" },
        Error::InvalidArgument { what: "x" },
        Error::Bridge { detail: "x".into() },
    ]
}

#[test]
fn error_codes_are_unique_dotted_camera_codes() {
    let mut codes: Vec<&str> = every_error().iter().map(Error::code).collect();
    assert!(codes.iter().all(|c| c.starts_with("camera.")
        && c[7..]
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch == '_')));
    let n = codes.len();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), n);
}

#[test]
fn every_error_code_is_listed() {
    // No wildcard: a new variant stops this compiling until `every_error` builds it too.
    for e in every_error() {
        match e {
            Error::Unsupported
            | Error::PermissionDenied
            | Error::NoCamera
            | Error::PreviewNotOpen
            | Error::Busy
            | Error::TorchUnavailable
            | Error::CaptureFailed { .. }
            | Error::UsageDescriptionMissing
            | Error::PhotoTooLarge { .. }
            | Error::BadResponse { .. }
            | Error::InvalidArgument { .. }
            | Error::Bridge { .. } => {}
        }
    }
    let mut built: Vec<&str> = every_error().iter().map(Error::code).collect();
    built.sort_unstable();
    let mut listed = Error::CODES.to_vec();
    listed.sort_unstable();
    assert_eq!(
        built, listed,
        "Error::CODES differs from the codes the variants return"
    );
}

#[test]
fn errors_serialize_as_code_and_message_for_the_ui() {
    let json = serde_json::to_value(Error::NoCamera).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"code": "camera.no_camera", "message": "No camera found on this device."})
    );
}

#[test]
fn the_desktop_error_points_to_the_webcam() {
    let message = Error::Unsupported.to_string();
    assert!(message.contains("Android and iOS"), "{message}");
    assert!(message.contains("webcam"), "{message}");
}

#[test]
fn native_codes_map_to_typed_errors() {
    assert_eq!(
        Error::from_native(Some("permissionDenied"), Some("Camera permission denied")),
        Error::PermissionDenied
    );
    assert_eq!(
        Error::from_native(Some("captureFailed"), Some("ERROR_CAMERA_CLOSED")),
        Error::CaptureFailed {
            reason: "ERROR_CAMERA_CLOSED".into()
        }
    );
    // Unknown or missing codes keep the native text so nothing is lost.
    assert_eq!(
        Error::from_native(Some("weird"), Some("boom")),
        Error::Bridge {
            detail: "weird: boom".into()
        }
    );
    assert_eq!(
        Error::from_native(None, None),
        Error::Bridge {
            detail: "no details".into()
        }
    );
    for code in NativeErrorCode::ALL {
        let mapped = Error::from_native(Some(code.as_str()), None);
        assert_ne!(mapped.code(), "camera.bridge", "{code:?} is not mapped");
    }
}

#[test]
fn native_codes_round_trip_through_serde() {
    for code in NativeErrorCode::ALL {
        let json = serde_json::to_value(code).unwrap();
        assert_eq!(json, serde_json::json!(code.as_str()));
        assert_eq!(NativeErrorCode::parse(code.as_str()), Some(code));
    }
}

/// The quoted names inside the `export type NativeErrorCode = ...;` union of guest-js.
fn ts_native_codes() -> Vec<String> {
    let ts = include_str!("../guest-js/index.ts");
    let start = ts.find("export type NativeErrorCode =").unwrap();
    let end = start + ts[start..].find(';').unwrap();
    let mut codes: Vec<String> = ts[start..end]
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    codes.sort();
    codes
}

#[test]
fn native_error_codes_agree_across_rust_typescript_kotlin_and_swift() {
    let mut rust: Vec<String> = NativeErrorCode::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    rust.sort();
    assert_eq!(rust, ts_native_codes());
    let kotlin = include_str!("../android/src/main/java/CameraPlugin.kt");
    let swift = include_str!("../ios/Sources/CameraPlugin.swift");
    for code in &rust {
        assert!(
            kotlin.contains(&format!("\"{code}\"")),
            "Kotlin lacks {code}"
        );
        assert!(
            swift.contains(&format!("case {code}")),
            "Swift lacks {code}"
        );
    }
}

#[test]
fn swift_answers_the_permission_commands_with_the_dotted_codes() {
    let swift = include_str!("../ios/Sources/CameraPlugin.swift");
    for code in NativeErrorCode::ALL {
        let dotted = code.dotted();
        assert!(
            dotted.starts_with("camera.") && dotted != "camera.bridge",
            "{code:?}"
        );
        let line = format!("case .{}: return \"{dotted}\"", code.as_str());
        assert!(swift.contains(&line), "Swift lacks `{line}`");
    }
    // The permission commands reject only through `.dotted`, never with the camelCase name.
    for command in ["func checkPermissions", "func requestPermissions"] {
        let start = swift.find(command).unwrap();
        let body = &swift[start..start + swift[start..].find("\n  }\n").unwrap()];
        assert!(
            !body.contains("reject(invoke,"),
            "{command} uses the camelCase reject"
        );
    }
    assert!(swift.contains("code: ErrorCode.usageDescriptionMissing.dotted"));
}

// --- what the WebView may call -----------------------------------------------------------------

fn quoted_list(text: &str, marker: &str) -> Vec<String> {
    let start = text.find(marker).unwrap() + marker.len();
    let end = start + text[start..].find(']').unwrap();
    let mut names: Vec<String> = text[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[test]
fn capture_has_no_permission_and_the_default_grants_exactly_the_listed_commands() {
    let commands = quoted_list(include_str!("../build.rs"), "COMMANDS: &[&str] = &[");
    let default = quoted_list(
        include_str!("../permissions/default.toml"),
        "permissions = [",
    );
    let expected: Vec<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(default, expected);
    assert!(!commands.iter().any(|c| c.contains("capture")));
    assert!(!default.iter().any(|c| c.contains("capture")));
    // The Rust handlers are the listed commands minus the two the native base class answers.
    let lib = include_str!("lib.rs");
    let start = lib.find("generate_handler![").unwrap();
    let end = start + lib[start..].find(']').unwrap();
    let mut handlers: Vec<String> = lib[start..end]
        .split("commands::")
        .skip(1)
        .map(|s| {
            s.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
                .to_owned()
        })
        .collect();
    handlers.extend(["check_permissions".into(), "request_permissions".into()]);
    handlers.sort();
    assert_eq!(handlers, commands);
}

// --- desktop -----------------------------------------------------------------------------------

#[cfg(desktop)]
#[test]
fn every_desktop_call_says_the_native_camera_is_unavailable() {
    use tauri::async_runtime::block_on;
    let camera = crate::Camera::<tauri::Wry>::unavailable();
    assert_eq!(
        block_on(camera.capture(CaptureOptions::default())).unwrap_err(),
        Error::Unsupported
    );
    assert_eq!(
        block_on(camera.open_preview(PreviewOptions::default())).unwrap_err(),
        Error::Unsupported
    );
    assert_eq!(
        block_on(camera.set_torch(true)).unwrap_err(),
        Error::Unsupported
    );
    assert_eq!(
        block_on(camera.set_flash(FlashMode::On)).unwrap_err(),
        Error::Unsupported
    );
    assert_eq!(
        block_on(camera.focus_at(FocusPoint { x: 0.5, y: 0.5 })).unwrap_err(),
        Error::Unsupported
    );
    assert_eq!(
        block_on(camera.close_preview()).unwrap_err(),
        Error::Unsupported
    );
}
