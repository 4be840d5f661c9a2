//! Why an image was refused at intake, in words a clinician or device manager can act on.
//!
//! Every refusal of untrusted bytes has its own variant and code, so the Capture screen can say
//! whether to retake, change a camera setting or report the device. No message carries image
//! content, metadata values or patient identifiers.

/// An image refused by [`probe`](super::probe), [`intake`](super::intake) or
/// [`redact`](super::redact). Nothing is kept when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntakeError {
    /// No bytes at all reached intake.
    #[error("The camera returned an empty picture. Retake the photo.")]
    Empty,
    /// The bytes are not a picture WardCam recognises (not JPEG, PNG, or a known other format).
    #[error("What the camera sent is not a picture. Retake the photo; if this keeps happening, report the device to the device manager.")]
    NotAnImage,
    /// A picture, but in a format intake does not accept (HEIC, WebP, GIF...).
    #[error("The camera sent a {format} picture, which WardCam does not accept. Set the camera to JPEG (on iPhone: Settings > Camera > Formats > Most Compatible) and retake the photo.")]
    UnsupportedFormat {
        /// The format recognised from the bytes.
        format: &'static str,
    },
    /// The file is larger than the policy allows.
    #[error("The picture is too large ({bytes} bytes; the limit is {max}). Lower the camera resolution and retake the photo.")]
    TooLarge {
        /// The input's length.
        bytes: usize,
        /// The policy's limit.
        max: usize,
    },
    /// The header claims more pixels than the policy allows (checked before any decoding).
    #[error("The picture is too large ({width} x {height} pixels; the limit is {max_pixels} pixels). Lower the camera resolution and retake the photo.")]
    TooManyPixels {
        /// Width claimed by the header.
        width: u32,
        /// Height claimed by the header.
        height: u32,
        /// The policy's limit.
        max_pixels: u64,
    },
    /// The header claims far more pixel data than so few bytes can hold for a photo: a
    /// decompression bomb, refused before decoding.
    #[error("The picture's header claims {width} x {height} pixels in only {bytes} bytes, which no camera produces. It was refused as unsafe; retake the photo and report the device to the device manager if this repeats.")]
    DecompressionBomb {
        /// Width claimed by the header.
        width: u32,
        /// Height claimed by the header.
        height: u32,
        /// The input's length.
        bytes: usize,
    },
    /// The picture ends early, for instance because the transfer from the camera was cut.
    #[error("The picture is incomplete (it ends early). Retake the photo.")]
    Truncated,
    /// The picture's structure is broken.
    #[error("The picture is damaged ({reason}) and cannot be used. Retake the photo.")]
    Malformed {
        /// What is wrong, without any image content.
        reason: String,
    },
    /// A valid picture using an encoding feature intake cannot decode (12-bit arithmetic-coded
    /// JPEG, for instance).
    #[error("The picture uses an encoding WardCam cannot read ({feature}). Set the camera to standard JPEG and retake the photo.")]
    UnsupportedEncoding {
        /// The feature, as the decoder names it.
        feature: String,
    },
    /// A redaction rectangle is empty, outside the picture, or not a number.
    #[error("The redaction cannot be applied: {reason}. Redraw the rectangle inside the picture.")]
    BadRedaction {
        /// What is wrong with the rectangle.
        reason: String,
    },
    /// Encoding the thumbnail or the redacted picture failed.
    #[error("WardCam could not encode the picture ({reason}). Retake the photo; if this repeats, report it to the device manager.")]
    Encode {
        /// What the encoder said.
        reason: String,
    },
}

impl IntakeError {
    /// A stable, dotted machine code for this error (`intake.*`), shared with the UI.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::Empty => "intake.empty",
            IntakeError::NotAnImage => "intake.not_an_image",
            IntakeError::UnsupportedFormat { .. } => "intake.unsupported_format",
            IntakeError::TooLarge { .. } => "intake.too_large",
            IntakeError::TooManyPixels { .. } => "intake.too_many_pixels",
            IntakeError::DecompressionBomb { .. } => "intake.decompression_bomb",
            IntakeError::Truncated => "intake.truncated",
            IntakeError::Malformed { .. } => "intake.malformed",
            IntakeError::UnsupportedEncoding { .. } => "intake.unsupported_encoding",
            IntakeError::BadRedaction { .. } => "intake.bad_redaction",
            IntakeError::Encode { .. } => "intake.encode_failed",
        }
    }

    /// Every code [`Self::code`] returns, for the list the shell sends the UI (checked against
    /// `ui/src/lib/errors/codes.ts`); a test builds every variant and finds its code here.
    pub const CODES: &'static [&'static str] = &[
        "intake.empty",
        "intake.not_an_image",
        "intake.unsupported_format",
        "intake.too_large",
        "intake.too_many_pixels",
        "intake.decompression_bomb",
        "intake.truncated",
        "intake.malformed",
        "intake.unsupported_encoding",
        "intake.bad_redaction",
        "intake.encode_failed",
    ];

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        IntakeError::Malformed {
            reason: reason.into(),
        }
    }

    pub(crate) fn bad_redaction(reason: impl Into<String>) -> Self {
        IntakeError::BadRedaction {
            reason: reason.into(),
        }
    }
}

impl From<jpeg_decoder::Error> for IntakeError {
    fn from(e: jpeg_decoder::Error) -> Self {
        match e {
            jpeg_decoder::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                IntakeError::Truncated
            }
            jpeg_decoder::Error::Unsupported(feature) => IntakeError::UnsupportedEncoding {
                feature: format!("{feature:?}"),
            },
            other => IntakeError::malformed(other.to_string()),
        }
    }
}

impl From<png::DecodingError> for IntakeError {
    fn from(e: png::DecodingError) -> Self {
        match e {
            png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                IntakeError::Truncated
            }
            png::DecodingError::LimitsExceeded => IntakeError::malformed("exceeds decoding limits"),
            other => IntakeError::malformed(other.to_string()),
        }
    }
}

impl From<jpeg_encoder::EncodingError> for IntakeError {
    fn from(e: jpeg_encoder::EncodingError) -> Self {
        IntakeError::Encode {
            reason: e.to_string(),
        }
    }
}
