//! JPEG at the marker level: the header walk behind `probe`, and the lossless metadata strip.
//!
//! Only markers on a whitelist survive the strip: the tables and frame/scan headers a decoder needs,
//! the entropy-coded data byte for byte, the ICC profile (APP2 `ICC_PROFILE`, every chunk), a
//! minimal JFIF APP0 (its embedded thumbnail removed) and the Adobe APP14 colour-transform flag
//! (without it RGB and CMYK JPEGs decode to different colours). Everything else goes: EXIF, XMP,
//! IPTC/Photoshop, MPF (secondary images), comments, every other APPn, and any bytes after EOI
//! (where phones append motion-photo videos and depth maps).

use super::error::IntakeError;
use super::exif;

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;
/// More scans than any encoder writes (progressive JPEGs have about ten): a CPU-exhaustion guard.
const MAX_SCANS: usize = 256;
const ICC_ID: &[u8] = b"ICC_PROFILE\0";

/// What the header says, before any decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub width: u32,
    pub height: u32,
    pub components: u8,
    pub orientation: u8,
}

/// One piece of the file, borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    /// A marker segment: `raw` is the whole segment from its 0xFF to the end of its payload.
    Segment {
        marker: u8,
        payload: &'a [u8],
        raw: &'a [u8],
    },
    /// Entropy-coded data following an SOS segment, with its RST markers and stuffed bytes.
    Entropy(&'a [u8]),
}

pub(crate) fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.len() >= 3 && bytes[0] == 0xFF && bytes[1] == SOI && bytes[2] == 0xFF
}

fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Walks the marker segments. With `stop_at_first_scan` it returns after the first SOS header
/// (enough for `probe`); otherwise it walks every scan to EOI.
pub(crate) fn walk(bytes: &[u8], stop_at_first_scan: bool) -> Result<Vec<Part<'_>>, IntakeError> {
    if !is_jpeg(bytes) {
        return Err(IntakeError::NotAnImage);
    }
    let mut parts = Vec::new();
    let mut pos = 2;
    let mut scans = 0usize;
    loop {
        if pos >= bytes.len() {
            return Err(IntakeError::Truncated);
        }
        if bytes[pos] != 0xFF {
            return Err(IntakeError::malformed("expected a JPEG marker"));
        }
        let start = pos;
        // Fill bytes: any number of 0xFF may precede a marker.
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(IntakeError::Truncated);
        };
        pos += 1;
        match marker {
            EOI => return Ok(parts),
            0x00 | SOI | 0xD0..=0xD7 => {
                return Err(IntakeError::malformed("misplaced JPEG marker"));
            }
            // TEM: a standalone marker with no meaning for decoding; dropped.
            0x01 => continue,
            _ => {}
        }
        let len_bytes = bytes.get(pos..pos + 2).ok_or(IntakeError::Truncated)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(IntakeError::malformed("JPEG segment length too short"));
        }
        let end = pos + len;
        if end > bytes.len() {
            return Err(IntakeError::Truncated);
        }
        parts.push(Part::Segment {
            marker,
            payload: &bytes[pos + 2..end],
            raw: &bytes[start..end],
        });
        pos = end;
        if marker == SOS {
            scans += 1;
            if scans > MAX_SCANS {
                return Err(IntakeError::malformed("too many scans"));
            }
            if stop_at_first_scan {
                return Ok(parts);
            }
            let data_end = entropy_end(bytes, pos)?;
            parts.push(Part::Entropy(&bytes[pos..data_end]));
            pos = data_end;
        }
    }
}

/// Where the entropy-coded data starting at `from` ends: the first 0xFF that is neither a stuffed
/// zero nor a restart marker.
fn entropy_end(bytes: &[u8], from: usize) -> Result<usize, IntakeError> {
    let mut i = from;
    loop {
        // memchr looks at many bytes per step: this scan covers the whole file before decoding
        // starts, so a byte-at-a-time search was 8% of a 48 MP photo's intake.
        let at = memchr::memchr(0xFF, bytes.get(i..).unwrap_or_default())
            .ok_or(IntakeError::Truncated)?;
        i += at;
        match bytes.get(i + 1) {
            None => return Err(IntakeError::Truncated),
            Some(0x00 | 0xD0..=0xD7) => i += 2,
            Some(_) => return Ok(i),
        }
    }
}

/// Reads dimensions, components and orientation from the headers, before any decoding.
pub(crate) fn header(bytes: &[u8]) -> Result<Header, IntakeError> {
    let parts = walk(bytes, true)?;
    header_of(&parts)
}

