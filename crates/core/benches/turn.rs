//! Turning a 12 MP phone photo upright for PACS (issue 13): WardCam's lossless DCT-domain turn
//! against `jpegtran -perfect -rotate 90` (libjpeg-turbo, the reference) on the same file, and
//! against the re-encode delivery falls back to when a turn cannot be lossless, all in one run.
//! Prints a Markdown table of median times and the ratios. A plain main like the other benches.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wardcam_core::delivery::turn_bench;

#[path = "support/photo.rs"]
mod photo;

#[path = "support/measure.rs"]
#[allow(dead_code)]
mod measure;

const ROUNDS: usize = 5;

/// A photo-like 4:2:0 JPEG (gradients, edges and noise, as in `benches/delivery.rs`).
fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let rgb = photo::photo_rgb(w, h, 0);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 88);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn timed<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut last = None;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed());
        last = Some(out);
    }
    (measure::median(times), last.unwrap())
}

/// `jpegtran -perfect -rotate 90`, the file on its standard input and the result read from its
/// standard output, as WardCam's turn takes and gives bytes in memory.
fn jpegtran(image: &[u8]) -> Option<usize> {
    let mut child = Command::new("jpegtran")
        .args(["-perfect", "-rotate", "90"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = image.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    out.status.success().then_some(out.stdout.len())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    // 4032 x 3024: whole 16-pixel MCUs, so a quarter turn is lossless; 4000 x 3000 is not (3000
    // is not a multiple of 16), so delivery re-encodes it.
    let whole = photo_jpeg(4032, 3024);
    let partial = photo_jpeg(4000, 3000);
    println!("| 12 MP photo, EXIF orientation 6 | median of {ROUNDS} | output | vs jpegtran |");
    println!("|---|---|---|---|");
    let (peer, peer_len) = timed(|| jpegtran(&whole));
    let (ours, ours_len) = timed(|| turn_bench::lossless(&whole, 6));
    let ours_len = ours_len.expect("4032 x 3024 turns losslessly");
    match peer_len {
        Some(len) => println!(
            "| `jpegtran -perfect -rotate 90` (4032 x 3024) | {:.0} ms | {:.2} MB | 1.00x |",
            ms(peer),
            len as f64 / 1e6
        ),
        None => println!("| `jpegtran` | not installed (libjpeg-turbo-progs) | - | - |"),
    }
    let ratio = |d: Duration| {
        peer_len
            .map(|_| format!("{:.2}x", d.as_secs_f64() / peer.as_secs_f64()))
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "| WardCam lossless turn (4032 x 3024) | {:.0} ms | {:.2} MB | {} |",
        ms(ours),
        ours_len as f64 / 1e6,
        ratio(ours)
    );
    let (delivered, (len, reencoded)) = timed(|| turn_bench::deliverable(&whole, 4032, 3024, 6));
    assert!(!reencoded);
    println!(
        "| delivery's JPEG for PACS (4032 x 3024: the lossless turn) | {:.0} ms | {:.2} MB | {} |",
        ms(delivered),
        len as f64 / 1e6,
        ratio(delivered)
    );
    let (fallback, (len, reencoded)) = timed(|| turn_bench::deliverable(&partial, 4000, 3000, 6));
    assert!(reencoded);
    println!(
        "| delivery's JPEG for PACS (4000 x 3000: decode, turn, re-encode) | {:.0} ms | {:.2} MB | {} |",
        ms(fallback),
        len as f64 / 1e6,
        ratio(fallback)
    );
    println!(
        "input: {:.2} MB (4032 x 3024), {:.2} MB (4000 x 3000)",
        whole.len() as f64 / 1e6,
        partial.len() as f64 / 1e6
    );
}
