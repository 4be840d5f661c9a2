//! Turning a sequential JPEG upright without decoding it, as `jpegtran -perfect` does: each 8x8
//! block's quantised coefficients are moved to where the turn puts the block, and within it
//! transposed and sign-flipped (mirroring a cosine of odd frequency negates it). No coefficient
//! changes value, so the pixels a decoder shows are the clinician's own, only turned: no second
//! lossy step.
//!
//! It works only where the turn keeps every block whole. A mirror moves the edge that holds the
//! image's partial MCUs (right and bottom) to the other side, where a JPEG cannot have them; so a
//! turn that mirrors across needs the width to be a whole number of MCUs, one that mirrors down
//! the height (a transpose needs neither). A 4032 x 3024 phone photo in 4:2:0 (16-pixel MCUs)
//! meets both; 4000 x 3000 meets the width's only. Otherwise, and for whatever the coefficient
//! reader declines, [`turned`] returns `None` and the photo is re-encoded once instead
//! (`pixels.rs`).
//!
//! The output has one scan with Huffman tables made for it (JPEG Annex K.2, as `jpegtran
//! -optimize`): a transpose changes which run/size symbols occur, so the input's tables may lack
//! some. It keeps the JFIF header (densities swapped with the axes), the ICC profile and the
//! Adobe marker, and drops the rest (the minimal EXIF intake left holds an orientation the
//! pixels no longer need). Every buffer holding coefficients or output wipes itself on drop.

use zeroize::{Zeroize, Zeroizing};

use super::jpeg_frame::{describe, Frame};
use crate::intake::{jpeg_coefficients, walk_jpeg, CoefficientPlane, Coefficients, JpegPart};
use crate::wiping::WipingBuf;

/// The natural (row-major) index of each zigzag position.
const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];
/// Most blocks an interleaved scan's MCU may have (ISO 10918-1 B.2.3).
const MAX_BLOCKS_PER_MCU: usize = 10;
const ICC_ID: &[u8] = b"ICC_PROFILE\0";

/// What an EXIF orientation's turn does, in the stored image's terms: the upright image's
/// (x, y) is the stored image's (y, x) when `transpose`, then mirrored across (`mirror_x`,
/// x -> width - 1 - x) and down (`mirror_y`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Turn {
    transpose: bool,
    mirror_x: bool,
    mirror_y: bool,
}

impl Turn {
    /// The turn for EXIF orientation 2 to 8 (see `pixels.rs`' `Turn::index` for the same
    /// mapping in pixels); `None` for 1 and anything else.
    fn of(orientation: u8) -> Option<Turn> {
        let (transpose, mirror_x, mirror_y) = match orientation {
            2 => (false, true, false),
            3 => (false, true, true),
            4 => (false, false, true),
            5 => (true, false, false),
            // A quarter turn clockwise: the stored bottom row becomes the left column.
            6 => (true, false, true),
            7 => (true, true, true),
            // A quarter turn anticlockwise: the stored right column becomes the top row.
            8 => (true, true, false),
            _ => return None,
        };
        Some(Turn {
            transpose,
            mirror_x,
            mirror_y,
        })
    }

    /// For each zigzag position of a turned block: the zigzag position in the stored block it
    /// comes from, and whether its sign flips. A mirror across negates the coefficients of odd
    /// horizontal frequency, one down those of odd vertical frequency.
    fn block_map(&self) -> [(u8, bool); 64] {
        let mut from_natural = [0u8; 64];
        for (k, &n) in ZIGZAG.iter().enumerate() {
            from_natural[usize::from(n)] = k as u8;
        }
        let mut map = [(0u8, false); 64];
        for (k, entry) in map.iter_mut().enumerate() {
            let n = usize::from(ZIGZAG[k]);
            let (u, v) = (n % 8, n / 8);
            let (su, sv) = if self.transpose { (v, u) } else { (u, v) };
            let negate = (self.mirror_x && su % 2 == 1) ^ (self.mirror_y && sv % 2 == 1);
            *entry = (from_natural[sv * 8 + su], negate);
        }
        map
    }
}

