//! The JPEG a photo goes to PACS with: its sealed image as it is whenever DICOM's JPEG Baseline
//! can carry it upright; turned upright losslessly in the DCT domain when only its EXIF
//! orientation stands in the way and its size allows ([`super::dct_turn`]); otherwise one
//! re-encode of the upright pixels.
//!
//! Intake keeps the photo's bytes and drops its EXIF, so a turn the camera recorded lives only in
//! the manifest's orientation. A PACS viewer would show the stored pixels sideways, so they are
//! turned here.
//!
//! Buffers holding the photo (coefficients, decoded pixels, the new JPEG) wipe themselves on
//! drop; the decoders' own internal buffers are not wiped.

use std::io::Cursor;
use std::ops::Deref;

use zeroize::Zeroizing;

use super::dct_turn;
use super::jpeg_frame::{baseline_frame, describe};
use super::DeliveryError;
use crate::intake::{ImageFormat, ImageInfo};
use crate::wiping::WipingBuf;

/// JPEG quality of the one re-encode: high, so the second lossy step adds little to the phone's
/// own (usually near 90).
pub const REENCODE_QUALITY: u8 = 95;
/// Most pixels (width x height) a photo may have to be decoded and re-encoded here: twice intake's
/// default limit, so no photo intake accepts by default is refused, while the pixels in memory
/// (3 bytes each, decoded and turned) stay near 600 MB at worst; a 48 MP photo peaks near 300 MB.
pub const MAX_REENCODE_PIXELS: u64 = 100_000_000;
/// A JPEG frame header (and DICOM's Rows and Columns) holds each side in 16 bits.
const MAX_SIDE: u32 = u16::MAX as u32;
/// What the decoders may allocate: a 4-byte (CMYK) pixel buffer of the largest photo, plus room for
/// tables and rows.
const DECODE_LIMIT: usize = (MAX_REENCODE_PIXELS as usize)
    .saturating_mul(4)
    .saturating_add(16 << 20);

const NOT_THE_SIZE: DeliveryError = DeliveryError::ImageDamaged {
    detail: "not the size its record says",
};

/// The JPEG to encapsulate, and how it came to be.
pub(crate) enum Deliverable<'a> {
    /// The sealed image itself: a baseline JPEG stored upright. Not copied.
    AsIs(&'a [u8]),
    /// The sealed image turned upright for its EXIF `orientation` without decoding it: the same
    /// coefficients, moved (see [`super::dct_turn`]).
    Turned {
        /// The turned JPEG (wiped on drop).
        jpeg: Zeroizing<Vec<u8>>,
        orientation: u8,
    },
    /// One re-encode of the upright pixels as 8-bit baseline JPEG.
    Reencoded {
        /// The new JPEG (wiped on drop).
        jpeg: Zeroizing<Vec<u8>>,
        /// What was done, for the DICOM object to say.
        how: Reencoding,
    },
}

/// Kind and length only: the bytes are the patient's photo.
impl std::fmt::Debug for Deliverable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Deliverable::AsIs(jpeg) => write!(f, "AsIs({} bytes)", jpeg.len()),
            Deliverable::Turned { jpeg, orientation } => {
                write!(f, "Turned({} bytes, orientation {orientation})", jpeg.len())
            }
            Deliverable::Reencoded { jpeg, how } => {
                write!(f, "Reencoded({} bytes, {how:?})", jpeg.len())
            }
        }
    }
}

impl Deref for Deliverable<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Deliverable::AsIs(jpeg) => jpeg,
            Deliverable::Turned { jpeg, .. } | Deliverable::Reencoded { jpeg, .. } => jpeg,
        }
    }
}

/// What was done to the sealed image's pixels, for the DICOM object to say.
pub(crate) struct Derivation {
    /// Derivation Description (0008,2111), in words PACS staff read.
    pub(crate) description: String,
    /// The sealed image's own compression ratio when a re-encode made it the first of two lossy
    /// steps.
    pub(crate) source_ratio: Option<f64>,
}

impl Deliverable<'_> {
    /// `None` when the sealed image goes as it is.
    pub(crate) fn derivation(&self) -> Option<Derivation> {
        match self {
            Deliverable::AsIs(_) => None,
            Deliverable::Turned { orientation, .. } => Some(Derivation {
                description: format!(
                    "turned upright (EXIF orientation {orientation}) losslessly in the DCT \
                     domain, not re-encoded"
                ),
                source_ratio: None,
            }),
            Deliverable::Reencoded { how, .. } => Some(Derivation {
                description: how.description(),
                source_ratio: how.source_ratio,
            }),
        }
    }
}

