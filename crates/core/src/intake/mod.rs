//! Image intake: what happens to every captured image before it is sealed in the vault.
//!
//! Promises kept here:
//! - **Refuse before decoding.** [`probe`] identifies the format from the bytes (JPEG, PNG) and
//!   reads the dimensions from the header (JPEG SOFn, PNG IHDR); images over the policy's byte or
//!   pixel limits, and decompression bombs (far more pixels claimed than the bytes can hold), are
//!   refused before a single pixel is decoded. Every refusal is a specific [`IntakeError`].
//! - **Metadata stripped losslessly.** [`intake`] rewrites the file at the marker (JPEG) or chunk
//!   (PNG) level: EXIF (GPS, maker notes, serial numbers, timestamps), XMP, IPTC, comments, other
//!   APPn/ancillary chunks and trailing data go; the ICC profile stays, and the orientation stays as
//!   a minimal EXIF holding only the Orientation tag. The compressed image data and its tables are
//!   copied byte for byte: the photo is **not** re-encoded.
//! - **Thumbnails without a full decode.** JPEG thumbnails are decoded DCT-scaled (1/2, 1/4 or 1/8
//!   in each axis; at 1/8 from the DC coefficients alone by [`dc`], otherwise by `jpeg-decoder`),
//!   then box-filtered to [`IntakePolicy::thumbnail_edge`] and turned upright, so a 48 MP photo
//!   never exists as 48 MP of pixels. PNG cannot be DCT-scaled; it is decoded row by row into the
//!   small thumbnail, so memory stays bounded all the same.
//! - **Quality advice** ([`Quality`]) from the thumbnail: blur and clipped exposure.
//! - **Redaction** ([`redact`]): solid black rectangles and a crop, on the full upright image,
//!   re-encoded once, with the ICC profile and no EXIF.
//!
//! - **Sealing** ([`seal_photo`], [`seal_intake`]): the stripped image and its thumbnail go into the
//!   [`Vault`](crate::vault::Vault) as two items; if either fails, neither stays.
//!
//! What it does not do: say whose the sealed items are (the visit's manifest names them,
//! [`crate::visit`]), shred the unredacted original (the visit does, once the redacted one is
//! named), or write anything to disk but through the vault: every buffer it returns wipes itself on
//! drop. Decoders' internal buffers are not wiped.
//! See `docs/intake.md`.

mod dc;
mod error;
mod exif;
mod jpeg;
mod pixels;
mod png;
mod quality;
mod redact;
mod seal;
#[cfg(test)]
mod tests;

use std::io::Cursor;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use error::IntakeError;
pub use quality::{Quality, BRIGHT_LEVEL, DARK_LEVEL};
pub use redact::{Rect, Redaction, MAX_FILLS, REDACTED_QUALITY};
pub use seal::{seal_intake, seal_photo, SealedPhoto};
// For delivery's lossless turn, which reads a sealed JPEG's coefficients as intake reads them.
pub(crate) use dc::{coefficients as jpeg_coefficients, CoefficientPlane, Coefficients};
pub(crate) use jpeg::{walk as walk_jpeg, Part as JpegPart};

use pixels::{fit, Pixels, Shrink};

/// A claim of more pixels per input byte than this is a decompression bomb. Real photos are far
/// below it: a flat JPEG compresses to about 60-170 pixels per byte, an 8-bit PNG to at most about
/// 350. Only images of at least [`BOMB_MIN_PIXELS`] are judged, so small flat images (a black test
/// frame) pass.
pub const MAX_PIXELS_PER_BYTE: u64 = 1024;
/// Images with fewer pixels than this are never judged bombs (decoding them is cheap anyway).
pub const BOMB_MIN_PIXELS: u64 = 1 << 22;
/// JPEG quality of thumbnails.
pub const THUMBNAIL_QUALITY: u8 = 85;

