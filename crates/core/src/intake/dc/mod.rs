//! The 1/8-scale picture of a sequential JPEG from its DC coefficients alone.
//!
//! At 1/8 scale each 8x8 block becomes one pixel: the block's average, which is its DC
//! coefficient. The DCT-scaled 1/8 decode of `jpeg-decoder` computes the same value (its 1x1 IDCT
//! uses only the DC term), but it still decodes every AC coefficient into a block first, and that
//! is most of intake's time for a phone photo (`bench/intake`). Here the AC coefficients are only
//! walked past: each Huffman code and its extra bits are skipped, nothing is dequantised or
//! transformed.
//!
//! It handles what phone cameras write: baseline or extended-sequential Huffman, 8-bit, greyscale
//! or YCbCr, any integral sampling factors, one interleaved scan or one scan per component,
//! restart intervals. Anything else (progressive, arithmetic coding, CMYK, an Adobe transform,
//! component ids that mean RGB or big-gamut colour, damaged data) gives `None`, and the caller
//! decodes with `jpeg-decoder`, whose verdict on damaged data then stands. The tests compare the
//! two decoders' pixels.

mod entropy;
#[cfg(test)]
mod tests;

use zeroize::Zeroizing;

use crate::intake::jpeg::Part;
use crate::intake::pixels::Pixels;
use entropy::{dc_of_block, Bits, Huffman};

const DHT: u8 = 0xC4;
const DQT: u8 = 0xDB;
const DRI: u8 = 0xDD;
const SOS: u8 = 0xDA;
const APP14: u8 = 0xEE;
/// Component ids that `jpeg-decoder` reads as RGB, big-gamut RGB and big-gamut YCC, not YCbCr.
const OTHER_COLOUR_IDS: [[u8; 3]; 3] = [[b'R', b'G', b'B'], [b'r', b'g', b'b'], [1, 34, 35]];

/// One frame component as the frame and scan headers describe it.
#[derive(Clone, Copy, Default)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
    dc_table: usize,
    ac_table: usize,
}

