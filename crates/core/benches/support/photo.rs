//! The photo-like picture the benchmarks encode (`benches/intake.rs`, `delivery.rs`, `turn.rs`):
//! gradients, block edges and noise, so a JPEG of it is about as large as a phone photo (about
//! 4.5 MB at 12 MP, quality 88).

/// `w` x `h` RGB pixels whose noise depends on `seed` (0 for the picture every bench shared first).
pub fn photo_rgb(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d);
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for i in 0..w {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 40) as u32;
            let edge = if (i / 97 + y / 61) % 2 == 0 { 50 } else { 0 };
            rgb.push(((i * 170 / w) + n + edge).min(255) as u8);
            rgb.push(((y * 150 / h) + n + 20).min(255) as u8);
            rgb.push((((i + y) * 90 / (w + h)) + n + edge / 2 + 30).min(255) as u8);
        }
    }
    rgb
}
