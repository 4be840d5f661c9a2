//! Intake of generated JPEGs and PNGs: metadata gone, ICC and orientation kept, compressed data
//! byte-identical; and every kind of bad input refused with its own error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/intake.rs"]
mod support;

use support::*;
use wardcam_core::intake::{intake, probe, ImageFormat, IntakeError, IntakePolicy};

fn policy() -> IntakePolicy {
    IntakePolicy::default()
}

#[test]
fn the_test_image_really_carries_the_metadata() {
    // Guards the tests below against passing because the planted metadata was never there.
    let input = tagged_jpeg(160, 120, 6);
    for s in SECRETS {
        assert!(contains(&input, s), "{}", String::from_utf8_lossy(s));
    }
    assert!(contains(&input, &lat_bytes()));
    let tiff = rich_exif(6);
    let ex = exif::Reader::new().read_raw(tiff).unwrap();
    assert!(ex
        .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
        .is_some());
    assert!(ex
        .get_field(exif::Tag::JPEGInterchangeFormat, exif::In::THUMBNAIL)
        .is_some());
}

#[test]
fn jpeg_metadata_is_gone_and_icc_orientation_and_data_survive() {
    let input = tagged_jpeg(160, 120, 6);
    let out = intake(&input, &policy()).unwrap();
    assert_eq!(out.info.format, ImageFormat::Jpeg);
    assert_eq!(
        (out.info.width, out.info.height, out.info.orientation),
        (160, 120, 6)
    );
    let image = &out.image[..];

    // By bytes: no planted string, no GPS rational, no EXIF thumbnail's own SOI inside.
    for s in SECRETS {
        assert!(
            !contains(image, s),
            "{} survived",
            String::from_utf8_lossy(s)
        );
    }
    assert!(!contains(image, &lat_bytes()));
    assert!(!contains(image, b"http://ns.adobe.com"));
    assert!(!contains(image, b"Photoshop 3.0"));
    assert!(!contains(image, b"MPF\0"));
    assert_eq!(image.windows(2).filter(|w| w == &[0xFF, 0xD8]).count(), 1);
    assert!(image.ends_with(&[0xFF, 0xD9]));

    // By parsing: the markers left are exactly the allowed ones.
    let out_markers = markers(image);
    let in_markers = markers(&input);
    let kinds: Vec<u8> = out_markers.iter().map(|m| m.0).collect();
    for k in &kinds {
        assert!(
            matches!(k, 0xE0 | 0xE1 | 0xE2 | 0xDB | 0xC4 | 0xC0 | 0xDA | 0),
            "marker {k:#x} survived"
        );
    }
    assert_eq!(kinds.iter().filter(|&&k| k == 0xE1).count(), 1);
    // The only EXIF is the orientation.
    let app1 = &out_markers.iter().find(|m| m.0 == 0xE1).unwrap().1;
    let ex = exif::Reader::new().read_raw(app1[10..].to_vec()).unwrap();
    assert_eq!(ex.fields().count(), 1);
    let o = ex
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .unwrap();
    assert_eq!(o.value.get_uint(0), Some(6));
    assert!(exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(image))
        .unwrap()
        .get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
        .is_none());

    // ICC: every chunk byte-identical, reassembling to the profile.
    let icc_in: Vec<_> = in_markers
        .iter()
        .filter(|m| m.0 == 0xE2 && m.1[4..].starts_with(b"ICC_PROFILE\0"))
        .collect();
    let icc_out: Vec<_> = out_markers.iter().filter(|m| m.0 == 0xE2).collect();
    assert_eq!(icc_in.len(), 2);
    assert_eq!(icc_in, icc_out);
    let profile: Vec<u8> = icc_out.iter().flat_map(|m| m.1[18..].to_vec()).collect();
    assert_eq!(profile, icc_profile());

    // Tables, frame header, scan header and entropy-coded data: byte for byte, in order.
    let codec = |ms: &[(u8, Vec<u8>)]| -> Vec<(u8, Vec<u8>)> {
        ms.iter()
            .filter(|m| matches!(m.0, 0xDB | 0xC4 | 0xC0 | 0xDA | 0))
            .cloned()
            .collect()
    };
    let mut codec_in = codec(&in_markers);
    // The input's entropy data is followed by EOI and the planted trailer; the output's by EOI.
    let last = codec_in.last_mut().unwrap();
    last.1.truncate(last.1.len() - SECRETS[7].len());
    assert_eq!(codec(&out_markers), codec_in);

    // Same pixels.
    assert_eq!(decode_jpeg(image), decode_jpeg(&input));
}

