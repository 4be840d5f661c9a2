//! PNG at the chunk level (the desktop WebView's canvas may send PNG): header, lossless strip, and
//! row-by-row decoding.
//!
//! PNG cannot be scaled while decoding as JPEG can (its pixels are deflate-compressed rows, not
//! DCT blocks), so the thumbnail decodes every row but keeps only one row and the small
//! thumbnail's accumulators in memory at a time.

use std::io::Cursor;

use zeroize::Zeroizing;

use super::error::IntakeError;
use super::exif;
use super::pixels::{Pixels, Shrink};

pub(crate) const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
/// Chunks kept by the strip: the critical ones, and the ancillary ones that change how pixels look.
const KEPT: [&[u8; 4]; 12] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"pHYs",
    b"sBIT", b"cICP",
];
const CRITICAL: [&[u8; 4]; 4] = [b"IHDR", b"PLTE", b"IDAT", b"IEND"];

/// What IHDR (and eXIf) say, before any decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub width: u32,
    pub height: u32,
    /// Bytes per pixel once expanded to 8 bits, for the decompression-bomb estimate.
    pub channels: u8,
    pub orientation: u8,
}

struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
    raw: &'a [u8],
}

pub(crate) fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(SIGNATURE)
}

fn chunks(bytes: &[u8]) -> Result<Vec<Chunk<'_>>, IntakeError> {
    if !is_png(bytes) {
        return Err(IntakeError::NotAnImage);
    }
    let mut out = Vec::new();
    let mut pos = SIGNATURE.len();
    loop {
        let head = bytes.get(pos..pos + 8).ok_or(IntakeError::Truncated)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if len > 0x7fff_ffff {
            return Err(IntakeError::malformed("PNG chunk length out of range"));
        }
        let kind = [head[4], head[5], head[6], head[7]];
        if !kind.iter().all(u8::is_ascii_alphabetic) {
            return Err(IntakeError::malformed("bad PNG chunk type"));
        }
        let end = pos + 12 + len as usize;
        if end > bytes.len() {
            return Err(IntakeError::Truncated);
        }
        out.push(Chunk {
            kind,
            data: &bytes[pos + 8..end - 4],
            raw: &bytes[pos..end],
        });
        pos = end;
        if out.len() == 1 && &kind != b"IHDR" {
            return Err(IntakeError::malformed("PNG does not start with IHDR"));
        }
        if kind[0].is_ascii_uppercase() && !CRITICAL.contains(&&kind) {
            return Err(IntakeError::malformed("unknown critical PNG chunk"));
        }
        if &kind == b"IEND" {
            return Ok(out);
        }
    }
}

fn header_of(chunks: &[Chunk<'_>]) -> Result<Header, IntakeError> {
    let ihdr = chunks
        .first()
        .filter(|c| c.data.len() == 13)
        .ok_or_else(|| IntakeError::malformed("bad PNG IHDR"))?
        .data;
    let width = u32::from_be_bytes([ihdr[0], ihdr[1], ihdr[2], ihdr[3]]);
    let height = u32::from_be_bytes([ihdr[4], ihdr[5], ihdr[6], ihdr[7]]);
    if width == 0 || height == 0 || width > 0x7fff_ffff || height > 0x7fff_ffff {
        return Err(IntakeError::malformed(
            "zero or out-of-range width or height",
        ));
    }
    let channels = match ihdr[9] {
        0 => 1,
        2 | 3 => 3,
        4 => 2,
        6 => 4,
        _ => return Err(IntakeError::malformed("bad PNG colour type")),
    };
    if !chunks.iter().any(|c| &c.kind == b"IDAT") {
        return Err(IntakeError::malformed("no image data"));
    }
    let orientation = chunks
        .iter()
        .find(|c| &c.kind == b"eXIf")
        .and_then(|c| exif::orientation_from_tiff(c.data))
        .unwrap_or(1);
    Ok(Header {
        width,
        height,
        channels,
        orientation,
    })
}

pub(crate) fn header(bytes: &[u8]) -> Result<Header, IntakeError> {
    header_of(&chunks(bytes)?)
}

/// Keeps the chunks in [`KEPT`] byte for byte, plus a minimal `eXIf` with the orientation when it
/// is not 1; drops text, time, EXIF, animation and unknown chunks, and anything after IEND.
pub(crate) fn strip(bytes: &[u8]) -> Result<(Vec<u8>, Header), IntakeError> {
    let chunks = chunks(bytes)?;
    let header = header_of(&chunks)?;
    // Room for the written `eXIf` too, so the photo's bytes never grow into a second buffer and
    // leave a copy in freed memory.
    let mut out = Vec::with_capacity(bytes.len() + 12 + exif::minimal_tiff(1).len());
    out.extend_from_slice(SIGNATURE);
    for chunk in &chunks {
        if KEPT.contains(&&chunk.kind) {
            out.extend_from_slice(chunk.raw);
        }
        if &chunk.kind == b"IHDR" && header.orientation != 1 {
            push_chunk(&mut out, b"eXIf", &exif::minimal_tiff(header.orientation));
        }
    }
    Ok((out, header))
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Only called with the 26-byte minimal TIFF.
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.finalize().to_be_bytes());
}

