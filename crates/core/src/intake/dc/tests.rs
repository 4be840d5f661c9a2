#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The DC-only decoder against `jpeg-decoder`'s DCT-scaled 1/8 decode of the same files, and its
//! refusals (which send the caller to `jpeg-decoder`).

use std::io::Cursor;

use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use proptest::prelude::*;

use super::{decode_parts, eighth, Decoding};
use crate::intake::jpeg::{walk, Part};

const SAMPLINGS: [SamplingFactor; 8] = [
    SamplingFactor::F_1_1,
    SamplingFactor::F_2_1,
    SamplingFactor::F_1_2,
    SamplingFactor::F_2_2,
    SamplingFactor::F_4_1,
    SamplingFactor::F_4_2,
    SamplingFactor::F_1_4,
    SamplingFactor::F_2_4,
];

/// Gradients, hard-edged tiles and noise, so every block has AC coefficients of many sizes and the
/// chroma varies.
fn picture(w: u16, h: u16, channels: usize) -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut out = Vec::with_capacity(usize::from(w) * usize::from(h) * channels);
    for y in 0..u32::from(h) {
        for i in 0..u32::from(w) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let noise = (x % 48) as u32;
            let tile = if (i / 13 + y / 11) % 2 == 0 { 90 } else { 0 };
            let px = [
                (i * 150 / u32::from(w)) + noise + tile,
                (y * 120 / u32::from(h)) + noise / 2 + 40,
                ((i + y) % 200) + tile / 3,
            ];
            out.extend(px.iter().take(channels).map(|&v| v.min(255) as u8));
        }
    }
    out
}

struct Case {
    size: (u16, u16),
    grey: bool,
    sampling: SamplingFactor,
    restart: u16,
    quality: u8,
    optimized: bool,
}

fn encode(c: &Case) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, c.quality);
    enc.set_sampling_factor(c.sampling);
    enc.set_restart_interval(c.restart);
    enc.set_optimized_huffman_tables(c.optimized);
    let (w, h) = c.size;
    if c.grey {
        enc.encode(&picture(w, h, 1), w, h, ColorType::Luma)
            .unwrap();
    } else {
        enc.encode(&picture(w, h, 3), w, h, ColorType::Rgb).unwrap();
    }
    out
}

/// `jpeg-decoder`'s 1/8-scale decode, in RGB or grey.
fn reference(jpeg: &[u8]) -> (u16, u16, Vec<u8>) {
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(jpeg));
    let (w, h) = d.scale(1, 1).unwrap();
    (w, h, d.decode().unwrap())
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (n, &sampling) in SAMPLINGS.iter().enumerate() {
        for size in [(173, 91), (520, 360)] {
            for restart in [0, 1, 5] {
                cases.push(Case {
                    size,
                    grey: false,
                    sampling,
                    restart,
                    quality: [92, 75, 35][n % 3],
                    // jpeg-encoder 0.6 cannot always optimise tables with restart intervals.
                    optimized: n % 2 == 1 && restart == 0,
                });
            }
        }
    }
    for restart in [0, 3] {
        for size in [(64, 64), (301, 77)] {
            cases.push(Case {
                size,
                grey: true,
                sampling: SamplingFactor::F_1_1,
                restart,
                quality: 85,
                optimized: restart == 3,
            });
        }
    }
    cases
}

fn label(c: &Case) -> String {
    format!(
        "{:?} {:?} grey={} restart={} quality={}",
        c.size, c.sampling, c.grey, c.restart, c.quality
    )
}

/// Mean and largest difference, per channel.
fn differences(ours: &[u8], theirs: &[u8], channels: usize) -> Vec<(f64, u8)> {
    assert_eq!(ours.len(), theirs.len());
    (0..channels)
        .map(|ch| {
            let diffs: Vec<u8> = ours
                .iter()
                .skip(ch)
                .step_by(channels)
                .zip(theirs.iter().skip(ch).step_by(channels))
                .map(|(&a, &b)| a.abs_diff(b))
                .collect();
            let sum: f64 = diffs.iter().map(|&d| f64::from(d)).sum();
            (
                sum / diffs.len() as f64,
                diffs.iter().copied().max().unwrap_or(0),
            )
        })
        .collect()
}

/// The colour conversion clamps with bit operations (for speed): for every colour, it gives what
/// the same formula clamped with `clamp` gives.
#[test]
fn colour_conversion_clamps_every_colour_as_clamp_does() {
    const SHIFT: i32 = 20;
    let fixed = |x: f32| (x * (1 << SHIFT) as f32 + 0.5) as i32;
    let clamp = |v: i32| (v >> SHIFT).clamp(0, 255) as u8;
    for y in 0..=255u8 {
        let y_fixed = i32::from(y) * (1 << SHIFT) + (1 << (SHIFT - 1));
        for cb in 0..=255u8 {
            let b = i32::from(cb) - 128;
            for cr in 0..=255u8 {
                let r = i32::from(cr) - 128;
                let want = [
                    clamp(y_fixed + fixed(1.40200) * r),
                    clamp(y_fixed - fixed(0.34414) * b - fixed(0.71414) * r),
                    clamp(y_fixed + fixed(1.77200) * b),
                ];
                assert_eq!(super::ycbcr_to_rgb([y, cb, cr]), want, "{y} {cb} {cr}");
            }
        }
    }
}