/// The limits and thresholds intake applies. [`Default`] suits ward photos from phone cameras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntakePolicy {
    /// Most pixels (width x height) an image may have; default 50 MP.
    pub max_pixels: u64,
    /// Most bytes an image file may have; default 64 MB.
    pub max_bytes: usize,
    /// Long edge of the thumbnail in pixels; default 320. Images smaller than this are not enlarged.
    pub thumbnail_edge: u32,
    /// Share of edges with fine detail ([`Quality::fine_detail`], percent) below which a photo is
    /// flagged as blurred; default 35, calibrated on photographs and their blurred copies (see
    /// `docs/intake.md`).
    #[serde(default = "default_min_fine_detail")]
    pub min_fine_detail: f32,
    /// [`Quality::detail_balance`] below which a photo is flagged as blurred (by motion); default
    /// 0.6, calibrated with `min_fine_detail`.
    #[serde(default = "default_min_detail_balance")]
    pub min_detail_balance: f32,
    /// Sharpness (variance of the Laplacian on the thumbnail) below which a photo is flagged as
    /// blurred when [`Quality::fine_detail`] could not be measured (PNG, progressive JPEG, small
    /// photos, too few edges); default 100, calibrated by the tests on sharp and blurred copies of
    /// one image.
    pub min_sharpness: f32,
    /// Fraction of crushed-black (or blown-white) pixels above which a photo is flagged too dark
    /// (too bright); default 0.5.
    pub max_clipped_fraction: f32,
    /// Threads that decode a JPEG's coefficients for the thumbnail, when the encoder wrote restart
    /// markers; 0 (the default) for one per core, up to 8. Small photos use one whatever this says.
    #[serde(default)]
    pub decode_threads: usize,
}

fn default_min_fine_detail() -> f32 {
    DEFAULT_MIN_FINE_DETAIL
}

fn default_min_detail_balance() -> f32 {
    DEFAULT_MIN_DETAIL_BALANCE
}

/// Default of [`IntakePolicy::min_fine_detail`].
pub const DEFAULT_MIN_FINE_DETAIL: f32 = 35.0;
/// Default of [`IntakePolicy::min_detail_balance`].
pub const DEFAULT_MIN_DETAIL_BALANCE: f32 = 0.6;

impl Default for IntakePolicy {
    fn default() -> Self {
        IntakePolicy {
            max_pixels: 50_000_000,
            max_bytes: 64 * 1024 * 1024,
            thumbnail_edge: 320,
            min_fine_detail: DEFAULT_MIN_FINE_DETAIL,
            min_detail_balance: DEFAULT_MIN_DETAIL_BALANCE,
            min_sharpness: 100.0,
            max_clipped_fraction: 0.5,
            decode_threads: 0,
        }
    }
}

/// An image format intake accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageFormat {
    /// JPEG (JFIF/EXIF), as phone cameras write.
    Jpeg,
    /// PNG, as the desktop WebView's canvas may send.
    Png,
}

/// What the header says about an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// The format, from the bytes (never from a name or MIME type).
    pub format: ImageFormat,
    /// Stored width in pixels (before orientation is applied).
    pub width: u32,
    /// Stored height in pixels (before orientation is applied).
    pub height: u32,
    /// EXIF orientation 1..=8 (1 when absent): how the stored pixels must be turned to be upright.
    pub orientation: u8,
}

