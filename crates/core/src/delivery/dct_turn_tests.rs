//! The lossless turn checked against `jpegtran -perfect` (libjpeg-turbo's reference
//! implementation, coefficient for coefficient), against itself (every turn undone by its inverse
//! gives back the stored coefficients) and against the pixels a decoder shows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use super::dct_turn::turned;
use crate::intake::{jpeg_coefficients, walk_jpeg, Coefficients};

/// A busy colour picture (edges in every direction), so that most coefficients are non-zero and
/// a sign or place wrongly moved shows.
fn picture(w: usize, h: usize) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let r = (x * 7 + y * 3) % 256;
            let g = ((x * x + 3 * y * y) / 5) % 256;
            let b = if (x / 5 + y / 3) % 2 == 0 { 40 } else { 210 };
            rgb.extend_from_slice(&[r as u8, g as u8, b as u8]);
        }
    }
    rgb
}

fn jpeg(
    w: u16,
    h: u16,
    configure: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 88);
    configure(&mut encoder);
    encoder
        .encode(
            &picture(usize::from(w), usize::from(h)),
            w,
            h,
            jpeg_encoder::ColorType::Rgb,
        )
        .unwrap();
    out
}

fn sampled(w: u16, h: u16, sampling: jpeg_encoder::SamplingFactor) -> Vec<u8> {
    jpeg(w, h, |e| e.set_sampling_factor(sampling))
}

fn coefficients(jpeg: &[u8]) -> Coefficients {
    let parts = walk_jpeg(jpeg, false).unwrap();
    jpeg_coefficients(&parts).expect("a sequential JPEG the reader takes")
}

/// Blocks of each component that show the image (not the MCU padding), row by row, with the
/// component's sampling and quantisers.
#[allow(clippy::type_complexity)]
fn visible(c: &Coefficients) -> Vec<((usize, usize), [u16; 64], Vec<i16>)> {
    let (h_max, v_max) = (c.h_max(), c.v_max());
    c.planes
        .iter()
        .map(|p| {
            let bw = (c.width * p.h).div_ceil(h_max).div_ceil(8);
            let bh = (c.height * p.v).div_ceil(v_max).div_ceil(8);
            let mut blocks = Vec::new();
            for y in 0..bh {
                let row = (y * p.blocks.0) * 64;
                blocks.extend_from_slice(&p.data[row..row + bw * 64]);
            }
            ((p.h, p.v), p.quant, blocks)
        })
        .collect()
}

/// jpegtran's switches for the turn that makes an EXIF orientation upright.
fn jpegtran_op(orientation: u8) -> &'static [&'static str] {
    match orientation {
        2 => &["-flip", "horizontal"],
        3 => &["-rotate", "180"],
        4 => &["-flip", "vertical"],
        5 => &["-transpose"],
        6 => &["-rotate", "90"],
        7 => &["-transverse"],
        8 => &["-rotate", "270"],
        _ => unreachable!(),
    }
}

/// `jpegtran -perfect` of `jpeg` for `orientation`, or `None` when it says the turn is not
/// perfect (exit status 1).
fn jpegtran(jpeg: &[u8], orientation: u8) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jpg");
    std::fs::write(&input, jpeg).unwrap();
    let out = Command::new("jpegtran")
        .arg("-perfect")
        .args(jpegtran_op(orientation))
        .arg(&input)
        .output()
        .expect("jpegtran (libjpeg-turbo-progs, installed by scripts/setup)");
    out.status.success().then_some(out.stdout)
}

fn have_jpegtran() -> bool {
    let found = Path::new("/usr/bin/jpegtran").exists();
    assert!(
        found || std::env::var_os("CI").is_none(),
        "jpegtran is missing: scripts/setup installs libjpeg-turbo-progs"
    );
    found
}

/// The inverse of each orientation's turn: the quarter turns undo each other, the rest
/// themselves.
fn inverse(orientation: u8) -> u8 {
    match orientation {
        6 => 8,
        8 => 6,
        o => o,
    }
}