/// Where there is nothing to interpolate (greyscale, no chroma subsampling), jpeg-decoder's
/// components as stored are exactly ours.
#[test]
fn block_averages_equal_jpeg_decoders_where_nothing_is_interpolated() {
    for c in cases()
        .into_iter()
        .filter(|c| c.grey || c.sampling == SamplingFactor::F_1_1)
    {
        let jpeg = encode(&c);
        let channels = if c.grey { 1 } else { 3 };
        let mut d = jpeg_decoder::Decoder::new(Cursor::new(&jpeg[..]));
        d.set_color_transform(jpeg_decoder::ColorTransform::None);
        let (w, h) = d.scale(1, 1).unwrap();
        let rows = d.decode().unwrap();
        // Without a transform jpeg-decoder gives each row component by component.
        let w = usize::from(w);
        let mut want = Vec::with_capacity(rows.len());
        for row in rows.chunks_exact(w * channels) {
            for x in 0..w {
                want.extend((0..channels).map(|ch| row[ch * w + x]));
            }
        }
        let got = decode_parts(&walk(&jpeg, false).unwrap(), Decoding::new(1))
            .unwrap_or_else(|| panic!("{}: refused", label(&c)))
            .pixels(false);
        assert_eq!(
            (got.width as usize, got.height),
            (w, u32::from(h)),
            "{}",
            label(&c)
        );
        assert!(*got.data == want, "{}: components differ", label(&c));
    }
}

/// BT.601 luma of RGB pixels: the Y the conversions started from, whatever the chroma.
fn luma(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            let y = 299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
            ((y + 500) / 1000) as u8
        })
        .collect()
}

/// In RGB, for every sampling layout and restart interval. jpeg-decoder's colour conversion may
/// round differently (it has SIMD paths), and it interpolates subsampled chroma where this repeats
/// it: so luma agrees, and each channel is close on average. A misplaced block or a lost bit is
/// far off.
#[test]
fn rgb_is_close_to_jpeg_decoders_eighth_scale_decode() {
    for c in cases() {
        let jpeg = encode(&c);
        let (w, h, want) = reference(&jpeg);
        let got = eighth(&walk(&jpeg, false).unwrap(), Decoding::new(1))
            .map(|(p, _)| p)
            .unwrap_or_else(|| panic!("{}: refused", label(&c)));
        let l = label(&c);
        assert_eq!((got.width, got.height), (u32::from(w), u32::from(h)), "{l}");
        if c.grey {
            assert_eq!(differences(&got.data, &want, 1)[0].1, 0, "{l}");
            continue;
        }
        let (_, max) = differences(&luma(&got.data), &luma(&want), 1)[0];
        assert!(max <= 1, "{l}: luma differs by {max}");
        let interpolated = c.sampling != SamplingFactor::F_1_1;
        for (ch, (mean, max)) in differences(&got.data, &want, 3).into_iter().enumerate() {
            let ok = if interpolated { mean < 8.0 } else { max <= 1 };
            assert!(ok, "{l}: channel {ch} mean {mean:.2} max {max}");
        }
    }
}

fn refused(jpeg: &[u8]) -> bool {
    decode_parts(&walk(jpeg, false).unwrap(), Decoding::new(1)).is_none()
}

fn baseline(restart: u16) -> Vec<u8> {
    encode(&Case {
        size: (520, 360),
        grey: false,
        sampling: SamplingFactor::F_2_2,
        restart,
        quality: 80,
        optimized: false,
    })
}