impl ImageInfo {
    /// Width and height as the image is displayed (swapped for orientations 5 to 8).
    pub fn upright_size(&self) -> (u32, u32) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// An image that passed intake, ready to seal.
#[derive(Debug)]
pub struct Intake {
    /// What the header says.
    pub info: ImageInfo,
    /// The image with its metadata stripped (same format as the input; see the module doc).
    pub image: Zeroizing<Vec<u8>>,
    /// An upright JPEG thumbnail, long edge [`IntakePolicy::thumbnail_edge`], with no EXIF.
    pub thumbnail: Zeroizing<Vec<u8>>,
    /// Width and height the pixels were decoded at to make the thumbnail: for JPEG a DCT-scaled
    /// size (1/8 of the photo's for large photos), never the full size unless the photo is small.
    pub decoded_size: (u32, u32),
    /// Quality advice for the Review screen.
    pub quality: Quality,
}

enum Header {
    Jpeg(jpeg::Header),
    Png(png::Header),
}

impl Header {
    fn info(&self) -> ImageInfo {
        match self {
            Header::Jpeg(h) => ImageInfo {
                format: ImageFormat::Jpeg,
                width: h.width,
                height: h.height,
                orientation: h.orientation,
            },
            Header::Png(h) => ImageInfo {
                format: ImageFormat::Png,
                width: h.width,
                height: h.height,
                orientation: h.orientation,
            },
        }
    }
}

/// Recognises formats intake refuses, to tell the clinician what to change.
fn other_format(bytes: &[u8]) -> Option<&'static str> {
    let at = |i: usize, s: &[u8]| bytes.get(i..i + s.len()) == Some(s);
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("GIF")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("WebP")
    } else if at(4, b"ftyp") && (at(8, b"avif") || at(8, b"avis")) {
        Some("AVIF")
    } else if at(4, b"ftyp")
        && [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
        ]
        .iter()
        .any(|b| at(8, *b))
    {
        Some("HEIC")
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        Some("TIFF")
    } else if at(0, &[0xFF, 0x0A]) || at(0, b"\0\0\0\x0cJXL \r\n\x87\n") {
        Some("JPEG XL")
    } else {
        None
    }
}

/// Size and format checks that need no parsing.
fn precheck(bytes: &[u8], policy: &IntakePolicy) -> Result<ImageFormat, IntakeError> {
    if bytes.is_empty() {
        return Err(IntakeError::Empty);
    }
    if bytes.len() > policy.max_bytes {
        return Err(IntakeError::TooLarge {
            bytes: bytes.len(),
            max: policy.max_bytes,
        });
    }
    if jpeg::is_jpeg(bytes) {
        Ok(ImageFormat::Jpeg)
    } else if png::is_png(bytes) {
        Ok(ImageFormat::Png)
    } else if bytes.len() >= 2 && (png::SIGNATURE.starts_with(bytes) || bytes == [0xFF, 0xD8]) {
        // The start of a JPEG or PNG signature and nothing more: a cut transfer.
        Err(IntakeError::Truncated)
    } else if let Some(format) = other_format(bytes) {
        Err(IntakeError::UnsupportedFormat { format })
    } else {
        Err(IntakeError::NotAnImage)
    }
}

fn check_size(info: &ImageInfo, bytes: usize, policy: &IntakePolicy) -> Result<(), IntakeError> {
    let pixels = u64::from(info.width) * u64::from(info.height);
    if pixels > policy.max_pixels {
        return Err(IntakeError::TooManyPixels {
            width: info.width,
            height: info.height,
            max_pixels: policy.max_pixels,
        });
    }
    if pixels >= BOMB_MIN_PIXELS && pixels > MAX_PIXELS_PER_BYTE.saturating_mul(bytes as u64) {
        return Err(IntakeError::DecompressionBomb {
            width: info.width,
            height: info.height,
            bytes,
        });
    }
    Ok(())
}

fn header(bytes: &[u8], policy: &IntakePolicy) -> Result<Header, IntakeError> {
    let header = match precheck(bytes, policy)? {
        ImageFormat::Jpeg => Header::Jpeg(jpeg::header(bytes)?),
        ImageFormat::Png => Header::Png(png::header(bytes)?),
    };
    check_size(&header.info(), bytes.len(), policy)?;
    Ok(header)
}

/// Identifies the image and reads its size and orientation from the header, refusing it if it is
/// empty, not an image, malformed, or over the policy's limits. Decodes no pixels.
pub fn probe(bytes: &[u8], policy: &IntakePolicy) -> Result<ImageInfo, IntakeError> {
    header(bytes, policy).map(|h| h.info())
}