#[test]
fn every_turn_moves_the_same_coefficients_as_jpegtran() {
    if !have_jpegtran() {
        eprintln!("skipped: jpegtran is not installed");
        return;
    }
    use jpeg_encoder::SamplingFactor as S;
    // Whole MCUs both ways, so every turn is perfect: 4:2:0 as phones write it, 4:4:4, and grey.
    let grey = {
        let mut out = Vec::new();
        let pixels: Vec<u8> = picture(48, 40).chunks(3).map(|p| p[1]).collect();
        jpeg_encoder::Encoder::new(&mut out, 90)
            .encode(&pixels, 48, 40, jpeg_encoder::ColorType::Luma)
            .unwrap();
        out
    };
    let inputs = [
        ("4:2:0", sampled(64, 48, S::F_2_2)),
        ("4:4:4", sampled(40, 24, S::F_1_1)),
        ("grey", grey),
        (
            "restart markers",
            jpeg(64, 48, |e| {
                e.set_sampling_factor(S::F_2_2);
                e.set_restart_interval(3);
            }),
        ),
    ];
    for (name, input) in &inputs {
        for orientation in 2..=8u8 {
            let ours = turned(input, orientation).unwrap_or_else(|| panic!("{name} {orientation}"));
            let reference = jpegtran(input, orientation).expect("jpegtran -perfect");
            let (a, b) = (coefficients(&ours), coefficients(&reference));
            assert_eq!(
                (a.width, a.height),
                (b.width, b.height),
                "{name} {orientation}"
            );
            assert!(visible(&a) == visible(&b), "{name} {orientation}");
            // And what a decoder shows is the same, pixel for pixel.
            let decode = |j: &[u8]| jpeg_decoder::Decoder::new(j).decode().unwrap();
            assert!(decode(&ours) == decode(&reference), "{name} {orientation}");
        }
    }
}

#[test]
fn a_turn_undone_gives_back_the_stored_coefficients() {
    use jpeg_encoder::SamplingFactor as S;
    for input in [
        sampled(64, 48, S::F_2_2),
        sampled(24, 40, S::F_1_1),
        sampled(32, 16, S::F_2_1),
    ] {
        let stored = coefficients(&input);
        for orientation in 2..=8u8 {
            // 4:2:2 transposed would be 4:4:0, which DICOM's photometric names do not cover.
            let Some(once) = turned(&input, orientation) else {
                assert_eq!(stored.planes[0].h, 2);
                assert_eq!(stored.planes[0].v, 1);
                assert!(orientation >= 5, "{orientation}");
                continue;
            };
            let back = turned(&once, inverse(orientation)).unwrap();
            let back = coefficients(&back);
            assert_eq!((back.width, back.height), (stored.width, stored.height));
            assert!(visible(&back) == visible(&stored), "{orientation}");
            if orientation != inverse(orientation) {
                assert!(visible(&coefficients(&once)) != visible(&stored));
            }
        }
    }
}

#[test]
fn partial_mcus_allow_only_the_turns_that_keep_blocks_whole() {
    use jpeg_encoder::SamplingFactor as S;
    // (width, height): which orientations a perfect turn can make, by the module's rule: a
    // mirror across needs whole MCUs across, one down whole MCUs down, a transpose neither.
    let cases: [((u16, u16), &[u8]); 4] = [
        ((64, 48), &[2, 3, 4, 5, 6, 7, 8]),
        ((64, 40), &[2, 5, 8]),
        ((40, 48), &[4, 5, 6]),
        ((40, 40), &[5]),
    ];
    let check_jpegtran = have_jpegtran();
    for ((w, h), allowed) in cases {
        let input = sampled(w, h, S::F_2_2);
        for orientation in 2..=8u8 {
            let ours = turned(&input, orientation);
            assert_eq!(
                ours.is_some(),
                allowed.contains(&orientation),
                "{w}x{h} orientation {orientation}"
            );
            if check_jpegtran {
                // jpegtran -perfect agrees on which turns are possible.
                assert_eq!(
                    jpegtran(&input, orientation).is_some(),
                    ours.is_some(),
                    "{w}x{h} orientation {orientation}"
                );
            }
            if let Some(out) = ours {
                let c = coefficients(&out);
                let (w, h) = (usize::from(w), usize::from(h));
                let expected = if orientation >= 5 { (h, w) } else { (w, h) };
                assert_eq!((c.width, c.height), expected);
            }
        }
    }
}