/// What a re-encode did, for Derivation Description and Lossy Image Compression Ratio.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reencoding {
    /// The EXIF orientation turned into the pixels (1: not turned).
    pub(crate) orientation: u8,
    /// Why the sealed image could not go as it is, besides a turn: `PNG`, or the kind of JPEG
    /// (`progressive`, `unusual colour sampling`...).
    pub(crate) from: Option<&'static str>,
    /// The sealed image's own compression ratio when it was lossy (a JPEG): the first of the two
    /// lossy steps. `None` for PNG and lossless JPEG.
    pub(crate) source_ratio: Option<f64>,
}

impl Reencoding {
    /// Derivation Description (0008,2111): what was done to the pixels, in words PACS staff read.
    pub(crate) fn description(&self) -> String {
        let mut parts = Vec::new();
        if self.orientation != 1 {
            parts.push(format!(
                "turned upright (EXIF orientation {})",
                self.orientation
            ));
        }
        let from = match self.from {
            Some("PNG") => " from PNG".to_owned(),
            Some(kind) => format!(" from JPEG ({kind})"),
            None => String::new(),
        };
        parts.push(format!(
            "re-encoded once{from} as baseline JPEG (quality {REENCODE_QUALITY}, 4:2:0)"
        ));
        parts.join(", ")
    }
}

/// The JPEG to encapsulate for a photo whose manifest says `info`, from its sealed `image`.
///
/// - A baseline 8-bit JPEG (grey, or YCbCr/RGB that [`describe`] accepts) with orientation 1 is
///   returned as it is, borrowed: the clinician's pixels are not touched.
/// - The same with orientation 2 to 8 is turned upright losslessly ([`super::dct_turn`]) when its
///   width (for a mirror across) and height (for a mirror down) are whole MCUs.
/// - Anything else is decoded once, turned upright for its EXIF orientation (all eight,
///   transpose and transverse included), and re-encoded once as 8-bit baseline JPEG at
///   [`REENCODE_QUALITY`] with 4:2:0 chroma, no EXIF, and the ICC profile when the input had one
///   that still describes the output's colours: a JPEG with orientation 2 to 8 that cannot be turned
///   losslessly; a progressive,
///   extended sequential, lossless (8-bit), CMYK or oddly sampled JPEG; a PNG (grey, RGB,
///   palette, with or without alpha, 8 or 16 bits; alpha is flattened onto white, 16 bits are cut
///   to 8). Grey stays grey (one component); colour becomes YCbCr.
///
/// 4:2:0 rather than 4:4:4: the VL Image module asks for `YBR_FULL_422` for lossy JPEG colour
/// (PS3.3 C.8.12.1.1.1), a name PS3.5 §8.2.1 gives to subsampled chroma only; phone JPEGs are
/// 4:2:0 already, so there is no finer colour to keep; and 4:2:0 halves both axes alike, so a
/// quarter turn maps the source's chroma cells onto the output's.
///
/// Refused: an orientation outside 1 to 8 or a size other than the manifest's
/// ([`DeliveryError::ImageDamaged`]); more than [`MAX_REENCODE_PIXELS`] pixels or more than 65,535
/// a side when a re-encode is needed ([`DeliveryError::ImageTooLarge`], before decoding); a JPEG
/// `jpeg-decoder` cannot read, or one of more than 8 bits ([`DeliveryError::UnsupportedJpeg`]).
pub(crate) fn deliverable_jpeg<'a>(
    info: &ImageInfo,
    image: &'a [u8],
) -> Result<Deliverable<'a>, DeliveryError> {
    if !(1..=8).contains(&info.orientation) {
        return Err(DeliveryError::ImageDamaged {
            detail: "its record has an unknown orientation",
        });
    }
    let from = match info.format {
        ImageFormat::Jpeg => match baseline_frame(image).and_then(|f| describe(&f).map(|_| f)) {
            Ok(frame) => {
                if (u32::from(frame.width), u32::from(frame.height)) != (info.width, info.height) {
                    return Err(NOT_THE_SIZE);
                }
                if info.orientation == 1 {
                    return Ok(Deliverable::AsIs(image));
                }
                None
            }
            // Not baseline, or not a colour model DICOM takes: decoded below, if it can be.
            Err(DeliveryError::UnsupportedJpeg { detail }) => Some(detail),
            Err(e) => return Err(e),
        },
        ImageFormat::Png => Some("PNG"),
    };
    let (w, h) = (info.width, info.height);
    if u64::from(w) * u64::from(h) > MAX_REENCODE_PIXELS || w > MAX_SIDE || h > MAX_SIDE {
        return Err(DeliveryError::ImageTooLarge);
    }
    // Only the turn stands in the way: done on the coefficients when the size allows.
    if from.is_none() {
        if let Some(jpeg) = dct_turn::turned(image, info.orientation) {
            return Ok(Deliverable::Turned {
                jpeg,
                orientation: info.orientation,
            });
        }
    }
    let turn = Turn {
        orientation: info.orientation,
        width: w as usize,
        height: h as usize,
    };
    let decoded = match info.format {
        ImageFormat::Jpeg => decode_jpeg(image, turn)?,
        ImageFormat::Png => decode_png(image, turn)?,
    };
    let jpeg = encode(&decoded.upright, decoded.icc.as_deref(), image.len())?;
    Ok(Deliverable::Reencoded {
        jpeg,
        how: Reencoding {
            orientation: info.orientation,
            from,
            source_ratio: decoded.source_ratio,
        },
    })
}

