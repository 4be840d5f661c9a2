//! Decoded pixels in memory: the box-filter shrink that makes thumbnails, EXIF orientation, and
//! JPEG encoding. Pixel buffers wipe themselves on drop: they are the patient's photo.

use zeroize::Zeroizing;

use super::error::IntakeError;
use crate::wiping::WipingBuf;

/// 8-bit pixels, row-major, `channels` (1 = grey, 3 = RGB) bytes per pixel.
#[derive(Debug)]
pub(crate) struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Zeroizing<Vec<u8>>,
}

impl Pixels {
    /// Greyscale (ITU-R BT.601 luma) of every pixel.
    pub fn grey(&self) -> Zeroizing<Vec<u8>> {
        if self.channels == 1 {
            return self.data.clone();
        }
        Zeroizing::new(
            self.data
                .chunks_exact(3)
                .map(|p| {
                    ((299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]) + 500)
                        / 1000) as u8
                })
                .collect(),
        )
    }

    /// The image as displayed for an EXIF orientation (1..=8): rotated and/or mirrored.
    pub fn oriented(self, orientation: u8) -> Pixels {
        if !(2..=8).contains(&orientation) {
            return self;
        }
        let (w, h, c) = (
            self.width as usize,
            self.height as usize,
            usize::from(self.channels),
        );
        let (ow, oh) = if orientation >= 5 { (h, w) } else { (w, h) };
        let mut out = Zeroizing::new(vec![0u8; self.data.len()]);
        for oy in 0..oh {
            for ox in 0..ow {
                let (sx, sy) = match orientation {
                    2 => (w - 1 - ox, oy),
                    3 => (w - 1 - ox, h - 1 - oy),
                    4 => (ox, h - 1 - oy),
                    5 => (oy, ox),
                    6 => (oy, h - 1 - ox),
                    7 => (w - 1 - oy, h - 1 - ox),
                    _ => (w - 1 - oy, ox), // 8
                };
                let s = (sy * w + sx) * c;
                let d = (oy * ow + ox) * c;
                out[d..d + c].copy_from_slice(&self.data[s..s + c]);
            }
        }
        Pixels {
            width: ow as u32,
            height: oh as u32,
            channels: self.channels,
            data: out,
        }
    }

    /// Encodes as baseline JPEG, with the ICC profile when there is one, and no EXIF.
    pub fn encode_jpeg(
        &self,
        quality: u8,
        icc: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>, IntakeError> {
        let (w, h) = match (u16::try_from(self.width), u16::try_from(self.height)) {
            (Ok(w), Ok(h)) => (w, h),
            _ => {
                return Err(IntakeError::Encode {
                    reason: "JPEG cannot be wider or taller than 65535 pixels".into(),
                })
            }
        };
        // Sized up front so a photo's JPEG never grows (each growth of a plain `Vec` would leave a
        // copy of it in freed memory); anything bigger still grows only by wiping what it leaves.
        let mut out = WipingBuf::with_capacity(jpeg_capacity(
            self.width,
            self.height,
            self.channels,
            icc.map_or(0, <[u8]>::len),
        ));
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, quality);
        if let Some(icc) = icc {
            encoder.add_icc_profile(icc)?;
        }
        let color = if self.channels == 1 {
            jpeg_encoder::ColorType::Luma
        } else {
            jpeg_encoder::ColorType::Rgb
        };
        encoder.encode(&self.data, w, h, color)?;
        Ok(out.into_inner())
    }
}

/// Room for markers and tables: SOI, JFIF, two quantisation and four Huffman tables, frame and
/// scan headers, EOI (under 1 KiB), with a margin.
const JPEG_HEADERS: usize = 4 << 10;
/// What each `ICC_PROFILE` APP2 segment adds to the profile's bytes: marker, length, name, numbers.
const ICC_CHUNK_OVERHEAD: usize = 18;
/// The most profile bytes one segment carries (`jpeg-encoder` splits longer profiles).
const ICC_CHUNK: usize = 65_519;