#[test]
fn one_scan_per_component_is_read_and_turned() {
    if !have_jpegtran() {
        eprintln!("skipped: jpegtran is not installed");
        return;
    }
    // cjpeg writes one sequential scan per component from a scan script.
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (48usize, 32usize);
    let mut ppm = format!("P6\n{w} {h}\n255\n").into_bytes();
    ppm.extend_from_slice(&picture(w, h));
    std::fs::write(dir.path().join("in.ppm"), &ppm).unwrap();
    std::fs::write(dir.path().join("scans"), "0;\n1;\n2;\n").unwrap();
    let out = Command::new("cjpeg")
        .current_dir(dir.path())
        .args([
            "-quality", "85", "-sample", "2x2", "-scans", "scans", "in.ppm",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let input = out.stdout;
    let scans = walk_jpeg(&input, false)
        .unwrap()
        .iter()
        .filter(|p| matches!(p, crate::intake::JpegPart::Entropy(_)))
        .count();
    assert_eq!(scans, 3);
    assert_eq!(
        input[..].windows(2).filter(|m| *m == [0xFF, 0xC0]).count(),
        1
    );
    for orientation in 2..=8u8 {
        let ours = turned(&input, orientation).unwrap();
        let reference = jpegtran(&input, orientation).unwrap();
        assert!(
            visible(&coefficients(&ours)) == visible(&coefficients(&reference)),
            "{orientation}"
        );
    }
}

#[test]
fn the_output_keeps_icc_and_jfif_and_drops_the_orientation_exif() {
    // As intake seals a phone photo: JFIF, a minimal EXIF holding the orientation, an ICC profile.
    let mut icc = vec![7u8; 300];
    icc[16..20].copy_from_slice(b"RGB ");
    let input = jpeg(64, 48, |e| {
        e.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        e.set_density(jpeg_encoder::Density::Inch { x: 300, y: 72 });
        e.add_icc_profile(&icc).unwrap();
        e.add_app_segment(
            1,
            b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0",
        )
        .unwrap();
    });
    let out = turned(&input, 6).unwrap();
    assert!(!out.windows(6).any(|w| w == b"Exif\0\0"));
    let mut decoder = jpeg_decoder::Decoder::new(&out[..]);
    decoder.decode().unwrap();
    assert_eq!(decoder.icc_profile(), Some(icc));
    // The densities follow the axes: 72 across and 300 down once turned.
    let jfif = out.windows(5).position(|w| w == b"JFIF\0").unwrap();
    assert_eq!(&out[jfif + 7..jfif + 12], &[1, 0, 72, 1, 44]);
    // Baseline, and DICOM's reading of its frame is the turned size.
    let frame = super::jpeg_frame::baseline_frame(&out).unwrap();
    assert_eq!((frame.width, frame.height), (48, 64));
}

#[test]
fn what_the_reader_declines_is_left_to_the_reencode() {
    // Progressive coding, damaged entropy data, a cut-off file and a non-JPEG: no turn, no panic.
    let progressive = jpeg(64, 48, |e| e.set_progressive(true));
    assert!(turned(&progressive, 6).is_none());
    let good = sampled(64, 48, jpeg_encoder::SamplingFactor::F_2_2);
    assert!(turned(&good, 6).is_some());
    assert!(turned(&good[..good.len() / 2], 6).is_none());
    assert!(turned(b"not a jpeg", 6).is_none());
    for orientation in [0, 1, 9] {
        assert!(turned(&good, orientation).is_none());
    }
    // Every byte of the entropy data overwritten in turn: a refusal or a valid JPEG, never a
    // panic; whatever comes out decodes.
    let sos = good.windows(2).position(|m| m == [0xFF, 0xDA]).unwrap();
    for at in (sos + 14..good.len() - 2).step_by(7) {
        let mut bad = good.clone();
        bad[at] ^= 0x5A;
        if let Some(out) = turned(&bad, 6) {
            jpeg_decoder::Decoder::new(&out[..]).decode().unwrap();
        }
    }
}

#[test]
fn a_larger_photo_turns_losslessly_and_undoes_exactly() {
    // Whole 16-pixel MCUs, as a 4032 x 3024 phone photo in 4:2:0 has; smaller, to stay quick.
    let input = sampled(1024, 768, jpeg_encoder::SamplingFactor::F_2_2);
    let stored = coefficients(&input);
    let once = turned(&input, 6).unwrap();
    let back = coefficients(&turned(&once, 8).unwrap());
    assert!(visible(&back) == visible(&stored));
    // The turn keeps the size close to the input's (optimal tables for the moved coefficients).
    let ratio = once.len() as f64 / input.len() as f64;
    assert!((0.8..1.1).contains(&ratio), "{ratio}");
}

/// The fuzz target's body over the test inputs and a few thousand mutations of them (bytes
/// overwritten, inserted and cut), as a unit test runs it; the campaign runs it coverage-guided.
#[test]
fn the_fuzz_body_holds_over_mutated_jpegs() {
    use jpeg_encoder::SamplingFactor as S;
    let seeds = [
        sampled(32, 16, S::F_2_2),
        sampled(24, 16, S::F_2_1),
        sampled(16, 24, S::F_1_2),
        jpeg(32, 32, |e| {
            e.set_sampling_factor(S::F_2_2);
            e.set_restart_interval(1);
        }),
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for seed in &seeds {
        super::dct_turn::fuzzing::dct_turn(seed);
        for _ in 0..120 {
            let mut m = seed.clone();
            for _ in 0..1 + next(4) {
                let at = next(m.len());
                match next(3) {
                    0 => m[at] = next(256) as u8,
                    1 => m.insert(at, next(256) as u8),
                    _ => m.truncate(at.max(2)),
                }
            }
            super::dct_turn::fuzzing::dct_turn(&m);
        }
    }
}
