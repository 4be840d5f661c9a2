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

mod blur;
mod coefficients;
mod entropy;
mod handoff;
mod sync;
#[cfg(test)]
mod tests;

pub(crate) use blur::Sharpness;
use blur::{EdgeCounter, Fine};
pub(crate) use coefficients::{coefficients, CoefficientPlane, Coefficients};

use zeroize::Zeroizing;

use crate::intake::jpeg::Part;
use crate::intake::pixels::{Pixels, Shrink};
use entropy::{dc_of_block, Bits, FineWeights, Huffman};

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

/// The 1/8-scale picture (see the module doc) in RGB or grey, and the blur estimate made from the
/// coefficients on the way ([`EdgeCounter`]); or `None` to use `jpeg-decoder`. `parts` is the
/// file as [`crate::intake::jpeg::walk`] split it; `decoding` says on how many threads scans are
/// decoded, and whether AC codes are looked up two at a time.
#[cfg(any(test, feature = "test-support"))]
pub(crate) fn eighth(parts: &[Part<'_>], decoding: Decoding) -> Option<(Pixels, Sharpness)> {
    let decoded = decode_parts(parts, decoding)?;
    Some((decoded.pixels(true), decoded.edges.sharpness()))
}

/// [`eighth`] box-filtered down to `target` as its rows are made (as
/// [`crate::intake::pixels::Shrink`] does with a whole picture), and the blur estimate: what
/// intake's thumbnail needs. The 1/8-scale picture is never held whole (2.2 MiB in RGB at 48 MP,
/// next to the planes it is made from: that moment was intake's peak memory).
pub(crate) fn eighth_shrunk(
    parts: &[Part<'_>],
    decoding: Decoding,
    target: (u32, u32),
) -> Option<(Pixels, Sharpness)> {
    let decoded = decode_parts(parts, decoding)?;
    let (w, h) = decoded.size();
    let channels = decoded.frame.components.len() as u8;
    let mut shrink = Shrink::new((w as u32, h as u32), target, channels);
    decoded.rows(true, |y, row| shrink.add_row(y as u32, row));
    Some((shrink.finish(), decoded.edges.sharpness()))
}

/// A decoded image: each component's block averages, and the luma blocks' edges counted.
struct Decoded {
    planes: Vec<Plane>,
    edges: EdgeCounter,
    frame: Frame,
}

/// What the segments before a scan set for decoding it: quantisation and Huffman tables and the
/// restart interval. Shared by this decoder and the coefficient reader (`coefficients.rs`).
#[derive(Default)]
struct Tables {
    quant: [Option<Quant>; 4],
    huffman: [[Option<Huffman>; 4]; 2],
    restart_interval: usize,
}

impl Tables {
    /// Takes in a DQT, DHT or DRI segment: `Some(true)` when `marker` is one, `Some(false)` for
    /// any other marker, `None` when the segment is damaged.
    fn read(&mut self, marker: u8, payload: &[u8]) -> Option<bool> {
        match marker {
            DQT => read_dqt(payload, &mut self.quant)?,
            DHT => read_dht(payload, &mut self.huffman)?,
            DRI => {
                let ri = payload.get(..2)?;
                self.restart_interval = usize::from(u16::from_be_bytes([ri[0], ri[1]]));
            }
            _ => return Some(false),
        }
        Some(true)
    }
}

/// A frame type neither decoder reads: progressive, lossless, arithmetic coding.
fn unread_frame(marker: u8) -> bool {
    matches!(marker, 0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)
}

fn decode_parts(parts: &[Part<'_>], decoding: Decoding) -> Option<Decoded> {
    let mut tables = Tables::default();
    let mut frame: Option<Frame> = None;
    let mut planes: Vec<Option<Plane>> = Vec::new();
    let mut scan: Option<Vec<usize>> = None;
    let mut edges: Option<EdgeCounter> = None;
    for part in parts {
        match *part {
            Part::Entropy(data) => {
                let f = frame.as_ref()?;
                let order = scan.take()?;
                let (coded, luma_edges) = decode(
                    data,
                    f,
                    &order,
                    tables.restart_interval,
                    &tables.quant,
                    &tables.huffman,
                    decoding,
                )?;
                for (i, plane) in order.into_iter().zip(coded) {
                    planes[i] = Some(plane);
                }
                edges = edges.or(luma_edges);
            }
            Part::Segment {
                marker, payload, ..
            } if tables.read(marker, payload)? => {}
            Part::Segment {
                marker, payload, ..
            } => match marker {
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
                m if unread_frame(m) => return None,
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
        edges: edges?,
        frame: frame?,
    })
}

/// Quantisers of one table in zigzag order, as DQT stores them.
type Quant = [u16; 64];

fn read_dqt(mut payload: &[u8], quant: &mut [Option<Quant>; 4]) -> Option<()> {
    while let Some((&pq_tq, rest)) = payload.split_first() {
        let wide = pq_tq >> 4;
        let id = usize::from(pq_tq & 15);
        let size = if wide == 1 { 128 } else { 64 };
        if wide > 1 || id > 3 || rest.len() < size {
            return None;
        }
        let mut table = [0u16; 64];
        for (k, q) in table.iter_mut().enumerate() {
            *q = if wide == 1 {
                u16::from_be_bytes([rest[2 * k], rest[2 * k + 1]])
            } else {
                u16::from(rest[k])
            };
        }
        quant[id] = Some(table);
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

/// One component of a scan being decoded: what every thread decoding part of the scan shares.
struct ScanComponent<'t> {
    /// Index in the frame's components.
    index: usize,
    /// Blocks per MCU, across and down.
    blocks: (usize, usize),
    quant: Quant,
    /// The quantisers as fine detail reads them.
    weights: FineWeights,
    dc: &'t Huffman,
    ac: &'t Huffman,
}

impl ScanComponent<'_> {
    /// One block of this component: its DC difference and fine detail, AC codes looked up two at
    /// a time with `pairs`. Every decoding loop (one thread, restart chunks, `sync.rs`) reads
    /// blocks through this.
    #[inline(always)]
    fn block(&self, bits: &mut Bits<'_>, pairs: bool) -> Option<(i32, Fine)> {
        if pairs {
            dc_of_block::<true>(bits, self.dc, self.ac, &self.weights)
        } else {
            dc_of_block::<false>(bits, self.dc, self.ac, &self.weights)
        }
    }

    /// A block's level from this component's DC predictor: as a 1x1 IDCT, the dequantised DC
    /// (its quantiser is the first in zigzag order) over 8, shifted to 0..255.
    #[inline(always)]
    fn level(&self, predictor: i32) -> u8 {
        ((i64::from(predictor) * i64::from(self.quant[0]) + 1024) >> 3).clamp(0, 255) as u8
    }
}

/// A scan's MCUs decoded from one restart interval to another: per scan component, its blocks'
/// levels in coding order; and for the luma component (frame component 0), its blocks' fine
/// detail in the same order.
struct Run {
    levels: Vec<Zeroizing<Vec<u8>>>,
    fine: Zeroizing<Vec<Fine>>,
    /// Which scan component is luma, if any.
    luma: Option<usize>,
}

/// Below this many MCUs per thread a scan is not split further: starting a thread would cost more
/// than it saves (1200 MCUs are about 0.3 MP in 4:2:0).
const MIN_MCUS_PER_THREAD: usize = 1200;
/// Most threads one scan is split across: the big cores of a phone.
pub(crate) const MAX_THREADS: usize = 8;

/// How a scan is decoded: on how many threads, and how many AC codes per table lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decoding {
    threads: usize,
    min_mcus: usize,
    pairs: bool,
}

impl Decoding {
    /// Up to `threads` threads (at most [`MAX_THREADS`]), each given at least
    /// [`MIN_MCUS_PER_THREAD`] MCUs (small images stay on one), two AC codes per lookup.
    pub(crate) fn new(threads: usize) -> Decoding {
        Decoding {
            threads: threads.min(MAX_THREADS),
            min_mcus: MIN_MCUS_PER_THREAD,
            pairs: true,
        }
    }

    /// Up to `threads` threads however small the image: for tests and fuzzing, which must reach
    /// the split with small inputs.
    #[cfg(any(test, feature = "test-support"))]
    pub(crate) fn eager(threads: usize) -> Decoding {
        Decoding {
            min_mcus: 1,
            ..Decoding::new(threads)
        }
    }

    /// One AC code per lookup: the reference the two-code lookups are checked against.
    #[cfg(any(test, feature = "test-support"))]
    pub(crate) fn one_code_at_a_time(self) -> Decoding {
        Decoding {
            pairs: false,
            ..self
        }
    }
}

/// Decodes one scan; returns the planes of the components in `order`, the scan's order, and the
/// luma plane's edges counted if luma is in this scan. With more than one thread in `decoding`, the
/// scan is split at restart markers (see [`split`]) or, without them, where the Huffman codes fall
/// into step (`sync.rs`), and decoded on up to that many threads; the result is the one-thread
/// result, byte for byte, refusals included.
fn decode(
    data: &[u8],
    frame: &Frame,
    order: &[usize],
    restart_interval: usize,
    quant: &[Option<Quant>; 4],
    tables: &[[Option<Huffman>; 4]; 2],
    decoding: Decoding,
) -> Option<(Vec<Plane>, Option<EdgeCounter>)> {
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
        let q = quant[c.quant]?;
        scan.push(ScanComponent {
            index: i,
            blocks: if interleaved { (c.h, c.v) } else { (1, 1) },
            quant: q,
            weights: FineWeights::new(&q),
            dc: tables[0][c.dc_table].as_ref()?,
            ac: tables[1][c.ac_table].as_ref()?,
        });
    }
    let mcus = mcus_x * mcus_y;
    let mut planes: Vec<Plane> = scan
        .iter()
        .map(|c| {
            let stride = frame_mcus_x * frame.components[c.index].h;
            let size = stride * frame_mcus_y * frame.components[c.index].v;
            (Zeroizing::new(vec![0; size]), stride)
        })
        .collect();
    let luma = scan.iter().position(|c| c.index == 0);
    let mut edges = luma.map(|l| {
        // The luma blocks that show the image, as `jpeg-decoder` sizes the picture.
        let c = frame.components[0];
        let size = (
            (frame.width * c.h).div_ceil(h_max).div_ceil(8),
            (frame.height * c.v).div_ceil(v_max).div_ceil(8),
        );
        EdgeCounter::new(size, planes[l].1, scan[l].blocks.1)
    });
    let mut sink = PlaneSink {
        planes: &mut planes,
        edges: edges.as_mut(),
        luma,
        mcus_x,
    };
    match split(data, mcus, restart_interval, decoding) {
        Some((chunks, groups)) => decode_chunks(
            data,
            &scan,
            (&chunks, &groups),
            restart_interval,
            decoding.pairs,
            &mut sink,
        )?,
        // No restart markers: split where the codes fall into step (`sync.rs`), unless it gives
        // up, which leaves the scan to one thread.
        None if restart_interval == 0
            && threads_for(mcus, decoding) >= 2
            && sync::decode(
                data,
                &scan,
                mcus,
                threads_for(mcus, decoding),
                decoding.pairs,
                &mut sink,
            )
            .is_some() => {}
        // One thread: straight into the planes, with no copy to hold.
        None => {
            // The split may have given up part way: the edges are counted again from the start.
            if let Some(e) = sink.edges.as_deref_mut() {
                e.restart();
            }
            let whole = Chunk {
                from: 0,
                mcus: 0..mcus,
                last: true,
            };
            decode_run(
                data,
                &scan,
                mcus_x,
                &whole,
                restart_interval,
                decoding.pairs,
                &mut sink,
            )?;
        }
    }
    Some((planes, edges))
}

/// Where decoded blocks go.
trait Sink {
    /// Block `(h, v)` of the MCU at column and row `mcu` of scan component `s`, which has `blocks`
    /// blocks per MCU across and down; `fine` is the block's fine detail if `s` is luma. Called in
    /// coding order.
    fn put(
        &mut self,
        s: usize,
        blocks: (usize, usize),
        mcu: (usize, usize),
        at: (usize, usize),
        level: u8,
        fine: Fine,
    );
}

/// The scan's planes, filled in place, and the luma plane's edges counted as its MCU rows are
/// completed.
struct PlaneSink<'p> {
    planes: &'p mut [Plane],
    edges: Option<&'p mut EdgeCounter>,
    luma: Option<usize>,
    mcus_x: usize,
}

impl Sink for PlaneSink<'_> {
    #[inline(always)]
    fn put(
        &mut self,
        s: usize,
        (bh, bv): (usize, usize),
        (mx, my): (usize, usize),
        (h, v): (usize, usize),
        level: u8,
        fine: Fine,
    ) {
        let Some((plane, stride)) = self.planes.get_mut(s) else {
            return;
        };
        // In range: the planes cover every MCU of the scan.
        let at = (my * bv + v) * *stride + mx * bh + h;
        if let Some(p) = plane.get_mut(at) {
            *p = level;
        }
        if Some(s) == self.luma {
            if let Some(edges) = self.edges.as_deref_mut() {
                edges.put(my, v, mx * bh + h, fine);
                // The MCU row's last luma block: its block rows are complete.
                if mx + 1 == self.mcus_x && h + 1 == bh && v + 1 == bv {
                    edges.mcu_row_done(plane, my);
                }
            }
        }
    }
}