/// What [`Pixels::encode_jpeg`] reserves: a quarter of the pixels' own size (padded to whole
/// 16 x 16 blocks as the encoder pads them), plus headers and the ICC profile. A JPEG of a
/// photograph at WardCam's qualities is well under a quarter of its pixels (a 12 MP phone photo at
/// quality 90 is about an eighth), so it does not outgrow this; noise or text at high quality
/// can, and then the buffer grows by wiping what it leaves. A quarter, not the whole: a redaction
/// of a 48 MP photo would otherwise hold another 144 MB while it encodes, and keep it with the
/// result until it is sealed.
pub(crate) fn jpeg_capacity(width: u32, height: u32, channels: u8, icc_len: usize) -> usize {
    let padded = |v: u32| (v as usize).div_ceil(16).saturating_mul(16);
    let pixels = padded(width)
        .saturating_mul(padded(height))
        .saturating_mul(usize::from(channels))
        / 4;
    let icc = icc_len.saturating_add(icc_len.div_ceil(ICC_CHUNK) * ICC_CHUNK_OVERHEAD);
    pixels.saturating_add(icc).saturating_add(JPEG_HEADERS)
}

/// Target size for a thumbnail whose long edge is `edge`, never larger than the image.
pub(crate) fn fit(width: u32, height: u32, edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= edge || edge == 0 {
        return (width, height);
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(edge) + u64::from(long) / 2) / u64::from(long)).max(1) as u32
    };
    (scale(width), scale(height))
}

/// A box-filter downscaler fed pixel by pixel or row by row: each source pixel adds to the one
/// target pixel it falls in, so memory is the target's size whatever the source's.
#[derive(Debug)]
pub(crate) struct Shrink {
    src: (u32, u32),
    dst: (u32, u32),
    channels: usize,
    sums: Zeroizing<Vec<u32>>,
    counts: Vec<u32>,
    /// For each target column, the end (exclusive) of the source columns falling in it:
    /// `ceil((tx + 1) * src / dst)`, worked out once rather than per row (a division each).
    ends: Vec<usize>,
}

impl Shrink {
    pub fn new(src: (u32, u32), dst: (u32, u32), channels: u8) -> Shrink {
        let n = dst.0 as usize * dst.1 as usize;
        Shrink {
            src,
            dst,
            channels: usize::from(channels),
            sums: Zeroizing::new(vec![0; n * usize::from(channels)]),
            counts: vec![0; n],
            ends: (1..=u64::from(dst.0))
                .map(|tx| (tx * u64::from(src.0.max(1))).div_ceil(u64::from(dst.0)) as usize)
                .collect(),
        }
    }

    fn bin(&self, x: u32, y: u32) -> usize {
        let tx = u64::from(x) * u64::from(self.dst.0) / u64::from(self.src.0.max(1));
        let ty = u64::from(y) * u64::from(self.dst.1) / u64::from(self.src.1.max(1));
        ty as usize * self.dst.0 as usize + tx as usize
    }

    /// Adds one source pixel (ignored if outside the source).
    pub fn add(&mut self, x: u32, y: u32, px: &[u8]) {
        if x >= self.src.0 || y >= self.src.1 || px.len() != self.channels {
            return;
        }
        let b = self.bin(x, y);
        self.counts[b] += 1;
        for (s, &v) in self.sums[b * self.channels..(b + 1) * self.channels]
            .iter_mut()
            .zip(px)
        {
            *s += u32::from(v);
        }
    }

    /// Adds source row `y`: as [`Shrink::add`] for each of its pixels, a run of source columns
    /// at a time (those falling in one target column), with no division per pixel.
    pub fn add_row(&mut self, y: u32, row: &[u8]) {
        if y >= self.src.1 || self.channels == 0 {
            return;
        }
        let c = self.channels;
        let target_row = self.bin(0, y);
        let n = self.dst.0 as usize;
        let width = (row.len() / c).min(self.src.0 as usize);
        let (Some(counts), Some(sums)) = (
            self.counts.get_mut(target_row..target_row + n),
            self.sums.get_mut(target_row * c..(target_row + n) * c),
        ) else {
            return;
        };
        let mut x = 0;
        for ((&end, count), sum) in self.ends.iter().zip(counts).zip(sums.chunks_exact_mut(c)) {
            let end = end.min(width);
            if end <= x {
                continue;
            }
            *count += (end - x) as u32;
            let run = row.get(x * c..end * c).unwrap_or_default();
            // The usual channel counts with the count known, so the sums stay in registers.
            match c {
                3 => add_run::<3>(sum, run),
                1 => add_run::<1>(sum, run),
                _ => {
                    for px in run.chunks_exact(c) {
                        for (s, &v) in sum.iter_mut().zip(px) {
                            *s += u32::from(v);
                        }
                    }
                }
            }
            x = end;
        }
    }

