//! Why the camera refused or failed, in words a clinician or device manager can act on.

use serde::{ser::SerializeStruct, Deserialize, Serialize, Serializer};

/// The plugin's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// A camera failure. Serialized for the UI as `{ code, message }` like the app's own errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The native camera exists only on Android and iOS; desktop uses the WebView's camera.
    #[error("The built-in camera is available on Android and iOS only. On a computer WardCam uses the webcam shown on the Capture screen.")]
    Unsupported,
    /// The camera permission was refused.
    #[error("WardCam may not use the camera. Allow camera access for WardCam in the device settings, then try again.")]
    PermissionDenied,
    /// No camera on this device.
    #[error("No camera found on this device.")]
    NoCamera,
    /// A control or capture came with no preview open.
    #[error("The camera is not open. Open the camera on the Capture screen first.")]
    PreviewNotOpen,
    /// A second capture while one is running.
    #[error("A photo is already being taken. Wait a moment, then try again.")]
    Busy,
    /// The torch was asked for on a camera without one.
    #[error("This camera has no torch. Improve the lighting or use the flash.")]
    TorchUnavailable,
    /// The camera failed to take or encode the photo.
    #[error(
        "The photo could not be taken ({reason}). Try again; if it keeps failing, restart WardCam."
    )]
    CaptureFailed {
        /// What the platform reported (never contains image data or patient details).
        reason: String,
    },
    /// The app build lacks `NSCameraUsageDescription` (iOS), so the OS would kill the app.
    #[error("This build of WardCam is missing its camera usage description. Report this to your device manager.")]
    UsageDescriptionMissing,
    /// The photo handed over by the camera was bigger than the limit.
    #[error("The photo is too large ({bytes} bytes; the limit is {limit}). Lower the camera resolution and try again.")]
    PhotoTooLarge {
        /// Size of what was received (or its estimate before decoding).
        bytes: usize,
        /// The limit, [`crate::MAX_PHOTO_BYTES`] unless the caller chose another.
        limit: usize,
    },
    /// The native side answered with something that is not a usable photo.
    #[error("The camera returned an unusable answer ({what}). Try again; if it keeps failing, report it to your device manager.")]
    BadResponse {
        /// What was wrong.
        what: &'static str,
    },
    /// A caller passed an out-of-range value (a programming fault, not the user's).
    #[error("WardCam sent the camera an invalid request ({what}). Close and reopen the camera.")]
    InvalidArgument {
        /// Which value and why.
        what: &'static str,
    },
    /// The mobile bridge failed, or the native side rejected with an unknown code.
    #[error("The camera could not be reached ({detail}). Close and reopen the camera.")]
    Bridge {
        /// The bridge's own description.
        detail: String,
    },
}

impl Error {
    /// A stable dotted code for the UI's list of known errors.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unsupported => "camera.native_unavailable",
            Error::PermissionDenied => "camera.permission_denied",
            Error::NoCamera => "camera.no_camera",
            Error::PreviewNotOpen => "camera.preview_not_open",
            Error::Busy => "camera.busy",
            Error::TorchUnavailable => "camera.torch_unavailable",
            Error::CaptureFailed { .. } => "camera.capture_failed",
            Error::UsageDescriptionMissing => "camera.usage_description_missing",
            Error::PhotoTooLarge { .. } => "camera.photo_too_large",
            Error::BadResponse { .. } => "camera.bad_response",
            Error::InvalidArgument { .. } => "camera.invalid_argument",
            Error::Bridge { .. } => "camera.bridge",
        }
    }

    /// Every code [`Error::code`] returns, for the list the app sends its UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "camera.native_unavailable",
        "camera.permission_denied",
        "camera.no_camera",
        "camera.preview_not_open",
        "camera.busy",
        "camera.torch_unavailable",
        "camera.capture_failed",
        "camera.usage_description_missing",
        "camera.photo_too_large",
        "camera.bad_response",
        "camera.invalid_argument",
        "camera.bridge",
    ];

    /// Maps a native rejection (`invoke.reject(message, code)`) onto a typed error, so the UI
    /// gets a stable code instead of the platform's free text.
    pub fn from_native(code: Option<&str>, message: Option<&str>) -> Self {
        let message = message.unwrap_or("no details");
        match code.and_then(NativeErrorCode::parse) {
            Some(NativeErrorCode::PermissionDenied) => Error::PermissionDenied,
            Some(NativeErrorCode::NoCamera) => Error::NoCamera,
            Some(NativeErrorCode::PreviewNotOpen) => Error::PreviewNotOpen,
            Some(NativeErrorCode::Busy) => Error::Busy,
            Some(NativeErrorCode::CaptureFailed) => Error::CaptureFailed {
                reason: message.to_owned(),
            },
            Some(NativeErrorCode::UsageDescriptionMissing) => Error::UsageDescriptionMissing,
            Some(NativeErrorCode::TorchUnavailable) => Error::TorchUnavailable,
            None => Error::Bridge {
                detail: match code {
                    Some(code) => format!("{code}: {message}"),
                    None => message.to_owned(),
                },
            },
        }
    }
}

