//! The Review screen's quick quality check, made on the thumbnail (so it costs microseconds):
//! sharpness as the variance of the Laplacian of the greyscale image, and exposure as the fraction
//! of crushed-black and blown-white pixels.

use serde::{Deserialize, Serialize};

use super::pixels::Pixels;
use super::IntakePolicy;

/// Grey levels at or below this count as crushed black.
pub const DARK_LEVEL: u8 = 10;
/// Grey levels at or above this count as blown white.
pub const BRIGHT_LEVEL: u8 = 245;

/// How the thumbnail looks, with the verdicts the Review screen turns into advice ("looks blurred -
/// retake?", "too dark", "too bright"). Advice only: the clinician may keep the photo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Variance of the 4-neighbour Laplacian of the thumbnail's grey levels; low means blurred.
    pub sharpness: f32,
    /// `sharpness` is below the policy's [`IntakePolicy::min_sharpness`].
    pub blurred: bool,
    /// Fraction (0..=1) of thumbnail pixels at or below [`DARK_LEVEL`].
    pub dark_fraction: f32,
    /// Fraction (0..=1) of thumbnail pixels at or above [`BRIGHT_LEVEL`].
    pub bright_fraction: f32,
    /// `dark_fraction` is above the policy's [`IntakePolicy::max_clipped_fraction`].
    pub too_dark: bool,
    /// `bright_fraction` is above the policy's [`IntakePolicy::max_clipped_fraction`].
    pub too_bright: bool,
}

pub(crate) fn assess(thumb: &Pixels, policy: &IntakePolicy) -> Quality {
    let grey = thumb.grey();
    let (w, h) = (thumb.width as usize, thumb.height as usize);
    let n = grey.len().max(1) as f32;
    let dark_fraction = grey.iter().filter(|&&g| g <= DARK_LEVEL).count() as f32 / n;
    let bright_fraction = grey.iter().filter(|&&g| g >= BRIGHT_LEVEL).count() as f32 / n;
    let (mut sum, mut sum_sq, mut count) = (0f64, 0f64, 0f64);
    for y in 1..h.saturating_sub(1) {
        for x in 1..w.saturating_sub(1) {
            let at = |x: usize, y: usize| f64::from(grey[y * w + x]);
            let lap = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += lap;
            sum_sq += lap * lap;
            count += 1.0;
        }
    }
    let sharpness = if count > 0.0 {
        let mean = sum / count;
        (sum_sq / count - mean * mean).max(0.0) as f32
    } else {
        0.0
    };
    Quality {
        sharpness,
        blurred: sharpness < policy.min_sharpness,
        dark_fraction,
        bright_fraction,
        too_dark: dark_fraction > policy.max_clipped_fraction,
        too_bright: bright_fraction > policy.max_clipped_fraction,
    }
}
