#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;

use super::fuzzing;
use super::pixels::{fit, jpeg_capacity, Pixels};
use super::*;

fn small_jpeg(orientation: u8) -> Vec<u8> {
    let (w, h) = (24u16, 16u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i * 37 % 256) as u8)
        .collect();
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
    enc.add_icc_profile(b"tiny icc").unwrap();
    enc.add_app_segment(1, &exif::minimal_exif(orientation))
        .unwrap();
    enc.add_app_segment(12, b"Ducky-ish vendor data").unwrap();
    enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn small_png() -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = ::png::Encoder::new(&mut out, 9, 7);
        enc.set_color(::png::ColorType::Rgba);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[90u8; 9 * 7 * 4]).unwrap();
    }
    out
}

#[test]
fn minimal_exif_round_trips_through_the_reader() {
    for o in 1..=8 {
        assert_eq!(exif::orientation_from_app1(&exif::minimal_exif(o)), Some(o));
    }
    assert_eq!(exif::orientation_from_app1(b"Exif\0\0garbage"), None);
}

#[test]
fn orientation_maps_corners_as_exif_defines() {
    // A 3x2 grey image with distinct values; where does the stored top-left (1) go?
    let px = || Pixels {
        width: 3,
        height: 2,
        channels: 1,
        data: zeroize::Zeroizing::new(vec![1, 2, 3, 4, 5, 6]),
    };
    let cases: [(u8, (u32, u32), [u8; 6]); 8] = [
        (1, (3, 2), [1, 2, 3, 4, 5, 6]),
        (2, (3, 2), [3, 2, 1, 6, 5, 4]),
        (3, (3, 2), [6, 5, 4, 3, 2, 1]),
        (4, (3, 2), [4, 5, 6, 1, 2, 3]),
        (5, (2, 3), [1, 4, 2, 5, 3, 6]),
        (6, (2, 3), [4, 1, 5, 2, 6, 3]),
        (7, (2, 3), [6, 3, 5, 2, 4, 1]),
        (8, (2, 3), [3, 6, 2, 5, 1, 4]),
    ];
    for (o, size, want) in cases {
        let out = px().oriented(o);
        assert_eq!((out.width, out.height), size, "orientation {o}");
        assert_eq!(&out.data[..], &want, "orientation {o}");
    }
}

#[test]
fn fit_keeps_aspect_and_never_enlarges() {
    assert_eq!(fit(4000, 3000, 320), (320, 240));
    assert_eq!(fit(3000, 4000, 320), (240, 320));
    assert_eq!(fit(100, 50, 320), (100, 50));
    assert_eq!(fit(100_000, 1, 320), (320, 1));
}

#[test]
fn strip_is_idempotent_and_keeps_icc() {
    let strip = |j: &[u8]| jpeg::strip(&jpeg::walk(j, false).unwrap(), j.len()).unwrap();
    let j = small_jpeg(6);
    let (once, h) = strip(&j);
    assert_eq!(h.orientation, 6);
    // Written into the one buffer reserved for it: no reallocation left a copy behind.
    assert_eq!(once.capacity(), j.len() + 4 + exif::minimal_exif(1).len());
    assert!(!once.windows(5).any(|w| w == b"Ducky"));
    assert!(once.windows(8).any(|w| w == b"tiny icc"));
    assert_eq!(strip(&once).0, once);
}

/// Pixels of a smooth picture (as photographs are) or of noise, from a fixed seed.
fn test_pixels(width: u32, height: u32, channels: u8, noise: bool) -> Pixels {
    let mut seed = 0x2545_f491_u32;
    let data = (0..width as usize * height as usize * usize::from(channels))
        .map(|i| {
            if noise {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed as u8
            } else {
                let x = i / usize::from(channels) % width as usize;
                let y = i / usize::from(channels) / width as usize;
                ((x * 3 + y * 2 + i % usize::from(channels) * 40) % 256) as u8
            }
        })
        .collect();
    Pixels {
        width,
        height,
        channels,
        data: zeroize::Zeroizing::new(data),
    }
}

