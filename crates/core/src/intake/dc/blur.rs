//! A blur estimate from the coefficients the DC-only decoder walks past anyway.
//!
//! Blur removes high spatial frequencies: a Gaussian of sigma 2 px at full resolution leaves under
//! 1% of an edge's amplitude at periods of 4 px and shorter, which in an 8x8 DCT block are the
//! coefficients whose horizontal plus vertical frequency is 4 or more (zigzag index 10 onwards,
//! `FINE_FROM`). After quantisation those are zero in a blurred photo and often non-zero where
//! a sharp photo has an edge. Counting non-zero coefficients over the whole image (as in Marichal
//! et al. 1999) confuses a smooth scene with a blurred one: sand, a lake at dusk or skin have few
//! non-zero high-frequency coefficients because they have few edges. So the count is taken only
//! where the image itself shows an edge at the 8 px scale, from the DC coefficients: neighbouring
//! blocks whose averages differ by at least [`EDGE_CONTRAST`] grey levels. An edge that is in
//! focus has fine detail in one of its two blocks; a blurred edge has none, however strong. The
//! estimate is the share of such edges with fine detail, so it does not depend on how much of the
//! scene has edges, only on whether the edges it has are sharp.

/// Neighbouring blocks whose averages differ by at least this many grey levels (of 255) are an
/// edge at the 8 px scale (calibrated on photographs; see `docs/intake.md`).
pub(crate) const EDGE_CONTRAST: u8 = 12;
/// Fewer edges than this and the photo shows too little structure to judge (a wall, a sheet,
/// skin with no mark): the estimate is left out rather than guessed.
pub(crate) const MIN_EDGES: u32 = 64;
/// An edge is in focus when one of its blocks has fine detail of at least this many 16ths of the
/// edge's contrast (calibrated; see `docs/intake.md`).
pub(crate) const FINE_RATIO_16THS: u32 = 6;

/// How many edges the photo has at the 8 px scale and how many of them carry fine detail: `[0]`
/// for vertical edges (blocks side by side), `[1]` for horizontal ones (blocks one above the
/// other).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Sharpness {
    /// Neighbouring luma blocks differing by at least [`EDGE_CONTRAST`].
    pub edges: [u32; 2],
    /// Of those, the pairs where either block has fine detail across the edge of at least
    /// [`FINE_RATIO_16THS`] of the edge's contrast.
    pub sharp_edges: [u32; 2],
}

impl Sharpness {
    /// Percentage (0..=100) of edges with fine detail in each direction with at least
    /// [`MIN_EDGES`] edges.
    fn percents(&self) -> impl Iterator<Item = f32> + '_ {
        (0..2)
            .filter(|&d| self.edges[d] >= MIN_EDGES)
            .map(|d| 100.0 * self.sharp_edges[d] as f32 / self.edges[d] as f32)
    }

    /// Percentage (0..=100) of edges with fine detail, in the direction with fewer; `None` when
    /// neither direction has [`MIN_EDGES`] edges.
    pub(crate) fn fine_detail(&self) -> Option<f32> {
        self.percents().reduce(f32::min)
    }

    /// The lower direction's percentage over the higher's (0..=1): motion blur smears edges
    /// across its direction but leaves streaks whose sides are sharp, so one direction keeps
    /// much more fine detail than the other; in a photo in focus they are alike. `None` unless
    /// both directions have [`MIN_EDGES`] edges (or when neither has fine detail).
    pub(crate) fn balance(&self) -> Option<f32> {
        let p: Vec<f32> = self.percents().collect();
        match p[..] {
            [a, b] if a.max(b) > 0.0 => Some(a.min(b) / a.max(b)),
            _ => None,
        }
    }
}

/// A block's fine detail across and down, saturated to a byte (see `entropy::dc_of_block`).
pub(crate) type Fine = [u8; 2];

/// The blur estimate made while the luma blocks are decoded, one MCU row at a time: only the fine
/// detail of the two latest MCU rows is held (a few KiB), where a plane of it for the whole photo
/// was 1.4 MiB at 48 MP and part of intake's peak memory. Counts exactly what [`estimate`] counts
/// over the finished plane, in another order.
pub(crate) struct EdgeCounter {
    /// Luma blocks that show the image (not the MCU padding), across and down.
    size: (usize, usize),
    /// Luma blocks per plane row, and block rows per MCU row.
    stride: usize,
    rows_per_mcu: usize,
    /// Two MCU rows' fine detail, `stride` wide: even MCU rows first, odd ones after.
    fine: zeroize::Zeroizing<Vec<Fine>>,
    sharpness: Sharpness,
    /// Every block's fine detail in the order given, for tests comparing decoders block by block.
    #[cfg(test)]
    pub(crate) seen: Vec<Fine>,
}