impl Sink for Run {
    #[inline(always)]
    fn put(
        &mut self,
        s: usize,
        _: (usize, usize),
        _: (usize, usize),
        _: (usize, usize),
        level: u8,
        fine: Fine,
    ) {
        if let Some(levels) = self.levels.get_mut(s) {
            levels.push(level);
        }
        if Some(s) == self.luma {
            self.fine.push(fine);
        }
    }
}

/// Part of a scan decoded by one thread: MCUs `mcus`, coded from byte `from` of the scan's data.
/// Every chunk but the first starts just after a restart marker, so it starts with fresh DC
/// predictors as the one-thread decoder does there.
struct Chunk {
    from: usize,
    mcus: std::ops::Range<usize>,
    /// The scan's last chunk: its data must be intact to its end. Any other chunk must end at the
    /// restart marker the next chunk starts after.
    last: bool,
}

/// Threads for a scan of `mcus` MCUs: at most `decoding.threads`, each with at least
/// `decoding.min_mcus` MCUs.
fn threads_for(mcus: usize, decoding: Decoding) -> usize {
    decoding.threads.min(mcus / decoding.min_mcus.max(1))
}

/// Splits a scan into chunks at restart markers, or `None` to decode it on one thread (no restart
/// markers, one thread asked for, a small image, or fewer markers than the scan needs, which the
/// one-thread decoder then refuses in its own words). Chunk 0 is for this thread, shorter than
/// the others' shares by the cost of putting their blocks in place (as in `sync.rs`); each other
/// thread's share is cut into up to [`sync::PIECES`] chunks, handed on one by one. Returns the
/// chunks, and which chunks each other thread decodes (indices into them, in order).
///
/// The markers are found the way [`Bits`] reads the data: byte pairs `FF 00` are stuffed bytes,
/// any other `FF` begins a marker. The one-thread decoder cannot read past a marker (it feeds
/// zero bits there) and resumes only two bytes after it, so the interval after the n-th restart
/// marker is decoded from the same byte in both: the chunks see exactly the bits it would.
fn split(
    data: &[u8],
    mcus: usize,
    restart_interval: usize,
    decoding: Decoding,
) -> Option<(Vec<Chunk>, Vec<std::ops::Range<usize>>)> {
    if restart_interval == 0 || decoding.threads < 2 {
        return None;
    }
    let intervals = mcus.div_ceil(restart_interval);
    let threads = threads_for(mcus, decoding).min(intervals);
    if threads < 2 {
        return None;
    }
    // Byte offsets just after each of the first `intervals - 1` markers.
    let mut starts = Vec::with_capacity(intervals);
    starts.push(0);
    let mut at = 0;
    while starts.len() < intervals {
        at += memchr::memchr(0xFF, data.get(at..)?)?;
        starts.push(at + 2);
        if data.get(at + 1) == Some(&0) {
            starts.pop();
        }
        at += 2;
    }
    // Intervals `from..to` as a chunk.
    let chunk = |from: usize, to: usize| Chunk {
        from: starts[from],
        mcus: from * restart_interval..(to * restart_interval).min(mcus),
        last: to == intervals,
    };
    let others = threads - 1;
    // At least one interval for every other thread.
    let first = (intervals * sync::first_permille(others) / 1000).clamp(1, intervals - others);
    let rest = intervals - first;
    let mut chunks = vec![chunk(0, first)];
    let mut groups = Vec::with_capacity(others);
    for t in 0..others {
        let (from, to) = (first + t * rest / others, first + (t + 1) * rest / others);
        let pieces = (to - from).clamp(1, sync::PIECES);
        let group_from = chunks.len();
        for p in 0..pieces {
            let (a, b) = (
                from + p * (to - from) / pieces,
                from + (p + 1) * (to - from) / pieces,
            );
            if b > a {
                chunks.push(chunk(a, b));
            }
        }
        groups.push(group_from..chunks.len());
    }
    Some((chunks, groups))
}