/// A sealed image decoded and turned upright, with what the re-encode keeps of it.
struct Decoded {
    upright: Raster,
    /// Its ICC profile, if any.
    icc: Option<Vec<u8>>,
    /// Its own compression ratio, when it was lossy.
    source_ratio: Option<f64>,
}

/// 8-bit pixels, row-major, `channels` (1 = grey, 3 = RGB) bytes each.
struct Raster {
    width: usize,
    height: usize,
    channels: usize,
    data: Zeroizing<Vec<u8>>,
}

/// Where each stored pixel goes in the upright image, for an EXIF orientation: the stored image's
/// first row is the upright image's top (1 to 4) or a side (5 to 8), read from the corner the
/// orientation names.
#[derive(Debug, Clone, Copy)]
struct Turn {
    orientation: u8,
    /// Stored width and height.
    width: usize,
    height: usize,
}

impl Turn {
    /// Upright width and height (swapped for 5 to 8).
    fn upright(&self) -> (usize, usize) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }

    /// The upright image's pixel index of stored pixel (x, y).
    #[inline]
    fn index(&self, x: usize, y: usize) -> usize {
        let (w, h) = (self.width, self.height);
        match self.orientation {
            2 => y * w + (w - 1 - x),
            3 => (h - 1 - y) * w + (w - 1 - x),
            4 => (h - 1 - y) * w + x,
            // Transpose: stored rows become columns, left to right.
            5 => x * h + y,
            // A quarter turn clockwise.
            6 => x * h + (h - 1 - y),
            // Transverse.
            7 => (w - 1 - x) * h + (h - 1 - y),
            // A quarter turn anticlockwise.
            8 => (w - 1 - x) * h + y,
            _ => y * w + x,
        }
    }

    /// Copies `stored` into one new buffer, upright. Read in bands of rows, column by column, so a
    /// quarter turn writes runs of neighbouring pixels instead of one pixel per cache line.
    fn apply(&self, stored: &Raster) -> Raster {
        const BAND: usize = 16;
        let c = stored.channels;
        let mut out = Zeroizing::new(vec![0u8; stored.data.len()]);
        for top in (0..self.height).step_by(BAND) {
            let bottom = (top + BAND).min(self.height);
            for x in 0..self.width {
                for y in top..bottom {
                    let s = (y * self.width + x) * c;
                    let d = self.index(x, y) * c;
                    out[d..d + c].copy_from_slice(&stored.data[s..s + c]);
                }
            }
        }
        let (width, height) = self.upright();
        Raster {
            width,
            height,
            channels: c,
            data: out,
        }
    }
}

