//! Just enough of a JPEG's header for the Image Pixel module: which coding process its frame
//! uses (only baseline maps to the JPEG Baseline transfer syntax), its size, its components and
//! their sampling, and whether an Adobe marker says the colours are RGB rather than YCbCr.
//!
//! Written here rather than asked of a decoder because it is a few dozen bytes to read and a photo
//! that DICOM can carry as it is is never decoded (see [`super::pixels`]).

use super::DeliveryError;

/// The frame header (SOF) of a JPEG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Rows.
    pub(crate) height: u16,
    /// Columns.
    pub(crate) width: u16,
    /// Each component's horizontal and vertical sampling factors, in frame order.
    pub(crate) sampling: Vec<(u8, u8)>,
    /// An Adobe APP14 marker with transform 0: three components are R, G, B, not Y, Cb, Cr.
    pub(crate) adobe_rgb: bool,
}

/// Reads the frame header of a baseline JPEG; any other coding process is refused.
pub(crate) fn baseline_frame(jpeg: &[u8]) -> Result<Frame, DeliveryError> {
    const DAMAGED: DeliveryError = DeliveryError::ImageDamaged {
        detail: "no readable JPEG header",
    };
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(DAMAGED);
    }
    // A cut-off file would go to PACS as a half-grey image: it must end with EOI (zero padding
    // after it, as some cameras leave, is allowed).
    let end = jpeg.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    if !jpeg[..end].ends_with(&[0xFF, 0xD9]) {
        return Err(DeliveryError::ImageDamaged {
            detail: "the JPEG is cut off",
        });
    }
    let mut adobe_rgb = false;
    let mut at = 2;
    loop {
        // Markers may be preceded by any number of 0xFF fill bytes.
        if jpeg.get(at) != Some(&0xFF) {
            return Err(DAMAGED);
        }
        while jpeg.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *jpeg.get(at).ok_or(DAMAGED)?;
        at += 1;
        // Stand-alone markers (TEM, RSTn) carry no length.
        if marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            continue;
        }
        // The image data or its end before any frame header.
        if marker == 0xDA || marker == 0xD9 {
            return Err(DAMAGED);
        }
        let length = usize::from(u16::from_be_bytes([
            *jpeg.get(at).ok_or(DAMAGED)?,
            *jpeg.get(at + 1).ok_or(DAMAGED)?,
        ]));
        let segment = jpeg.get(at + 2..at + length).ok_or(DAMAGED)?;
        match marker {
            0xC0 => return frame(segment, adobe_rgb),
            0xC2 | 0xC6 | 0xCA | 0xCE => {
                return Err(DeliveryError::UnsupportedJpeg {
                    detail: "progressive",
                })
            }
            0xC1 | 0xC5 | 0xC9 | 0xCD => {
                return Err(DeliveryError::UnsupportedJpeg {
                    detail: "extended sequential",
                })
            }
            0xC3 | 0xC7 | 0xCB | 0xCF => {
                return Err(DeliveryError::UnsupportedJpeg { detail: "lossless" })
            }
            0xEE if segment.len() >= 12 && segment.starts_with(b"Adobe") => {
                adobe_rgb = segment[11] == 0;
            }
            _ => {}
        }
        at += length;
    }
}

/// The SOF0 segment's body: precision, height, width, then three bytes per component.
fn frame(segment: &[u8], adobe_rgb: bool) -> Result<Frame, DeliveryError> {
    const SHORT: DeliveryError = DeliveryError::ImageDamaged {
        detail: "short JPEG frame header",
    };
    let head = segment.get(..6).ok_or(SHORT)?;
    let height = u16::from_be_bytes([head[1], head[2]]);
    let width = u16::from_be_bytes([head[3], head[4]]);
    let count = usize::from(head[5]);
    if head[0] != 8 {
        return Err(DeliveryError::UnsupportedJpeg {
            detail: "not 8 bits per sample",
        });
    }
    // A height of 0 means it is given later (a DNL marker), which DICOM does not allow.
    if height == 0 || width == 0 {
        return Err(DeliveryError::ImageDamaged {
            detail: "JPEG frame has no size",
        });
    }
    let components = segment.get(6..6 + 3 * count).ok_or(SHORT)?;
    let sampling = components
        .chunks_exact(3)
        .map(|c| (c[1] >> 4, c[1] & 0x0f))
        .collect();
    Ok(Frame {
        height,
        width,
        sampling,
        adobe_rgb,
    })
}

/// Samples per pixel and Photometric Interpretation of a baseline frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PixelDescription {
    pub(crate) samples: u16,
    pub(crate) photometric: &'static str,
}

/// PS3.5 §8.2.1: baseline JPEG of colour photos is YCbCr; `YBR_FULL_422` when the chroma is
/// halved across (4:2:2, and 4:2:0 as phones write it), `YBR_FULL` when it is not subsampled.
/// Anything else (CMYK, other sampling) cannot go into the DICOM object as it is.
pub(crate) fn describe(frame: &Frame) -> Result<PixelDescription, DeliveryError> {
    let unsupported = |detail| Err(DeliveryError::UnsupportedJpeg { detail });
    match frame.sampling.as_slice() {
        [_] => Ok(PixelDescription {
            samples: 1,
            photometric: "MONOCHROME2",
        }),
        [luma, (1, 1), (1, 1)] => {
            let photometric = match (*luma, frame.adobe_rgb) {
                ((1, 1), true) => "RGB",
                ((1, 1), false) => "YBR_FULL",
                ((2, 1) | (2, 2), false) => "YBR_FULL_422",
                _ => return unsupported("unusual colour sampling"),
            };
            Ok(PixelDescription {
                samples: 3,
                photometric,
            })
        }
        [_, _, _] => unsupported("unusual colour sampling"),
        _ => unsupported("neither grey nor three-colour"),
    }
}
