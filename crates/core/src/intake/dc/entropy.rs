//! Entropy-coded data at the level the DC-only decoder needs: Huffman tables, a bit reader that
//! removes stuffed bytes and stops at markers, and one block's DC difference with its AC
//! coefficients skipped. Every read is bounds-checked; damaged data gives `None`, never a panic.

use super::Fine;

/// Codes up to this many bits long are found with one table lookup.
const FAST_BITS: u32 = 9;
/// An AC code and its extra bits together up to this many bits long are skipped with one lookup.
const SKIP_BITS: u32 = 11;
/// In [`Huffman::skip`]: the entry resolves the code and its extra bits.
const SKIP_RESOLVED: u32 = 1 << 31;
/// In [`Huffman::skip`]: how far a resolved end-of-block code moves the coefficient index: past
/// 64 by more than any run from a valid index could (63 + 16).
const SKIP_END: u32 = 128;
/// Zigzag index of the first coefficient of the fifth anti-diagonal (horizontal plus vertical
/// frequency 4, periods of 4 px and shorter): a Gaussian blur of sigma 2 px leaves under 1% of
/// an edge's amplitude there, so non-zero coefficients from here on are fine detail (see
/// `blur.rs`).
pub(super) const FINE_FROM: u32 = 10;
/// For each zigzag index, which way the coefficient's wave varies more: 1 across (horizontal
/// frequency above vertical: it shows vertical edges), 2 down (horizontal edges), 0 neither (the
/// diagonal, which motion blur at 45 degrees leaves standing).
pub(super) const ORIENTATION: [u8; 64] = [
    0, 1, 2, 2, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1, 1, 1, 1, 0, 0, 2, 2, 2, 2, 2, 0, 1, 1, 1, 1, 1, 1, 0,
    0, 2, 2, 2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 0, 0, 2, 2, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];
/// A DC difference of an 8-bit JPEG needs at most 11 bits.
const MAX_DC_BITS: u8 = 11;
/// The next this many bits are looked up in [`Huffman::pairs`]: up to two AC codes with their
/// extra bits at once.
const PAIR_BITS: u32 = 12;

/// One Huffman table, as JPEG's Annex C defines the canonical codes.
pub(super) struct Huffman {
    /// For the next [`FAST_BITS`] bits: `code length << 8 | symbol`, or 0 for a longer code.
    fast: Box<[u16; 1 << FAST_BITS]>,
    /// For the next [`SKIP_BITS`] bits, read as an AC code: when the code and its extra bits fit,
    /// [`SKIP_RESOLVED`]` | size << 16 | total length << 8 | coefficients passed` ([`SKIP_END`]
    /// for end of block; size is the coefficient's magnitude category, 0 for a zero run);
    /// otherwise 0.
    skip: Box<[u32; 1 << SKIP_BITS]>,
    /// For the next [`PAIR_BITS`] bits, read as AC codes: the first code and its extra bits and,
    /// when it is not the end of the block and the second also fits, the second. Packed as
    /// `size2 << 28 | size1 << 24 | total length << 20 | first's length << 16 | passed2 << 8 |
    /// passed1`, where passed is how far the code moves the coefficient index ([`SKIP_END`] for
    /// end of block) and passed2 is 0 when there is no second code; the entry is 0 when not even
    /// the first fits. Sizes are the coefficients' magnitude categories (0 for a zero run).
    pairs: Box<[u32; 1 << PAIR_BITS]>,
    /// For each code length: the largest code of that length, or -1 when there is none.
    max_code: [i32; 17],
    /// For each code length: index in `values` of its first code, minus that code.
    offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    /// Builds the table from a DHT entry's 16 counts and its symbols; `None` if the counts describe
    /// codes that do not fit their lengths.
    pub(super) fn new(counts: &[u8], values: &[u8]) -> Option<Huffman> {
        // Arrays, not vectors: an index of FAST_BITS or SKIP_BITS bits needs no bounds check.
        let mut fast = Box::new([0u16; 1 << FAST_BITS]);
        let mut skip = Box::new([0u32; 1 << SKIP_BITS]);
        let mut max_code = [-1i32; 17];
        let mut offset = [0i32; 17];
        let mut code = 0i32;
        let mut index = 0i32;
        for len in 1..=16u32 {
            let count = i32::from(counts[len as usize - 1]);
            if code + count > (1 << len) {
                return None;
            }
            offset[len as usize] = index - code;
            for i in 0..count {
                let c = (code + i) as usize;
                let symbol = values[(index + i) as usize];
                if len <= FAST_BITS {
                    let shift = FAST_BITS - len;
                    let entry = (len as u16) << 8 | u16::from(symbol);
                    fast[c << shift..(c + 1) << shift].fill(entry);
                }
                let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
                if len + size <= SKIP_BITS {
                    let passed = if size == 0 && run != 15 {
                        SKIP_END
                    } else {
                        run + 1
                    };
                    let shift = SKIP_BITS - len;
                    let entry = SKIP_RESOLVED | size << 16 | (len + size) << 8 | passed;
                    skip[c << shift..(c + 1) << shift].fill(entry);
                }
            }
            if count > 0 {
                max_code[len as usize] = code + count - 1;
            }
            index += count;
            code = (code + count) << 1;
        }
        let mut table = Huffman {
            fast,
            skip,
            pairs: Box::new([0u32; 1 << PAIR_BITS]),
            max_code,
            offset,
            values: values.to_vec(),
        };
        table.build_pairs();
        Some(table)
    }