#[test]
fn orientation_one_writes_no_exif_at_all() {
    let input = tagged_jpeg(64, 48, 1);
    let out = intake(&input, &policy()).unwrap();
    assert_eq!(out.info.orientation, 1);
    assert!(!markers(&out.image).iter().any(|m| m.0 == 0xE1));
}

#[test]
fn jfif_thumbnail_is_dropped_but_density_kept() {
    let plain = encode_jpeg(&photo(64, 48, 1), 64, 48, 90);
    // Rebuild APP0 as JFIF 1.01, 300 dpi, with a 2x1 RGB thumbnail.
    let mut app0 = b"JFIF\0\x01\x01\x01\x01\x2c\x01\x2c\x02\x01".to_vec();
    app0.extend_from_slice(b"THUMBP");
    let app0_len = usize::from(u16::from_be_bytes([plain[4], plain[5]]));
    let mut input = plain[..2].to_vec();
    input.extend(segment(0xE0, &app0));
    input.extend_from_slice(&plain[4 + app0_len..]);
    let out = intake(&input, &policy()).unwrap();
    let jfif = &markers(&out.image)[0];
    assert_eq!(jfif.0, 0xE0);
    assert_eq!(&jfif.1[4..], b"JFIF\0\x01\x01\x01\x01\x2c\x01\x2c\0\0");
}

#[test]
fn png_text_exif_and_time_are_gone_colour_chunks_and_idat_kept() {
    let rgb = photo(40, 30, 3);
    let mut text = b"Comment\0".to_vec();
    text.extend_from_slice(SECRETS[6]);
    let tiff = rich_exif(3);
    let extra: Vec<(&[u8; 4], &[u8])> = vec![
        (b"gAMA", &[0, 0, 0xB1, 0x8F]),
        (b"pHYs", &[0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1]),
        (b"tEXt", &text),
        (b"eXIf", &tiff),
        (b"tIME", &[0x07, 0xEA, 11, 23, 10, 15, 42]),
        (b"prVt", SECRETS[0]),
    ];
    let mut input = encode_png(&rgb, 40, 30, &extra);
    input.extend_from_slice(SECRETS[7]);
    let out = intake(&input, &policy()).unwrap();
    assert_eq!(out.info.format, ImageFormat::Png);
    assert_eq!(out.info.orientation, 3);
    for s in SECRETS {
        assert!(!contains(&out.image, s));
    }
    assert!(!contains(&out.image, b"tIME") && !contains(&out.image, b"tEXt"));
    assert!(contains(&out.image, b"gAMA") && contains(&out.image, b"pHYs"));
    // The eXIf left holds only the orientation.
    let d = png::Decoder::new(std::io::Cursor::new(&out.image[..]));
    let mut r = d.read_info().unwrap();
    let exif_chunk = r.info().exif_metadata.as_ref().unwrap().to_vec();
    let ex = exif::Reader::new().read_raw(exif_chunk).unwrap();
    assert_eq!(ex.fields().count(), 1);
    let mut px = vec![0; r.output_buffer_size().unwrap()];
    r.next_frame(&mut px).unwrap();
    assert_eq!(px, rgb);
    // IDAT byte for byte.
    let idat = |b: &[u8]| -> Vec<u8> {
        let i = b.windows(4).position(|w| w == b"IDAT").unwrap() - 4;
        let len = u32::from_be_bytes(b[i..i + 4].try_into().unwrap()) as usize;
        b[i..i + 12 + len].to_vec()
    };
    assert_eq!(idat(&out.image), idat(&input));
}

fn code(r: Result<impl std::fmt::Debug, IntakeError>) -> &'static str {
    r.unwrap_err().code()
}