/// Checks, strips and thumbnails a captured image (see the module doc). The result is ready to
/// seal; nothing has been written anywhere.
pub fn intake(bytes: &[u8], policy: &IntakePolicy) -> Result<Intake, IntakeError> {
    let stripped = strip(bytes, policy)?;
    let thumbnail = stripped.thumbnail(policy)?;
    Ok(Intake {
        info: stripped.info,
        image: stripped.image,
        thumbnail: thumbnail.jpeg,
        decoded_size: thumbnail.decoded_size,
        quality: thumbnail.quality,
    })
}

/// An image checked and stripped, its thumbnail not yet made: the first half of [`intake`], so
/// [`seal_photo`] can seal the image while the thumbnail is decoded.
struct Stripped<'a> {
    info: ImageInfo,
    image: Zeroizing<Vec<u8>>,
    source: Source<'a>,
}

/// The second half of [`intake`]'s result; see [`Intake`] for the fields.
struct Thumbnail {
    jpeg: Zeroizing<Vec<u8>>,
    decoded_size: (u32, u32),
    quality: Quality,
}

/// What the thumbnail is decoded from, besides the stripped image.
enum Source<'a> {
    /// The input's marker segments and entropy-coded data: the strip copied the tables and data
    /// byte for byte, so they describe the stripped image's pixels too.
    Jpeg(Vec<jpeg::Part<'a>>),
    Png(png::Header),
}

/// Checks and strips (the first half of [`intake`]).
fn strip<'a>(bytes: &'a [u8], policy: &IntakePolicy) -> Result<Stripped<'a>, IntakeError> {
    let info = probe(bytes, policy)?;
    let (image, source) = match info.format {
        ImageFormat::Jpeg => {
            let parts = jpeg::walk(bytes, false)?;
            let (image, _) = jpeg::strip(&parts, bytes.len())?;
            (image, Source::Jpeg(parts))
        }
        ImageFormat::Png => {
            let (image, header) = png::strip(bytes)?;
            (image, Source::Png(header))
        }
    };
    Ok(Stripped {
        info,
        image: Zeroizing::new(image),
        source,
    })
}

impl Stripped<'_> {
    /// The upright JPEG thumbnail, the size decoded to make it, and quality advice (the second
    /// half of [`intake`]).
    fn thumbnail(&self, policy: &IntakePolicy) -> Result<Thumbnail, IntakeError> {
        let info = &self.info;
        let scaled = match &self.source {
            Source::Jpeg(parts) => jpeg_thumbnail(&self.image, Whole::Given, parts, info, policy)?,
            Source::Png(header) => {
                let target = fit(info.width, info.height, policy.thumbnail_edge);
                let thumb = png::thumbnail(&self.image, header, target, decode_limit(policy))?;
                (thumb, (info.width, info.height), None, None)
            }
        };
        finish_thumbnail(scaled, info, policy)
    }
}

/// Turns a thumbnail upright, judges its quality and encodes it.
fn finish_thumbnail(
    (thumb, decoded_size, icc, sharpness): ScaledThumbnail,
    info: &ImageInfo,
    policy: &IntakePolicy,
) -> Result<Thumbnail, IntakeError> {
    let thumb = thumb.oriented(info.orientation);
    let quality = quality::assess(&thumb, sharpness, policy);
    Ok(Thumbnail {
        jpeg: thumb.encode_jpeg(THUMBNAIL_QUALITY, icc.as_deref())?,
        decoded_size,
        quality,
    })
}

/// An image checked as [`strip`] checks it, a JPEG not yet copied: [`seal_photo`] copies and
/// seals it on one thread while the thumbnail is decoded from the input on another, so the copy
/// (a few milliseconds at 48 MP, more when its pages are new) does not delay the thumbnail.
enum Checked<'a> {
    Jpeg {
        info: ImageInfo,
        bytes: &'a [u8],
        parts: Vec<jpeg::Part<'a>>,
        /// The stripped image's headers ([`jpeg::stripped_headers`]).
        headers: Zeroizing<Vec<u8>>,
    },
    Stripped(Stripped<'a>),
}