    /// The code at the top of the `n` bits `bits` (right-aligned): its length and symbol.
    fn code_at(&self, bits: u32, n: u32) -> Option<(u32, u8)> {
        (1..=n.min(16)).find_map(|len| {
            let code = (bits >> (n - len)) as i32;
            (code <= self.max_code[len as usize]).then(|| {
                let i = usize::try_from(self.offset[len as usize] + code).ok()?;
                self.values.get(i).map(|&v| (len, v))
            })?
        })
    }

    /// Fills [`Huffman::pairs`] from the codes.
    fn build_pairs(&mut self) {
        // How far an AC symbol moves the coefficient index, and its extra bits.
        let step = |symbol: u8| {
            let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
            let passed = if size == 0 && run != 15 {
                SKIP_END
            } else {
                run + 1
            };
            (passed, size)
        };
        for bits in 0..1u32 << PAIR_BITS {
            let Some((len1, symbol1)) = self.code_at(bits, PAIR_BITS) else {
                continue;
            };
            let (passed1, size1) = step(symbol1);
            let first = len1 + size1;
            if first > PAIR_BITS {
                continue;
            }
            let mut entry = size1 << 24 | first << 20 | first << 16 | passed1;
            let rest = PAIR_BITS - first;
            if passed1 != SKIP_END && rest > 0 {
                let tail = bits & ((1 << rest) - 1);
                if let Some((len2, symbol2)) = self.code_at(tail, rest) {
                    let (passed2, size2) = step(symbol2);
                    let total = first + len2 + size2;
                    if total <= PAIR_BITS {
                        entry = size2 << 28 | size1 << 24 | total << 20 | first << 16;
                        entry |= passed2 << 8 | passed1;
                    }
                }
            }
            self.pairs[bits as usize] = entry;
        }
    }

    /// The next code's length and symbol, without consuming it.
    #[inline(always)]
    fn peek(&self, bits: &Bits<'_>) -> Option<(u32, u8)> {
        let entry = self.fast[bits.peek(FAST_BITS) as usize];
        if entry != 0 {
            return Some((u32::from(entry >> 8), entry as u8));
        }
        self.peek_long(bits)
    }

    /// [`Huffman::peek`] for codes longer than [`FAST_BITS`].
    #[cold]
    fn peek_long(&self, bits: &Bits<'_>) -> Option<(u32, u8)> {
        (FAST_BITS + 1..=16).find_map(|len| {
            let code = bits.peek(len) as i32;
            (code <= self.max_code[len as usize]).then(|| {
                let i = (self.offset[len as usize] + code) as usize;
                self.values.get(i).map(|&v| (len, v))
            })?
        })
    }
}

