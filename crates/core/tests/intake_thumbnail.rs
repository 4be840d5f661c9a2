//! Thumbnails (size, orientation, DCT-scaled decoding) and the quality check's calibration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/intake.rs"]
mod support;

use support::*;
use wardcam_core::intake::{intake, IntakePolicy};

/// A stored image whose top-left quarter is pure red, the rest photo-like.
fn marked(w: u32, h: u32) -> Vec<u8> {
    let mut rgb = photo(w, h, 11);
    for y in 0..h / 2 {
        for x in 0..w / 2 {
            let i = ((y * w + x) * 3) as usize;
            rgb[i..i + 3].copy_from_slice(&[255, 0, 0]);
        }
    }
    rgb
}

fn is_red(px: &[u8]) -> bool {
    px[0] > 200 && px[1] < 60 && px[2] < 60
}

#[test]
fn thumbnail_is_upright_with_the_policy_long_edge() {
    let (w, h) = (800, 600);
    let jpeg = with_metadata(
        &encode_jpeg(&marked(w, h), w, h, 92),
        &segment(0xE1, &[b"Exif\0\0".as_slice(), &rich_exif(6)].concat()),
    );
    let out = intake(&jpeg, &IntakePolicy::default()).unwrap();
    assert_eq!(out.info.upright_size(), (600, 800));
    let (px, tw, th) = decode_jpeg(&out.thumbnail);
    assert_eq!((tw, th), (240, 320));
    // Orientation 6 turns the stored top-left quarter into the upright top-right quarter.
    let at = |x: u32, y: u32| &px[((y * tw + x) * 3) as usize..][..3];
    assert!(
        is_red(at(tw * 3 / 4, th / 4)),
        "{:?}",
        at(tw * 3 / 4, th / 4)
    );
    assert!(!is_red(at(tw / 4, th / 4)));
    assert!(!is_red(at(tw * 3 / 4, th * 3 / 4)));
    // The thumbnail carries no EXIF.
    assert!(!markers(&out.thumbnail).iter().any(|m| m.0 == 0xE1));
}

#[test]
fn every_orientation_gives_an_upright_thumbnail() {
    // Stored pixels for orientation o are the upright image transformed by o's inverse; here we
    // check the geometric effect on the red quarter for all eight values.
    let (w, h) = (64, 48);
    let base = encode_jpeg(&marked(w, h), w, h, 92);
    // Where the stored top-left quarter ends up (col, row of upright quarters).
    let expect = [
        (0, 0),
        (1, 0),
        (1, 1),
        (0, 1),
        (0, 0),
        (1, 0),
        (1, 1),
        (0, 1),
    ];
    for o in 1..=8u16 {
        let jpeg = with_metadata(
            &base,
            &segment(0xE1, &[b"Exif\0\0".as_slice(), &rich_exif(o)].concat()),
        );
        let out = intake(&jpeg, &IntakePolicy::default()).unwrap();
        let (px, tw, th) = decode_jpeg(&out.thumbnail);
        assert_eq!((tw, th), out.info.upright_size());
        let (cx, cy) = expect[usize::from(o - 1)];
        let x = tw / 4 + cx * tw / 2;
        let y = th / 4 + cy * th / 2;
        assert!(
            is_red(&px[((y * tw + x) * 3) as usize..][..3]),
            "orientation {o}"
        );
    }
}

#[test]
fn large_jpeg_thumbnail_is_decoded_at_one_eighth_scale() {
    let (w, h) = (4096, 2048);
    let jpeg = encode_jpeg(&photo(w, h, 3), w, h, 85);
    let out = intake(&jpeg, &IntakePolicy::default()).unwrap();
    // 1/8 in each axis: 1/64 of the pixels a full decode would produce.
    assert_eq!(out.decoded_size, (w / 8, h / 8));
    let (_, tw, th) = decode_jpeg(&out.thumbnail);
    assert_eq!((tw, th), (320, 160));
}

#[test]
fn png_thumbnail_is_made_row_by_row_to_the_policy_edge() {
    let (w, h) = (700, 500);
    let png = encode_png(&marked(w, h), w, h, &[]);
    let out = intake(&png, &IntakePolicy::default()).unwrap();
    let (px, tw, th) = decode_jpeg(&out.thumbnail);
    assert_eq!((tw, th), (320, 229));
    assert!(is_red(&px[((50 * tw + 50) * 3) as usize..][..3]));
}

#[test]
fn small_images_are_not_enlarged() {
    let out = intake(
        &encode_jpeg(&photo(100, 80, 1), 100, 80, 90),
        &IntakePolicy::default(),
    )
    .unwrap();
    let (_, tw, th) = decode_jpeg(&out.thumbnail);
    assert_eq!((tw, th), (100, 80));
}

fn box_blur(rgb: &[u8], w: u32, h: u32, r: i64) -> Vec<u8> {
    let (w, h) = (i64::from(w), i64::from(h));
    let mut out = vec![0u8; rgb.len()];
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let (mut s, mut n) = (0u32, 0u32);
                for dy in -r..=r {
                    for dx in -r..=r {
                        let (sx, sy) = ((x + dx).clamp(0, w - 1), (y + dy).clamp(0, h - 1));
                        s += u32::from(rgb[((sy * w + sx) * 3 + c) as usize]);
                        n += 1;
                    }
                }
                out[((y * w + x) * 3 + c) as usize] = (s / n) as u8;
            }
        }
    }
    out
}

#[test]
fn quality_tells_sharp_from_blurred_and_dark_from_bright() {
    let p = IntakePolicy::default();
    let (w, h) = (640, 480);
    let sharp_rgb = photo(w, h, 21);
    let sharp = intake(&encode_jpeg(&sharp_rgb, w, h, 92), &p)
        .unwrap()
        .quality;
    let blurred = intake(&encode_jpeg(&box_blur(&sharp_rgb, w, h, 4), w, h, 92), &p)
        .unwrap()
        .quality;
    eprintln!("sharp {sharp:?}\nblurred {blurred:?}");
    assert!(!sharp.blurred && blurred.blurred);
    assert!(sharp.sharpness > 2.0 * blurred.sharpness);
    assert!(!sharp.too_dark && !sharp.too_bright);

    let black = intake(&encode_jpeg(&vec![0; (w * h * 3) as usize], w, h, 92), &p)
        .unwrap()
        .quality;
    let white = intake(&encode_jpeg(&vec![255; (w * h * 3) as usize], w, h, 92), &p)
        .unwrap()
        .quality;
    assert!(black.too_dark && !black.too_bright && black.dark_fraction > 0.99);
    assert!(white.too_bright && !white.too_dark && white.bright_fraction > 0.99);
    // A flat image has no detail at all.
    assert!(black.blurred && white.blurred);
    // Quality travels to the UI as JSON.
    let json = serde_json::to_string(&sharp).unwrap();
    assert_eq!(
        serde_json::from_str::<wardcam_core::intake::Quality>(&json).unwrap(),
        sharp
    );
}
