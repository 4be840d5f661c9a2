//! The Review screen's quick quality check. Blur: from the JPEG's coefficients at full resolution
//! when the DC-only decoder made the thumbnail (the share of edges with fine detail, see
//! `dc/blur.rs`), otherwise from the thumbnail (variance of its Laplacian, which cannot see blur
//! under about 8 px at full resolution). Exposure: the fraction of crushed-black and blown-white
//! thumbnail pixels.

use serde::{Deserialize, Serialize};

use super::dc::Sharpness;
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
    /// Percentage (0..=100) of the photo's edges (neighbouring 8x8 blocks whose averages differ
    /// clearly) that carry fine detail at full resolution, read from the JPEG's coefficients; low
    /// means blurred. `None` when it could not be measured: PNG, progressive JPEG, photos too small
    /// to be decoded at 1/8 scale, or too few edges to judge (then the photo is not flagged).
    pub fine_detail: Option<f32>,
    /// How alike the two directions' fine detail is (0..=1, lower over higher percentage); low
    /// means motion blur (streaks sharp along one direction only). `None` when `fine_detail` is,
    /// or when one direction has too few edges.
    pub detail_balance: Option<f32>,
    /// Variance of the 4-neighbour Laplacian of the thumbnail's grey levels; low means blurred, but
    /// only blur of about 8 px or more at full resolution shows here.
    pub sharpness: f32,
    /// `fine_detail` is below the policy's [`IntakePolicy::min_fine_detail`] or `detail_balance`
    /// below [`IntakePolicy::min_detail_balance`]. When the coefficients were read but show too
    /// few edges to judge, false. When they could not be read (PNG, progressive JPEG, small
    /// photos), `sharpness` is below [`IntakePolicy::min_sharpness`].
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

pub(crate) fn assess(
    thumb: &Pixels,
    sharpness_of_coefficients: Option<Sharpness>,
    policy: &IntakePolicy,
) -> Quality {
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
    let fine_detail = sharpness_of_coefficients.and_then(|s| s.fine_detail());
    let detail_balance = sharpness_of_coefficients.and_then(|s| s.balance());
    Quality {
        fine_detail,
        detail_balance,
        sharpness,
        blurred: match (sharpness_of_coefficients, fine_detail) {
            (_, Some(percent)) => {
                percent < policy.min_fine_detail
                    || detail_balance.is_some_and(|b| b < policy.min_detail_balance)
            }
            // Coefficients read, but too few edges to judge (smooth skin with no mark, a wall):
            // not flagged, as the thumbnail's Laplacian would call any smooth scene blurred.
            (Some(_), None) => false,
            (None, None) => sharpness < policy.min_sharpness,
        },
        dark_fraction,
        bright_fraction,
        too_dark: dark_fraction > policy.max_clipped_fraction,
        too_bright: bright_fraction > policy.max_clipped_fraction,
    }
}