/// What `jpeg-encoder` writes into a plain `Vec`: the bytes `encode_jpeg` must give too.
fn plain_jpeg(px: &Pixels, quality: u8, icc: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    if let Some(icc) = icc {
        enc.add_icc_profile(icc).unwrap();
    }
    let color = if px.channels == 1 {
        jpeg_encoder::ColorType::Luma
    } else {
        jpeg_encoder::ColorType::Rgb
    };
    enc.encode(&px.data, px.width as u16, px.height as u16, color)
        .unwrap();
    out
}

/// Each reallocation of the output would leave an unwiped copy of the encoded photo in freed
/// memory: the JPEG must come back in the one buffer reserved before encoding.
#[test]
fn encode_jpeg_never_reallocates_its_output() {
    let icc = vec![0x5a; 70_000]; // two ICC_PROFILE chunks
    for (w, h, c, quality, icc) in [
        (320, 240, 3, THUMBNAIL_QUALITY, None),
        (320, 240, 3, REDACTED_QUALITY, Some(&icc[..])),
        (1, 1, 3, REDACTED_QUALITY, None),
        (17, 300, 1, 100, Some(&icc[..600])),
        (640, 480, 3, REDACTED_QUALITY, None),
    ] {
        let px = test_pixels(w, h, c, false);
        let jpeg = px.encode_jpeg(quality, icc).unwrap();
        let reserved = jpeg_capacity(w, h, c, icc.map_or(0, <[u8]>::len));
        assert_eq!(jpeg.capacity(), reserved, "{w}x{h}x{c} q{quality}: grew");
        assert!(jpeg.len() <= reserved);
        assert_eq!(
            *jpeg,
            plain_jpeg(&px, quality, icc),
            "{w}x{h}x{c} q{quality}"
        );
    }
}

/// Noise at quality 100 is bigger than its pixels, so it outgrows what was reserved: it grows by
/// the wiping buffer and still comes out whole.
#[test]
fn encode_jpeg_of_noise_outgrows_the_reservation_and_stays_whole() {
    let px = test_pixels(256, 256, 3, true);
    let jpeg = px.encode_jpeg(100, None).unwrap();
    assert!(
        jpeg.len() > jpeg_capacity(256, 256, 3, 0),
        "did not outgrow: {}",
        jpeg.len()
    );
    assert_eq!(*jpeg, plain_jpeg(&px, 100, None));
}

/// At 1/8 scale the DC-only decoder makes the thumbnail; `jpeg-decoder` makes it when the
/// DC-only decoder is given nothing to work on. The two must agree.
#[test]
fn dc_only_and_dct_scaled_thumbnails_agree() {
    let (w, h) = (1200u16, 800u16);
    let mut x = 0x9e37_79b9u32;
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let (px, c) = (i / 3, i % 3);
            let (col, row) = (px % usize::from(w), px / usize::from(w));
            ((col * (c + 1) / 8 + row / 5 + (x % 24) as usize) % 256) as u8
        })
        .collect();
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, 85)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    // A 128-pixel thumbnail of a 1200-pixel photo is made at 1/8 scale.
    let policy = IntakePolicy {
        thumbnail_edge: 128,
        ..IntakePolicy::default()
    };
    let info = probe(&jpeg, &policy).unwrap();
    let parts = jpeg::walk(&jpeg, false).unwrap();
    assert!(
        dc::eighth(&parts, dc::Decoding::new(1)).is_some(),
        "the DC-only decoder must take this file"
    );
    let (fast, fast_size, _, _) =
        jpeg_thumbnail(&jpeg, Whole::Given, &parts, &info, &policy).unwrap();
    let (slow, slow_size, _, _) = jpeg_thumbnail(&jpeg, Whole::Given, &[], &info, &policy).unwrap();
    assert_eq!(fast_size, (150, 100));
    assert_eq!(fast_size, slow_size);
    assert_eq!((fast.width, fast.height), (slow.width, slow.height));
    let diff: u64 = fast
        .data
        .iter()
        .zip(slow.data.iter())
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    let mean = diff as f64 / fast.data.len() as f64;
    assert!(mean < 3.0, "thumbnails differ by {mean:.2} on average");
}