/// Bits of entropy-coded data, most significant first, with stuffed bytes removed. Past the end
/// (or a marker) it feeds zero bytes, and counts them so a scan that needed them is refused.
#[derive(Clone)]
pub(super) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    /// Stuffed zero bytes skipped so far (for [`Bits::consumed`]).
    stuffed: usize,
    /// Left-aligned bit buffer holding `count` bits.
    acc: u64,
    count: u32,
    /// Zero bytes fed after the data ended.
    padding: u32,
    at_marker: bool,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Bits<'a> {
        Bits {
            data,
            pos: 0,
            stuffed: 0,
            acc: 0,
            count: 0,
            padding: 0,
            at_marker: false,
        }
    }

    /// Makes at least 32 bits available: enough for any code and its extra bits.
    #[inline(always)]
    fn fill(&mut self) {
        if self.count < 32 {
            self.refill();
        }
    }

    /// Makes at least 49 bits available, whatever the count (below 64, as it always is): enough
    /// for four pair lookups of at most 12 bits each (the fourth still finds 13), so the walk
    /// fills once per four lookups, without asking whether the bits run low.
    #[inline(always)]
    fn refill(&mut self) {
        // Fast path: eight bytes without a 0xFF (no stuffing, no marker) go in at once, counted
        // as as many whole bytes as fit in 63 bits. The bits of the rest land past the `count`
        // held, unmasked: they are the very bits the next fill puts there again (past `count`
        // the buffer only ever holds the bytes that follow, or zeros), so OR-ing them in twice
        // changes nothing.
        if let Some(chunk) = self.data.get(self.pos..).and_then(|d| d.first_chunk::<8>()) {
            let word = u64::from_be_bytes(*chunk);
            let inverted = !word;
            let has_ff =
                inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080;
            if has_ff == 0 {
                self.acc |= word >> self.count;
                // As many whole bytes as fit: the count becomes 56 plus the bits it had beyond
                // whole bytes.
                self.pos += ((63 - self.count) / 8) as usize;
                self.count |= 56;
                return;
            }
        }
        // Byte by byte, to 49 to 56 bits (so the count stays below 64 for the fast path).
        while self.count <= 48 {
            let byte = self.next_byte();
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    fn next_byte(&mut self) -> u8 {
        if !self.at_marker {
            match self.data.get(self.pos) {
                Some(0xFF) if self.data.get(self.pos + 1) == Some(&0) => {
                    self.pos += 2;
                    self.stuffed += 1;
                    return 0xFF;
                }
                Some(0xFF) | None => self.at_marker = true,
                Some(&b) => {
                    self.pos += 1;
                    return b;
                }
            }
        }
        self.padding += 1;
        0
    }

    #[inline(always)]
    fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// Consumes `n` bits (at most 16) as a signed value, as JPEG's EXTEND defines it. Without
    /// branches: whether a DC difference is negative, or has any bits, is the photo's to say, and
    /// the branch predictor guessed wrong about a third of the time.
    #[inline(always)]
    fn signed(&mut self, n: u32) -> i32 {
        // Two shifts so that no bits (n = 0) shifts by 32, not 64, and gives 0.
        let v = ((self.acc >> 32) >> (32 - n)) as i32;
        self.consume(n);
        // Below half the range (0 included, so n = 0 gives 0): negative.
        let negative = i32::from(v < (1 << n) >> 1);
        v - negative * ((1 << n) - 1)
    }

    /// Bits consumed since the start of the data, stuffed bytes not counted (and zero bytes fed
    /// past the end counted): two readers of the same data at the same count read the same bits
    /// from there on, whatever byte each started at, as long as both started at a data byte (not
    /// the zero of a stuffed pair) and counts are taken from the same byte (see `sync.rs`).
    #[inline(always)]
    pub(super) fn consumed(&self) -> u64 {
        let bytes = self.pos - self.stuffed + self.padding as usize;
        bytes as u64 * 8 - u64::from(self.count)
    }

    /// Bytes of the data read into the bit buffer so far (stuffed pairs counted as two).
    pub(super) fn bytes_read(&self) -> usize {
        self.pos
    }

    /// True while no bit consumed so far was one of the zero bytes fed past the data. Once false
    /// it stays false (until a restart, which needs it true).
    pub(super) fn intact(&self) -> bool {
        self.count >= 8 * self.padding
    }

    /// Skips to the restart marker that must follow, discarding the byte-alignment bits.
    pub(super) fn restart(&mut self, expected: u8) -> Option<()> {
        // Only the bits of the current byte may remain unread.
        let pending = self.count.checked_sub(8 * self.padding)?;
        let data = self.data;
        if pending >= 8 || data.get(self.pos..self.pos + 2) != Some(&[0xFF, 0xD0 + expected][..]) {
            return None;
        }
        *self = Bits::new(&data[self.pos + 2..]);
        Some(())
    }
}

/// What fine detail a coefficient shows, for [`dc_of_block`]: for each place in the block and
/// magnitude category, the coefficient's least dequantised amplitude across (low byte) and down
/// (high byte), saturated to 255 as the blur estimate keeps it. Built once per scan component
/// from its quantisers, so that noting a coefficient is one lookup and two maxima, with no
/// branch and no multiplication (a branch per coefficient on its index and size was a sixth of
/// the walk; the multiplications, with the index arithmetic, most of the rest of the noting).
pub(super) struct FineWeights(Box<[u16; 64 * 16]>);

impl FineWeights {
    /// The entry for zigzag index `i` and category `size` is at `((i + 1) % 64) * 16 + size`:
    /// indexed by the coefficient index *after* the coefficient, as the walk has it. For `i`
    /// from [`FINE_FROM`] to 63 and `size` from 1: `2^(size - 1)` times its quantiser in the
    /// byte of its [`ORIENTATION`] (none for the diagonal); 0 elsewhere, so size 0 (a zero run
    /// or the end of the block) notes nothing wherever the index has got to.
    pub(super) fn new(quant: &[u16; 64]) -> FineWeights {
        let mut w = Box::new([0u16; 64 * 16]);
        for (i, (&q, &o)) in quant.iter().zip(&ORIENTATION).enumerate() {
            if i < FINE_FROM as usize || o == 0 {
                continue;
            }
            for size in 1..16u32 {
                let amplitude = (u64::from(q) << (size - 1)).min(255) as u16;
                w[(i + 1) % 64 * 16 + size as usize] = amplitude << (8 * (u16::from(o) - 1));
            }
        }
        FineWeights(w)
    }
}

/// Decodes one block's DC difference and skips its AC coefficients; returns the difference and
/// the block's fine detail across and down: the largest amplitude among its coefficients from
/// [`FINE_FROM`] on of each [`ORIENTATION`], at least, from each one's magnitude category and its
/// quantiser (in `weights`), saturated to 255 as the blur estimate keeps it.
///
/// With `PAIRS`, AC codes are looked up two at a time ([`Huffman::pairs`]); without, one at a
/// time ([`Huffman::skip`]), the reference the tests and the `intake_dc_pairs` fuzz target
/// compare it with. Both read the same bits and give the same result.
#[inline(always)]
pub(super) fn dc_of_block<const PAIRS: bool>(
    bits: &mut Bits<'_>,
    dc: &Huffman,
    ac: &Huffman,
    weights: &FineWeights,
) -> Option<(i32, Fine)> {
    let diff = dc_difference(bits, dc)?;
    let mut k = 1u32;
    let mut fine = [0u32; 2];
    if PAIRS {
        // Four pair lookups per fill, the fill made whatever the count: a fill only when the
        // bits run low came every fourth lookup or so, in no pattern the branch predictor could
        // learn (a tenth of the walk's time went on those mispredictions).
        'block: while k < 64 {
            bits.refill();
            for _ in 0..4 {
                let entry = ac.pairs[bits.peek(PAIR_BITS) as usize];
                if entry == 0 {
                    // A code, or code and extra bits, longer than the lookup: one at a time.
                    if !one_code(bits, ac, weights, &mut k, &mut fine)? {
                        break 'block;
                    }
                    continue 'block;
                }
                k += entry & 0xFF;
                note_fine(&mut fine, (entry >> 24) & 0xF, weights, k);
                // The second code belongs to this block only if the first left it unfinished;
                // an end of block as the first code leaves k past 64, so it stops here. An
                // entry with no second code has the first's length as its total and 0 for the
                // second's step and size, so taking it as a pair changes nothing: no branch on
                // whether it is one, which the branch predictor could not guess.
                if k < 64 {
                    bits.consume((entry >> 20) & 0xF);
                    k += (entry >> 8) & 0xFF;
                    note_fine(&mut fine, entry >> 28, weights, k);
                } else {
                    bits.consume((entry >> 16) & 0xF);
                }
                if k >= 64 {
                    break 'block;
                }
            }
        }
    } else {
        while k < 64 {
            if !one_code(bits, ac, weights, &mut k, &mut fine)? {
                break;
            }
        }
    }
    // Past 64 but short of SKIP_END: a run beyond the block's last coefficient, damaged data.
    // Every amplitude noted is at most 255 (see `FineWeights`).
    (k <= 64 || k >= SKIP_END).then_some((diff, fine.map(|f| f as u8)))
}

