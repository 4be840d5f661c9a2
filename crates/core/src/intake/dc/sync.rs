//! A scan without restart markers decoded on several threads by self-synchronisation.
//!
//! Without restart markers nothing in the data says where a block starts, so the scan cannot be
//! cut at a known boundary. But Huffman decoding started at an arbitrary bit soon falls into step
//! with the true decoding: a wrong start reads a few wrong codes, then lands on a code boundary
//! the true decoding also reaches, and from a common state both read the same codes for ever
//! (Klein and Wiseman 2003; Weissenberger and Schmidt 2018, who do it on GPUs). Here:
//!
//! - The data is cut into byte ranges: chunk 0 for this thread, and for each other thread an
//!   equal share cut into up to [`PIECES`] chunks (see [`cut`]). Chunk 0 is decoded exactly as on
//!   one thread, straight into the planes. Every other chunk is decoded *speculatively* from its
//!   first byte (never the zero of a stuffed pair), assuming it starts a block at the first block
//!   of an MCU, by the thread whose share it is, chunk after chunk, each handed on when done,
//!   until the first MCU (as it counts them) starting at or past the next chunk's first byte. It keeps each block's DC *difference*
//!   and luma blocks' fine detail, and for its first [`SYNC_BLOCKS`] blocks each block's start: the bit
//!   position, counted without stuffed bytes from the start of the data, and (from its index) the
//!   block's place in the MCU. A speculative chunk that meets an invalid code in those first
//!   blocks (a sign it has not yet fallen into step) starts again a few bytes later.
//! - Then, on this thread, the chunks are joined in order, each as soon as it is handed on (so
//!   the joining overlaps the other threads' decoding; chunk 0 is shorter than their shares by
//!   about the joining's cost). From where the previous chunk ended
//!   (an MCU start, in the true decoding), the true decoding is walked on, block by block into
//!   the planes, until it is at a block start the speculative chunk recorded: same bit position,
//!   same place in the MCU. The decoder's state there is just those two (the coefficient index is
//!   0 at a block start, and the DC predictors do not steer decoding), so from that block on the
//!   speculative chunk's blocks *are* the true ones: each is put in place with its DC difference
//!   added to the true predictors (the DC re-based), and the walk continues from the chunk's end.
//!   A chunk that never falls into step among the block starts it recorded (a very short one) is
//!   decoded by the walk instead.
//! - Anything unexpected gives up and the caller decodes the whole scan on one thread, whose
//!   result, or refusal, then stands: a marker anywhere in the data, an invalid code in chunk 0,
//!   in a walk or in a speculative chunk once joined, data used up before the scan's last block
//!   (the last block's bits are checked as the one-thread decoder checks them). So the result is
//!   the one-thread result byte for byte whenever this returns one, and damaged data costs one
//!   wasted attempt.
//!
//! The blur estimate is counted as the blocks are put in the planes, in coding order
//! (`blur::EdgeCounter`), so it is the same too. Memory: each speculative chunk holds 2 bytes per
//! block it decoded and 2 more per luma block, and 8 bytes per recorded block start (32 KiB),
//! until it is joined (about 1.9 MiB for a 48 MP 4:2:0 photo on two threads when the join falls
//! behind, less as it keeps up).

use zeroize::Zeroize;

use super::entropy::Bits;
use super::handoff::{self, Handoff};
use super::{Fine, PlaneSink, ScanComponent, Sink};