/// The file with its entropy-coded data replaced by `f(data)`.
fn with_entropy(jpeg: &[u8], f: impl Fn(&[u8]) -> Vec<u8>) -> Vec<u8> {
    let parts = walk(jpeg, false).unwrap();
    let mut out = vec![0xFF, 0xD8];
    for p in parts {
        match p {
            Part::Segment { raw, .. } => out.extend_from_slice(raw),
            Part::Entropy(data) => out.extend(f(data)),
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[test]
fn what_it_does_not_decode_is_left_to_jpeg_decoder() {
    assert!(!refused(&baseline(0)), "the control case must decode");

    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 80);
    enc.set_progressive(true);
    enc.encode(&picture(64, 48, 3), 64, 48, ColorType::Rgb)
        .unwrap();
    assert!(refused(&out), "progressive");

    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, 80);
    enc.add_app_segment(14, b"Adobe\0\x64\0\0\0\0\0").unwrap();
    enc.encode(&picture(64, 48, 3), 64, 48, ColorType::Rgb)
        .unwrap();
    assert!(refused(&out), "Adobe colour transform");

    let mut out = Vec::new();
    Encoder::new(&mut out, 80)
        .encode(&[40u8; 64 * 48 * 4], 64, 48, ColorType::Cmyk)
        .unwrap();
    assert!(refused(&out), "CMYK");
}

/// The file with its three components renamed `ids` in the frame and scan headers.
fn with_ids(jpeg: &[u8], ids: [u8; 3]) -> Vec<u8> {
    let parts = walk(jpeg, false).unwrap();
    let mut out = vec![0xFF, 0xD8];
    for p in parts {
        match p {
            Part::Segment { marker, raw, .. } => {
                let mut raw = raw.to_vec();
                for (k, id) in ids.iter().enumerate() {
                    // After FF, marker and length: SOF's components start at 6, SOS's at 1.
                    match marker {
                        0xC0 => raw[4 + 6 + 3 * k] = *id,
                        0xDA => raw[4 + 1 + 2 * k] = *id,
                        _ => {}
                    }
                }
                out.extend(raw);
            }
            Part::Entropy(data) => out.extend_from_slice(data),
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[test]
fn component_ids_that_mean_other_colours_are_left_to_jpeg_decoder() {
    let jpeg = baseline(0);
    assert!(
        !refused(&with_ids(&jpeg, [1, 2, 3])),
        "YCbCr ids must decode"
    );
    for ids in [*b"RGB", *b"rgb", [1, 34, 35]] {
        assert!(refused(&with_ids(&jpeg, ids)), "ids {ids:?}");
    }
}

#[test]
fn data_that_ends_early_is_refused() {
    let cut = with_entropy(&baseline(0), |d| d[..d.len() / 2].to_vec());
    assert!(refused(&cut));
    // Cut inside the last restart interval: every earlier interval is whole.
    let cut = with_entropy(&baseline(4), |d| d[..d.len() - 40].to_vec());
    assert!(refused(&cut));
}

/// The file with its frame header claiming `w` by `h` pixels.
fn claiming(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let parts = walk(jpeg, false).unwrap();
    let mut out = vec![0xFF, 0xD8];
    for p in parts {
        match p {
            Part::Segment { marker, raw, .. } => {
                let mut raw = raw.to_vec();
                if marker == 0xC0 {
                    // After FF, marker, length and precision: height, then width.
                    raw[5..7].copy_from_slice(&h.to_be_bytes());
                    raw[7..9].copy_from_slice(&w.to_be_bytes());
                }
                out.extend(raw);
            }
            Part::Entropy(data) => out.extend_from_slice(data),
        }
    }
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

/// A small file claiming a 94 MP frame (as a fuzzing slow unit did) is refused as soon as its
/// data runs out, the same way on every path; before, all 1.5 million MCUs were walked on zero
/// bits.
#[test]
fn a_large_frame_with_little_data_is_refused_where_the_data_ends() {
    for restart in [0, 4] {
        let jpeg = claiming(&baseline(restart), 14656, 6399);
        assert!(
            decoded(&jpeg, Decoding::new(1)).is_none(),
            "restart {restart}"
        );
        assert!(decoded(&jpeg, Decoding::new(1).one_code_at_a_time()).is_none());
        assert!(decoded(&jpeg, Decoding::eager(4)).is_none());
    }
}

#[test]
fn a_restart_marker_out_of_sequence_is_refused() {
    let jpeg = baseline(2);
    assert!(!refused(&jpeg));
    let skipped = with_entropy(&jpeg, |d| {
        let mut d = d.to_vec();
        let at = d.windows(2).position(|w| w == [0xFF, 0xD0]).unwrap();
        d[at + 1] = 0xD1;
        d
    });
    assert!(refused(&skipped));
}

#[test]
fn impossible_huffman_tables_are_refused() {
    // Three codes of length one cannot exist.
    let mut counts = [0u8; 16];
    counts[0] = 3;
    assert!(super::Huffman::new(&counts, &[1, 2, 3]).is_none());
    counts[0] = 2;
    assert!(super::Huffman::new(&counts, &[1, 2]).is_some());
}

/// Everything a decode produces (block averages per component, luma fine detail block by block
/// in coding order, the edges counted), to compare one thread's result with a split one's.
type Output = (Vec<Vec<u8>>, Vec<[u8; 2]>, super::Sharpness);

fn output(parts: &[Part<'_>], threads: Decoding) -> Option<Output> {
    decode_parts(parts, threads).map(|d| {
        let planes = d.planes.iter().map(|(p, _)| p.to_vec()).collect();
        (planes, d.edges.seen.clone(), d.edges.sharpness())
    })
}

fn decoded(jpeg: &[u8], threads: Decoding) -> Option<Output> {
    output(&walk(jpeg, false).unwrap(), threads)
}

fn with_restart(size: (u16, u16), sampling: SamplingFactor, restart: u16, grey: bool) -> Vec<u8> {
    encode(&Case {
        size,
        grey,
        sampling,
        restart,
        quality: 88,
        optimized: false,
    })
}

/// Split at restart markers on 2 to 8 threads, every layout and odd intervals give the one-thread
/// result byte for byte (block averages and fine detail).
#[test]
fn split_decoding_equals_one_thread() {
    for (size, sampling, grey) in [
        ((520, 360), SamplingFactor::F_2_2, false),
        ((301, 177), SamplingFactor::F_2_1, false),
        ((173, 91), SamplingFactor::F_1_1, false),
        ((333, 250), SamplingFactor::F_1_1, true),
    ] {
        for restart in [0, 1, 2, 3, 7, 13, 64, 1000] {
            let jpeg = with_restart(size, sampling, restart, grey);
            let one = decoded(&jpeg, Decoding::new(1));
            assert!(one.is_some(), "{size:?} restart {restart}: refused");
            for threads in [2, 3, 4, 8] {
                assert!(
                    decoded(&jpeg, Decoding::eager(threads)) == one,
                    "{size:?} {sampling:?} restart {restart} on {threads} threads differs"
                );
            }
        }
    }
}

/// Refusals are the same split or not: data cut short in any interval, a marker out of sequence,
/// a marker missing.
#[test]
fn split_decoding_refuses_what_one_thread_refuses() {
    let jpeg = with_restart((520, 360), SamplingFactor::F_2_2, 3, false);
    let data_len = with_entropy(&jpeg, |d| d.to_vec()).len();
    assert_eq!(data_len, jpeg.len(), "the rebuilt file is the file");
    let markers = |d: &[u8]| {
        d.windows(2)
            .filter(|w| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
            .count()
    };
    let damaged: Vec<(String, Vec<u8>)> = vec![
        (
            "cut early".into(),
            with_entropy(&jpeg, |d| d[..d.len() / 3].to_vec()),
        ),
        (
            "cut late".into(),
            with_entropy(&jpeg, |d| d[..d.len() - 30].to_vec()),
        ),
        (
            "marker out of sequence".into(),
            with_entropy(&jpeg, |d| {
                let mut d = d.to_vec();
                let at = d.windows(2).rposition(|w| w == [0xFF, 0xD3]).unwrap();
                d[at + 1] = 0xD5;
                d
            }),
        ),
        (
            "marker missing".into(),
            with_entropy(&jpeg, |d| {
                let at = d.windows(2).position(|w| w == [0xFF, 0xD4]).unwrap();
                [&d[..at], &d[at + 2..]].concat()
            }),
        ),
        (
            "markers doubled".into(),
            with_entropy(&jpeg, |d| {
                let at = d.windows(2).position(|w| w == [0xFF, 0xD2]).unwrap();
                [&d[..at + 2], &d[at..]].concat()
            }),
        ),
    ];
    assert!(markers(&jpeg) > 8);
    for (what, bytes) in damaged {
        let one = decoded(&bytes, Decoding::new(1));
        assert!(
            one.is_none(),
            "{what}: the one-thread decoder must refuse it"
        );
        for threads in [2, 3, 5, 8] {
            assert!(
                decoded(&bytes, Decoding::eager(threads)).is_none(),
                "{what} on {threads} threads"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any AC table and any bits: two codes per lookup read the same blocks from the same bits as
    /// one code per lookup, refusals included.
    #[test]
    fn two_codes_per_lookup_read_what_one_reads(
        counts in prop::collection::vec(0u8..=24, 16),
        seed in any::<u8>(),
        data in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values: Vec<u8> = (0..total.min(256)).map(|i| (i as u8).wrapping_mul(seed | 1).wrapping_add(seed)).collect();
        let Some(ac) = super::Huffman::new(&counts, &values) else {
            return Ok(());
        };
        // DC: the standard luminance table.
        let dc = super::Huffman::new(&[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).unwrap();
        // Markers are the walk's business: no 0xFF in the coded bits.
        let data: Vec<u8> = data.into_iter().map(|b| b.min(0xFE)).collect();
        let weights = super::FineWeights::new(&[3u16; 64]);
        let (mut one, mut two) = (super::Bits::new(&data), super::Bits::new(&data));
        for _ in 0..64 {
            let a = super::dc_of_block::<false>(&mut one, &dc, &ac, &weights);
            let b = super::dc_of_block::<true>(&mut two, &dc, &ac, &weights);
            prop_assert_eq!(a, b);
            prop_assert_eq!(one.intact(), two.intact());
            if a.is_none() {
                break;
            }
        }
    }

    /// The fine detail `dc_of_block` notes as it skips (one or two codes per lookup) is what the
    /// whole block's coefficients say: per orientation, the largest `2^(category - 1)` times the
    /// quantiser among the coefficients from `FINE_FROM` on, saturated to 255; and it reads the
    /// same bits.
    #[test]
    fn fine_detail_is_what_the_coefficients_say(
        seed in any::<u64>(),
        quant_seed in any::<u16>(),
        data in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        use super::entropy::{whole_block, ORIENTATION, FINE_FROM};
        // Baseline's 162 AC symbols (end of block, sixteen zeros, runs with sizes 1 to 10) with
        // the standard table's code lengths, in an order the seed picks: any bits decode as
        // coefficients of every size at every index.
        let mut values: Vec<u8> = [0x00, 0xF0]
            .into_iter()
            .chain((0..16u8).flat_map(|run| (1..=10u8).map(move |size| run << 4 | size)))
            .collect();
        values.sort_by_key(|&v| (u64::from(v) + 1).wrapping_mul(seed | 1).rotate_left(17));
        let counts = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125];
        let ac = super::Huffman::new(&counts, &values).unwrap();
        let dc = super::Huffman::new(&[0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).unwrap();
        let data: Vec<u8> = data.into_iter().map(|b| b.min(0xFE)).collect();
        // A different quantiser at every index, so a wrong index shows: small ones (1 to 97),
        // whose amplitudes mostly stay under the saturation at 255, or up to 16 bits.
        let quant: [u16; 64] = std::array::from_fn(|i| match quant_seed & 1 {
            0 => (i as u16 * 37).wrapping_add(quant_seed) % 97 + 1,
            _ => (i as u16 * 977).wrapping_add(quant_seed) | 1,
        });
        let weights = super::FineWeights::new(&quant);
        let (mut whole, mut one, mut two) = (super::Bits::new(&data), super::Bits::new(&data), super::Bits::new(&data));
        for _ in 0..64 {
            let mut coefficients = [0i16; 64];
            let Some(diff) = whole_block(&mut whole, &dc, &ac, &mut coefficients) else {
                break;
            };
            let mut expected = [0u32; 2];
            for (k, &c) in coefficients.iter().enumerate().skip(FINE_FROM as usize) {
                let o = usize::from(ORIENTATION[k]);
                if c != 0 && o > 0 {
                    let category = 16 - c.unsigned_abs().leading_zeros();
                    let amplitude = (u64::from(quant[k]) << (category - 1)).min(255) as u32;
                    expected[o - 1] = expected[o - 1].max(amplitude);
                }
            }
            let a = super::dc_of_block::<false>(&mut one, &dc, &ac, &weights);
            let b = super::dc_of_block::<true>(&mut two, &dc, &ac, &weights);
            let expected = expected.map(|e| e as u8);
            prop_assert_eq!(a, Some((diff, expected)));
            prop_assert_eq!(b, Some((diff, expected)));
            prop_assert_eq!(one.consumed(), whole.consumed());
            prop_assert_eq!(two.consumed(), whole.consumed());
        }
    }

    /// Edges counted MCU row by MCU row as the blocks arrive, holding two MCU rows of fine detail,
    /// are the edges counted over the finished planes: any sampling (1 to 4 block rows per MCU),
    /// MCU padding across and down, any stride.
    #[test]
    fn edges_counted_row_by_row_equal_the_whole_plane(
        (bh, bv) in (1usize..=4, 1usize..=4),
        (mcus_x, mcus_y) in (1usize..12, 1usize..12),
        (pad_x, pad_y, extra) in (0usize..4, 0usize..4, 0usize..3),
        seed in any::<u64>(),
    ) {
        use super::blur::{estimate, EdgeCounter, EDGE_CONTRAST, FINE_RATIO_16THS};
        let stride = mcus_x * bh + extra;
        let rows = mcus_y * bv;
        let size = ((mcus_x * bh).saturating_sub(pad_x).max(1), rows.saturating_sub(pad_y).max(1));
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Levels in steps of 6 and fine detail up to 40: edges, sharp and not, in both directions.
        let levels: Vec<u8> = (0..stride * rows).map(|_| (next() % 8) as u8 * 6).collect();
        let fine: Vec<[u8; 2]> = (0..stride * rows).map(|_| [(next() % 40) as u8, (next() % 40) as u8]).collect();
        let mut counter = EdgeCounter::new(size, stride, bv);
        for my in 0..mcus_y {
            for mx in 0..mcus_x {
                for v in 0..bv {
                    for h in 0..bh {
                        let column = mx * bh + h;
                        counter.put(my, v, column, fine[(my * bv + v) * stride + column]);
                    }
                }
            }
            counter.mcu_row_done(&levels, my);
        }
        let whole = estimate(&levels, &fine, stride, size, EDGE_CONTRAST, FINE_RATIO_16THS);
        prop_assert_eq!(counter.sharpness(), whole);
    }

    /// Damaged data decodes (or is refused) with two codes per lookup exactly as with one.
    #[test]
    fn damaged_data_pairs_equal_one_code(
        restart in prop_oneof![Just(0u16), Just(3)],
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let jpeg = baseline(restart);
        let damaged = with_entropy(&jpeg, |d| {
            let mut d = d.to_vec();
            for (at, byte) in &edits {
                let at = at.index(d.len());
                if d[at] != 0xFF && *byte != 0xFF && (at == 0 || d[at - 1] != 0xFF) {
                    d[at] = *byte;
                }
            }
            d
        });
        crate::intake::fuzzing::dc_pairs(&damaged);
        let parts = walk(&damaged, false).unwrap();
        prop_assert!(output(&parts, Decoding::new(1).one_code_at_a_time()) == output(&parts, Decoding::new(1)));
    }

    /// Damaged data decodes (or is refused) split exactly as on one thread.
    #[test]
    fn damaged_data_split_equals_one_thread(
        restart in prop_oneof![Just(1u16), Just(2), Just(5), Just(11)],
        threads in 2usize..9,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let jpeg = baseline(restart);
        let damaged = with_entropy(&jpeg, |d| {
            let mut d = d.to_vec();
            for (at, byte) in &edits {
                let at = at.index(d.len());
                // Markers too may be damaged here: a lost or invented marker must be refused
                // alike.
                d[at] = *byte;
            }
            d
        });
        // The `intake_dc_split` fuzz target's body, on the same input.
        crate::intake::fuzzing::dc_split(&[&[threads as u8][..], &damaged].concat());
        let Ok(parts) = walk(&damaged, false) else {
            return Ok(());
        };
        prop_assert!(output(&parts, Decoding::new(1)) == output(&parts, Decoding::eager(threads)));
    }

    /// Damaged data without restart markers decodes (or is refused) split where the codes fall
    /// into step exactly as on one thread, whatever the layout and the number of threads.
    #[test]
    fn damaged_data_self_synchronising_split_equals_one_thread(
        layout in 0usize..4,
        threads in 2usize..9,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in prop::option::of(any::<prop::sample::Index>()),
    ) {
        let (size, sampling, grey) = [
            ((520, 360), SamplingFactor::F_2_2, false),
            ((301, 177), SamplingFactor::F_2_1, false),
            ((173, 91), SamplingFactor::F_1_1, false),
            ((333, 250), SamplingFactor::F_1_1, true),
        ][layout];
        let jpeg = with_restart(size, sampling, 0, grey);
        let damaged = with_entropy(&jpeg, |d| {
            let mut d = d.to_vec();
            for (at, byte) in &edits {
                let at = at.index(d.len());
                // Markers too: a stray one must be refused alike.
                d[at] = *byte;
            }
            if let Some(cut) = cut {
                d.truncate(cut.index(d.len()).max(1));
            }
            d
        });
        // The `intake_dc_split` fuzz target's body, on the same input.
        crate::intake::fuzzing::dc_split(&[&[threads as u8 - 2][..], &damaged].concat());
        let Ok(parts) = walk(&damaged, false) else {
            return Ok(());
        };
        let one = output(&parts, Decoding::new(1));
        prop_assert!(one == output(&parts, Decoding::eager(threads)));
        prop_assert!(one == output(&parts, Decoding::eager(threads).one_code_at_a_time()));
    }

    /// Damaged entropy-coded data never panics; what decodes has the right size.
    #[test]
    fn damaged_data_never_panics(
        restart in prop_oneof![Just(0u16), Just(1), Just(3)],
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..12),
    ) {
        let jpeg = baseline(restart);
        let damaged = with_entropy(&jpeg, |d| {
            let mut d = d.to_vec();
            for (at, byte) in &edits {
                // Markers are the walk's business; these tests damage the coded bits.
                let at = at.index(d.len());
                if d[at] != 0xFF && *byte != 0xFF && (at == 0 || d[at - 1] != 0xFF) {
                    d[at] = *byte;
                }
            }
            d
        });
        if let Some((px, _)) = eighth(&walk(&damaged, false).unwrap(), Decoding::new(1)) {
            prop_assert_eq!((px.width, px.height), (65, 45));
            prop_assert_eq!(px.data.len(), 65 * 45 * 3);
        }
    }

    /// Any DHT counts and symbols: a table or a refusal, never a panic.
    #[test]
    fn any_huffman_table_builds_or_is_refused(
        counts in prop::collection::vec(0u8..=12, 16),
        seed in any::<u8>(),
    ) {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        let values: Vec<u8> = (0..total).map(|i| (i as u8).wrapping_mul(seed | 1)).collect();
        let _ = super::Huffman::new(&counts, &values);
    }
}

/// Two AC codes per lookup give the one-code result byte for byte, for every layout, restart
/// interval, quality and optimised tables.
#[test]
fn two_codes_per_lookup_equal_one() {
    for c in cases() {
        let jpeg = encode(&c);
        let one = decoded(&jpeg, Decoding::new(1).one_code_at_a_time());
        assert!(one.is_some(), "{}: refused", label(&c));
        assert!(decoded(&jpeg, Decoding::new(1)) == one, "{}", label(&c));
        crate::intake::fuzzing::dc_pairs(&jpeg);
    }
}

/// Writes the seeds of the `intake_dc_pairs` fuzz target: `cargo test -p wardcam-core --lib
/// write_dc_pairs_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/intake_dc_pairs"]
fn write_dc_pairs_corpus() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/intake_dc_pairs");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sampling, grey, quality, optimized) in [
        ("ycc420_q92", SamplingFactor::F_2_2, false, 92, false),
        (
            "ycc444_q35_optimized",
            SamplingFactor::F_1_1,
            false,
            35,
            true,
        ),
        ("ycc422_q75", SamplingFactor::F_2_1, false, 75, false),
        ("grey_q85_optimized", SamplingFactor::F_1_1, true, 85, true),
    ] {
        let jpeg = encode(&Case {
            size: (64, 40),
            grey,
            sampling,
            restart: 0,
            quality,
            optimized,
        });
        std::fs::write(dir.join(name), jpeg).unwrap();
    }
}

/// Writes the seeds of the `intake_dc_split` fuzz target (a thread-count byte, then a small JPEG
/// with restart markers, or without, which is split where the codes fall into step): `cargo test
/// -p wardcam-core --lib write_dc_split_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/intake_dc_split"]
fn write_dc_split_corpus() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/intake_dc_split");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, sampling, grey, restart) in [
        ("ycc420_restart_1", SamplingFactor::F_2_2, false, 1),
        ("ycc444_restart_2", SamplingFactor::F_1_1, false, 2),
        ("ycc422_restart_5", SamplingFactor::F_2_1, false, 5),
        ("grey_restart_3", SamplingFactor::F_1_1, true, 3),
        ("ycc420_no_restart", SamplingFactor::F_2_2, false, 0),
        ("ycc444_no_restart", SamplingFactor::F_1_1, false, 0),
        ("ycc422_no_restart", SamplingFactor::F_2_1, false, 0),
        ("ycc24_no_restart", SamplingFactor::F_2_4, false, 0),
        ("grey_no_restart", SamplingFactor::F_1_1, true, 0),
    ] {
        let jpeg = with_restart((64, 40), sampling, restart, grey);
        std::fs::write(dir.join(name), [&[1u8][..], &jpeg].concat()).unwrap();
    }
}

/// Scans decoded split by self-synchronisation and scans where it gave up, on this thread, while
/// `f` runs.
fn sync_outcomes<T>(f: impl FnOnce() -> T) -> (T, (usize, usize)) {
    use super::sync::OUTCOMES;
    let before = OUTCOMES.with(|o| o.get());
    let out = f();
    let after = OUTCOMES.with(|o| o.get());
    (out, (after.0 - before.0, after.1 - before.1))
}

/// The whole result: pixels and blur estimate.
fn eighth_of(jpeg: &[u8], decoding: Decoding) -> Option<(Vec<u8>, super::Sharpness)> {
    eighth(&walk(jpeg, false).unwrap(), decoding).map(|(p, s)| (p.data.to_vec(), s))
}

/// The thumbnail intake makes (the picture shrunk row by row as it is made) is the whole
/// picture shrunk afterwards, with the same blur estimate, for every layout and for targets
/// smaller and larger than the picture.
#[test]
fn shrunk_as_made_equals_shrunk_after() {
    for c in cases() {
        let jpeg = encode(&c);
        let parts = walk(&jpeg, false).unwrap();
        let (whole, sharpness) = eighth(&parts, Decoding::new(1)).unwrap();
        for target in [(1, 1), (7, 5), (whole.width, whole.height), (40, 3)] {
            let (shrunk, s) = super::eighth_shrunk(&parts, Decoding::new(2), target).unwrap();
            let after = crate::intake::shrink(&whole, target);
            assert!(
                (shrunk.width, shrunk.height, shrunk.channels)
                    == (after.width, after.height, after.channels)
                    && shrunk.data == after.data
                    && s == sharpness,
                "{}: shrunk to {target:?} differs",
                label(&c)
            );
        }
    }
}

/// Without restart markers, split where the codes fall into step on 2, 3, 4 and 7 threads (chunks
/// of any size forced), every sampling layout, qualities, optimised tables and greyscale give the
/// one-thread result byte for byte: block averages, fine detail, pixels and blur estimate; and
/// the split is taken, not given up.
#[test]
fn self_synchronising_split_equals_one_thread() {
    let mut taken = 0;
    for c in cases().into_iter().filter(|c| c.restart == 0) {
        let jpeg = encode(&c);
        let l = label(&c);
        let one = decoded(&jpeg, Decoding::new(1));
        let one_eighth = eighth_of(&jpeg, Decoding::new(1));
        assert!(one.is_some(), "{l}: refused");
        for threads in [2, 3, 4, 7] {
            for decoding in [
                Decoding::eager(threads),
                Decoding::eager(threads).one_code_at_a_time(),
            ] {
                let (split, (ok, gave_up)) = sync_outcomes(|| decoded(&jpeg, decoding));
                assert!(split == one, "{l} on {threads} threads differs");
                // One split per scan (optimised tables come one scan per component).
                assert!(
                    ok >= 1 && gave_up == 0,
                    "{l} on {threads} threads: split not taken"
                );
                taken += ok;
                assert!(
                    eighth_of(&jpeg, decoding) == one_eighth,
                    "{l}: pixels or blur differ"
                );
            }
        }
    }
    assert!(taken >= 100, "{taken} splits");
}

/// Larger pictures, where chunks are tens of thousands of blocks long (202,500 blocks in the
/// largest), on as many threads as a phone has.
#[test]
fn self_synchronising_split_of_larger_pictures() {
    for (size, sampling, grey) in [
        ((2400, 1800), SamplingFactor::F_1_1, false),
        ((1600, 1200), SamplingFactor::F_2_2, false),
        ((1301, 977), SamplingFactor::F_2_1, false),
        ((1333, 1250), SamplingFactor::F_1_1, true),
    ] {
        let jpeg = with_restart(size, sampling, 0, grey);
        let one = decoded(&jpeg, Decoding::new(1));
        for threads in [2, 3, 8] {
            let (split, outcome) = sync_outcomes(|| decoded(&jpeg, Decoding::eager(threads)));
            assert_eq!(outcome, (1, 0), "{size:?} on {threads} threads");
            assert!(
                split == one,
                "{size:?} {sampling:?} on {threads} threads differs"
            );
        }
    }
}

/// Small images stay on one thread unless a test forces the split: each thread must have
/// `MIN_MCUS_PER_THREAD` MCUs.
#[test]
fn small_images_are_not_split() {
    let jpeg = with_restart((520, 360), SamplingFactor::F_2_2, 0, false);
    let (_, outcome) = sync_outcomes(|| decoded(&jpeg, Decoding::new(8)));
    assert_eq!(outcome, (0, 0));
    // 2400 MCUs of 16x16 px: two threads.
    let jpeg = with_restart((960, 640), SamplingFactor::F_2_2, 0, false);
    let (_, outcome) = sync_outcomes(|| decoded(&jpeg, Decoding::new(8)));
    assert_eq!(outcome, (1, 0));
}

/// The damage the split must refuse exactly as one thread does, in every chunk: data cut short,
/// bytes flipped, a stray marker (restart or other), a stuffed byte unstuffed.
#[test]
fn self_synchronising_split_refuses_what_one_thread_refuses() {
    let jpeg = with_restart((520, 360), SamplingFactor::F_2_2, 0, false);
    let at = |d: &[u8], f: f64| (d.len() as f64 * f) as usize;
    let mut damaged: Vec<(String, Vec<u8>)> = Vec::new();
    for f in [0.1, 0.3, 0.5, 0.7, 0.9, 0.99] {
        damaged.push((
            format!("cut at {f}"),
            with_entropy(&jpeg, |d| d[..at(d, f)].to_vec()),
        ));
        damaged.push((
            format!("flipped at {f}"),
            with_entropy(&jpeg, |d| {
                let mut d = d.to_vec();
                let i = at(&d, f);
                for b in &mut d[i..i + 3] {
                    if *b != 0xFF && *b != 0 {
                        *b ^= 0x5A;
                    }
                }
                d
            }),
        ));
        for marker in [0xD0, 0xD9, 0xC4] {
            damaged.push((
                format!("marker {marker:02X} at {f}"),
                with_entropy(&jpeg, |d| {
                    let i = at(d, f);
                    let i = if d[i - 1] == 0xFF { i + 1 } else { i };
                    [&d[..i], &[0xFF, marker][..], &d[i..]].concat()
                }),
            ));
        }
    }
    // The last block short of a few bits: it is the chunk's last too, and the only one to read
    // past the end.
    for short in 1..=4 {
        damaged.push((
            format!("last {short} bytes cut"),
            with_entropy(&jpeg, |d| d[..d.len() - short].to_vec()),
        ));
    }
    damaged.push((
        "a stuffed byte unstuffed".into(),
        with_entropy(&jpeg, |d| {
            let i = d.windows(2).rposition(|w| w == [0xFF, 0]).unwrap();
            [&d[..i + 1], &d[i + 2..]].concat()
        }),
    ));
    let mut refused = 0;
    for (what, bytes) in &damaged {
        let Ok(parts) = walk(bytes, false) else {
            continue;
        };
        let one = output(&parts, Decoding::new(1));
        refused += usize::from(one.is_none());
        for threads in [2, 3, 4, 7] {
            for decoding in [
                Decoding::eager(threads),
                Decoding::eager(threads).one_code_at_a_time(),
            ] {
                assert!(
                    output(&parts, decoding) == one,
                    "{what} on {threads} threads"
                );
            }
        }
    }
    assert!(refused >= 20, "only {refused} damaged files refused");
}

/// The split at restart markers: chunk 0 is this thread's, shorter than the others' shares (it
/// then puts their blocks in place); each other thread's share is cut into pieces; the chunks
/// cover every MCU in order, each starting just after its marker (a stuffed `FF 00` is not one),
/// and only the scan's last chunk is marked last.
#[test]
fn restart_intervals_are_cut_into_pieces_for_the_putting() {
    use super::{split, sync::PIECES};
    let interval = 4;
    for (intervals, threads) in [(100, 2), (100, 3), (9, 2), (3, 3), (2, 2)] {
        // The last interval one MCU short.
        let mcus = intervals * interval - 1;
        // Interval i: 5 bytes, one of them a stuffed FF 00 pair, then its marker.
        let mut data = Vec::new();
        let mut expected_starts = Vec::new();
        for i in 0..intervals {
            expected_starts.push(data.len());
            data.extend_from_slice(&[i as u8 & 0x7F, 0xFF, 0x00, 0x12, 0x34]);
            if i + 1 < intervals {
                data.extend_from_slice(&[0xFF, 0xD0 + (i % 8) as u8]);
            }
        }
        let decoding = Decoding::eager(threads);
        let (chunks, groups) = split(&data, mcus, interval, decoding).unwrap();
        let label = format!("{intervals} intervals on {threads} threads");
        // Contiguous, in order, every MCU once, each from its interval's first byte.
        assert_eq!(chunks[0].mcus.start, 0, "{label}");
        assert!(
            chunks.windows(2).all(|w| w[0].mcus.end == w[1].mcus.start),
            "{label}"
        );
        assert_eq!(chunks.last().unwrap().mcus.end, mcus, "{label}");
        for c in &chunks {
            assert_eq!(c.from, expected_starts[c.mcus.start / interval], "{label}");
            assert_eq!(c.last, c.mcus.end == mcus, "{label}");
        }
        // The groups take every chunk after the first, in order, one group per other thread,
        // each of at most PIECES pieces.
        let covered: Vec<usize> = groups.iter().flat_map(|g| g.clone()).collect();
        assert_eq!(covered, (1..chunks.len()).collect::<Vec<_>>(), "{label}");
        assert_eq!(groups.len(), threads - 1, "{label}");
        assert!(
            groups.iter().all(|g| (1..=PIECES).contains(&g.len())),
            "{label}"
        );
        if intervals == 100 {
            let share = |g: &std::ops::Range<usize>| {
                chunks[g.end - 1].mcus.end - chunks[g.start].mcus.start
            };
            assert!(
                groups.iter().all(|g| chunks[0].mcus.len() < share(g)),
                "{label}"
            );
            assert!(groups.iter().all(|g| g.len() == PIECES), "{label}");
        }
    }
    // One thread, or fewer intervals than two threads need: not split.
    assert!(split(&[0; 10], 4, 4, Decoding::eager(2)).is_none());
    assert!(split(&[0; 10], 8, 4, Decoding::eager(1)).is_none());
}