/// Checks `bytes` as [`strip`] does, refusing what it refuses, without copying a JPEG.
fn check<'a>(bytes: &'a [u8], policy: &IntakePolicy) -> Result<Checked<'a>, IntakeError> {
    let info = probe(bytes, policy)?;
    Ok(match info.format {
        ImageFormat::Jpeg => {
            let parts = jpeg::walk(bytes, false)?;
            // What makes the strip fail makes this fail: the copy cannot fail later.
            let headers = Zeroizing::new(jpeg::stripped_headers(&parts)?);
            Checked::Jpeg {
                info,
                bytes,
                parts,
                headers,
            }
        }
        ImageFormat::Png => Checked::Stripped(strip(bytes, policy)?),
    })
}

impl Checked<'_> {
    fn info(&self) -> ImageInfo {
        match self {
            Checked::Jpeg { info, .. } => *info,
            Checked::Stripped(s) => s.info,
        }
    }

    /// Calls `f` with the stripped image, copied now for a JPEG (and wiped after).
    fn with_image<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R, IntakeError> {
        match self {
            Checked::Jpeg { bytes, parts, .. } => {
                let image = Zeroizing::new(jpeg::strip(parts, bytes.len())?.0);
                Ok(f(&image))
            }
            Checked::Stripped(s) => Ok(f(&s.image)),
        }
    }

    /// As [`Stripped::thumbnail`], a JPEG decoded from the input's parts.
    fn thumbnail(&self, policy: &IntakePolicy) -> Result<Thumbnail, IntakeError> {
        match self {
            Checked::Jpeg {
                info,
                bytes,
                parts,
                headers,
            } => {
                let whole = Whole::Parts(parts, bytes.len());
                let scaled = jpeg_thumbnail(headers, whole, parts, info, policy)?;
                finish_thumbnail(scaled, info, policy)
            }
            Checked::Stripped(s) => s.thumbnail(policy),
        }
    }
}

/// Threads for decoding coefficients under `policy`.
fn decode_threads(policy: &IntakePolicy) -> dc::Decoding {
    dc::Decoding::new(match policy.decode_threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    })
}

/// Bytes a decoder may allocate: the largest image the policy allows, as RGBA, plus slack.
fn decode_limit(policy: &IntakePolicy) -> usize {
    usize::try_from(policy.max_pixels.saturating_mul(4))
        .unwrap_or(usize::MAX)
        .saturating_add(16 << 20)
}

/// Where `jpeg-decoder` finds the whole stripped image when it must decode it: in the bytes it
/// was given to check, or to be made from the input's parts (and its length) only then.
enum Whole<'i, 'a> {
    Given,
    Parts(&'i [jpeg::Part<'a>], usize),
}

/// A thumbnail in stored orientation, the size it was decoded at, the ICC profile, and the blur
/// estimate from the coefficients when the DC-only decoder made it.
type ScaledThumbnail = (Pixels, (u32, u32), Option<Vec<u8>>, Option<dc::Sharpness>);

