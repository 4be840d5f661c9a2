//! The signature as drawn: vector strokes from the pad, checked for being a real signature, and
//! rendered to PNG here so the image always matches the strokes that were hashed.

use serde::{Deserialize, Serialize};

use super::ConsentError;

/// Most strokes a signature may have.
pub const MAX_STROKES: usize = 64;
/// Most points over all strokes.
pub const MAX_POINTS: usize = 8_192;
/// Smallest and largest pad side, in pad pixels.
pub const PAD_SIDE: std::ops::RangeInclusive<u32> = 64..=2_048;

/// One sampled pen position, in whole pad pixels from the pad's top-left corner, with `t` the
/// milliseconds since the pad was first touched. Integers keep the record's canonical form exact
/// (no float formatting in the digest); the UI rounds what the pad library reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Horizontal position, 0 ≤ x ≤ pad width.
    pub x: u32,
    /// Vertical position, 0 ≤ y ≤ pad height.
    pub y: u32,
    /// Milliseconds since the first touch.
    pub t: u32,
}

/// A signature drawn on a pad of `width` × `height` pixels: strokes of points, pen down to pen up.
///
/// A signature is refused as trivial ([`ConsentError::SignatureTooSmall`]) unless it has at least
/// [`Signature::MIN_POINTS`] points, its ink spans at least a fifth of the pad's width and a tenth
/// of its height, and the pen travelled at least half the pad's width in all. A dot, a tick or a
/// short dash fails; a name written across the box passes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Pad width in pixels.
    pub width: u32,
    /// Pad height in pixels.
    pub height: u32,
    /// The strokes, in the order drawn.
    pub strokes: Vec<Vec<Point>>,
}

impl Signature {
    /// Fewest points a signature may have.
    pub const MIN_POINTS: usize = 10;

    /// Checks size limits and that this is more than a dot or a dash (see the type's docs).
    pub fn validate(&self) -> Result<(), ConsentError> {
        if !PAD_SIDE.contains(&self.width) || !PAD_SIDE.contains(&self.height) {
            return Err(ConsentError::SignatureMalformed);
        }
        let count: usize = self.strokes.iter().map(Vec::len).sum();
        if count == 0 {
            return Err(ConsentError::SignatureEmpty);
        }
        if self.strokes.len() > MAX_STROKES || count > MAX_POINTS {
            return Err(ConsentError::SignatureTooLarge);
        }
        let points = || self.strokes.iter().flatten();
        if points().any(|p| p.x > self.width || p.y > self.height) {
            return Err(ConsentError::SignatureMalformed);
        }
        let (min_x, max_x) = bounds(points().map(|p| p.x));
        let (min_y, max_y) = bounds(points().map(|p| p.y));
        let travelled: f64 = self
            .strokes
            .iter()
            .flat_map(|s| s.windows(2))
            .map(|w| {
                let dx = f64::from(w[1].x) - f64::from(w[0].x);
                let dy = f64::from(w[1].y) - f64::from(w[0].y);
                dx.hypot(dy)
            })
            .sum();
        let wide_enough = (max_x - min_x) * 5 >= self.width;
        let tall_enough = (max_y - min_y) * 10 >= self.height;
        let long_enough = travelled * 2.0 >= f64::from(self.width);
        if count < Self::MIN_POINTS || !wide_enough || !tall_enough || !long_enough {
            return Err(ConsentError::SignatureTooSmall);
        }
        Ok(())
    }

    /// The signature as an 8-bit greyscale PNG the size of the pad: black ink on white, lines
    /// about 1/150 of the pad width thick, antialiased. Deterministic for given strokes.
    pub fn render_png(&self) -> Result<Vec<u8>, ConsentError> {
        self.validate()?;
        let (w, h) = (self.width as usize, self.height as usize);
        // Coverage of ink per pixel, 0..=1; the maximum over segments, so overlaps do not darken.
        let mut ink = vec![0f32; w * h];
        let radius = (self.width as f32 / 300.0).max(1.2);
        for stroke in &self.strokes {
            let segments: Vec<(Point, Point)> = match stroke.as_slice() {
                [single] => vec![(*single, *single)],
                many => many.windows(2).map(|s| (s[0], s[1])).collect(),
            };
            for (a, b) in segments {
                stamp_segment(&mut ink, w, h, a, b, radius);
            }
        }
        let pixels: Vec<u8> = ink
            .iter()
            .map(|c| 255 - (c.clamp(0.0, 1.0) * 255.0).round() as u8)
            .collect();
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|_| ConsentError::SignatureRender)?;
        writer
            .write_image_data(&pixels)
            .map_err(|_| ConsentError::SignatureRender)?;
        writer.finish().map_err(|_| ConsentError::SignatureRender)?;
        Ok(out)
    }
}

fn bounds(values: impl Iterator<Item = u32>) -> (u32, u32) {
    values.fold((u32::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// Marks the pixels within `radius` of segment `a`–`b`, with a one-pixel soft edge.
fn stamp_segment(ink: &mut [f32], w: usize, h: usize, a: Point, b: Point, radius: f32) {
    let (ax, ay, bx, by) = (a.x as f32, a.y as f32, b.x as f32, b.y as f32);
    let reach = radius + 1.0;
    let x0 = (ax.min(bx) - reach).floor().max(0.0) as usize;
    let y0 = (ay.min(by) - reach).floor().max(0.0) as usize;
    let x1 = ((ax.max(bx) + reach).ceil() as usize).min(w.saturating_sub(1));
    let y1 = ((ay.max(by) + reach).ceil() as usize).min(h.saturating_sub(1));
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    for y in y0..=y1 {
        for x in x0..=x1 {
            // Distance from the pixel centre to the segment.
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let t = if len2 > 0.0 {
                (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (cx, cy) = (ax + t * dx, ay + t * dy);
            let d = (px - cx).hypot(py - cy);
            let coverage = (radius + 0.5 - d).clamp(0.0, 1.0);
            let cell = &mut ink[y * w + x];
            if coverage > *cell {
                *cell = coverage;
            }
        }
    }
}