/// The 1/8-scale picture (see the module doc) in RGB or grey, or `None` to use `jpeg-decoder`.
/// `parts` is the file as [`crate::intake::jpeg::walk`] split it.
pub(crate) fn eighth(parts: &[Part<'_>]) -> Option<Pixels> {
    decode_parts(parts).map(|d| d.pixels(true))
}

/// A decoded image: each component's block averages.
struct Decoded {
    planes: Vec<Plane>,
    frame: Frame,
}

fn decode_parts(parts: &[Part<'_>]) -> Option<Decoded> {
    let mut dc_quant = [None::<i32>; 4];
    let mut tables: [[Option<Huffman>; 4]; 2] = Default::default();
    let mut restart_interval = 0usize;
    let mut frame: Option<Frame> = None;
    let mut planes: Vec<Option<Plane>> = Vec::new();
    let mut scan: Option<Vec<usize>> = None;
    for part in parts {
        match *part {
            Part::Entropy(data) => {
                let f = frame.as_ref()?;
                let order = scan.take()?;
                let coded = decode(data, f, &order, restart_interval, &dc_quant, &tables)?;
                for (i, plane) in order.into_iter().zip(coded) {
                    planes[i] = Some(plane);
                }
            }
            Part::Segment {
                marker, payload, ..
            } => match marker {
                DQT => read_dqt(payload, &mut dc_quant)?,
                DHT => read_dht(payload, &mut tables)?,
                DRI => {
                    let ri = payload.get(..2)?;
                    restart_interval = usize::from(u16::from_be_bytes([ri[0], ri[1]]));
                }
                // Baseline and extended sequential, Huffman-coded.
                0xC0 | 0xC1 => {
                    let f = read_sof(payload)?;
                    let ids: Vec<u8> = f.components.iter().map(|c| c.id).collect();
                    if OTHER_COLOUR_IDS.iter().any(|other| ids == other) {
                        return None;
                    }
                    planes = f.components.iter().map(|_| None).collect();
                    frame = Some(f);
                }
                // Any other frame type: progressive, lossless, arithmetic coding.
                0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
                // An Adobe colour transform may mean RGB or YCCK.
                APP14 => return None,
                SOS => {
                    let f = frame.as_mut()?;
                    let order = read_sos(payload, &mut f.components)?;
                    // Each component is coded in exactly one scan.
                    if order.iter().any(|&i| planes[i].is_some()) {
                        return None;
                    }
                    scan = Some(order);
                }
                _ => {}
            },
        }
    }
    Some(Decoded {
        planes: planes.into_iter().collect::<Option<Vec<_>>>()?,
        frame: frame?,
    })
}

fn read_dqt(mut payload: &[u8], dc_quant: &mut [Option<i32>; 4]) -> Option<()> {
    while let Some((&pq_tq, rest)) = payload.split_first() {
        let wide = pq_tq >> 4;
        let id = usize::from(pq_tq & 15);
        let size = if wide == 1 { 128 } else { 64 };
        if wide > 1 || id > 3 || rest.len() < size {
            return None;
        }
        // The DC quantiser is the first entry in zigzag order.
        dc_quant[id] = Some(if wide == 1 {
            i32::from(u16::from_be_bytes([rest[0], rest[1]]))
        } else {
            i32::from(rest[0])
        });
        payload = &rest[size..];
    }
    Some(())
}

fn read_dht(mut payload: &[u8], tables: &mut [[Option<Huffman>; 4]; 2]) -> Option<()> {
    while let Some((&tc_th, rest)) = payload.split_first() {
        let class = usize::from(tc_th >> 4);
        let id = usize::from(tc_th & 15);
        let counts = rest.get(..16)?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values = rest.get(16..16 + total)?;
        if class > 1 || id > 3 || total > 256 {
            return None;
        }
        tables[class][id] = Some(Huffman::new(counts, values)?);
        payload = &rest[16 + total..];
    }
    Some(())
}

/// The frame header: size and components.
struct Frame {
    width: usize,
    height: usize,
    components: Vec<Component>,
}

impl Frame {
    fn h_max(&self) -> usize {
        self.components.iter().map(|c| c.h).max().unwrap_or(1)
    }

    fn v_max(&self) -> usize {
        self.components.iter().map(|c| c.v).max().unwrap_or(1)
    }
}

fn read_sof(payload: &[u8]) -> Option<Frame> {
    let (&precision, rest) = payload.split_first()?;
    let height = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
    let width = usize::from(u16::from_be_bytes([*rest.get(2)?, *rest.get(3)?]));
    let n = usize::from(*rest.get(4)?);
    if precision != 8 || width == 0 || height == 0 || !matches!(n, 1 | 3) {
        return None;
    }
    let components = rest
        .get(5..5 + 3 * n)?
        .chunks_exact(3)
        .map(|c| Component {
            id: c[0],
            h: usize::from(c[1] >> 4),
            v: usize::from(c[1] & 15),
            quant: usize::from(c[2]),
            ..Component::default()
        })
        .collect::<Vec<_>>();
    let frame = Frame {
        width,
        height,
        components,
    };
    let (h_max, v_max) = (frame.h_max(), frame.v_max());
    // Sampling factors must divide the largest, so each block maps onto whole output pixels.
    let ok = frame.components.iter().all(|c| {
        (1..=4).contains(&c.h)
            && (1..=4).contains(&c.v)
            && h_max % c.h == 0
            && v_max % c.v == 0
            && c.quant < 4
    });
    ok.then_some(frame)
}

/// Assigns the scan's tables to the components; returns the components' order in the scan.
fn read_sos(payload: &[u8], components: &mut [Component]) -> Option<Vec<usize>> {
    let n = usize::from(*payload.first()?);
    let selectors = payload.get(1..1 + 2 * n)?;
    let tail = payload.get(1 + 2 * n..4 + 2 * n)?;
    // Sequential: the whole spectrum, no successive approximation.
    if n == 0 || n > components.len() || tail != [0, 63, 0] {
        return None;
    }
    let mut order = Vec::with_capacity(n);
    for s in selectors.chunks_exact(2) {
        let i = components.iter().position(|c| c.id == s[0])?;
        if order.contains(&i) {
            return None;
        }
        components[i].dc_table = usize::from(s[1] >> 4);
        components[i].ac_table = usize::from(s[1] & 15);
        if components[i].dc_table > 3 || components[i].ac_table > 3 {
            return None;
        }
        order.push(i);
    }
    Some(order)
}

/// A component's block averages: one byte per 8x8 block over whole MCUs, and the row length.
type Plane = (Zeroizing<Vec<u8>>, usize);

/// One component of a scan being decoded.
struct ScanComponent<'t> {
    plane: Plane,
    /// Blocks per MCU, across and down.
    blocks: (usize, usize),
    dc_quant: i32,
    dc: &'t Huffman,
    ac: &'t Huffman,
    predictor: i32,
}

/// Decodes one scan; returns the planes of the components in `order`, the scan's order.
fn decode(
    data: &[u8],
    frame: &Frame,
    order: &[usize],
    restart_interval: usize,
    dc_quant: &[Option<i32>; 4],
    tables: &[[Option<Huffman>; 4]; 2],
) -> Option<Vec<Plane>> {
    let (h_max, v_max) = (frame.h_max(), frame.v_max());
    // Planes cover the frame's whole MCUs, as an interleaved scan codes them.
    let (frame_mcus_x, frame_mcus_y) = (
        frame.width.div_ceil(8 * h_max),
        frame.height.div_ceil(8 * v_max),
    );
    let interleaved = order.len() > 1;
    // A scan of one component has one block per MCU, over that component's own block grid.
    let (mcus_x, mcus_y) = if interleaved {
        (frame_mcus_x, frame_mcus_y)
    } else {
        let c = frame.components[order[0]];
        (
            (frame.width * c.h).div_ceil(h_max).div_ceil(8),
            (frame.height * c.v).div_ceil(v_max).div_ceil(8),
        )
    };
    let mut scan = Vec::with_capacity(order.len());
    for &i in order {
        let c = frame.components[i];
        let stride = frame_mcus_x * c.h;
        scan.push(ScanComponent {
            plane: (Zeroizing::new(vec![0; stride * frame_mcus_y * c.v]), stride),
            blocks: if interleaved { (c.h, c.v) } else { (1, 1) },
            dc_quant: dc_quant[c.quant]?,
            dc: tables[0][c.dc_table].as_ref()?,
            ac: tables[1][c.ac_table].as_ref()?,
            predictor: 0,
        });
    }
    let mut bits = Bits::new(data);
    for mcu in 0..mcus_x * mcus_y {
        if restart_interval > 0 && mcu > 0 && mcu % restart_interval == 0 {
            bits.restart(((mcu / restart_interval - 1) % 8) as u8)?;
            for c in &mut scan {
                c.predictor = 0;
            }
        }
        let (mx, my) = (mcu % mcus_x, mcu / mcus_x);
        for c in &mut scan {
            let (bh, bv) = c.blocks;
            let (plane, stride) = &mut c.plane;
            for v in 0..bv {
                for h in 0..bh {
                    c.predictor = c
                        .predictor
                        .wrapping_add(dc_of_block(&mut bits, c.dc, c.ac)?);
                    // As a 1x1 IDCT: the dequantised DC over 8, shifted to 0..255.
                    let level = (i64::from(c.predictor) * i64::from(c.dc_quant) + 1024) >> 3;
                    plane[(my * bv + v) * *stride + mx * bh + h] = level.clamp(0, 255) as u8;
                }
            }
        }
    }
    bits.intact()
        .then(|| scan.into_iter().map(|c| c.plane).collect())
}

impl Decoded {
    /// The picture, `ceil(width / 8)` by `ceil(height / 8)` as `jpeg-decoder` sizes it, with
    /// subsampled chroma repeated; with `rgb`, YCbCr is turned to RGB by JFIF's formula in
    /// `jpeg-decoder`'s fixed-point arithmetic, otherwise the components are left as they are.
    fn pixels(&self, rgb: bool) -> Pixels {
        let frame = &self.frame;
        let (w, h) = (frame.width.div_ceil(8), frame.height.div_ceil(8));
        let (h_max, v_max) = (frame.h_max(), frame.v_max());
        // In range: a plane covers whole MCUs, at least `ceil(size / 8)` scaled by the
        // component's sampling factor over the largest.
        let sample = |i: usize, x: usize, y: usize| {
            let c = frame.components[i];
            let (plane, stride) = &self.planes[i];
            plane[(y * c.v / v_max) * stride + x * c.h / h_max]
        };
        let channels = frame.components.len();
        let mut data = Zeroizing::new(Vec::with_capacity(w * h * channels));
        for y in 0..h {
            for x in 0..w {
                if channels == 1 {
                    data.push(sample(0, x, y));
                } else {
                    let ycc = [sample(0, x, y), sample(1, x, y), sample(2, x, y)];
                    data.extend_from_slice(&if rgb { ycbcr_to_rgb(ycc) } else { ycc });
                }
            }
        }
        Pixels {
            width: w as u32,
            height: h as u32,
            channels: channels as u8,
            data,
        }
    }
}

fn ycbcr_to_rgb([y, cb, cr]: [u8; 3]) -> [u8; 3] {
    const SHIFT: i32 = 20;
    // In f32, as jpeg-decoder's scalar path rounds its constants.
    const fn fixed(x: f32) -> i32 {
        (x * (1 << SHIFT) as f32 + 0.5) as i32
    }
    let y = i32::from(y) * (1 << SHIFT) + (1 << (SHIFT - 1));
    let (cb, cr) = (i32::from(cb) - 128, i32::from(cr) - 128);
    let clamp = |v: i32| (v >> SHIFT).clamp(0, 255) as u8;
    [
        clamp(y + fixed(1.40200) * cr),
        clamp(y - fixed(0.34414) * cb - fixed(0.71414) * cr),
        clamp(y + fixed(1.77200) * cb),
    ]
}
