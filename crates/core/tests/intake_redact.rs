//! Redaction: solid fills on the upright full image, crop, one re-encode with ICC and no EXIF;
//! hostile rectangles refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/intake.rs"]
mod support;

use support::*;
use wardcam_core::intake::{redact, IntakePolicy, Rect, Redaction, MAX_FILLS};

fn rect(x: f64, y: f64, width: f64, height: f64) -> Rect {
    Rect {
        x,
        y,
        width,
        height,
    }
}

/// Stored 320x240, orientation 6 (upright 240x320), ICC profile and all the metadata.
fn input() -> Vec<u8> {
    tagged_jpeg(320, 240, 6)
}

#[test]
fn pixels_under_a_fill_are_black_and_the_rest_is_not() {
    let p = IntakePolicy::default();
    let r = Redaction {
        crop: None,
        fills: vec![rect(0.25, 0.25, 0.5, 0.5)],
    };
    let out = redact(&input(), &r, &p).unwrap();
    let (px, w, h) = decode_jpeg(&out.image);
    assert_eq!((w, h), (240, 320), "orientation applied");
    // The fill covers x 60..180, y 80..240. Inside, away from the 16-pixel MCU blocks that straddle
    // its edge: exactly black.
    for y in 96..224 {
        for x in 64..176 {
            let i = ((y * w + x) * 3) as usize;
            assert_eq!(&px[i..i + 3], &[0, 0, 0], "at {x},{y}");
        }
    }
    // Elsewhere the photo (never darker than 30 in green) is intact.
    for (x, y) in [
        (10, 10),
        (230, 10),
        (10, 300),
        (230, 300),
        (30, 160),
        (200, 160),
    ] {
        let i = ((y * w + x) * 3) as usize;
        assert!(px[i + 1] > 20, "at {x},{y}: {:?}", &px[i..i + 3]);
    }
    // ICC kept (reassembled by the decoder), no EXIF, none of the metadata.
    let mut d = jpeg_decoder::Decoder::new(&out.image[..]);
    d.read_info().unwrap();
    assert_eq!(d.icc_profile().unwrap(), icc_profile());
    assert_eq!(out.info.orientation, 1);
    assert!(!markers(&out.image).iter().any(|m| m.0 == 0xE1));
    for s in SECRETS {
        assert!(!contains(&out.image, s));
    }
    // The new thumbnail shows the fill too.
    let (tp, tw, th) = decode_jpeg(&out.thumbnail);
    let i = (((th / 2) * tw + tw / 2) * 3) as usize;
    assert!(tp[i] < 8 && tp[i + 1] < 8 && tp[i + 2] < 8);
}

#[test]
fn crop_has_the_right_size_and_content() {
    let p = IntakePolicy::default();
    // Upright image 240x320; keep the right half, with a fill on the upright top-left corner
    // (outside the crop) and one inside it.
    let r = Redaction {
        crop: Some(rect(0.5, 0.0, 0.5, 1.0)),
        fills: vec![rect(0.0, 0.0, 0.25, 0.25), rect(0.75, 0.5, 0.25, 0.25)],
    };
    let out = redact(&input(), &r, &p).unwrap();
    let (px, w, h) = decode_jpeg(&out.image);
    assert_eq!((w, h), (120, 320));
    // The second fill (upright x 180..240, y 160..240) is now at x 60..120 of the crop.
    let i = ((200 * w + 90) * 3) as usize;
    assert_eq!(&px[i..i + 3], &[0, 0, 0]);
    let j = ((40 * w + 60) * 3) as usize;
    assert!(px[j + 1] > 20);
}

#[test]
fn redacting_a_png_gives_a_jpeg() {
    let png = encode_png(&photo(64, 64, 4), 64, 64, &[]);
    let r = Redaction {
        crop: None,
        fills: vec![rect(0.0, 0.0, 0.5, 1.0)],
    };
    let out = redact(&png, &r, &IntakePolicy::default()).unwrap();
    assert_eq!(out.info.format, wardcam_core::intake::ImageFormat::Jpeg);
    let (px, w, _) = decode_jpeg(&out.image);
    assert_eq!(&px[((10 * w + 8) * 3) as usize..][..3], &[0, 0, 0]);
}

#[test]
fn hostile_rectangles_are_refused() {
    let p = IntakePolicy::default();
    let image = input();
    let bad = [
        rect(f64::NAN, 0.0, 0.5, 0.5),
        rect(0.0, 0.0, f64::INFINITY, 0.5),
        rect(-0.1, 0.0, 0.5, 0.5),
        rect(0.0, 0.0, 0.0, 0.5),
        rect(0.0, 0.0, 0.5, -0.5),
        rect(0.6, 0.0, 0.5, 0.5),
        rect(0.0, 0.9, 0.5, 0.2),
        rect(2.0, 2.0, 1.0, 1.0),
    ];
    for b in bad {
        for r in [
            Redaction {
                crop: Some(b),
                fills: vec![],
            },
            Redaction {
                crop: None,
                fills: vec![b],
            },
        ] {
            let e = redact(&image, &r, &p).unwrap_err();
            assert_eq!(e.code(), "intake.bad_redaction", "{b:?}");
        }
    }
    let tiny = Redaction {
        crop: Some(rect(0.5, 0.5, 1e-9, 1e-9)),
        fills: vec![],
    };
    assert_eq!(
        redact(&image, &tiny, &p).unwrap_err().code(),
        "intake.bad_redaction"
    );
    let many = Redaction {
        crop: None,
        fills: vec![rect(0.0, 0.0, 0.1, 0.1); MAX_FILLS + 1],
    };
    assert_eq!(
        redact(&image, &many, &p).unwrap_err().code(),
        "intake.bad_redaction"
    );
    // Refused before decoding: a bad rectangle on a non-image still says "bad redaction".
    let r = Redaction {
        crop: None,
        fills: vec![rect(0.0, 0.0, 0.0, 0.0)],
    };
    assert_eq!(
        redact(b"not an image", &r, &p).unwrap_err().code(),
        "intake.bad_redaction"
    );
    // Rectangles travel from the UI as JSON.
    let ok = Redaction {
        crop: Some(rect(0.1, 0.1, 0.5, 0.5)),
        fills: vec![rect(0.2, 0.2, 0.1, 0.1)],
    };
    let json = serde_json::to_string(&ok).unwrap();
    assert_eq!(serde_json::from_str::<Redaction>(&json).unwrap(), ok);
}