#[cfg(any(test, feature = "test-support"))]
thread_local! {
    /// Scans decoded split on this thread, and scans where the split gave up: for tests, which
    /// must know the split was taken, not only that the result was right.
    pub(crate) static OUTCOMES: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// Block starts each speculative chunk records, and so how far a join is looked for. Falling into
/// step takes a few codes; a few MCUs more may pass before the place in the MCU agrees too.
const SYNC_BLOCKS: usize = 4096;
/// Fresh starts a speculative chunk may make after an invalid code in its first blocks.
const MAX_ATTEMPTS: usize = 32;

/// Where a block of an MCU goes: its scan component and its place across and down.
#[derive(Clone, Copy)]
struct Slot {
    s: usize,
    at: (usize, usize),
}

/// The blocks of one MCU in coding order.
fn layout(scan: &[ScanComponent<'_>]) -> Vec<Slot> {
    let mut slots = Vec::new();
    for (s, c) in scan.iter().enumerate() {
        for v in 0..c.blocks.1 {
            for h in 0..c.blocks.0 {
                slots.push(Slot { s, at: (h, v) });
            }
        }
    }
    slots
}

/// A byte range of the scan's data and what a first pass over it found.
struct Range {
    from: usize,
    to: usize,
    /// Stuffed zero bytes in the range.
    stuffed: usize,
}

/// Of the work of a speculative chunk's blocks, the share the join then takes on the first
/// thread to put them in place (`perf`: about a fifth). The first thread's own chunk is made that
/// much shorter, so that it is not still joining long after the others are done.
const JOIN_PERCENT: usize = 20;
/// Pieces each speculating thread's share is cut into: it hands each on as soon as it is done,
/// so the first thread joins one while the next is still being decoded.
pub(super) const PIECES: usize = 8;
/// No piece shorter than this: every piece takes a few blocks to fall into step.
const MIN_PIECE: usize = 64 * 1024;

/// Thousandths of a scan the first thread decodes itself when `others` threads decode the rest
/// and it then puts their blocks in place: `f` where `f + j (1 - f) = (1 - f) / others`, j the
/// putting's share of the work ([`JOIN_PERCENT`]), so that it finishes when the others do. At
/// least a twentieth.
pub(super) fn first_permille(others: usize) -> usize {
    let others = others.max(1);
    let rest = 100usize.saturating_sub(JOIN_PERCENT * others);
    (1000 * rest / (100 * others + rest)).max(50)
}

/// The chunks' first bytes, each a data byte (not the zero after a stuffed 0xFF): chunk 0 for
/// the first thread, then each other thread's share cut into pieces; and which chunks each other
/// thread decodes (indices into the first list, in order). Fewer when the data is too short to
/// cut so often.
fn cut(data: &[u8], threads: usize) -> (Vec<usize>, Vec<std::ops::Range<usize>>) {
    let others = threads.saturating_sub(1).max(1);
    let first = data.len() * first_permille(others) / 1000;
    let share = (data.len() - first) / others;
    let pieces = (share / MIN_PIECE).clamp(1, PIECES);
    let mut starts = vec![0];
    let mut groups = Vec::with_capacity(others);
    for t in 0..others {
        let group_from = starts.len();
        for p in 0..pieces {
            let mut at = first + t * share + p * share / pieces;
            if at > 0 && data.get(at - 1) == Some(&0xFF) {
                at += 1;
            }
            if starts.last().is_some_and(|&last| at > last) && at < data.len() {
                starts.push(at);
            }
        }
        groups.push(group_from..starts.len());
    }
    groups.retain(|g| !g.is_empty());
    (starts, groups)
}

/// Counts the stuffed bytes of `data[from..to]`; `None` if it holds a marker (a 0xFF not
/// followed by a stuffed zero), which only damaged data has without restart markers.
fn survey(data: &[u8], from: usize, to: usize) -> Option<Range> {
    let mut stuffed = 0;
    for i in memchr::memchr_iter(0xFF, data.get(from..to)?) {
        if data.get(from + i + 1) != Some(&0) {
            return None;
        }
        stuffed += 1;
    }
    Some(Range { from, to, stuffed })
}

/// A decoder's position: a reader and the bit position its count starts from (counted without
/// stuffed bytes from the start of the data).
#[derive(Clone)]
struct At<'a> {
    bits: Bits<'a>,
    origin: u64,
}

impl At<'_> {
    #[inline(always)]
    fn position(&self) -> u64 {
        self.origin + self.bits.consumed()
    }
}