impl EdgeCounter {
    /// For a luma plane `stride` blocks wide showing `size` blocks, decoded `rows_per_mcu` block
    /// rows at a time.
    pub(crate) fn new(size: (usize, usize), stride: usize, rows_per_mcu: usize) -> EdgeCounter {
        let rows_per_mcu = rows_per_mcu.max(1);
        EdgeCounter {
            size,
            stride,
            rows_per_mcu,
            fine: zeroize::Zeroizing::new(vec![[0; 2]; 2 * rows_per_mcu * stride]),
            sharpness: Sharpness::default(),
            #[cfg(test)]
            seen: Vec::new(),
        }
    }

    /// Forgets what was counted: the scan is decoded again from its start.
    pub(crate) fn restart(&mut self) {
        self.sharpness = Sharpness::default();
        #[cfg(test)]
        self.seen.clear();
    }

    /// The fine detail of the block in block row `row` of MCU row `mcu_row`, at column `column`.
    #[inline(always)]
    pub(crate) fn put(&mut self, mcu_row: usize, row: usize, column: usize, fine: Fine) {
        let at = ((mcu_row & 1) * self.rows_per_mcu + row) * self.stride + column;
        if let Some(f) = self.fine.get_mut(at) {
            *f = fine;
        }
        #[cfg(test)]
        self.seen.push(fine);
    }

    /// MCU row `mcu_row` is complete, its levels in `levels` (the plane, `stride` wide) and its
    /// fine detail given: counts the edges within its block rows and with the row above them.
    pub(crate) fn mcu_row_done(&mut self, levels: &[u8], mcu_row: usize) {
        let (width, height) = self.size;
        let first = mcu_row * self.rows_per_mcu;
        for y in first..(first + self.rows_per_mcu).min(height) {
            let here = self.slot(y);
            // The row above (none for the first row): its levels and its held fine detail.
            let above = y.checked_sub(1).map(|a| (a * self.stride, self.slot(a)));
            for x in 0..width {
                let at = y * self.stride + x;
                if x + 1 < width {
                    self.pair((at, here + x), (at + 1, here + x + 1), levels, 0);
                }
                if let Some((level_row, fine_row)) = above {
                    self.pair((level_row + x, fine_row + x), (at, here + x), levels, 1);
                }
            }
        }
    }

    /// Where block row `y`'s fine detail starts.
    fn slot(&self, y: usize) -> usize {
        let mcu_row = y / self.rows_per_mcu;
        ((mcu_row & 1) * self.rows_per_mcu + y % self.rows_per_mcu) * self.stride
    }

    /// Two neighbouring blocks, each as its place in `levels` and in the held fine detail, meeting
    /// at an edge of direction `d` (0 vertical, 1 horizontal).
    #[inline(always)]
    fn pair(
        &mut self,
        (la, fa): (usize, usize),
        (lb, fb): (usize, usize),
        levels: &[u8],
        d: usize,
    ) {
        if let (Some(&la), Some(&lb), Some(fa), Some(fb)) = (
            levels.get(la),
            levels.get(lb),
            self.fine.get(fa),
            self.fine.get(fb),
        ) {
            let edge = la.abs_diff(lb);
            if edge >= EDGE_CONTRAST {
                let detail = u32::from(fa[d].max(fb[d]));
                self.sharpness.edges[d] += 1;
                self.sharpness.sharp_edges[d] +=
                    u32::from(16 * detail >= FINE_RATIO_16THS * u32::from(edge));
            }
        }
    }

    /// What was counted.
    pub(crate) fn sharpness(&self) -> Sharpness {
        self.sharpness
    }
}

/// Counts edges (neighbours differing by at least `contrast`) and sharp edges (fine detail of at
/// least `ratio_16ths` of the contrast) over a whole luma plane at once: the reference
/// [`EdgeCounter`] is tested against. `levels` and `fine` are `stride` wide,
/// of which the first `width` columns and `height` rows are image (the rest pads whole MCUs).
#[cfg(test)]
pub(crate) fn estimate(
    levels: &[u8],
    fine: &[[u8; 2]],
    stride: usize,
    (width, height): (usize, usize),
    contrast: u8,
    ratio_16ths: u32,
) -> Sharpness {
    let mut s = Sharpness::default();
    // Blocks side by side meet at a vertical edge, whose fine detail varies across (`fine[.][0]`).
    let mut pair = |a: usize, b: usize, d: usize| {
        if let (Some(&la), Some(&lb), Some(fa), Some(fb)) =
            (levels.get(a), levels.get(b), fine.get(a), fine.get(b))
        {
            let edge = la.abs_diff(lb);
            if edge >= contrast {
                s.edges[d] += 1;
                let detail = u32::from(fa[d].max(fb[d]));
                s.sharp_edges[d] += u32::from(16 * detail >= ratio_16ths * u32::from(edge));
            }
        }
    };
    for y in 0..height {
        for x in 0..width {
            let at = y * stride + x;
            if x + 1 < width {
                pair(at, at + 1, 0);
            }
            if y + 1 < height {
                pair(at, at + stride, 1);
            }
        }
    }
    s
}