#[test]
fn fuzz_body_survives_the_seeds() {
    fuzzing::intake(&small_jpeg(1));
    fuzzing::intake(&small_jpeg(8));
    fuzzing::intake(&small_png());
    // The seeds must really get through intake, or the mutations below test only refusals.
    assert!(intake(&small_jpeg(8), &fuzzing::policy()).is_ok());
    assert!(intake(&small_png(), &fuzzing::policy()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fuzz_body_survives_random_input(b in prop::collection::vec(any::<u8>(), 0..400)) {
        fuzzing::intake(&b);
        // With a JPEG or PNG signature in front, random bytes reach the parsers.
        fuzzing::intake(&[&[0xFF, 0xD8, 0xFF][..], &b].concat());
        fuzzing::intake(&[::png::chunk::IHDR.0.as_slice(), &b].concat());
        fuzzing::intake(&[b"\x89PNG\r\n\x1a\n".as_slice(), &b].concat());
    }

    #[test]
    fn fuzz_body_survives_mutated_images(
        png_seed: bool,
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 0..4),
        cut in any::<prop::sample::Index>(),
        truncate: bool,
    ) {
        let mut b = if png_seed { small_png() } else { small_jpeg(6) };
        for (at, x) in flips {
            let i = at.index(b.len());
            b[i] ^= x;
        }
        if truncate {
            b.truncate(cut.index(b.len() + 1));
        }
        fuzzing::intake(&b);
    }
}

/// Writes the fuzz seeds: `cargo test -p wardcam-core --lib write_fuzz_corpus -- --ignored`.
#[test]
#[ignore = "writes fuzz/corpus/intake"]
fn write_fuzz_corpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/intake");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("jpeg_orientation_1"), small_jpeg(1)).unwrap();
    std::fs::write(dir.join("jpeg_orientation_6"), small_jpeg(6)).unwrap();
    std::fs::write(dir.join("png_rgba"), small_png()).unwrap();
}

mod sealing {
    use super::*;
    use crate::vault::danger::MemoryKeyStore;
    use crate::vault::{ItemKind, Timestamp, Vault};

    fn vault() -> (tempfile::TempDir, Vault) {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::create(&dir.path().join("vault"), &MemoryKeyStore::new()).unwrap();
        (dir, vault)
    }

    #[test]
    fn sealed_items_hold_exactly_what_intake_produces() {
        let (_dir, vault) = vault();
        let policy = IntakePolicy::default();
        for input in [small_jpeg(6), small_png()] {
            let sealed = seal_photo(&vault, &input, &policy, None, Timestamp(1)).unwrap();
            let expected = intake(&input, &policy).unwrap();
            assert_eq!(*vault.unseal(sealed.image).unwrap(), *expected.image);
            assert_eq!(
                *vault.unseal(sealed.thumbnail).unwrap(),
                *expected.thumbnail
            );
            assert_eq!(sealed.info, expected.info);
            assert_eq!(vault.meta(sealed.image).unwrap().kind, ItemKind::Photo);
            assert_eq!(
                vault.meta(sealed.thumbnail).unwrap().kind,
                ItemKind::Thumbnail
            );
        }
        assert_eq!(vault.list().unwrap().len(), 4);
    }