/// Decodes the chunks [`split`] made: chunk 0 on this thread straight into `sink`, the others on
/// one thread per group, each chunk handed on as a [`Run`] as soon as it is decoded and put in
/// place here, in order, so that putting overlaps decoding. `None` where the one-thread decoder
/// would refuse the scan (a chunk that does not decode, or does not end at its restart marker).
fn decode_chunks(
    data: &[u8],
    scan: &[ScanComponent<'_>],
    (chunks, groups): (&[Chunk], &[std::ops::Range<usize>]),
    restart_interval: usize,
    pairs: bool,
    sink: &mut PlaneSink<'_>,
) -> Option<()> {
    let decode = |k: usize| {
        let chunk = chunks.get(k)?;
        run_chunk(data, scan, chunk, restart_interval, pairs)
    };
    handoff::run(chunks.len(), groups, decode, |handoff| {
        let mcus_x = sink.mcus_x;
        decode_run(
            data,
            scan,
            mcus_x,
            chunks.first()?,
            restart_interval,
            pairs,
            sink,
        )?;
        for (k, chunk) in chunks.iter().enumerate().skip(1) {
            put_run(&handoff.take(k)?, chunk, scan, sink)?;
        }
        Some(())
    })
}

/// Puts a [`Run`] of `chunk`'s blocks, in coding order, in place.
fn put_run(
    run: &Run,
    chunk: &Chunk,
    scan: &[ScanComponent<'_>],
    sink: &mut PlaneSink<'_>,
) -> Option<()> {
    let mcus_x = sink.mcus_x.max(1);
    let mut levels: Vec<_> = run.levels.iter().map(|l| l.iter()).collect();
    let mut fines = run.fine.iter();
    for mcu in chunk.mcus.clone() {
        let at = (mcu % mcus_x, mcu / mcus_x);
        for (s, c) in scan.iter().enumerate() {
            for v in 0..c.blocks.1 {
                for h in 0..c.blocks.0 {
                    let level = *levels.get_mut(s)?.next()?;
                    let f = if Some(s) == run.luma {
                        *fines.next()?
                    } else {
                        [0; 2]
                    };
                    sink.put(s, c.blocks, at, (h, v), level, f);
                }
            }
        }
    }
    Some(())
}

/// Decodes one chunk's MCUs into a [`Run`] of its own.
fn run_chunk(
    data: &[u8],
    scan: &[ScanComponent<'_>],
    chunk: &Chunk,
    restart_interval: usize,
    pairs: bool,
) -> Option<Run> {
    let count = chunk.mcus.len();
    let luma = scan.iter().position(|c| c.index == 0);
    let luma_blocks = luma.map_or(0, |l| scan[l].blocks.0 * scan[l].blocks.1);
    let mut run = Run {
        levels: scan
            .iter()
            .map(|c| Zeroizing::new(Vec::with_capacity(count * c.blocks.0 * c.blocks.1)))
            .collect(),
        fine: Zeroizing::new(Vec::with_capacity(count * luma_blocks)),
        luma,
    };
    // A run keeps blocks in coding order, not by place: one MCU per row will do.
    decode_run(data, scan, 1, chunk, restart_interval, pairs, &mut run)?;
    Some(run)
}

/// Decodes one chunk's MCUs into `sink`; `None` where the one-thread decoder would refuse the
/// scan.
fn decode_run<S: Sink>(
    data: &[u8],
    scan: &[ScanComponent<'_>],
    mcus_x: usize,
    chunk: &Chunk,
    restart_interval: usize,
    pairs: bool,
    sink: &mut S,
) -> Option<()> {
    let mut predictors = vec![0i32; scan.len()];
    let mut bits = Bits::new(data.get(chunk.from..)?);
    let restart_before =
        |mcu: usize| restart_interval > 0 && mcu > 0 && mcu.is_multiple_of(restart_interval);
    // The MCU's column and row, kept up to date without a division per block.
    let mcus_x = mcus_x.max(1);
    let (mut mx, mut my) = (chunk.mcus.start % mcus_x, chunk.mcus.start / mcus_x);
    for mcu in chunk.mcus.clone() {
        if mcu > chunk.mcus.start && restart_before(mcu) {
            bits.restart(((mcu / restart_interval - 1) % 8) as u8)?;
            predictors.fill(0);
        }
        for (s, c) in scan.iter().enumerate() {
            for v in 0..c.blocks.1 {
                for h in 0..c.blocks.0 {
                    let (diff, fine) = c.block(&mut bits, pairs)?;
                    predictors[s] = predictors[s].wrapping_add(diff);
                    sink.put(s, c.blocks, (mx, my), (h, v), c.level(predictors[s]), fine);
                }
            }
        }
        mx += 1;
        if mx == mcus_x {
            mx = 0;
            my += 1;
        }
        // Bits past the end of the data were used: the scan will be refused at its end (or at
        // the next restart marker) whatever follows, so stop now. Without this a small file
        // claiming a large frame is walked to its last MCU on zero bits (a fuzzing slow unit:
        // 20 s for 847 bytes claiming 94 MP; intake's pixel limits keep it from the app).
        if !bits.intact() {
            return None;
        }
    }
    let end = chunk.mcus.end;
    let ok = if chunk.last {
        bits.intact()
    } else {
        // What the one-thread decoder checks before the next chunk's first MCU.
        restart_before(end)
            && bits
                .restart(((end / restart_interval - 1) % 8) as u8)
                .is_some()
    };
    ok.then_some(())
}

impl Decoded {
    /// The picture, `ceil(width / 8)` by `ceil(height / 8)` as `jpeg-decoder` sizes it, with
    /// subsampled chroma repeated; with `rgb`, YCbCr is turned to RGB by JFIF's formula in
    /// `jpeg-decoder`'s fixed-point arithmetic, otherwise the components are left as they are.
    #[cfg(any(test, feature = "test-support"))]
    fn pixels(&self, rgb: bool) -> Pixels {
        let (w, h) = self.size();
        let channels = self.frame.components.len();
        let mut data = Zeroizing::new(Vec::with_capacity(w * h * channels));
        self.rows(rgb, |_, row| data.extend_from_slice(row));
        Pixels {
            width: w as u32,
            height: h as u32,
            channels: channels as u8,
            data,
        }
    }

    /// The picture's size: `ceil(width / 8)` by `ceil(height / 8)`.
    fn size(&self) -> (usize, usize) {
        (self.frame.width.div_ceil(8), self.frame.height.div_ceil(8))
    }

    /// The picture's rows, top to bottom, each given to `f` with its number (see
    /// [`Decoded::pixels`]); the one row buffer is wiped when done.
    fn rows(&self, rgb: bool, mut f: impl FnMut(usize, &[u8])) {
        let frame = &self.frame;
        let (w, h) = self.size();
        let (h_max, v_max) = (frame.h_max(), frame.v_max());
        // Each pixel's column in each component's plane, worked out once rather than per pixel
        // and row (a division each: most of the time of this loop). In range: a plane covers
        // whole MCUs, at least `ceil(size / 8)` scaled by the component's sampling factor over
        // the largest.
        let columns: Vec<Vec<usize>> = frame
            .components
            .iter()
            .map(|c| (0..w).map(|x| x * c.h / h_max).collect())
            .collect();
        let channels = frame.components.len();
        let mut row = Zeroizing::new(vec![0u8; w * channels]);
        let line = |i: usize, y: usize| {
            let c = frame.components[i];
            let (plane, stride) = &self.planes[i];
            plane.get((y * c.v / v_max) * stride..).unwrap_or_default()
        };
        for y in 0..h {
            if channels == 1 {
                let (l, cols) = (line(0, y), &columns[0]);
                for (out, &x) in row.iter_mut().zip(cols) {
                    *out = l[x];
                }
            } else {
                let (l0, l1, l2) = (line(0, y), line(1, y), line(2, y));
                let cols = columns[0].iter().zip(&columns[1]).zip(&columns[2]);
                for (out, ((&x0, &x1), &x2)) in row.chunks_exact_mut(3).zip(cols) {
                    let ycc = [l0[x0], l1[x1], l2[x2]];
                    out.copy_from_slice(&if rgb { ycbcr_to_rgb(ycc) } else { ycc });
                }
            }
            f(y, &row);
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
    // To 0..=255 with bit operations: `clamp` (or `max` and `min`) compiles to branches here,
    // which the branch predictor cannot guess on a photo's colours (most of the time of making
    // the picture's rows). A negative value's sign bits clear it; one over 255 gets all its bits
    // set, which as a byte is 255.
    let clamp = |v: i32| {
        let v = v >> SHIFT;
        let v = v & !(v >> 31);
        (v | ((255 - v) >> 31)) as u8
    };
    [
        clamp(y + fixed(1.40200) * cr),
        clamp(y - fixed(0.34414) * cb - fixed(0.71414) * cr),
        clamp(y + fixed(1.77200) * cb),
    ]
}
