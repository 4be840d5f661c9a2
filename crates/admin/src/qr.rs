//! QR codes of a provisioning code's parts: PNG files and terminal text.
//!
//! Error correction level M (a part is at most about 2,100 characters, under the 2,331 bytes a
//! version-40 M symbol holds) and the 4-module quiet zone the QR standard asks for.

use std::path::Path;

use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};

use crate::Failure;

/// The quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4).
const QUIET_MODULES: usize = 4;
/// Pixels per module in the PNG: a version-40 symbol is 1,480 pixels square, sharp when printed
/// at A5 and easy for a phone camera on a screen.
const PIXELS_PER_MODULE: usize = 8;

/// Encodes one part.
pub fn encode(part: &str) -> Result<QrCode, Failure> {
    QrCode::with_error_correction_level(part.as_bytes(), EcLevel::M).map_err(|e| {
        Failure::refused(format!(
            "a part of the code does not fit in a QR code ({e}); this is a bug in wardcam-admin"
        ))
    })
}

/// Writes `code` as a 1-bit greyscale PNG (black modules on white, with the quiet zone).
pub fn write_png(code: &QrCode, path: &Path) -> Result<(), Failure> {
    let modules = code.width();
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_MODULES;
    let side = side_modules * PIXELS_PER_MODULE;
    let row_bytes = side.div_ceil(8);
    let mut data = vec![0u8; row_bytes * side];
    for y in 0..side {
        let my = (y / PIXELS_PER_MODULE).checked_sub(QUIET_MODULES);
        for x in 0..side {
            let mx = (x / PIXELS_PER_MODULE).checked_sub(QUIET_MODULES);
            let dark = match (mx, my) {
                (Some(mx), Some(my)) if mx < modules && my < modules => {
                    colors.get(my * modules + mx) == Some(&Color::Dark)
                }
                _ => false,
            };
            if !dark {
                // 1 is white in a greyscale PNG; most significant bit first.
                data[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| Failure::refused("the QR code is too large"))?;
    let file = std::fs::File::create(path).map_err(|e| Failure::io(path, &e))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let png_error = |e: png::EncodingError| Failure::refused(format!("{}: {e}", path.display()));
    let mut writer = encoder.write_header().map_err(png_error)?;
    writer.write_image_data(&data).map_err(png_error)?;
    writer.finish().map_err(png_error)
}

/// The code as Unicode half blocks, two modules per character cell, drawn for a dark terminal
/// background (light modules are printed as blocks), with the quiet zone.
pub fn terminal(code: &QrCode) -> String {
    code.render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build()
}