/// Skips one AC code and its extra bits, noting its fine detail; `Some(false)` at the end of
/// the block.
#[inline(always)]
fn one_code(
    bits: &mut Bits<'_>,
    ac: &Huffman,
    weights: &FineWeights,
    k: &mut u32,
    fine: &mut [u32; 2],
) -> Option<bool> {
    bits.fill();
    let entry = ac.skip[bits.peek(SKIP_BITS) as usize];
    if entry & SKIP_RESOLVED != 0 {
        bits.consume((entry >> 8) & 0x1F);
        *k += entry & 0xFF;
        note_fine(fine, (entry >> 16) & 0xF, weights, *k);
        return Some(true);
    }
    let (len, symbol) = ac.peek(bits)?;
    let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
    bits.consume(len + size);
    if size == 0 && run != 15 {
        return Some(false); // end of block
    }
    *k += run + 1;
    note_fine(fine, size, weights, *k);
    Some(true)
}

/// One block's DC difference: its code and extra bits.
#[inline(always)]
fn dc_difference(bits: &mut Bits<'_>, dc: &Huffman) -> Option<i32> {
    bits.fill();
    let (len, size) = dc.peek(bits)?;
    if size > MAX_DC_BITS {
        return None;
    }
    bits.consume(len);
    Some(bits.signed(u32::from(size)))
}

