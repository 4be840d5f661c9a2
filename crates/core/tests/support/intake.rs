//! Test images made by the tests: photo-like pixels, JPEG/PNG encoders, and metadata segments
//! carrying GPS, maker notes, serial numbers and timestamps to be stripped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};

/// GPS values and strings planted in the EXIF; none may survive intake.
pub const LAT: [(u32, u32); 3] = [(51, 1), (30, 1), (263_417, 10_000)];
pub const SECRETS: [&[u8]; 9] = [
    b"WardPhone Pro",
    b"SN-77A1-SECRET-0042",
    b"2026:11:23 10:15:42",
    b"MAKERNOTE-OWNER-Dr-Jones",
    b"xmpmeta-patient-face",
    b"IPTC-caption-bed-12",
    b"COMMENT-ward-7-bay-3",
    b"TRAILER-motion-photo",
    b"GPS-AREA-St-Thomas",
];
/// A fake ICC profile big enough to need two APP2 chunks.
pub fn icc_profile() -> Vec<u8> {
    (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Photo-like RGB: gradients, a few hard edges, and noise.
pub fn photo(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for i in 0..w {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 24) as u32;
            let edge = if (i / 37 + y / 29) % 2 == 0 { 60 } else { 0 };
            v.push(((i * 180 / w) + n + edge).min(255) as u8);
            v.push(((y * 160 / h) + n + 30).min(255) as u8);
            v.push((((i + y) * 90 / (w + h)) + n + edge / 2 + 40).min(255) as u8);
        }
    }
    v
}

pub fn encode_jpeg(rgb: &[u8], w: u32, h: u32, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.encode(rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

pub fn encode_png(rgb: &[u8], w: u32, h: u32, extra: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        for (kind, data) in extra {
            writer
                .write_chunk(png::chunk::ChunkType(**kind), data)
                .unwrap();
        }
        writer.write_image_data(rgb).unwrap();
    }
    out
}

/// Decodes a JPEG fully (test side only).
pub fn decode_jpeg(bytes: &[u8]) -> (Vec<u8>, u32, u32) {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let px = d.decode().unwrap();
    let info = d.info().unwrap();
    (px, u32::from(info.width), u32::from(info.height))
}

/// A TIFF EXIF with camera make/model, orientation, timestamps, serial, maker note, GPS and an
/// embedded thumbnail.
pub fn rich_exif(orientation: u16) -> Vec<u8> {
    let ascii = |s: &[u8]| Value::Ascii(vec![s.to_vec()]);
    let rat = |v: &[(u32, u32)]| {
        Value::Rational(
            v.iter()
                .map(|&(n, d)| Rational { num: n, denom: d })
                .collect(),
        )
    };
    let fields = vec![
        Field {
            tag: Tag::Make,
            ifd_num: In::PRIMARY,
            value: ascii(SECRETS[0]),
        },
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        },
        Field {
            tag: Tag::DateTimeOriginal,
            ifd_num: In::PRIMARY,
            value: ascii(SECRETS[2]),
        },
        Field {
            tag: Tag::BodySerialNumber,
            ifd_num: In::PRIMARY,
            value: ascii(SECRETS[1]),
        },
        Field {
            tag: Tag::MakerNote,
            ifd_num: In::PRIMARY,
            value: Value::Undefined(SECRETS[3].to_vec(), 0),
        },
        Field {
            tag: Tag::GPSLatitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii(b"N"),
        },
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: rat(&LAT),
        },
        Field {
            tag: Tag::GPSLongitudeRef,
            ifd_num: In::PRIMARY,
            value: ascii(b"W"),
        },
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: rat(&[(0, 1), (7, 1), (399_917, 10_000)]),
        },
        Field {
            tag: Tag::GPSAreaInformation,
            ifd_num: In::PRIMARY,
            value: Value::Undefined(SECRETS[8].to_vec(), 0),
        },
    ];
    let thumb = encode_jpeg(&photo(32, 24, 9), 32, 24, 80);
    let mut w = Writer::new();
    for f in &fields {
        w.push_field(f);
    }
    w.set_jpeg(&thumb, In::THUMBNAIL);
    let mut buf = std::io::Cursor::new(Vec::new());
    w.write(&mut buf, false).unwrap();
    buf.into_inner()
}

pub fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// ICC profile split into APP2 chunks as the ICC spec says.
pub fn icc_segments(icc: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = icc.chunks(65_519).collect();
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let mut p = b"ICC_PROFILE\0".to_vec();
        p.push(i as u8 + 1);
        p.push(chunks.len() as u8);
        p.extend_from_slice(c);
        out.extend(segment(0xE2, &p));
    }
    out
}

/// Every metadata segment a phone might write, in the order phones write them.
pub fn metadata_segments(orientation: u16) -> Vec<u8> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend(rich_exif(orientation));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>".to_vec();
    xmp.extend_from_slice(SECRETS[4]);
    xmp.extend_from_slice(b"</x:xmpmeta>");
    let mut iptc = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x20\x1c\x02\x78\0\x13".to_vec();
    iptc.extend_from_slice(SECRETS[5]);
    let mut mpf = b"MPF\0".to_vec();
    mpf.extend_from_slice(b"II*\0secondary-image");
    let mut out = segment(0xE1, &exif);
    out.extend(segment(0xE1, &xmp));
    out.extend(icc_segments(&icc_profile()));
    out.extend(segment(0xE2, &mpf));
    out.extend(segment(0xED, &iptc));
    out.extend(segment(0xFE, SECRETS[6]));
    out.extend(segment(0xEA, b"some vendor block"));
    out
}

/// `jpeg` (an encoder's output: SOI, APP0 JFIF, ...) with `segments` inserted after APP0 and a
/// trailer after EOI.
pub fn with_metadata(jpeg: &[u8], segments: &[u8]) -> Vec<u8> {
    let app0_len = usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let at = 4 + app0_len;
    let mut out = jpeg[..at].to_vec();
    out.extend_from_slice(segments);
    out.extend_from_slice(&jpeg[at..]);
    out.extend_from_slice(SECRETS[7]);
    out
}

/// A test JPEG with every kind of metadata and the given orientation.
pub fn tagged_jpeg(w: u32, h: u32, orientation: u16) -> Vec<u8> {
    with_metadata(
        &encode_jpeg(&photo(w, h, 5), w, h, 90),
        &metadata_segments(orientation),
    )
}

/// The markers of a JPEG, as (marker, whole segment bytes) up to SOS, then the rest.
pub fn markers(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() {
        let m = jpeg[pos + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]));
        out.push((m, jpeg[pos..pos + 2 + len].to_vec()));
        pos += 2 + len;
        if m == 0xDA {
            out.push((0, jpeg[pos..].to_vec())); // entropy data + EOI (and anything after)
            break;
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The rational GPS latitude as its TIFF big-endian bytes.
pub fn lat_bytes() -> Vec<u8> {
    LAT.iter()
        .flat_map(|&(n, d)| [n.to_be_bytes(), d.to_be_bytes()].concat())
        .collect()
}