/// Decodes a JPEG once (to grey or RGB) and turns it upright into one other buffer, dropping the
/// decoder and the stored pixels as soon as they are not needed. Also returns its ICC profile
/// (dropped for CMYK, whose profile does not describe the RGB made from it) and, when it was lossy,
/// its compression ratio.
fn decode_jpeg(image: &[u8], turn: Turn) -> Result<Decoded, DeliveryError> {
    let (stored, icc, source_ratio) = {
        let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(image));
        decoder.set_max_decoding_buffer_size(DECODE_LIMIT);
        decoder.read_info().map_err(jpeg_error)?;
        let meta = decoder.info().ok_or(DeliveryError::ImageDamaged {
            detail: "no readable JPEG header",
        })?;
        if (usize::from(meta.width), usize::from(meta.height)) != (turn.width, turn.height) {
            return Err(NOT_THE_SIZE);
        }
        // Checked before decoding, so a 16-bit image is never held in memory.
        let channels = match meta.pixel_format {
            jpeg_decoder::PixelFormat::L8 => 1,
            jpeg_decoder::PixelFormat::RGB24 | jpeg_decoder::PixelFormat::CMYK32 => 3,
            jpeg_decoder::PixelFormat::L16 => {
                return Err(DeliveryError::UnsupportedJpeg {
                    detail: "more than 8 bits per sample",
                })
            }
        };
        let mut data = Zeroizing::new(decoder.decode().map_err(jpeg_error)?);
        let decoded_bytes = data.len();
        let cmyk = meta.pixel_format == jpeg_decoder::PixelFormat::CMYK32;
        if cmyk {
            cmyk_to_rgb_in_place(&mut data);
        }
        if data.len() != turn.width * turn.height * channels {
            return Err(DeliveryError::ImageDamaged {
                detail: "its pixels are not the size its header says",
            });
        }
        let icc = if cmyk { None } else { decoder.icc_profile() };
        let lossy = meta.coding_process != jpeg_decoder::CodingProcess::Lossless;
        let ratio = lossy.then(|| decoded_bytes as f64 / image.len().max(1) as f64);
        let stored = Raster {
            width: turn.width,
            height: turn.height,
            channels,
            data,
        };
        (stored, icc, ratio)
    };
    let upright = if turn.orientation == 1 {
        stored
    } else {
        turn.apply(&stored)
    };
    Ok(Decoded {
        upright,
        icc,
        source_ratio,
    })
}

/// CMYK as `jpeg-decoder` gives it (Adobe's inverted form) to RGB, in place, the same way intake
/// makes CMYK thumbnails and redactions; then the buffer is cut to 3 bytes a pixel.
fn cmyk_to_rgb_in_place(data: &mut Zeroizing<Vec<u8>>) {
    let pixels = data.len() / 4;
    for i in 0..pixels {
        let p = [
            data[4 * i],
            data[4 * i + 1],
            data[4 * i + 2],
            data[4 * i + 3],
        ];
        let k = 255 - u32::from(p[3]);
        for (j, v) in p[..3].iter().enumerate() {
            data[3 * i + j] = ((255 - u32::from(*v)) * k / 255) as u8;
        }
    }
    // The cut-off tail stays in the allocation until the Zeroizing drop wipes it.
    data.truncate(pixels * 3);
}

/// Decodes a PNG row by row straight into the upright buffer (one pixel buffer in all): 16 bits
/// cut to 8, palettes expanded, alpha flattened onto white as viewers show it; grey stays grey.
/// Also returns its ICC profile.
fn decode_png(image: &[u8], turn: Turn) -> Result<Decoded, DeliveryError> {
    /// Adam7 passes: first x, first y, x step, y step.
    const ADAM7: [(usize, usize, usize, usize); 7] = [
        (0, 0, 8, 8),
        (4, 0, 8, 8),
        (0, 4, 4, 8),
        (2, 0, 4, 4),
        (0, 2, 2, 4),
        (1, 0, 2, 2),
        (0, 1, 1, 2),
    ];
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(image),
        png::Limits {
            bytes: DECODE_LIMIT,
        },
    );
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(false);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (w, h) = (reader.info().width as usize, reader.info().height as usize);
    if (w, h) != (turn.width, turn.height) {
        return Err(NOT_THE_SIZE);
    }
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let interlaced = reader.info().interlaced;
    let (color, _) = reader.output_color_type();
    let channels = match color {
        png::ColorType::Grayscale | png::ColorType::GrayscaleAlpha => 1,
        _ => 3,
    };
    let mut out = Zeroizing::new(vec![0u8; w * h * channels]);
    let mut flat = Zeroizing::new(Vec::with_capacity(w * channels));
    // Without interlacing, one pass of every row; with it, the reader hands out the seven passes'
    // rows in order (skipping empty passes), each holding every `dx`-th pixel from `x0`.
    let passes: &[(usize, usize, usize, usize)] = if interlaced { &ADAM7 } else { &[(0, 0, 1, 1)] };
    for &(x0, y0, dx, dy) in passes {
        if x0 >= w || y0 >= h {
            continue;
        }
        for y in (y0..h).step_by(dy) {
            let row = reader
                .next_row()
                .map_err(png_error)?
                .ok_or(DeliveryError::ImageDamaged {
                    detail: "the PNG is cut off",
                })?;
            flatten(color, row.data(), &mut flat);
            for (i, px) in flat.chunks_exact(channels).enumerate() {
                let x = x0 + i * dx;
                if x < w {
                    let d = turn.index(x, y) * channels;
                    out[d..d + channels].copy_from_slice(px);
                }
            }
        }
    }
    let (width, height) = turn.upright();
    Ok(Decoded {
        upright: Raster {
            width,
            height,
            channels,
            data: out,
        },
        icc,
        source_ratio: None,
    })
}