/// What a speculative chunk decoded, positions relative to its range's first byte.
struct Speculation<'a> {
    range: Range,
    /// Each recorded block start's bit position, for the first [`SYNC_BLOCKS`] blocks. Block `i`
    /// is block `i % per_mcu` of its MCU (as the chunk assumed).
    starts: Vec<u64>,
    /// Each block's DC difference, and luma blocks' fine detail.
    blocks: Records,
    /// Where the chunk stopped: at an MCU start at or past the next chunk's first byte (`None`
    /// when it did not get there: an invalid code, or the data ended).
    end: Option<At<'a>>,
    /// The last block used bits past the data's end.
    spent: bool,
}

/// A speculative chunk's blocks: each one's DC difference (at most 11 bits of magnitude, so an
/// `i16`), and the fine detail of those it counts as luma blocks (the only ones the blur estimate
/// reads; once a chunk is joined its count is the true one), two bytes each. They are the
/// photo's: wiped when dropped or outgrown, as far as written (the spare capacity never was, and
/// is left untouched so it takes no memory).
struct Records {
    diffs: Vec<i16>,
    fine: Vec<u8>,
}

impl Records {
    fn with_capacity(blocks: usize, luma_blocks: usize) -> Records {
        Records {
            diffs: Vec::with_capacity(blocks),
            fine: Vec::with_capacity(2 * luma_blocks),
        }
    }

    fn len(&self) -> usize {
        self.diffs.len()
    }

    fn clear(&mut self) {
        self.diffs.as_mut_slice().zeroize();
        self.fine.as_mut_slice().zeroize();
        self.diffs.clear();
        self.fine.clear();
    }

    #[inline(always)]
    fn push(&mut self, diff: i32, fine: Option<Fine>) {
        if self.diffs.len() == self.diffs.capacity() {
            grow(&mut self.diffs);
        }
        self.diffs.push(diff as i16);
        if let Some(f) = fine {
            if self.fine.len() + 2 > self.fine.capacity() {
                grow(&mut self.fine);
            }
            self.fine.extend_from_slice(&f);
        }
    }
}

impl Drop for Records {
    fn drop(&mut self) {
        self.diffs.as_mut_slice().zeroize();
        self.fine.as_mut_slice().zeroize();
    }
}

/// Grows by half into a new buffer and wipes the written part of the one it leaves (a `Vec`
/// left to grow by itself would free its old buffer unwiped).
#[cold]
fn grow<T: Copy + zeroize::DefaultIsZeroes>(v: &mut Vec<T>) {
    let mut bigger = Vec::with_capacity((v.capacity() * 3 / 2).max(v.len() + 2).max(64));
    bigger.extend_from_slice(v);
    v.as_mut_slice().zeroize();
    *v = bigger;
}

/// What every part of the split shares: the data, the scan's components, its blocks per MCU,
/// how many blocks it has, and whether AC codes are looked up two at a time.
struct Job<'a, 's, 't> {
    data: &'a [u8],
    scan: &'s [ScanComponent<'t>],
    slots: Vec<Slot>,
    /// For each block of an MCU, whether it is luma (frame component 0), and how many are.
    luma: Vec<bool>,
    luma_per_mcu: usize,
    total: usize,
    pairs: bool,
}

