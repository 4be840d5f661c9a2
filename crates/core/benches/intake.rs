//! Intake speed and memory, measured in one run and printed as ratios (run `bench/intake`).
//!
//! Targets (issue 4, section Benchmark):
//! - **intake of a 12 MP JPEG <= 1.0x `vipsthumbnail -s 256`** of the same file, and **<= 0.3x
//!   ImageMagick `convert -strip -thumbnail 256x256`**. Our side is the whole job the app does per
//!   photo: probe, strip, DCT-scaled thumbnail + quality check, then sealing the stripped photo and
//!   the thumbnail in a [`Vault`] (with its fsyncs). The peers are whole processes reading the
//!   file and writing a thumbnail file (their process start-up is part of their cost, as it is how
//!   they would be used). Our side starts from the file's bytes in memory, as the camera delivers
//!   them. The 48 MP photo gets the same lines.
//! - **peak memory of intake of a 48 MP JPEG <= 2x file size + 64 MiB**: peak RSS (`VmHWM`) of a
//!   child process (this binary re-run) that reads the file and runs intake once, so nothing else
//!   this bench allocated counts. The input buffer and the stripped copy are each one file size.
//!
//! Test photos are generated (gradients, edges and noise: about 4-5 MB at 12 MP) into a temporary
//! folder; they are synthetic, not patient data. Each figure is the median of several rounds; every
//! round runs every case once, in rotated order, so load from other work hits all sides alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wardcam_core::intake::{intake, seal_photo, IntakePolicy};
use wardcam_core::vault::danger::MemoryKeyStore;
use wardcam_core::vault::{Timestamp, Vault};

#[path = "support/measure.rs"]
mod measure;
use measure::{median, status_kib};

const ROUNDS: usize = 9;
const CHILD_ENV: &str = "WARDCAM_INTAKE_BENCH_CHILD";

fn photo_jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
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
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 88)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run(cmd: &str, args: &[&str]) -> Duration {
    let t = Instant::now();
    let st = Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let d = t.elapsed();
    assert!(st.success(), "{cmd} failed");
    d
}

/// The child: one intake of the file named in the environment, then print peak RSS in KiB.
fn child(path: &str) {
    let bytes = fs::read(path).unwrap();
    let out = intake(&bytes, &IntakePolicy::default()).unwrap();
    assert!(!out.thumbnail.is_empty());
    println!("{}", status_kib("VmHWM:"));
}

struct Cases {
    ours: Vec<Duration>,
    vips: Vec<Duration>,
    convert: Vec<Duration>,
}

fn measure(bytes: &[u8], file: &Path, dir: &Path, vault: &Vault, peers: (bool, bool)) -> Cases {
    let policy = IntakePolicy::default();
    let mut c = Cases {
        ours: vec![],
        vips: vec![],
        convert: vec![],
    };
    let f = file.to_str().unwrap();
    for round in 0..ROUNDS {
        for k in 0..3 {
            match (k + round) % 3 {
                0 => {
                    let t = Instant::now();
                    // Exactly what the app does with each photo: `seal_photo` (intake, then seal
                    // the stripped image and the thumbnail).
                    seal_photo(vault, bytes, &policy, None, Timestamp::now()).unwrap();
                    c.ours.push(t.elapsed());
                }
                1 if peers.0 => {
                    let o = dir.join(format!("vips-{round}.jpg"));
                    c.vips.push(run(
                        "vipsthumbnail",
                        &[f, "-s", "256", "-o", o.to_str().unwrap()],
                    ));
                }
                2 if peers.1 => {
                    let o = dir.join(format!("im-{round}.jpg"));
                    c.convert.push(run(
                        "/usr/bin/convert",
                        &[f, "-strip", "-thumbnail", "256x256", o.to_str().unwrap()],
                    ));
                }
                _ => {}
            }
        }
    }
    c
}

/// The ratio, and for the 12 MP photo (the one the targets are set for) whether it meets `target`.
fn verdict(ratio: f64, target: f64, judged: bool) -> String {
    match (judged, ratio <= target) {
        (false, _) => format!("ratio {ratio:.2}x"),
        (true, true) => format!("ratio {ratio:.2}x (TARGET <= {target:.1}x) ok"),
        (true, false) => format!("ratio {ratio:.2}x (TARGET <= {target:.1}x) MISSED"),
    }
}

fn report(label: &str, size: usize, c: Cases, judged: bool) {
    let ours = median(c.ours);
    println!("{label} ({:.1} MB):", size as f64 / 1e6);
    println!(
        "  intake (probe + strip + thumbnail + seal both): {:.1} ms",
        ms(ours)
    );
    if c.vips.is_empty() {
        println!("  vipsthumbnail -s 256: not installed (Debian package libvips-tools)");
    } else {
        let v = median(c.vips);
        println!(
            "  vipsthumbnail -s 256: {:.1} ms -> {}",
            ms(v),
            verdict(ms(ours) / ms(v), 1.0, judged)
        );
    }
    if c.convert.is_empty() {
        println!("  convert -strip -thumbnail 256x256: not installed (Debian package imagemagick)");
    } else {
        let v = median(c.convert);
        println!(
            "  convert -strip -thumbnail 256x256: {:.1} ms -> {}",
            ms(v),
            verdict(ms(ours) / ms(v), 0.3, judged)
        );
    }
}

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let peers = (
        have("vipsthumbnail"),
        Path::new("/usr/bin/convert").exists(),
    );
    let keys = MemoryKeyStore::new();
    let vault = Vault::open_or_create(&dir.path().join("vault"), &keys).unwrap();

    let mut results = Vec::new();
    for (label, w, h) in [("12 MP JPEG", 4000, 3000), ("48 MP JPEG", 8000, 6000)] {
        let bytes = photo_jpeg(w, h);
        let file = dir.path().join(format!("{w}x{h}.jpg"));
        fs::write(&file, &bytes).unwrap();
        let c = measure(&bytes, &file, dir.path(), &vault, peers);
        results.push((label, bytes.len(), c, file));
    }
    println!("intake benchmark, medians of {ROUNDS} rounds, one run:");
    let mut big = None;
    for (label, size, c, file) in results {
        report(label, size, c, label.starts_with("12 MP"));
        big = Some((size, file));
    }

    let (size, file) = big.unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, &file)
        .output()
        .unwrap();
    assert!(out.status.success(), "memory child failed");
    let peak_kib: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let peak = peak_kib as f64 / 1024.0;
    let limit = (2 * size) as f64 / 1048576.0 + 64.0;
    println!(
        "  peak RSS, intake of the 48 MP JPEG in a fresh process: {peak:.1} MiB (TARGET <= 2x file size + 64 MiB = {limit:.1} MiB) {}",
        if peak <= limit { "ok" } else { "OVER" }
    );
}