/// `image` (a sequential JPEG whose size the caller has checked against its limits) turned
/// upright for EXIF `orientation`, losslessly; `None` when that cannot be done (see the module
/// doc) or the result would not be a JPEG that DICOM takes as it is.
pub(crate) fn turned(image: &[u8], orientation: u8) -> Option<Zeroizing<Vec<u8>>> {
    let turn = Turn::of(orientation)?;
    let parts = walk_jpeg(image, false).ok()?;
    let stored = jpeg_coefficients(&parts)?;
    let (mcu_w, mcu_h) = (8 * stored.h_max(), 8 * stored.v_max());
    if (turn.mirror_x && stored.width % mcu_w != 0) || (turn.mirror_y && stored.height % mcu_h != 0)
    {
        return None;
    }
    let upright = turn_planes(&stored, turn);
    drop(stored);
    let n = upright.planes.len();
    let per_mcu: usize = upright.planes.iter().map(|p| p.h * p.v).sum();
    if n == 3 && per_mcu > MAX_BLOCKS_PER_MCU {
        return None;
    }
    let adobe = parts.iter().find_map(|p| match *p {
        JpegPart::Segment {
            marker: 0xEE,
            payload,
            raw,
        } if payload.len() >= 12 && payload.starts_with(b"Adobe") => Some((payload, raw)),
        _ => None,
    });
    // The frame as DICOM will see it: a sampling it does not take (4:2:2 transposed is 4:4:0)
    // is re-encoded instead.
    describe(&Frame {
        height: u16::try_from(upright.height).ok()?,
        width: u16::try_from(upright.width).ok()?,
        sampling: upright
            .planes
            .iter()
            .map(|p| (p.h as u8, p.v as u8))
            .collect(),
        adobe_rgb: adobe.is_some_and(|(payload, _)| payload[11] == 0),
    })
    .ok()?;
    write(
        &upright,
        &parts,
        adobe.map(|(_, raw)| raw),
        turn.transpose,
        image.len(),
    )
}

/// The stored planes turned: each output block is the stored block the turn puts there, with
/// its coefficients moved within it by [`Turn::block_map`].
fn turn_planes(stored: &Coefficients, turn: Turn) -> Coefficients {
    let swap = |(a, b): (usize, usize)| if turn.transpose { (b, a) } else { (a, b) };
    let (width, height) = swap((stored.width, stored.height));
    let map = turn.block_map();
    let (h_max, v_max) = swap((stored.h_max(), stored.v_max()));
    let mcus = (width.div_ceil(8 * h_max), height.div_ceil(8 * v_max));
    let planes = stored
        .planes
        .iter()
        .map(|s| {
            let (h, v) = swap((s.h, s.v));
            let blocks = (mcus.0 * h, mcus.1 * v);
            let mut data = Zeroizing::new(vec![0i16; blocks.0 * blocks.1 * 64]);
            for y in 0..blocks.1 {
                for x in 0..blocks.0 {
                    let (a, b) = swap((x, y));
                    // A mirrored axis is whole MCUs (checked), so its padded length is exact.
                    let sx = if turn.mirror_x {
                        s.blocks.0.wrapping_sub(a + 1)
                    } else {
                        a
                    };
                    let sy = if turn.mirror_y {
                        s.blocks.1.wrapping_sub(b + 1)
                    } else {
                        b
                    };
                    // Outside the stored grid only as padding a decoder never shows: left zero.
                    if sx >= s.blocks.0 || sy >= s.blocks.1 {
                        continue;
                    }
                    let from = (sy * s.blocks.0 + sx) * 64;
                    let to = (y * blocks.0 + x) * 64;
                    let (src, dst) = (&s.data[from..from + 64], &mut data[to..to + 64]);
                    for (d, &(k, negate)) in dst.iter_mut().zip(&map) {
                        let c = src[usize::from(k)];
                        *d = if negate { -c } else { c };
                    }
                }
            }
            let mut quant = [0u16; 64];
            for (q, &(k, _)) in quant.iter_mut().zip(&map) {
                *q = s.quant[usize::from(k)];
            }
            CoefficientPlane {
                id: s.id,
                h,
                v,
                quant,
                blocks,
                data,
            }
        })
        .collect();
    Coefficients {
        width,
        height,
        planes,
    }
}