impl<'a> Job<'a, '_, '_> {
    /// Decodes chunk `range` speculatively (see the module doc); `last` when no chunk follows, so
    /// it goes on until the data ends or it has as many blocks as the scan.
    fn speculate(&self, range: Range, last: bool) -> Speculation<'a> {
        let data = self.data;
        // Blocks in proportion to bytes, and some room: most chunks need no more. Never more than
        // the scan has, nor than the data left can code (a block takes at least 2 bits), so a
        // small file claiming a huge frame reserves little.
        let share = self.total as u64 * (range.to - range.from) as u64 / data.len().max(1) as u64;
        let expected = (share as usize * 5 / 4 + SYNC_BLOCKS)
            .min(self.total)
            .min(4 * (data.len() - range.from) + 2);
        let luma_share = expected * self.luma_per_mcu / self.slots.len() + self.slots.len();
        let mut blocks = Records::with_capacity(expected, luma_share);
        let mut starts = Vec::with_capacity(SYNC_BLOCKS.min(self.total));
        // Bit position of the range's end, relative to its first byte.
        let stop = (range.to - range.from - range.stuffed) as u64 * 8;
        let mut from = range.from;
        let mut origin = 0u64;
        for _ in 0..MAX_ATTEMPTS {
            blocks.clear();
            starts.clear();
            let mut at = At {
                bits: Bits::new(data.get(from..).unwrap_or_default()),
                origin,
            };
            let mut phase = 0;
            let failed_at = loop {
                let position = at.position();
                if phase == 0 && !last && position >= stop {
                    return Speculation {
                        range,
                        starts,
                        blocks,
                        end: Some(at),
                        spent: false,
                    };
                }
                if blocks.len() >= self.total {
                    break None;
                }
                if starts.len() < SYNC_BLOCKS {
                    starts.push(position);
                }
                let slot = self.slots[phase];
                let Some((diff, fine)) = self.scan[slot.s].block(&mut at.bits, self.pairs) else {
                    break Some(blocks.len());
                };
                blocks.push(diff, self.luma[phase].then_some(fine));
                if !at.bits.intact() {
                    return Speculation {
                        range,
                        starts,
                        blocks,
                        end: None,
                        spent: true,
                    };
                }
                phase += 1;
                if phase == self.slots.len() {
                    phase = 0;
                }
            };
            match failed_at {
                // An invalid code early on: most likely not yet in step. Start again past it.
                Some(n) if n < SYNC_BLOCKS => {
                    let mut next = from + at.bits.bytes_read().max(1);
                    if data.get(next - 1) == Some(&0xFF) {
                        next += 1;
                    }
                    if next >= range.to {
                        break;
                    }
                    // Every 0xFF before `next` in the range is a stuffed pair (the survey says
                    // so).
                    let skipped = data
                        .get(from..next)
                        .map_or(0, |d| memchr::memchr_iter(0xFF, d).count());
                    origin += (next - from - skipped) as u64 * 8;
                    from = next;
                }
                _ => break,
            }
        }
        Speculation {
            range,
            starts,
            blocks,
            end: None,
            spent: false,
        }
    }

    /// Decodes one block of the true decoding at `state` into `sink`; `None` on an invalid code
    /// or bits past the data's end.
    #[inline(always)]
    fn true_block(&self, state: &mut State<'_>, sink: &mut PlaneSink<'_>) -> Option<()> {
        let c = &self.scan[self.slots[state.phase].s];
        let (diff, fine) = c.block(&mut state.at.bits, self.pairs)?;
        state.put(self, diff, fine, sink);
        // Bits past the data's end: the one-thread decoder refuses the scan.
        state.at.bits.intact().then_some(())
    }

    /// The true decoding from `state` on, into `sink`, to the first MCU starting at or past bit
    /// position `stop`, or to the scan's last block.
    fn walk_to<'b>(
        &self,
        mut state: State<'b>,
        stop: u64,
        sink: &mut PlaneSink<'_>,
    ) -> Option<State<'b>> {
        while state.block < self.total {
            if state.phase == 0 && state.at.position() >= stop {
                break;
            }
            self.true_block(&mut state, sink)?;
        }
        Some(state)
    }

    /// Walks the true decoding on from `state` until it meets a block start `spec` recorded (its
    /// positions are relative to `origin`), then takes the chunk's blocks from there with their
    /// DC re-based; returns the state where the chunk ended. `Err` with the walk's state when
    /// no recorded start is met; `None` to give up.
    fn join<'b>(
        &self,
        mut state: State<'b>,
        spec: &Speculation<'b>,
        origin: u64,
        sink: &mut PlaneSink<'_>,
    ) -> Option<Result<State<'b>, State<'b>>> {
        let per_mcu = self.slots.len();
        let mut i = 0;
        // The true decoding, block by block, until it stands where the chunk stood.
        let joined = loop {
            if state.block == self.total {
                return Some(Ok(state));
            }
            let here = state.at.position();
            while spec.starts.get(i).is_some_and(|&p| origin + p < here) {
                i += 1;
            }
            let Some(&p) = spec.starts.get(i) else {
                return Some(Err(state));
            };
            if origin + p == here && i % per_mcu == state.phase {
                break i;
            }
            self.true_block(&mut state, sink)?;
        };
        let taken = spec.blocks.diffs.get(joined..)?;
        // The chunk's luma blocks before the join, whose fine detail is skipped.
        let luma_before = self.luma.get(..joined % per_mcu)?;
        let mut fine_at =
            2 * (joined / per_mcu * self.luma_per_mcu + luma_before.iter().filter(|&&l| l).count());
        for &diff in taken {
            if state.block == self.total {
                // The one-thread decoder stops here too, before the chunk's last block (the
                // only one that may have used bits past the data's end).
                return Some(Ok(state));
            }
            let mut fine = [0; 2];
            if self.luma[state.phase] {
                let f = spec.blocks.fine.get(fine_at..fine_at + 2)?;
                fine = [f[0], f[1]];
                fine_at += 2;
            }
            state.put(self, i32::from(diff), fine, sink);
        }
        if state.block == self.total {
            // The chunk's last block was the scan's: the one-thread decoder refuses the scan if
            // it used bits past the data's end.
            return (!spec.spent).then_some(Ok(state));
        }
        // Every block of the chunk taken: the walk goes on from where it stopped, an MCU start.
        state.at = spec.end.clone()?;
        state.at.origin += origin;
        Some(Ok(state))
    }
}