/// DCT-scaled decode, then box filter to the thumbnail size (still in stored orientation). At
/// 1/8 scale, the usual one for photos, the DC-only decoder ([`dc`]) does the decode when it can;
/// otherwise `jpeg-decoder` decodes at the smallest of 1/8, 1/4, 1/2 or 1 that is no smaller than
/// the thumbnail, which is the same rule.
///
/// `headers` is the stripped image, or its start to the frame header ([`jpeg::stripped_headers`]):
/// `jpeg-decoder` reads no further to check it and find its ICC profile. `whole` says where the
/// stripped image is for `jpeg-decoder` to decode when the DC-only decoder cannot.
fn jpeg_thumbnail(
    headers: &[u8],
    whole: Whole<'_, '_>,
    parts: &[jpeg::Part<'_>],
    info: &ImageInfo,
    policy: &IntakePolicy,
) -> Result<ScaledThumbnail, IntakeError> {
    let target = fit(info.width, info.height, policy.thumbnail_edge);
    let mut decoder = open_jpeg(headers, policy)?;
    let eighth = (info.width.div_ceil(8), info.height.div_ceil(8));
    if eighth.0 >= target.0 || eighth.1 >= target.1 {
        if let Some((thumb, sharpness)) = dc::eighth_shrunk(parts, decode_threads(policy), target) {
            return Ok((thumb, eighth, decoder.icc_profile(), Some(sharpness)));
        }
    }
    let copy;
    if let Whole::Parts(parts, len) = whole {
        copy = Zeroizing::new(jpeg::strip(parts, len)?.0);
        decoder = open_jpeg(&copy, policy)?;
    }
    // `fit` never exceeds the stored size, which the header holds as u16.
    let (sw, sh) = decoder.scale(
        u16::try_from(target.0).unwrap_or(u16::MAX),
        u16::try_from(target.1).unwrap_or(u16::MAX),
    )?;
    let data = decoder.decode()?;
    let format = decoder
        .info()
        .ok_or_else(|| IntakeError::malformed("no frame header"))?
        .pixel_format;
    let scaled = pixels::from_jpeg(format, u32::from(sw), u32::from(sh), data)?;
    Ok((
        shrink(&scaled, target),
        (scaled.width, scaled.height),
        decoder.icc_profile(),
        None,
    ))
}

/// A `jpeg-decoder` for `bytes` under the policy's memory limit, its headers read.
fn open_jpeg<'b>(
    bytes: &'b [u8],
    policy: &IntakePolicy,
) -> Result<jpeg_decoder::Decoder<Cursor<&'b [u8]>>, IntakeError> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(decode_limit(policy));
    decoder.read_info()?;
    Ok(decoder)
}

/// Box-filters decoded pixels down to `target`.
fn shrink(scaled: &Pixels, target: (u32, u32)) -> Pixels {
    let mut shrink = Shrink::new((scaled.width, scaled.height), target, scaled.channels);
    let row = scaled.width as usize * usize::from(scaled.channels);
    for (y, line) in scaled.data.chunks_exact(row).enumerate() {
        shrink.add_row(y as u32, line);
    }
    shrink.finish()
}

/// Applies a [`Redaction`] to the full-resolution image: decodes it once, turns it upright, paints
/// the rectangles solid black, crops, and re-encodes it once as JPEG (quality
/// [`REDACTED_QUALITY`]) with its ICC profile and no EXIF. Returns the result passed through
/// [`intake`], so it comes with its new thumbnail and quality. Empty, out-of-range or non-numeric
/// rectangles are refused before anything is decoded.
///
/// The caller must then delete the unredacted original from the vault: this function cannot.
pub fn redact(
    bytes: &[u8],
    redaction: &Redaction,
    policy: &IntakePolicy,
) -> Result<Intake, IntakeError> {
    redaction.check()?;
    let info = probe(bytes, policy)?;
    let (image, icc) = match info.format {
        ImageFormat::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
            decoder.set_max_decoding_buffer_size(decode_limit(policy));
            let data = decoder.decode()?;
            let format = decoder
                .info()
                .ok_or_else(|| IntakeError::malformed("no frame header"))?
                .pixel_format;
            let image = pixels::from_jpeg(format, info.width, info.height, data)?;
            (image, decoder.icc_profile())
        }
        ImageFormat::Png => png::decode_full(bytes, decode_limit(policy))?,
    };
    let edited = redact::apply(image.oriented(info.orientation), redaction)?;
    let encoded = edited.encode_jpeg(REDACTED_QUALITY, icc.as_deref())?;
    intake(&encoded, policy)
}