/// The turned JPEG: SOI, the kept markers, tables, frame, one scan, EOI.
fn write(
    image: &Coefficients,
    parts: &[JpegPart<'_>],
    adobe: Option<&[u8]>,
    transposed: bool,
    input_len: usize,
) -> Option<Zeroizing<Vec<u8>>> {
    let n = image.planes.len();
    // Luma (the first component) gets tables 0, chroma tables 1.
    let table_of = |i: usize| usize::from(i > 0);
    let blocks = scan_blocks(image)?;
    let mut counts = Counts::new();
    encode_scan(image, &blocks, table_of, &mut counts)?;
    let tables: Vec<[Table; 2]> = (0..n.min(2))
        .map(|t| {
            [
                Table::optimal(&counts.0[0][t]),
                Table::optimal(&counts.0[1][t]),
            ]
        })
        .collect();

    let mut out = Output::with_capacity(input_len + (8 << 10));
    out.put(&[0xFF, 0xD8]);
    for part in parts {
        if let JpegPart::Segment {
            marker, payload, ..
        } = *part
        {
            match marker {
                0xE0 if payload.len() >= 14 && payload.starts_with(b"JFIF\0") => {
                    // Version, units and density; the thumbnail was removed at intake.
                    let mut jfif = payload[..12].to_vec();
                    if transposed {
                        jfif[8..12].rotate_left(2);
                    }
                    jfif.extend_from_slice(&[0, 0]);
                    out.segment(0xE0, &jfif)?;
                }
                0xE2 if payload.starts_with(ICC_ID) => out.segment(0xE2, payload)?,
                _ => {}
            }
        }
    }
    if let Some(raw) = adobe {
        out.put(raw);
    }
    // One DQT entry per distinct table, in component order.
    let mut quant_tables: Vec<[u16; 64]> = Vec::new();
    let mut quant_of = Vec::with_capacity(n);
    for p in &image.planes {
        let id = match quant_tables.iter().position(|q| *q == p.quant) {
            Some(id) => id,
            None => {
                quant_tables.push(p.quant);
                quant_tables.len() - 1
            }
        };
        quant_of.push(id as u8);
    }
    let mut dqt = Vec::new();
    for (id, q) in quant_tables.iter().enumerate() {
        let wide = q.iter().any(|&v| v > 255);
        dqt.push(u8::from(wide) << 4 | id as u8);
        for &v in q {
            if wide {
                dqt.extend_from_slice(&v.to_be_bytes());
            } else {
                dqt.push(v as u8);
            }
        }
    }
    out.segment(0xDB, &dqt)?;
    let mut sof = vec![8];
    sof.extend_from_slice(&u16::try_from(image.height).ok()?.to_be_bytes());
    sof.extend_from_slice(&u16::try_from(image.width).ok()?.to_be_bytes());
    sof.push(n as u8);
    for (p, &q) in image.planes.iter().zip(&quant_of) {
        sof.extend_from_slice(&[p.id, (p.h as u8) << 4 | p.v as u8, q]);
    }
    out.segment(0xC0, &sof)?;
    let mut dht = Vec::new();
    for (t, pair) in tables.iter().enumerate() {
        for (class, table) in pair.iter().enumerate() {
            dht.push((class as u8) << 4 | t as u8);
            dht.extend_from_slice(&table.counts);
            dht.extend_from_slice(&table.symbols);
        }
    }
    out.segment(0xC4, &dht)?;
    let mut sos = vec![n as u8];
    for (i, p) in image.planes.iter().enumerate() {
        let t = table_of(i) as u8;
        sos.extend_from_slice(&[p.id, t << 4 | t]);
    }
    sos.extend_from_slice(&[0, 63, 0]);
    out.segment(0xDA, &sos)?;
    let mut writer = BitWriter {
        out,
        tables: &tables,
        acc: 0,
        count: 0,
    };
    encode_scan(image, &blocks, table_of, &mut writer)?;
    let mut out = writer.finish();
    out.put(&[0xFF, 0xD9]);
    Some(out.0.into_inner())
}

/// MCUs across and down of the one output scan, and blocks per MCU of each component: the whole
/// frame's MCUs when interleaved; a lone component's own blocks, one per MCU.
fn scan_blocks(image: &Coefficients) -> Option<ScanShape> {
    match image.planes.as_slice() {
        [p] => {
            let (h_max, v_max) = (image.h_max(), image.v_max());
            Some(ScanShape {
                mcus: (
                    (image.width * p.h).div_ceil(h_max).div_ceil(8),
                    (image.height * p.v).div_ceil(v_max).div_ceil(8),
                ),
                per_mcu: vec![(1, 1)],
            })
        }
        [_, _, _] => Some(ScanShape {
            mcus: (
                image.width.div_ceil(8 * image.h_max()),
                image.height.div_ceil(8 * image.v_max()),
            ),
            per_mcu: image.planes.iter().map(|p| (p.h, p.v)).collect(),
        }),
        _ => None,
    }
}

struct ScanShape {
    mcus: (usize, usize),
    per_mcu: Vec<(usize, usize)>,
}

/// Where a scan's symbols and bits go: counted for the tables, then written.
trait Sink {
    /// A Huffman symbol of `class` (0 DC, 1 AC) from table `table`.
    fn symbol(&mut self, class: usize, table: usize, symbol: u8);
    /// `len` raw bits of `value` (at most 16).
    fn bits(&mut self, value: u32, len: u32);
}

/// Codes the scan's blocks into `sink` in coding order; `None` for a coefficient baseline
/// cannot code (the reader's limits make that damaged data).
fn encode_scan<S: Sink>(
    image: &Coefficients,
    shape: &ScanShape,
    table_of: impl Fn(usize) -> usize,
    sink: &mut S,
) -> Option<()> {
    let mut predictors = vec![0i32; image.planes.len()];
    for my in 0..shape.mcus.1 {
        for mx in 0..shape.mcus.0 {
            for (i, (p, &(bh, bv))) in image.planes.iter().zip(&shape.per_mcu).enumerate() {
                let t = table_of(i);
                for v in 0..bv {
                    for h in 0..bh {
                        let at = ((my * bv + v) * p.blocks.0 + mx * bh + h) * 64;
                        let block = p.data.get(at..at + 64)?;
                        encode_block(block, &mut predictors[i], t, sink)?;
                    }
                }
            }
        }
    }
    Some(())
}

/// Magnitude category (bits needed) of a coefficient value.
fn category(value: i32) -> u32 {
    32 - value.unsigned_abs().leading_zeros()
}

/// The extra bits of `value` in its category: as it is when positive, minus one when negative.
fn extra(value: i32, size: u32) -> u32 {
    let v = if value < 0 { value - 1 } else { value };
    (v as u32) & ((1u32 << size) - 1)
}

#[inline]
fn encode_block<S: Sink>(block: &[i16], predictor: &mut i32, t: usize, sink: &mut S) -> Option<()> {
    let dc = i32::from(block[0]);
    let diff = dc - *predictor;
    *predictor = dc;
    let size = category(diff);
    if size > 11 {
        return None;
    }
    sink.symbol(0, t, size as u8);
    sink.bits(extra(diff, size), size);
    let mut run = 0u8;
    for &c in &block[1..] {
        if c == 0 {
            run += 1;
            continue;
        }
        while run >= 16 {
            sink.symbol(1, t, 0xF0);
            run -= 16;
        }
        let value = i32::from(c);
        let size = category(value);
        if size > 10 {
            return None;
        }
        sink.symbol(1, t, run << 4 | size as u8);
        sink.bits(extra(value, size), size);
        run = 0;
    }
    if run > 0 {
        sink.symbol(1, t, 0x00);
    }
    Some(())
}

/// How often each symbol occurs: by class (DC, AC), table, symbol.
struct Counts([[[u32; 256]; 2]; 2]);

impl Counts {
    fn new() -> Counts {
        Counts([[[0; 256]; 2]; 2])
    }
}

impl Sink for Counts {
    #[inline]
    fn symbol(&mut self, class: usize, table: usize, symbol: u8) {
        let c = &mut self.0[class][table][usize::from(symbol)];
        *c = c.saturating_add(1);
    }

    #[inline]
    fn bits(&mut self, _: u32, _: u32) {}
}

/// One Huffman table: its DHT form and each symbol's code.
struct Table {
    /// Codes of each length 1 to 16.
    counts: [u8; 16],
    /// Symbols in code order.
    symbols: Vec<u8>,
    /// Each symbol's code and length (0: not coded).
    codes: [(u16, u8); 256],
}

impl Table {
    /// The optimal table for symbol counts `freq`, limited to 16-bit codes and with no code of
    /// all ones (ISO 10918-1 Annex K.2, the procedure libjpeg's `jpeg_gen_optimal_table` follows).
    fn optimal(freq: &[u32; 256]) -> Table {
        // A 257th symbol with count 1 reserves the all-ones code; it is removed at the end.
        let mut freq: Vec<u64> = freq.iter().map(|&f| u64::from(f)).collect();
        freq.push(1);
        let mut size = [0usize; 257];
        let mut others = [usize::MAX; 257];
        loop {
            // The two least frequent symbols still in play; on a tie, the higher number.
            let mut c1 = None::<usize>;
            let mut c2 = None::<usize>;
            for i in 0..257 {
                if freq[i] == 0 {
                    continue;
                }
                if c1.is_none_or(|c| freq[i] <= freq[c]) {
                    c2 = c1;
                    c1 = Some(i);
                } else if c2.is_none_or(|c| freq[i] <= freq[c]) {
                    c2 = Some(i);
                }
            }
            let (Some(mut a), Some(mut b)) = (c1, c2) else {
                break;
            };
            freq[a] += freq[b];
            freq[b] = 0;
            size[a] += 1;
            while others[a] != usize::MAX {
                a = others[a];
                size[a] += 1;
            }
            others[a] = b;
            size[b] += 1;
            while others[b] != usize::MAX {
                b = others[b];
                size[b] += 1;
            }
        }
        let mut bits = [0usize; 33];
        for &s in &size {
            if s > 0 {
                bits[s.min(32)] += 1;
            }
        }
        // Codes longer than 16 bits: move pairs up the tree (Figure K.3).
        for i in (17..=32).rev() {
            while bits[i] > 0 {
                let mut j = i - 2;
                while j > 0 && bits[j] == 0 {
                    j -= 1;
                }
                bits[i] -= 2;
                bits[i - 1] += 1;
                bits[j + 1] += 2;
                bits[j] -= 1;
            }
        }
        // Remove the reserved symbol's code: one of the longest.
        if let Some(longest) = (1..=16).rev().find(|&i| bits[i] > 0) {
            bits[longest] -= 1;
        }
        let mut counts = [0u8; 16];
        for (c, &b) in counts.iter_mut().zip(&bits[1..=16]) {
            *c = b as u8;
        }
        // Symbols by code length, then by number (Figure K.4); the reserved one (256) is last
        // among the longest, so taking the first `total` leaves it out.
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let mut symbols: Vec<u8> = (1..=32)
            .flat_map(|len| (0..256).filter(move |&s| size[s] == len).map(|s| s as u8))
            .collect();
        symbols.truncate(total);
        let mut codes = [(0u16, 0u8); 256];
        let mut code = 0u32;
        let mut next = symbols.iter();
        for (len, &count) in counts.iter().enumerate() {
            for _ in 0..count {
                if let Some(&s) = next.next() {
                    codes[usize::from(s)] = (code as u16, len as u8 + 1);
                }
                code += 1;
            }
            code <<= 1;
        }
        Table {
            counts,
            symbols,
            codes,
        }
    }
}

/// Entropy-coded bytes, most significant bit first, 0xFF followed by a stuffed zero.
struct BitWriter<'t> {
    out: Output,
    tables: &'t [[Table; 2]],
    acc: u64,
    count: u32,
}