/// Decodes the scan's `mcus` MCUs on up to `threads` threads into `sink`; `None` where it gives
/// up (see the module doc), and the caller then decodes on one thread.
pub(super) fn decode(
    data: &[u8],
    scan: &[ScanComponent<'_>],
    mcus: usize,
    threads: usize,
    pairs: bool,
    sink: &mut PlaneSink<'_>,
) -> Option<()> {
    let slots = layout(scan);
    if slots.is_empty() {
        return None;
    }
    let luma: Vec<bool> = slots
        .iter()
        .map(|s| scan.get(s.s).is_some_and(|c| c.index == 0))
        .collect();
    let job = Job {
        data,
        scan,
        total: mcus.checked_mul(slots.len())?,
        luma_per_mcu: luma.iter().filter(|&&l| l).count(),
        luma,
        slots,
        pairs,
    };
    let done = split(&job, threads, sink);
    #[cfg(any(test, feature = "test-support"))]
    OUTCOMES.with(|o| {
        let (split, gave_up) = o.get();
        o.set(if done.is_some() {
            (split + 1, gave_up)
        } else {
            (split, gave_up + 1)
        });
    });
    done
}

fn split(job: &Job<'_, '_, '_>, threads: usize, sink: &mut PlaneSink<'_>) -> Option<()> {
    let data = job.data;
    let (starts, groups) = cut(data, threads);
    if starts.len() < 2 {
        return None;
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([data.len()]).collect();
    let first = survey(data, 0, ends[0])?;
    let (starts, ends) = (&starts, &ends);
    // Each other thread decodes its chunks in order, handing each on when done (unjoinable: a
    // marker in its range); they stop early when this thread gives up.
    let speculate = |k: usize| {
        let range = survey(data, starts[k], ends[k])?;
        Some(job.speculate(range, k + 1 == starts.len()))
    };
    handoff::run(starts.len(), &groups, speculate, |handoff| {
        join_all(job, &first, starts, handoff, sink)
    })
}

/// On the calling thread: chunk 0, then each other chunk joined as it is handed on.
fn join_all<'a>(
    job: &Job<'a, '_, '_>,
    first: &Range,
    starts: &[usize],
    handoff: &Handoff<Speculation<'a>>,
    sink: &mut PlaneSink<'_>,
) -> Option<()> {
    // Chunk 0, while the others decode theirs.
    let state = State {
        at: At {
            bits: Bits::new(job.data),
            origin: 0,
        },
        block: 0,
        phase: 0,
        mcu: (0, 0),
        predictors: vec![0; job.scan.len()],
    };
    let stop = (first.to - first.stuffed) as u64 * 8;
    let mut state = job.walk_to(state, stop, sink)?;
    // Stuffed bytes before the current range's first byte: positions count without them.
    let mut stuffed = first.stuffed;
    // Then the others' chunks, joined in order as they come.
    for k in 1..starts.len() {
        if state.block == job.total {
            break;
        }
        // A thread that stopped (it panicked: its join carries that on), or a marker in the
        // range (damaged data): left to one thread.
        let spec = handoff.take(k)?;
        let origin = (spec.range.from - stuffed) as u64 * 8;
        stuffed += spec.range.stuffed;
        state = match job.join(state, &spec, origin, sink)? {
            Ok(state) => state,
            // The chunk never fell into step with the true decoding where it recorded (a
            // short chunk): its range is decoded here instead.
            Err(state) => {
                let stop =
                    origin + (spec.range.to - spec.range.from - spec.range.stuffed) as u64 * 8;
                job.walk_to(state, stop, sink)?
            }
        };
    }
    (state.block == job.total).then_some(())
}

/// The true decoding between chunks: where it is, which block comes next (its number, its place
/// in the MCU, its MCU's column and row), the DC predictors.
struct State<'a> {
    at: At<'a>,
    block: usize,
    phase: usize,
    mcu: (usize, usize),
    predictors: Vec<i32>,
}