/// Keeps the largest fine detail across and down for a coefficient of magnitude category `size`
/// (0..=15; 0 for a zero run or the end of the block, which notes nothing) just passed, so at
/// zigzag index `k - 1`: its least dequantised amplitude is `2^(size - 1)` times its quantiser.
#[inline(always)]
fn note_fine(fine: &mut [u32; 2], size: u32, weights: &FineWeights, k: u32) {
    // The index past the block's end (the end of the block moves k by SKIP_END) comes round to
    // a place whose size 0 entry is 0; a run past the end (damaged data) notes some amplitude,
    // but that block is refused.
    let w = weights.0[((k & 63) << 4 | (size & 15)) as usize];
    fine[0] = fine[0].max(u32::from(w & 0xFF));
    fine[1] = fine[1].max(u32::from(w >> 8));
}

/// Decodes one whole block: its DC difference (returned) and its AC coefficients into `out`
/// (zigzag order; index 0 is left for the caller, which adds the difference to its predictor).
/// `out` must hold 64 zeros. For the lossless turn ([`super::coefficients`]), which keeps every
/// coefficient; a magnitude category above baseline's (11 bits DC, 10 AC) or a run past the
/// block's end is damaged data.
#[inline]
pub(super) fn whole_block(
    bits: &mut Bits<'_>,
    dc: &Huffman,
    ac: &Huffman,
    out: &mut [i16],
) -> Option<i32> {
    const MAX_AC_BITS: u32 = 10;
    let diff = dc_difference(bits, dc)?;
    let mut k = 1usize;
    while k < 64 {
        bits.fill();
        let (len, symbol) = ac.peek(bits)?;
        bits.consume(len);
        let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 15));
        if size == 0 {
            if run != 15 {
                break; // end of block
            }
            k += 16;
            continue;
        }
        if size > MAX_AC_BITS {
            return None;
        }
        k += run;
        // In range: a category of at most 10 bits gives at most 1023 in magnitude.
        *out.get_mut(k)? = bits.signed(size) as i16;
        k += 1;
    }
    (k <= 64).then_some(diff)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::Bits;

    /// The bits of `data` as a JPEG decoder reads them: a stuffed pair `FF 00` is one 0xFF, any
    /// other 0xFF begins a marker, where the data ends.
    fn destuffed(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(&b) = data.get(i) {
            if b == 0xFF {
                if data.get(i + 1) != Some(&0) {
                    break;
                }
                i += 2;
            } else {
                i += 1;
            }
            out.push(b);
        }
        out
    }

    /// Bit `at` of `bytes` followed by zeros, most significant first.
    fn bit(bytes: &[u8], at: u64) -> u32 {
        bytes
            .get((at / 8) as usize)
            .map_or(0, |b| u32::from(b >> (7 - at % 8) & 1))
    }

    proptest! {
        /// Filled when low or filled whatever the count, the reader gives the data's bits with
        /// stuffing removed, then zeros from the first marker or the end on; its count of bits
        /// consumed, and whether they were all data, follow.
        #[test]
        fn the_reader_gives_the_data_bits(
            bytes in prop::collection::vec((any::<u8>(), 0u8..8), 0..120),
            steps in prop::collection::vec((any::<bool>(), prop::collection::vec(0u32..=12, 4)), 1..80),
        ) {
            // A stuffed pair for one byte in eight, a restart marker for one in sixty-four.
            let mut data = Vec::new();
            for (i, &(b, pick)) in bytes.iter().enumerate() {
                match pick {
                    0 if i % 8 == 0 => data.extend_from_slice(&[0xFF, 0xD0 + b % 8]),
                    0 | 1 => data.extend_from_slice(&[0xFF, 0]),
                    _ => data.push(b),
                }
            }
            let clean = destuffed(&data);
            let mut bits = Bits::new(&data);
            let mut at = 0u64;
            for (whatever_the_count, widths) in steps {
                if whatever_the_count {
                    bits.refill();
                    prop_assert!(bits.count >= 49);
                } else {
                    bits.fill();
                    prop_assert!(bits.count >= 32);
                }
                prop_assert!(bits.count < 64);
                // Four reads after a fill: of up to 12 bits each after one whatever the count,
                // as the walk's pair lookups make them; of up to 32 in all after one when low.
                for n in widths {
                    let n = if whatever_the_count { n } else { n.min(8) };
                    let expected = (0..u64::from(n)).fold(0, |v, i| v << 1 | bit(&clean, at + i));
                    prop_assert_eq!(if n == 0 { 0 } else { bits.peek(n) }, expected);
                    bits.consume(n);
                    at += u64::from(n);
                    prop_assert_eq!(bits.consumed(), at);
                    prop_assert_eq!(bits.intact(), at <= 8 * clean.len() as u64);
                }
            }
        }
    }

    /// Every value of every width from 0 to 16 bits is extended as JPEG's EXTEND says: below
    /// half the range, `v - 2^n + 1`; otherwise `v`; no bits, 0.
    #[test]
    fn values_are_extended_as_the_standard_says() {
        for n in 0..=16u32 {
            for v in 0..1u32 << n {
                let mut bits = Bits::new(&[]);
                bits.acc = if n == 0 { 0 } else { u64::from(v) << (64 - n) };
                bits.count = n;
                let expected = match n {
                    0 => 0,
                    _ if v < 1 << (n - 1) => v as i32 - (1 << n) + 1,
                    _ => v as i32,
                };
                assert_eq!(bits.signed(n), expected, "{v} in {n} bits");
                assert_eq!(bits.count, 0);
            }
        }
    }
}