    /// The averaged thumbnail. A target pixel no source pixel fell in (possible only when the
    /// source is smaller than the target in one axis) copies its left or upper neighbour.
    pub fn finish(self) -> Pixels {
        let (w, c) = (self.dst.0 as usize, self.channels);
        let mut data = Zeroizing::new(vec![0u8; self.sums.len()]);
        for (i, &n) in self.counts.iter().enumerate() {
            let px = i * c..(i + 1) * c;
            if let Some(avg) = std::num::NonZeroU32::new(n) {
                for k in px {
                    data[k] = ((self.sums[k] + avg.get() / 2) / avg) as u8;
                }
            } else if i % w > 0 {
                data.copy_within((i - 1) * c..i * c, i * c);
            } else if i >= w {
                data.copy_within((i - w) * c..(i - w + 1) * c, i * c);
            }
        }
        Pixels {
            width: self.dst.0,
            height: self.dst.1,
            channels: self.channels as u8,
            data,
        }
    }
}

/// Adds a run of `C`-channel pixels to one target pixel's sums.
#[inline(always)]
fn add_run<const C: usize>(sum: &mut [u32], run: &[u8]) {
    let mut acc = [0u32; C];
    for px in run.chunks_exact(C) {
        for (a, &v) in acc.iter_mut().zip(px) {
            *a += u32::from(v);
        }
    }
    for (s, a) in sum.iter_mut().zip(acc) {
        *s += a;
    }
}

/// Converts jpeg-decoder output to 8-bit grey or RGB.
pub(crate) fn from_jpeg(
    format: jpeg_decoder::PixelFormat,
    width: u32,
    height: u32,
    data: Vec<u8>,
) -> Result<Pixels, IntakeError> {
    let data = Zeroizing::new(data);
    let (channels, data) = match format {
        jpeg_decoder::PixelFormat::L8 => (1, data),
        jpeg_decoder::PixelFormat::RGB24 => (3, data),
        jpeg_decoder::PixelFormat::CMYK32 => {
            // Sized first: `flat_map` gives `collect` no length, so it would grow the buffer and
            // leave copies of the pixels in freed memory.
            let mut rgb = Zeroizing::new(Vec::with_capacity(data.len() / 4 * 3));
            for p in data.chunks_exact(4) {
                let k = 255 - u32::from(p[3]);
                rgb.extend_from_slice(
                    &[p[0], p[1], p[2]].map(|v| ((255 - u32::from(v)) * k / 255) as u8),
                );
            }
            (3, rgb)
        }
        jpeg_decoder::PixelFormat::L16 => {
            return Err(IntakeError::UnsupportedEncoding {
                feature: "16-bit greyscale".into(),
            })
        }
    };
    if data.len() != width as usize * height as usize * channels {
        return Err(IntakeError::malformed(
            "decoded size does not match the header",
        ));
    }
    Ok(Pixels {
        width,
        height,
        channels: channels as u8,
        data,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Shrink;

    proptest! {
        /// A row added at once lands in the same target pixels as its pixels added one by one,
        /// shrinking or (in one axis) stretching, rows short or long, with the channel counts
        /// added with the count known (1, 3) and not (2, 4).
        #[test]
        fn a_row_adds_what_its_pixels_add(
            src in (1u32..300, 1u32..40),
            dst in (1u32..80, 1u32..20),
            channels in 1u8..=4,
            extra in 0usize..5,
            seed in any::<u8>(),
        ) {
            let mut by_row = Shrink::new(src, dst, channels);
            let mut by_pixel = Shrink::new(src, dst, channels);
            let c = usize::from(channels);
            for y in 0..src.1 + 1 {
                let row: Vec<u8> = (0..(src.0 as usize + extra) * c)
                    .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed).wrapping_add(y as u8))
                    .collect();
                by_row.add_row(y, &row);
                for (x, px) in row.chunks_exact(c).enumerate() {
                    by_pixel.add(x as u32, y, px);
                }
            }
            prop_assert_eq!(&by_row.counts, &by_pixel.counts);
            prop_assert_eq!(&by_row.sums[..], &by_pixel.sums[..]);
        }
    }
}