impl State<'_> {
    /// Puts the next block, of DC difference `diff`, in `sink` and moves on: no division per
    /// block.
    #[inline(always)]
    fn put(&mut self, job: &Job<'_, '_, '_>, diff: i32, fine: Fine, sink: &mut PlaneSink<'_>) {
        let slot = job.slots[self.phase];
        let c = &job.scan[slot.s];
        let p = &mut self.predictors[slot.s];
        *p = p.wrapping_add(diff);
        sink.put(slot.s, c.blocks, self.mcu, slot.at, c.level(*p), fine);
        self.block += 1;
        self.phase += 1;
        if self.phase == job.slots.len() {
            self.phase = 0;
            self.mcu.0 += 1;
            if self.mcu.0 == sink.mcus_x {
                self.mcu = (0, self.mcu.1 + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cut, MIN_PIECE, PIECES};

    /// Chunk 0 is shorter than the others' shares by the join's cost, each other thread's share
    /// is cut into pieces (none shorter than `MIN_PIECE`), every chunk starts at a data byte, and
    /// the groups cover every chunk after the first, in order.
    #[test]
    fn chunks_are_cut_for_the_join() {
        // Stuffed pairs every 97 bytes: no chunk may start at their zero.
        let data: Vec<u8> = (0..4_000_000usize)
            .map(|i| match i % 97 {
                0 => 0xFF,
                1 => 0,
                _ => (i % 251) as u8,
            })
            .collect();
        for threads in [2, 3, 4, 8] {
            let (starts, groups) = cut(&data, threads);
            assert_eq!(starts[0], 0);
            assert!(starts.windows(2).all(|w| w[0] < w[1]));
            assert!(starts.iter().all(|&s| s == 0 || data[s - 1] != 0xFF));
            let covered: Vec<usize> = groups.iter().flat_map(|g| g.clone()).collect();
            assert_eq!(
                covered,
                (1..starts.len()).collect::<Vec<_>>(),
                "{threads} threads"
            );
            assert_eq!(groups.len(), threads - 1);
            assert!(groups.iter().all(|g| g.len() == PIECES));
            let share = (data.len() - starts[1]) / (threads - 1);
            assert!(share / PIECES >= MIN_PIECE);
            if threads == 2 {
                // 0.444 of the data, as f + 0.2 (1 - f) = 1 - f gives.
                assert!((starts[1] as f64 / data.len() as f64 - 0.444).abs() < 0.001);
            }
            assert!(starts[1] < share, "chunk 0 is the shortest");
        }
        // Short data: one piece each, no empty group.
        let (starts, groups) = cut(&data[..1000], 3);
        assert_eq!((starts.len(), groups.len()), (3, 2));
    }
}