#[cfg(mobile)]
impl From<tauri::plugin::mobile::PluginInvokeError> for Error {
    fn from(e: tauri::plugin::mobile::PluginInvokeError) -> Self {
        use tauri::plugin::mobile::PluginInvokeError;
        match e {
            PluginInvokeError::InvokeRejected(r) => {
                Error::from_native(r.code.as_deref(), r.message.as_deref())
            }
            // A response that does not parse is the native side's fault, not the bridge's.
            PluginInvokeError::CannotDeserializeResponse(_) => Error::BadResponse {
                what: "the answer has the wrong shape",
            },
            other => Error::Bridge {
                detail: other.to_string(),
            },
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

/// The codes Kotlin and Swift reject with. Kept identical to `NativeErrorCode` in
/// `guest-js/index.ts` and used by both native sources (a unit test checks all three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NativeErrorCode {
    /// The user or device policy refused the camera permission.
    PermissionDenied,
    /// The device has no usable camera.
    NoCamera,
    /// A control or capture was asked for with no preview open.
    PreviewNotOpen,
    /// A capture is already in progress.
    Busy,
    /// The camera failed to take or encode the photo.
    CaptureFailed,
    /// iOS: `NSCameraUsageDescription` is missing from Info.plist.
    UsageDescriptionMissing,
    /// The camera in use has no torch.
    TorchUnavailable,
}

impl NativeErrorCode {
    /// Every code, for checks that the lists agree.
    pub const ALL: [NativeErrorCode; 7] = [
        NativeErrorCode::PermissionDenied,
        NativeErrorCode::NoCamera,
        NativeErrorCode::PreviewNotOpen,
        NativeErrorCode::Busy,
        NativeErrorCode::CaptureFailed,
        NativeErrorCode::UsageDescriptionMissing,
        NativeErrorCode::TorchUnavailable,
    ];

    /// The code as the native side writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            NativeErrorCode::PermissionDenied => "permissionDenied",
            NativeErrorCode::NoCamera => "noCamera",
            NativeErrorCode::PreviewNotOpen => "previewNotOpen",
            NativeErrorCode::Busy => "busy",
            NativeErrorCode::CaptureFailed => "captureFailed",
            NativeErrorCode::UsageDescriptionMissing => "usageDescriptionMissing",
            NativeErrorCode::TorchUnavailable => "torchUnavailable",
        }
    }

    /// The dotted code the UI knows for this native code: [`Error::code`] of its mapping. Swift
    /// rejects the permission commands with it directly, because Tauri hands
    /// `check_permissions`/`request_permissions` straight to the native plugin (they have no Rust
    /// handler), so no mapping runs between the native side and the WebView.
    pub fn dotted(self) -> &'static str {
        Error::from_native(Some(self.as_str()), None).code()
    }

    /// The code named `s`, if it is one of ours.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}