/// The body of the `intake` fuzz target (`fuzz/fuzz_targets/intake.rs`), kept here so a normal unit
/// test runs it over random and mutated inputs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{dc, intake as run_intake, jpeg, probe, redact, IntakePolicy, Rect, Redaction};

    /// A small policy so each input stays cheap (4 MP, 64 px thumbnails).
    pub fn policy() -> IntakePolicy {
        IntakePolicy {
            max_pixels: 4_000_000,
            max_bytes: 4 << 20,
            thumbnail_edge: 64,
            ..IntakePolicy::default()
        }
    }

    /// Runs `data` through the DC-only decoder, probe, intake and redaction. Panics only if an
    /// invariant breaks: intake accepts only what probe accepts, with the same header; stripping
    /// is idempotent; the thumbnail is an image no larger than the policy's edge; nothing panics.
    pub fn intake(data: &[u8]) {
        // The DC-only decoder directly, as small inputs rarely reach it through intake (it only
        // serves thumbnails at 1/8 scale).
        if let Ok(parts) = jpeg::walk(data, false) {
            let one = dc::eighth(&parts, dc::Decoding::new(1));
            let split = dc::eighth(&parts, dc::Decoding::eager(3));
            assert!(
                one.as_ref().map(|(p, s)| (&p.data, s))
                    == split.as_ref().map(|(p, s)| (&p.data, s)),
                "decoding on threads differs from one thread"
            );
        }
        let policy = policy();
        let probed = probe(data, &policy);
        let Ok(out) = run_intake(data, &policy) else {
            return;
        };
        assert!(
            probed.as_ref() == Ok(&out.info),
            "intake accepted what probe did not"
        );
        let again = run_intake(&out.image, &policy);
        assert!(again.is_ok(), "the stripped image is refused");
        if let Ok(again) = again {
            assert!(again.image == out.image, "stripping is not idempotent");
            assert!(again.info == out.info, "stripping changed the header");
        }
        let thumb = probe(&out.thumbnail, &IntakePolicy::default());
        assert!(
            thumb.is_ok_and(|t| t.width.max(t.height) <= policy.thumbnail_edge && t.orientation == 1),
            "bad thumbnail"
        );
        let r = Redaction {
            crop: Some(Rect {
                x: 0.1,
                y: 0.0,
                width: 0.8,
                height: 1.0,
            }),
            fills: vec![Rect {
                x: 0.25,
                y: 0.25,
                width: 0.5,
                height: 0.25,
            }],
        };
        let _ = redact(data, &r, &policy);
    }

    /// The body of the `intake_dc_pairs` fuzz target: the input is a JPEG whose DC coefficients
    /// (and blur estimate) are decoded looking up two AC codes at a time and one at a time. Both
    /// must give the same pixels and estimate, or both refuse. Panics otherwise.
    pub fn dc_pairs(data: &[u8]) {
        let Ok(parts) = jpeg::walk(data, false) else {
            return;
        };
        let reference = dc::eighth(&parts, dc::Decoding::new(1).one_code_at_a_time());
        let pairs = dc::eighth(&parts, dc::Decoding::new(1));
        assert!(
            reference.as_ref().map(|(p, s)| (&p.data, s))
                == pairs.as_ref().map(|(p, s)| (&p.data, s)),
            "two codes per lookup differ from one"
        );
    }

    /// The body of the `intake_dc_split` fuzz target: the first byte picks 2 to 8 threads, the
    /// rest is a JPEG. Decoding it split (at restart markers, or without them where the codes
    /// fall into step, however small the image) must give exactly what one thread gives: the
    /// same pixels and blur estimate, or the same refusal. Panics otherwise.
    pub fn dc_split(data: &[u8]) {
        let Some((&pick, jpeg)) = data.split_first() else {
            return;
        };
        let Ok(parts) = jpeg::walk(jpeg, false) else {
            return;
        };
        let threads = 2 + usize::from(pick % 7);
        let one = dc::eighth(&parts, dc::Decoding::new(1));
        let split = dc::eighth(&parts, dc::Decoding::eager(threads));
        assert!(
            one.as_ref().map(|(p, s)| (&p.data, s)) == split.as_ref().map(|(p, s)| (&p.data, s)),
            "decoding on {threads} threads differs from one thread"
        );
    }
}