impl Sink for BitWriter<'_> {
    #[inline]
    fn symbol(&mut self, class: usize, table: usize, symbol: u8) {
        let (code, len) = self.tables[table][class].codes[usize::from(symbol)];
        self.bits(u32::from(code), u32::from(len));
    }

    #[inline]
    fn bits(&mut self, value: u32, len: u32) {
        self.acc = self.acc << len | u64::from(value);
        self.count += len;
        while self.count >= 8 {
            self.count -= 8;
            let byte = (self.acc >> self.count) as u8;
            self.out.byte(byte);
            if byte == 0xFF {
                self.out.byte(0);
            }
        }
    }
}

impl BitWriter<'_> {
    /// Pads the last byte with ones (ISO 10918-1 F.1.2.3) and returns the output.
    fn finish(mut self) -> Output {
        let pad = (8 - self.count % 8) % 8;
        self.bits((1 << pad) - 1, pad);
        self.acc.zeroize();
        self.out
    }
}

/// The output file, in a buffer that wipes what it outgrows (a plain `Vec`'s growth would leave
/// copies of the photo in freed memory).
struct Output(WipingBuf);

impl Output {
    fn with_capacity(capacity: usize) -> Output {
        Output(WipingBuf::with_capacity(capacity))
    }

    #[inline]
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    fn put(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// A marker segment; `None` if the payload is too long for one.
    fn segment(&mut self, marker: u8, payload: &[u8]) -> Option<()> {
        let len = u16::try_from(payload.len() + 2).ok()?;
        self.put(&[0xFF, marker]);
        self.put(&len.to_be_bytes());
        self.put(payload);
        Some(())
    }
}

/// The body of the `dct_turn` fuzz target (`fuzz/fuzz_targets/dct_turn.rs`), kept here so unit
/// tests run it over mutated JPEGs too.
#[doc(hidden)]
#[cfg(any(test, feature = "test-support"))]
pub mod fuzzing {
    use super::{turned, Coefficients};
    use crate::delivery::jpeg_frame::{baseline_frame, describe};
    use crate::intake::{jpeg_coefficients, walk_jpeg};