fn reader(
    bytes: &[u8],
    max_bytes: usize,
    want_icc: bool,
) -> Result<png::Reader<Cursor<&[u8]>>, IntakeError> {
    let mut decoder =
        png::Decoder::new_with_limits(Cursor::new(bytes), png::Limits { bytes: max_bytes });
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(!want_icc);
    Ok(decoder.read_info()?)
}

/// Converts one decoded row (8-bit grey, grey+alpha, RGB or RGBA) to RGB, alpha composited over
/// white as viewers show it.
fn row_to_rgb(color: png::ColorType, row: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let over_white =
        |v: u8, a: u8| ((u16::from(v) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
    match color {
        png::ColorType::Grayscale => row.iter().for_each(|&g| out.extend_from_slice(&[g, g, g])),
        png::ColorType::GrayscaleAlpha => row.chunks_exact(2).for_each(|p| {
            let g = over_white(p[0], p[1]);
            out.extend_from_slice(&[g, g, g]);
        }),
        png::ColorType::Rgba => row.chunks_exact(4).for_each(|p| {
            out.extend_from_slice(&[
                over_white(p[0], p[3]),
                over_white(p[1], p[3]),
                over_white(p[2], p[3]),
            ])
        }),
        _ => out.extend_from_slice(row),
    }
}

/// Adam7 pass geometry: (first x, first y, x step, y step) for passes 1..=7.
const ADAM7: [(u32, u32, u32, u32); 7] = [
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
];

/// Decodes row by row into a [`Shrink`] of size `target`; memory stays at one row plus the
/// thumbnail, whatever the image size.
pub(crate) fn thumbnail(
    bytes: &[u8],
    header: &Header,
    target: (u32, u32),
    max_bytes: usize,
) -> Result<Pixels, IntakeError> {
    let mut reader = reader(bytes, max_bytes, false)?;
    let (color, _) = reader.output_color_type();
    let (w, h) = (header.width, header.height);
    let mut shrink = Shrink::new((w, h), target, 3);
    // One RGB row, sized first so converting rows never grows it (growth would leave pixels in
    // freed memory).
    let mut rgb = Zeroizing::new(Vec::with_capacity(w as usize * 3));
    if reader.info().interlaced {
        // The reader hands out the passes' rows in order; track which pass and line each is.
        for &(x0, y0, dx, dy) in &ADAM7 {
            if x0 >= w || y0 >= h {
                continue;
            }
            let mut y = y0;
            while y < h {
                let row = reader.next_row()?.ok_or(IntakeError::Truncated)?;
                row_to_rgb(color, row.data(), &mut rgb);
                for (i, px) in rgb.chunks_exact(3).enumerate() {
                    let x = x0 + i as u32 * dx;
                    if x < w {
                        shrink.add(x, y, px);
                    }
                }
                y += dy;
            }
        }
    } else {
        for y in 0..h {
            let row = reader.next_row()?.ok_or(IntakeError::Truncated)?;
            row_to_rgb(color, row.data(), &mut rgb);
            shrink.add_row(y, &rgb);
        }
    }
    Ok(shrink.finish())
}

/// Decodes the whole image to RGB (for redaction), with its ICC profile.
pub(crate) fn decode_full(
    bytes: &[u8],
    max_bytes: usize,
) -> Result<(Pixels, Option<Vec<u8>>), IntakeError> {
    let mut reader = reader(bytes, max_bytes, true)?;
    let (color, _) = reader.output_color_type();
    let icc = reader.info().icc_profile.as_ref().map(|p| p.to_vec());
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| IntakeError::malformed("exceeds decoding limits"))?;
    let mut buf = Zeroizing::new(vec![0u8; size]);
    let frame = reader.next_frame(&mut buf)?;
    let (w, h) = (frame.width, frame.height);
    let mut data = Zeroizing::new(Vec::with_capacity(w as usize * h as usize * 3));
    let mut rgb = Zeroizing::new(Vec::with_capacity(w as usize * 3));
    for row in buf[..frame.buffer_size()]
        .chunks_exact(frame.line_size)
        .take(h as usize)
    {
        row_to_rgb(color, row, &mut rgb);
        data.extend_from_slice(&rgb);
    }
    Ok((
        Pixels {
            width: w,
            height: h,
            channels: 3,
            data,
        },
        icc,
    ))
}
