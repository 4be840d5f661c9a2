//! Redaction: solid opaque rectangles and a crop, applied to the full-resolution upright image,
//! re-encoded once. Never blur or pixelation: both can be reversed or recognised.

use serde::{Deserialize, Serialize};

use super::error::IntakeError;
use super::pixels::Pixels;

/// Most rectangles one redaction may carry (a guard against a hostile or runaway caller).
pub const MAX_FILLS: usize = 64;
/// JPEG quality of the redacted image: visually lossless for clinical review, encoded once.
pub const REDACTED_QUALITY: u8 = 92;

/// A rectangle in normalised coordinates of the upright image as the clinician sees it: (0, 0) is
/// the top-left corner, (1, 1) the bottom-right, whatever the camera's EXIF orientation was.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    /// Left edge, 0..1.
    pub x: f64,
    /// Top edge, 0..1.
    pub y: f64,
    /// Width, > 0, with `x + width <= 1`.
    pub width: f64,
    /// Height, > 0, with `y + height <= 1`.
    pub height: f64,
}

/// What to hide and what to keep: `fills` are painted solid black first, then the image is cropped
/// to `crop` (both in coordinates of the whole upright image).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Redaction {
    /// The part of the image to keep; `None` keeps all of it.
    pub crop: Option<Rect>,
    /// Areas to cover with opaque black (faces, tattoos, name bands).
    pub fills: Vec<Rect>,
}

/// Pixel bounds `[x0, x1) x [y0, y1)` of a checked rectangle.
type Bounds = (usize, usize, usize, usize);

impl Rect {
    fn check(&self, what: &str) -> Result<(), IntakeError> {
        let v = [self.x, self.y, self.width, self.height];
        if v.iter().any(|c| !c.is_finite()) {
            return Err(IntakeError::bad_redaction(format!(
                "the {what} is not a number"
            )));
        }
        if self.width <= 0.0 || self.height <= 0.0 {
            return Err(IntakeError::bad_redaction(format!("the {what} is empty")));
        }
        if self.x < 0.0 || self.y < 0.0 || self.x + self.width > 1.0 || self.y + self.height > 1.0 {
            return Err(IntakeError::bad_redaction(format!(
                "the {what} reaches outside the picture"
            )));
        }
        Ok(())
    }

    /// Rounded outwards: every pixel the rectangle touches is covered.
    fn covering(&self, w: u32, h: u32) -> Bounds {
        let (w, h) = (f64::from(w), f64::from(h));
        let lo = |v: f64, max: f64| (v * max).floor().clamp(0.0, max) as usize;
        let hi = |v: f64, max: f64| (v * max).ceil().clamp(0.0, max) as usize;
        (
            lo(self.x, w),
            lo(self.y, h),
            hi(self.x + self.width, w),
            hi(self.y + self.height, h),
        )
    }

    /// Rounded to the nearest pixel edge.
    fn nearest(&self, w: u32, h: u32) -> Bounds {
        let (w, h) = (f64::from(w), f64::from(h));
        let r = |v: f64, max: f64| (v * max).round().clamp(0.0, max) as usize;
        (
            r(self.x, w),
            r(self.y, h),
            r(self.x + self.width, w),
            r(self.y + self.height, h),
        )
    }
}

impl Redaction {
    /// Refuses empty, out-of-range or non-numeric rectangles, and too many of them.
    pub fn check(&self) -> Result<(), IntakeError> {
        if self.fills.len() > MAX_FILLS {
            return Err(IntakeError::bad_redaction(format!(
                "more than {MAX_FILLS} rectangles"
            )));
        }
        if let Some(crop) = &self.crop {
            crop.check("crop")?;
        }
        self.fills.iter().try_for_each(|f| f.check("rectangle"))
    }
}

/// Paints the fills and crops; `image` is upright.
pub(crate) fn apply(image: Pixels, redaction: &Redaction) -> Result<Pixels, IntakeError> {
    redaction.check()?;
    let (w, h, c) = (image.width, image.height, usize::from(image.channels));
    let mut image = image;
    for fill in &redaction.fills {
        let (x0, y0, x1, y1) = fill.covering(w, h);
        for y in y0..y1 {
            let row = y * w as usize * c;
            image.data[row + x0 * c..row + x1 * c].fill(0);
        }
    }
    let Some(crop) = &redaction.crop else {
        return Ok(image);
    };
    let (x0, y0, x1, y1) = crop.nearest(w, h);
    if x1 <= x0 || y1 <= y0 {
        return Err(IntakeError::bad_redaction(
            "the crop is smaller than one pixel",
        ));
    }
    let mut data = zeroize::Zeroizing::new(Vec::with_capacity((x1 - x0) * (y1 - y0) * c));
    for y in y0..y1 {
        let row = y * w as usize * c;
        data.extend_from_slice(&image.data[row + x0 * c..row + x1 * c]);
    }
    Ok(Pixels {
        width: (x1 - x0) as u32,
        height: (y1 - y0) as u32,
        channels: image.channels,
        data,
    })
}
