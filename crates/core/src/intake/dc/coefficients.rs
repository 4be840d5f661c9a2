//! Every quantised DCT coefficient of a sequential JPEG: what delivery's lossless turn
//! (`delivery::dct_turn`) rearranges instead of decoding the photo to pixels.
//!
//! Same reach as the DC-only decoder, read with the same tables and bit reader: baseline or
//! extended-sequential Huffman, 8-bit, one or three components, integral sampling factors, one
//! interleaved scan or one scan per component, restart intervals. Colour is not interpreted, so
//! an Adobe or RGB JPEG is read like any other. Anything else, or damaged data, gives `None` and
//! delivery re-encodes with `jpeg-decoder`, whose verdict then stands.

use zeroize::Zeroizing;

use super::entropy::{whole_block, Bits, Huffman};
use super::{read_sof, read_sos, unread_frame, Frame, Tables, SOS};
use crate::intake::jpeg::Part;

/// The quantised DC coefficients an 8-bit JPEG can hold: the DC term is 8 times the block's mean
/// sample (-128 to 127), so -1024 to 1016 at a quantiser of 1. Anything beyond is damaged data;
/// within it, any two differ by at most 11 bits, so a turned image's new DC differences can be
/// coded too.
const DC_RANGE: std::ops::RangeInclusive<i32> = -1024..=1023;

/// A sequential JPEG's coefficients, component by component.
pub(crate) struct Coefficients {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) planes: Vec<CoefficientPlane>,
}

/// One component's blocks over the frame's whole MCUs (as an interleaved scan codes them; the
/// blocks a one-component scan does not code stay zero).
pub(crate) struct CoefficientPlane {
    pub(crate) id: u8,
    /// Sampling factors, across and down.
    pub(crate) h: usize,
    pub(crate) v: usize,
    /// The quantisers it was coded with, zigzag order.
    pub(crate) quant: [u16; 64],
    /// Blocks across and down.
    pub(crate) blocks: (usize, usize),
    /// 64 coefficients per block in zigzag order, blocks row by row; DC as its value, not its
    /// difference. Wiped on drop: they are the photo.
    pub(crate) data: Zeroizing<Vec<i16>>,
}

impl Coefficients {
    pub(crate) fn h_max(&self) -> usize {
        self.planes.iter().map(|p| p.h).max().unwrap_or(1)
    }

    pub(crate) fn v_max(&self) -> usize {
        self.planes.iter().map(|p| p.v).max().unwrap_or(1)
    }
}

/// The coefficients of the file `parts` (as [`crate::intake::jpeg::walk`] split it), or `None`
/// (see the module doc). The caller has checked the frame's size against its limits: the planes
/// take 128 bytes per block.
pub(crate) fn coefficients(parts: &[Part<'_>]) -> Option<Coefficients> {
    let mut tables = Tables::default();
    let mut frame: Option<Frame> = None;
    let mut planes: Vec<CoefficientPlane> = Vec::new();
    let mut coded: Vec<bool> = Vec::new();
    let mut scan: Option<Vec<usize>> = None;
    for part in parts {
        match *part {
            Part::Entropy(data) => {
                let f = frame.as_ref()?;
                let order = scan.take()?;
                for &i in &order {
                    // The table in force when the component is coded is the one it uses.
                    planes[i].quant = tables.quant[f.components[i].quant]?;
                }
                decode_scan(
                    data,
                    f,
                    &order,
                    tables.restart_interval,
                    &tables.huffman,
                    &mut planes,
                )?;
                for i in order {
                    coded[i] = true;
                }
            }
            Part::Segment {
                marker, payload, ..
            } if tables.read(marker, payload)? => {}
            Part::Segment {
                marker, payload, ..
            } => match marker {
                0xC0 | 0xC1 => {
                    if frame.is_some() {
                        return None;
                    }
                    let f = read_sof(payload)?;
                    let (h_max, v_max) = (f.h_max(), f.v_max());
                    let mcus = (f.width.div_ceil(8 * h_max), f.height.div_ceil(8 * v_max));
                    planes = f
                        .components
                        .iter()
                        .map(|c| {
                            let blocks = (mcus.0 * c.h, mcus.1 * c.v);
                            CoefficientPlane {
                                id: c.id,
                                h: c.h,
                                v: c.v,
                                quant: [0; 64],
                                blocks,
                                data: Zeroizing::new(vec![0; blocks.0 * blocks.1 * 64]),
                            }
                        })
                        .collect();
                    coded = vec![false; planes.len()];
                    frame = Some(f);
                }
                m if unread_frame(m) => return None,
                SOS => {
                    let f = frame.as_mut()?;
                    let order = read_sos(payload, &mut f.components)?;
                    if order.iter().any(|&i| coded[i]) {
                        return None;
                    }
                    scan = Some(order);
                }
                _ => {}
            },
        }
    }
    let f = frame?;
    coded.iter().all(|&c| c).then_some(Coefficients {
        width: f.width,
        height: f.height,
        planes,
    })
}

/// Decodes one scan's blocks into the planes of the components in `order`.
fn decode_scan(
    data: &[u8],
    frame: &Frame,
    order: &[usize],
    restart_interval: usize,
    tables: &[[Option<Huffman>; 4]; 2],
    planes: &mut [CoefficientPlane],
) -> Option<()> {
    let (h_max, v_max) = (frame.h_max(), frame.v_max());
    let interleaved = order.len() > 1;
    let (mcus_x, mcus_y) = if interleaved {
        (
            frame.width.div_ceil(8 * h_max),
            frame.height.div_ceil(8 * v_max),
        )
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
        let blocks = if interleaved { (c.h, c.v) } else { (1, 1) };
        let dc = tables[0][c.dc_table].as_ref()?;
        let ac = tables[1][c.ac_table].as_ref()?;
        scan.push((i, blocks, dc, ac));
    }
    let mut predictors = vec![0i32; scan.len()];
    let mut bits = Bits::new(data);
    for mcu in 0..mcus_x * mcus_y {
        if restart_interval > 0 && mcu > 0 && mcu.is_multiple_of(restart_interval) {
            bits.restart(((mcu / restart_interval - 1) % 8) as u8)?;
            predictors.fill(0);
        }
        let (mx, my) = (mcu % mcus_x, mcu / mcus_x);
        for (s, &(i, (bh, bv), dc, ac)) in scan.iter().enumerate() {
            let plane = &mut planes[i];
            for v in 0..bv {
                for h in 0..bh {
                    let at = ((my * bv + v) * plane.blocks.0 + mx * bh + h) * 64;
                    let block = plane.data.get_mut(at..at + 64)?;
                    let diff = whole_block(&mut bits, dc, ac, block)?;
                    let value = predictors[s].checked_add(diff)?;
                    if !DC_RANGE.contains(&value) {
                        return None;
                    }
                    predictors[s] = value;
                    block[0] = value as i16;
                }
            }
        }
        // As the DC-only decoder: bits past the data's end mean the scan will be refused.
        if !bits.intact() {
            return None;
        }
    }
    bits.intact().then_some(())
}
