//! What crosses the plugin's boundaries: options from JS and the app, the photo handed back by
//! Kotlin/Swift, and the error codes the native side rejects with.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The largest photo the native side may hand over, in bytes. A 50 MP JPEG at quality 95 is
/// about 25 MB; anything far beyond that is a fault, and refusing it bounds the memory spent.
pub const MAX_PHOTO_BYTES: usize = 64 * 1024 * 1024;

/// Decoding configuration: padding optional (Swift strips it, Kotlin keeps it).
const ANY_PADDING: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
/// The URL-safe alphabet (`-_`) the native sides send.
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, ANY_PADDING);
/// The standard alphabet (`+/`), still accepted.
const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, ANY_PADDING);

/// Which camera the preview uses. Wound photos are taken with the back camera.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Facing {
    /// The camera on the back of the device.
    #[default]
    Back,
    /// The selfie camera.
    Front,
}

/// Flash behaviour for the next capture. Ward lighting varies, so the clinician chooses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FlashMode {
    /// Never fire: glare on moist wounds hides detail.
    #[default]
    Off,
    /// Always fire.
    On,
    /// The platform decides from the scene.
    Auto,
}

/// Options for opening the preview (from JS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreviewOptions {
    /// Which camera to show.
    pub facing: Facing,
}

/// A tap on the preview, as fractions of its width and height from the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FocusPoint {
    /// 0.0 (left edge) to 1.0 (right edge).
    pub x: f64,
    /// 0.0 (top edge) to 1.0 (bottom edge).
    pub y: f64,
}

impl FocusPoint {
    /// The point, if both coordinates lie on the preview; native code relies on this range.
    pub fn checked(self) -> Result<Self> {
        let on_preview = |v: f64| (0.0..=1.0).contains(&v);
        if on_preview(self.x) && on_preview(self.y) {
            Ok(self)
        } else {
            Err(Error::InvalidArgument {
                what: "focus point outside the preview",
            })
        }
    }
}

/// Options for one capture (from the app's Rust code; never from JS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaptureOptions {
    /// Flash for this photo; the preview's setting when `None`.
    pub flash: Option<FlashMode>,
    /// JPEG quality, 1 to 100. Checked here; today both native sides use a fixed high quality
    /// (CameraX 95, set when the preview opens; iOS its default), so it is a ceiling to grow into.
    pub jpeg_quality: u8,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            flash: None,
            jpeg_quality: 95,
        }
    }
}

impl CaptureOptions {
    /// The options, if the quality is in range.
    pub fn checked(self) -> Result<Self> {
        if (1..=100).contains(&self.jpeg_quality) {
            Ok(self)
        } else {
            Err(Error::InvalidArgument {
                what: "JPEG quality must be 1 to 100",
            })
        }
    }
}

/// A photo straight from the sensor's JPEG encoder, held only in memory and wiped on drop.
/// Nothing here has been stripped of metadata yet: hand it to intake before storing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedPhoto {
    /// The JPEG file's bytes (starts FF D8).
    pub bytes: Zeroizing<Vec<u8>>,
    /// Width in pixels as the encoder reported it (before any EXIF rotation).
    pub width: u32,
    /// Height in pixels as the encoder reported it.
    pub height: u32,
    /// The clockwise rotation, in degrees (0, 90, 180 or 270), that the platform says the JPEG's
    /// own EXIF Orientation tag already encodes: CameraX's `ImageInfo.rotationDegrees` ("for
    /// JPEG this value will match the rotation defined in the EXIF"); `None` from iOS, whose
    /// `fileDataRepresentation()` writes the orientation into the JPEG without reporting it.
    /// For diagnostics only: orientation travels in the JPEG's EXIF, which intake reads and keeps.
    pub rotation_degrees: Option<u16>,
}

/// The native `capture` response. Kotlin and Swift put the JPEG in base64 (URL-safe alphabet)
/// inside the plugin response because Tauri's mobile bridge carries JSON only. That text exists only in memory
/// (JNI string / Swift `String`, then serde_json's buffers, which this crate cannot wipe); the
/// copy we own is a [`Zeroizing`] string, wiped as soon as it is decoded.
// Used by mobile.rs; built on desktop too so its checks are unit-tested here.
#[cfg_attr(desktop, allow(dead_code))]
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaptureResponse {
    pub(crate) jpeg_base64: Zeroizing<String>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// Android only (`ImageInfo.rotationDegrees`); iOS leaves it out.
    #[serde(default)]
    pub(crate) rotation_degrees: Option<u16>,
}

#[cfg_attr(desktop, allow(dead_code))]
impl CaptureResponse {
    /// Decodes the photo, refusing empty, oversized, malformed or non-JPEG data.
    pub(crate) fn into_photo(self, max_bytes: usize) -> Result<CapturedPhoto> {
        let text = self.jpeg_base64.trim_end();
        if text.is_empty() {
            return Err(Error::CaptureFailed {
                reason: "the camera returned no image".into(),
            });
        }
        // Checked before decoding so an oversized response costs no further allocation.
        let estimate = base64::decoded_len_estimate(text.len());
        if estimate.saturating_sub(2) > max_bytes {
            return Err(Error::PhotoTooLarge {
                bytes: estimate,
                limit: max_bytes,
            });
        }
        // Both native sides send the URL-safe alphabet (`-_`, which org.json and JSONSerialization
        // leave alone, unlike `/`); Swift strips the padding, Kotlin keeps it. The standard
        // alphabet is still accepted: the two differ only in `+/` versus `-_`, so a text holding
        // `+` or `/` is standard and any other text decodes the same under either.
        let engine = if text.contains(['+', '/']) {
            &STANDARD_ANY_PADDING
        } else {
            &URL_SAFE_ANY_PADDING
        };
        // Sized up front so decoding never reallocates and leaves an unwiped copy behind.
        let mut bytes = Zeroizing::new(Vec::with_capacity(estimate));
        engine
            .decode_vec(text, &mut bytes)
            .map_err(|_| Error::BadResponse {
                what: "the photo data is not valid base64",
            })?;
        if bytes.len() > max_bytes {
            return Err(Error::PhotoTooLarge {
                bytes: bytes.len(),
                limit: max_bytes,
            });
        }
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            return Err(Error::BadResponse {
                what: "the photo is not a JPEG",
            });
        }
        if self.width == 0 || self.height == 0 {
            return Err(Error::BadResponse {
                what: "the photo has no size",
            });
        }
        if self
            .rotation_degrees
            .is_some_and(|r| !matches!(r, 0 | 90 | 180 | 270))
        {
            return Err(Error::BadResponse {
                what: "the photo's rotation is not a quarter turn",
            });
        }
        Ok(CapturedPhoto {
            bytes,
            width: self.width,
            height: self.height,
            rotation_degrees: self.rotation_degrees,
        })
    }
}