    /// A photo large enough for the DC-only decoder, with an EXIF orientation, a vendor segment
    /// and a two-chunk ICC profile, sequential or progressive (which `jpeg-decoder` decodes).
    fn photo_jpeg(progressive: bool) -> Vec<u8> {
        let (w, h) = (2600u16, 1700u16);
        let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
            .map(|i| ((i / 3 % 2600) / 9 + (i / 7800) / 13 + i % 3 * 40) as u8)
            .collect();
        let mut out = Vec::new();
        let mut enc = jpeg_encoder::Encoder::new(&mut out, 85);
        enc.set_progressive(progressive);
        enc.add_icc_profile(&[0x5a; 70_000]).unwrap();
        enc.add_app_segment(1, &exif::minimal_exif(8)).unwrap();
        enc.add_app_segment(12, b"Ducky-ish vendor data").unwrap();
        enc.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    /// `seal_photo` strips on the sealing thread and decodes the thumbnail from the input (with
    /// only the stripped headers for `jpeg-decoder`'s checks and ICC profile), where `intake`
    /// strips first: both give the same image, thumbnail (its ICC profile included), info and
    /// quality, or the same refusal, for photos the DC-only decoder takes, ones it leaves to
    /// `jpeg-decoder` (progressive, small) and damaged ones; a refusal leaves nothing sealed.
    #[test]
    fn sealing_while_thumbnailing_gives_what_intake_gives() {
        let (_dir, vault) = vault();
        let policy = IntakePolicy::default();
        let sequential = photo_jpeg(false);
        let scan = sequential.len() / 2;
        let mut damaged = sequential.clone();
        damaged.truncate(scan);
        let mut flipped = sequential.clone();
        for b in &mut flipped[scan..scan + 64] {
            if *b != 0xFF && *b != 0 {
                *b ^= 0x5A;
            }
        }
        let inputs = [
            ("sequential", sequential),
            ("progressive", photo_jpeg(true)),
            ("small", small_jpeg(3)),
            ("cut short", damaged),
            ("bits flipped", flipped),
        ];
        let mut sealed_items = 0;
        for (label, input) in inputs {
            let expected = intake(&input, &policy);
            match seal_photo(&vault, &input, &policy, None, Timestamp(1)) {
                Ok(sealed) => {
                    let expected = expected.unwrap_or_else(|e| panic!("{label}: intake: {e}"));
                    assert!(
                        *vault.unseal(sealed.image).unwrap() == *expected.image,
                        "{label}"
                    );
                    let thumbnail = vault.unseal(sealed.thumbnail).unwrap();
                    assert!(*thumbnail == *expected.thumbnail, "{label}: thumbnail");
                    assert!(thumbnail.windows(16).any(|w| w == [0x5a; 16]) || label == "small");
                    assert_eq!(sealed.info, expected.info, "{label}");
                    assert_eq!(sealed.quality, expected.quality, "{label}");
                    sealed_items += 2;
                }
                Err(e) => {
                    let expected = expected
                        .err()
                        .unwrap_or_else(|| panic!("{label}: only sealing failed: {e}"));
                    assert_eq!(e.code(), crate::Error::from(expected).code(), "{label}");
                }
            }
            assert_eq!(vault.list().unwrap().len(), sealed_items, "{label}");
        }
        assert!(sealed_items >= 6, "the photos that can be sealed are");
    }

    #[test]
    fn a_refused_image_leaves_nothing_in_the_vault() {
        let (_dir, vault) = vault();
        let policy = IntakePolicy::default();
        let err = seal_photo(&vault, b"not an image", &policy, None, Timestamp(1)).unwrap_err();
        assert_eq!(err.code(), "intake.not_an_image");
        // A PNG whose IDAT holds garbage under a correct CRC: the header checks pass, so the
        // image is being sealed when the thumbnail's inflate fails; it must be shredded again.
        let mut png = small_png();
        let at = png.windows(4).position(|w| w == b"IDAT").unwrap();
        let len = u32::from_be_bytes([png[at - 4], png[at - 3], png[at - 2], png[at - 1]]) as usize;
        for b in &mut png[at + 4..at + 4 + len] {
            *b = 0xA5;
        }
        let crc = crc32fast::hash(&png[at..at + 4 + len]);
        png[at + 4 + len..at + 8 + len].copy_from_slice(&crc.to_be_bytes());
        assert!(
            probe(&png, &policy).is_ok(),
            "the damage must pass the header checks"
        );
        assert!(seal_photo(&vault, &png, &policy, None, Timestamp(1)).is_err());
        assert_eq!(vault.list().unwrap().len(), 0);
    }
}