fn header_of(parts: &[Part<'_>]) -> Result<Header, IntakeError> {
    let mut frame: Option<(u32, u32, u8)> = None;
    let mut orientation = 1;
    let mut saw_scan = false;
    for part in parts {
        let Part::Segment {
            marker, payload, ..
        } = *part
        else {
            continue;
        };
        if is_sof(marker) {
            if frame.is_some() {
                return Err(IntakeError::malformed("more than one frame header"));
            }
            if payload.len() < 6 {
                return Err(IntakeError::malformed("frame header too short"));
            }
            let height = u32::from(u16::from_be_bytes([payload[1], payload[2]]));
            let width = u32::from(u16::from_be_bytes([payload[3], payload[4]]));
            let components = payload[5];
            if width == 0 || height == 0 {
                return Err(IntakeError::malformed("zero width or height"));
            }
            if !matches!(components, 1 | 3 | 4) || payload.len() < 6 + 3 * usize::from(components) {
                return Err(IntakeError::malformed("bad component count"));
            }
            frame = Some((width, height, components));
        } else if marker == SOS {
            if frame.is_none() {
                return Err(IntakeError::malformed("image data before the frame header"));
            }
            saw_scan = true;
        } else if marker == APP1 && orientation == 1 && !saw_scan {
            if let Some(o) = exif::orientation_from_app1(payload) {
                orientation = o;
            }
        }
    }
    let (width, height, components) =
        frame.ok_or_else(|| IntakeError::malformed("no frame header"))?;
    if !saw_scan {
        return Err(IntakeError::malformed("no image data"));
    }
    Ok(Header {
        width,
        height,
        components,
        orientation,
    })
}

/// Rewrites a file, as [`walk`] split it, keeping only whitelisted segments (see the module doc),
/// with a minimal EXIF holding just the orientation when it is not 1. `len` is the file's length.
/// Returns the header read on the way.
pub(crate) fn strip(parts: &[Part<'_>], len: usize) -> Result<(Vec<u8>, Header), IntakeError> {
    strip_to(parts, len, false)
}

/// The start of what [`strip`] makes, to the end of its frame header (then EOI): all that
/// `jpeg-decoder`'s `read_info` reads (it stops after the frame header), so it says of this what
/// it says of the whole stripped image, the ICC profile included, without the image's bytes being
/// copied. Fails where [`strip`] fails.
pub(crate) fn stripped_headers(parts: &[Part<'_>]) -> Result<Vec<u8>, IntakeError> {
    strip_to(parts, 0, true).map(|(headers, _)| headers)
}

/// [`strip`], or with `headers_only` [`stripped_headers`].
fn strip_to(
    parts: &[Part<'_>],
    len: usize,
    headers_only: bool,
) -> Result<(Vec<u8>, Header), IntakeError> {
    let header = header_of(parts)?;
    // Room for the written EXIF segment too (the dropped one it replaces is usually larger), so
    // the photo's bytes never grow into a second buffer and leave a copy in freed memory.
    let mut out = Vec::with_capacity(len + 4 + exif::minimal_exif(1).len());
    out.extend_from_slice(&[0xFF, SOI]);
    let jfif = parts.iter().find_map(|p| match *p {
        Part::Segment {
            marker: APP0,
            payload,
            ..
        } => minimal_jfif(payload),
        _ => None,
    });
    if let Some(jfif) = jfif {
        push_segment(&mut out, APP0, &jfif);
    }
    if header.orientation != 1 {
        push_segment(&mut out, APP1, &exif::minimal_exif(header.orientation));
    }
    for part in parts {
        match *part {
            Part::Entropy(data) if !headers_only => out.extend_from_slice(data),
            Part::Entropy(_) => {}
            Part::Segment {
                marker,
                payload,
                raw,
            } => match marker {
                // Tables, frame and scan headers; not JPG (0xC8), a reserved extension.
                0xC0..=0xC7 | 0xC9..=0xCF | 0xDA..=0xDD => {
                    out.extend_from_slice(raw);
                    // A frame header: not DHT (0xC4) or DAC (0xCC).
                    if headers_only && !matches!(marker, 0xC4 | 0xCC | 0xDA..=0xDD) {
                        break;
                    }
                }
                APP2 if payload.starts_with(ICC_ID) => out.extend_from_slice(raw),
                APP14 if payload.starts_with(b"Adobe") && payload.len() >= 12 => {
                    push_segment(&mut out, APP14, &payload[..12])
                }
                _ => {}
            },
        }
    }
    out.extend_from_slice(&[0xFF, EOI]);
    Ok((out, header))
}

/// A JFIF APP0 with its version, units and density kept and its thumbnail removed.
fn minimal_jfif(payload: &[u8]) -> Option<Vec<u8>> {
    if payload.len() < 14 || !payload.starts_with(b"JFIF\0") {
        return None;
    }
    let mut jfif = payload[..12].to_vec();
    jfif.extend_from_slice(&[0, 0]);
    Some(jfif)
}

fn push_segment(out: &mut Vec<u8>, marker: u8, payload: &[u8]) {
    // Callers only pass payloads of a few dozen bytes.
    let len = (payload.len() + 2) as u16;
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
}