/// A JPEG whose SOF claims `w` x `h`, with nothing decodable behind it.
fn sof_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut j = encode_jpeg(&photo(16, 16, 1), 16, 16, 90);
    let sof = j.windows(2).position(|x| x == [0xFF, 0xC0]).unwrap();
    j[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    j[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    j
}

#[test]
fn each_bad_input_gets_its_own_error() {
    let p = policy();
    let good = tagged_jpeg(64, 48, 6);
    assert_eq!(code(intake(&[], &p)), "intake.empty");
    assert_eq!(
        code(probe(b"hello, this is a text file", &p)),
        "intake.not_an_image"
    );
    assert_eq!(code(intake(b"%PDF-1.7\n", &p)), "intake.not_an_image");
    assert_eq!(
        code(probe(b"GIF89a\x01\0\x01\0", &p)),
        "intake.unsupported_format"
    );
    assert_eq!(
        code(probe(b"\0\0\0\x18ftypheic\0\0\0\0", &p)),
        "intake.unsupported_format"
    );
    // Oversized dimensions, refused from the header alone.
    assert_eq!(
        code(probe(&sof_claiming(60000, 60000), &p)),
        "intake.too_many_pixels"
    );
    assert_eq!(
        code(intake(&sof_claiming(60000, 60000), &p)),
        "intake.too_many_pixels"
    );
    // 49 MP is within the limit, but not in 1 KB: a bomb.
    assert_eq!(
        code(intake(&sof_claiming(7000, 7000), &p)),
        "intake.decompression_bomb"
    );
    let small = IntakePolicy {
        max_bytes: 1000,
        ..policy()
    };
    assert!(matches!(
        intake(&good, &small),
        Err(IntakeError::TooLarge { max: 1000, .. })
    ));
    // Truncated anywhere: in the header, in a segment, in the scan.
    for cut in [
        2,
        3,
        5,
        30,
        good.len() / 2,
        good.len() - SECRETS[7].len() - 2,
    ] {
        assert_eq!(
            code(intake(&good[..cut], &p)),
            "intake.truncated",
            "cut at {cut}"
        );
    }
    // Malformed: zero width, a segment length under 2, garbage where a marker should be, no SOF.
    assert_eq!(code(intake(&sof_claiming(0, 16), &p)), "intake.malformed");
    let mut bad_len = good.clone();
    bad_len[4..6].copy_from_slice(&[0, 1]);
    assert_eq!(code(intake(&bad_len, &p)), "intake.malformed");
    let mut no_marker = good.clone();
    let app0_len = usize::from(u16::from_be_bytes([good[4], good[5]]));
    no_marker[4 + app0_len] = 0x42;
    assert_eq!(code(intake(&no_marker, &p)), "intake.malformed");
    let no_sof = [&[0xFF, 0xD8][..], &segment(0xFE, b"x"), &[0xFF, 0xD9]].concat();
    assert_eq!(code(intake(&no_sof, &p)), "intake.malformed");
}

#[test]
fn each_bad_png_gets_its_own_error() {
    let p = policy();
    let good = encode_png(&photo(32, 32, 2), 32, 32, &[]);
    assert!(intake(&good, &p).is_ok());
    assert_eq!(code(intake(&good[..4], &p)), "intake.truncated");
    assert_eq!(code(intake(&good[..8], &p)), "intake.truncated");
    assert_eq!(
        code(intake(&good[..good.len() - 6], &p)),
        "intake.truncated"
    );
    assert_eq!(code(intake(&good[..40], &p)), "intake.truncated");
    let mut big = good.clone();
    big[16..20].copy_from_slice(&60000u32.to_be_bytes());
    big[20..24].copy_from_slice(&60000u32.to_be_bytes());
    assert_eq!(code(probe(&big, &p)), "intake.too_many_pixels");
    let mut bomb = good.clone();
    bomb[16..20].copy_from_slice(&7000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&7000u32.to_be_bytes());
    assert_eq!(code(probe(&bomb, &p)), "intake.decompression_bomb");
    let mut zero = good.clone();
    zero[16..20].copy_from_slice(&0u32.to_be_bytes());
    assert_eq!(code(probe(&zero, &p)), "intake.malformed");
    let mut not_ihdr = good.clone();
    not_ihdr[12..16].copy_from_slice(b"IDAT");
    assert_eq!(code(probe(&not_ihdr, &p)), "intake.malformed");
    // A damaged IDAT (CRC no longer matches): the header reads, the decode refuses.
    let mut damaged = good.clone();
    let idat = damaged.windows(4).position(|w| w == b"IDAT").unwrap();
    damaged[idat + 10] ^= 0x55;
    assert_eq!(code(intake(&damaged, &p)), "intake.malformed");
}

#[test]
fn error_messages_carry_no_metadata() {
    let mut input = tagged_jpeg(64, 48, 6);
    input.truncate(input.len() / 2);
    let e = intake(&input, &policy()).unwrap_err();
    for s in SECRETS {
        assert!(!contains(e.to_string().as_bytes(), s));
    }
    assert_eq!(wardcam_core::Error::from(e).code(), "intake.truncated");
}