    /// Most pixels a fuzz input's frame may claim: delivery checks its own limit before turning.
    const MAX_PIXELS: u32 = 1 << 22;

    /// Turns `data` for every orientation. Never panics; whatever comes out is a baseline JPEG of
    /// the turned size whose turn back gives the stored coefficients exactly (a transform that
    /// lost or altered one would not be lossless), and a turn comes out only of what the
    /// coefficient reader reads.
    pub fn dct_turn(data: &[u8]) {
        if let Ok(frame) = baseline_frame(data) {
            if u32::from(frame.width) * u32::from(frame.height) > MAX_PIXELS {
                return;
            }
        } else if data.len() > 4 && data.get(..2) == Some(&[0xFF, 0xD8]) {
            // Not baseline: still run the reader and the turn (SOF1 is read), within the limit.
            let parts = walk_jpeg(data, true);
            let claimed = parts.ok().and_then(|parts| {
                parts.iter().find_map(|p| match *p {
                    crate::intake::JpegPart::Segment {
                        marker: 0xC0..=0xCF,
                        payload,
                        ..
                    } if payload.len() >= 5 => Some(
                        u32::from(u16::from_be_bytes([payload[1], payload[2]]))
                            * u32::from(u16::from_be_bytes([payload[3], payload[4]])),
                    ),
                    _ => None,
                })
            });
            if claimed.is_some_and(|p| p > MAX_PIXELS) {
                return;
            }
        }
        let stored = walk_jpeg(data, false)
            .ok()
            .and_then(|parts| jpeg_coefficients(&parts));
        for orientation in 0..=9u8 {
            let Some(once) = turned(data, orientation) else {
                continue;
            };
            let Some(stored) = stored.as_ref() else {
                panic!("a turn of a file whose coefficients were not read");
            };
            let Ok(frame) = baseline_frame(&once) else {
                panic!("the turned file is not baseline");
            };
            let (w, h) = (usize::from(frame.width), usize::from(frame.height));
            let size = if orientation >= 5 { (h, w) } else { (w, h) };
            assert_eq!(size, (stored.width, stored.height), "the turned size");
            let inverse = match orientation {
                6 => 8,
                8 => 6,
                o => o,
            };
            let back = turned(&once, inverse);
            let sampling = stored.planes.iter().map(|p| (p.h as u8, p.v as u8));
            let upright_ok = describe(&crate::delivery::jpeg_frame::Frame {
                sampling: sampling.collect(),
                ..frame
            });
            let Some(back) = back else {
                // Only a sampling DICOM does not take (4:4:0, which a transpose makes of 4:2:2)
                // keeps the turn from being undone.
                assert!(upright_ok.is_err(), "the inverse turn was refused");
                continue;
            };
            let again = walk_jpeg(&back, false)
                .ok()
                .and_then(|parts| jpeg_coefficients(&parts));
            let Some(again) = again else {
                panic!("the turned-back file does not read");
            };
            assert!(
                same(stored, &again),
                "turning back changed the coefficients"
            );
        }
    }

    fn same(a: &Coefficients, b: &Coefficients) -> bool {
        (a.width, a.height) == (b.width, b.height)
            && a.planes.len() == b.planes.len()
            && a.planes.iter().zip(&b.planes).all(|(p, q)| {
                (p.id, p.h, p.v, p.quant, p.blocks) == (q.id, q.h, q.v, q.quant, q.blocks)
                    && *p.data == *q.data
            })
    }
}