/// One decoded 8-bit PNG row to grey or RGB, alpha composited over white.
fn flatten(color: png::ColorType, row: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let over_white = |v: u8, a: u8| {
        ((u32::from(v) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8
    };
    match color {
        png::ColorType::GrayscaleAlpha => {
            out.extend(row.chunks_exact(2).map(|p| over_white(p[0], p[1])));
        }
        png::ColorType::Rgba => {
            for p in row.chunks_exact(4) {
                out.extend_from_slice(&[
                    over_white(p[0], p[3]),
                    over_white(p[1], p[3]),
                    over_white(p[2], p[3]),
                ]);
            }
        }
        // Grey and RGB as they are (palettes are expanded to RGB or RGBA by the reader).
        _ => out.extend_from_slice(row),
    }
}

/// Encodes upright pixels once as 8-bit baseline JPEG: [`REENCODE_QUALITY`], one interleaved scan
/// with the standard Huffman tables (what every DICOM reader takes), 4:2:0 YCbCr or grey, a JFIF
/// header, no EXIF, and `icc` if it describes the output's colour model (an ICC profile names its
/// model in bytes 16 to 19).
fn encode(
    upright: &Raster,
    icc: Option<&[u8]>,
    input_len: usize,
) -> Result<Zeroizing<Vec<u8>>, DeliveryError> {
    let (w, h) = match (u16::try_from(upright.width), u16::try_from(upright.height)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => return Err(DeliveryError::ImageTooLarge),
    };
    let grey = upright.channels == 1;
    let model: &[u8] = if grey { b"GRAY" } else { b"RGB " };
    let icc = icc.filter(|p| p.get(16..20) == Some(model));
    // A re-encode at quality 95 is usually one to two times the input's size; most photos then fit
    // the first allocation.
    let pixels = upright.data.len();
    let mut sink = WipingBuf::with_capacity(input_len.saturating_mul(2).min(pixels) + (64 << 10));
    let mut encoder = jpeg_encoder::Encoder::new(&mut sink, REENCODE_QUALITY);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    if let Some(icc) = icc {
        encoder
            .add_icc_profile(icc)
            .map_err(|_| DeliveryError::Encode {
                detail: "the photo's colour profile",
            })?;
    }
    let color = if grey {
        jpeg_encoder::ColorType::Luma
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    encoder
        .encode(&upright.data, w, h, color)
        .map_err(|_| DeliveryError::Encode {
            detail: "re-encoding the photo",
        })?;
    Ok(sink.into_inner())
}

/// A `jpeg-decoder` failure in words that never quote the image (its messages may).
fn jpeg_error(e: jpeg_decoder::Error) -> DeliveryError {
    use jpeg_decoder::UnsupportedFeature as F;
    match e {
        jpeg_decoder::Error::Unsupported(feature) => DeliveryError::UnsupportedJpeg {
            detail: match feature {
                F::SamplePrecision(_) => "more than 8 bits per sample",
                F::ArithmeticEntropyCoding => "arithmetic coding",
                F::Hierarchical => "hierarchical",
                F::ComponentCount(_) => "neither grey nor three-colour",
                F::SubsamplingRatio | F::NonIntegerSubsamplingRatio => "unusual colour sampling",
                F::DNL => "height given after the image",
                _ => "a JPEG feature WardCam cannot read",
            },
        },
        jpeg_decoder::Error::Io(_) => DeliveryError::ImageDamaged {
            detail: "the JPEG is cut off",
        },
        _ => DeliveryError::ImageDamaged {
            detail: "the JPEG cannot be decoded",
        },
    }
}

/// A `png` failure in words that never quote the image.
fn png_error(e: png::DecodingError) -> DeliveryError {
    match e {
        png::DecodingError::LimitsExceeded => DeliveryError::ImageTooLarge,
        png::DecodingError::IoError(_) => DeliveryError::ImageDamaged {
            detail: "the PNG is cut off",
        },
        _ => DeliveryError::ImageDamaged {
            detail: "the PNG cannot be decoded",
        },
    }
}
