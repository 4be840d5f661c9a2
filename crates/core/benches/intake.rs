//! Intake speed and memory, measured in one run and printed as ratios (run `bench/intake`).
//!
//! Targets (issue 20, section Benchmark; issue 4 before it):
//! - **intake of a 12 MP JPEG <= 0.25x `vipsthumbnail -s 256`** of the same file, **a 48 MP one
//!   <= 0.4x** (and, from issue 4, 12 MP <= 0.3x ImageMagick `convert -strip -thumbnail
//!   256x256`). Our side is the whole job the app does per photo: probe, strip, DCT-scaled
//!   thumbnail + quality check, then sealing the stripped photo and the thumbnail in a [`Vault`]
//!   (with its fsyncs). The peers are whole processes reading the file and writing a thumbnail file
//!   (their process start-up is part of their cost, as it is how they would be used). Our side
//!   starts from the file's bytes in memory, as the camera delivers them. Ours is measured with 1
//!   and with 2 threads decoding coefficients (`IntakePolicy::decode_threads`; split at restart
//!   markers, or without them where the Huffman codes fall into step); the ratio to the peers is
//!   the 2-thread figure, the default on this 2-core machine.
//! - **peak memory of intake of the generated 48 MP JPEG**: peak RSS (`VmHWM`) of a child process
//!   (this binary re-run) that reads the file and runs intake once, so nothing else this bench
//!   allocated counts. Issue 4's limit is 2x file size + 64 MiB; issue 20 asks for no more than
//!   before (40.8 MiB for the 17.9 MB file).
//!
//! Inputs: generated photos (gradients, edges and noise: about 4-5 MB at 12 MP), with and without
//! restart markers, made into a temporary folder; and real photographs from Debian's
//! `plasma-workspace-wallpapers` (SafeLanding, 5120x2880, sequential 4:2:0 as phones write it),
//! with restart markers added losslessly by `jpegtran -restart 1`, and an 8-bit-per-channel
//! 48 MP copy upscaled by ImageMagick (real content, but smoother than a 48 MP sensor's). None is
//! patient data. Each figure is the median of several rounds; every round runs every case once,
//! in rotated order, so load from other work hits all sides alike.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use wardcam_core::intake::{intake, seal_photo, IntakePolicy};
use wardcam_core::vault::danger::MemoryKeyStore;
use wardcam_core::vault::{Timestamp, Vault};

#[path = "support/photo.rs"]
mod photo;

#[path = "support/measure.rs"]
mod measure;
use measure::{median, status_kib};

const ROUNDS: usize = 9;
const CHILD_ENV: &str = "WARDCAM_INTAKE_BENCH_CHILD";

fn photo_jpeg(w: u32, h: u32, restart: u16) -> Vec<u8> {
    let rgb = photo::photo_rgb(w, h, 0);
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 88);
    encoder.set_restart_interval(restart);
    encoder
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// Runs a tool that makes a bench input; false if it is missing or fails.
fn make(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The real-photo inputs, or why there are none.
fn real_photos(dir: &Path) -> Result<Vec<(String, std::path::PathBuf)>, &'static str> {
    let original = Path::new("/usr/share/wallpapers/SafeLanding/contents/images/5120x2880.jpg");
    if !original.exists() {
        return Err("not installed (Debian package plasma-workspace-wallpapers)");
    }
    let src = original.to_str().unwrap();
    let restart = dir.join("safelanding-restart.jpg");
    let big = dir.join("safelanding-48mp.jpg");
    let big_restart = dir.join("safelanding-48mp-restart.jpg");
    let ok = make(
        "jpegtran",
        &[
            "-copy",
            "none",
            "-restart",
            "1",
            "-outfile",
            restart.to_str().unwrap(),
            src,
        ],
    ) && make(
        "/usr/bin/convert",
        &[
            src,
            "-resize",
            "9216x5184",
            "-quality",
            "92",
            big.to_str().unwrap(),
        ],
    ) && make(
        "jpegtran",
        &[
            "-copy",
            "none",
            "-restart",
            "1",
            "-outfile",
            big_restart.to_str().unwrap(),
            big.to_str().unwrap(),
        ],
    );
    if !ok {
        return Err(
            "could not be prepared (needs jpegtran from libjpeg-turbo-progs and /usr/bin/convert)",
        );
    }
    Ok(vec![
        (
            "real 14.7 MP JPEG (SafeLanding)".into(),
            original.to_path_buf(),
        ),
        (
            "real 14.7 MP JPEG (SafeLanding), restart markers".into(),
            restart,
        ),
        (
            "real 48 MP JPEG (SafeLanding upscaled), restart markers".into(),
            big_restart,
        ),
    ])
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
    /// Ours with 1 and with 2 decoding threads.
    ours: [Vec<Duration>; 2],
    vips: Vec<Duration>,
    convert: Vec<Duration>,
}

fn measure(bytes: &[u8], file: &Path, dir: &Path, vault: &Vault, peers: (bool, bool)) -> Cases {
    let mut c = Cases {
        ours: [vec![], vec![]],
        vips: vec![],
        convert: vec![],
    };
    let f = file.to_str().unwrap();
    for round in 0..ROUNDS {
        for k in 0..4 {
            match (k + round) % 4 {
                t @ (0 | 3) => {
                    let threads = if t == 0 { 1 } else { 2 };
                    let policy = IntakePolicy {
                        decode_threads: threads,
                        ..IntakePolicy::default()
                    };
                    let t = Instant::now();
                    // Exactly what the app does with each photo: `seal_photo` (intake, then seal
                    // the stripped image and the thumbnail).
                    seal_photo(vault, bytes, &policy, None, Timestamp::now()).unwrap();
                    c.ours[threads - 1].push(t.elapsed());
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

/// The ratio, and where a target is set for this input, whether it meets it.
fn verdict(ratio: f64, target: Option<f64>) -> String {
    match target {
        None => format!("ratio {ratio:.2}x"),
        Some(t) if ratio <= t => format!("ratio {ratio:.2}x (TARGET <= {t:.2}x) ok"),
        Some(t) => format!("ratio {ratio:.2}x (TARGET <= {t:.2}x) MISSED"),
    }
}

/// Targets against vipsthumbnail and convert, by input (issue 20 for vips, issue 4 for convert).
fn targets(label: &str) -> (Option<f64>, Option<f64>) {
    if label.starts_with("12 MP") {
        (Some(0.25), Some(0.3))
    } else if label.starts_with("48 MP") {
        (Some(0.4), None)
    } else {
        (None, None)
    }
}

fn report(label: &str, size: usize, c: Cases) {
    let [one, two] = c.ours.map(median);
    let (vips_target, convert_target) = targets(label);
    println!("{label} ({:.1} MB):", size as f64 / 1e6);
    println!(
        "  intake (probe + strip + thumbnail + seal both), 1 decoding thread: {:.1} ms",
        ms(one)
    );
    println!(
        "  intake, 2 decoding threads: {:.1} ms ({:.2}x the 1-thread time)",
        ms(two),
        ms(two) / ms(one)
    );
    if c.vips.is_empty() {
        println!("  vipsthumbnail -s 256: not installed (Debian package libvips-tools)");
    } else {
        let v = median(c.vips);
        println!(
            "  vipsthumbnail -s 256: {:.1} ms -> {}",
            ms(v),
            verdict(ms(two) / ms(v), vips_target)
        );
    }
    if c.convert.is_empty() {
        println!("  convert -strip -thumbnail 256x256: not installed (Debian package imagemagick)");
    } else {
        let v = median(c.convert);
        println!(
            "  convert -strip -thumbnail 256x256: {:.1} ms -> {}",
            ms(v),
            verdict(ms(two) / ms(v), convert_target)
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

    let mut inputs = Vec::new();
    for (label, w, h, restart) in [
        ("12 MP JPEG (generated)", 4000, 3000, 0),
        ("12 MP JPEG (generated), restart markers", 4000, 3000, 250),
        ("48 MP JPEG (generated)", 8000, 6000, 0),
        ("48 MP JPEG (generated), restart markers", 8000, 6000, 500),
    ] {
        let file = dir.path().join(format!("{w}x{h}-{restart}.jpg"));
        fs::write(&file, photo_jpeg(w, h, restart)).unwrap();
        inputs.push((label.to_owned(), file));
    }
    let real = real_photos(dir.path());
    if let Ok(photos) = &real {
        inputs.extend(photos.iter().cloned());
    }
    let mut results = Vec::new();
    for (label, file) in &inputs {
        let bytes = fs::read(file).unwrap();
        let c = measure(&bytes, file, dir.path(), &vault, peers);
        results.push((label, bytes.len(), c));
    }
    println!(
        "intake benchmark, medians of {ROUNDS} rounds, one run, {} cores:",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    for (label, size, c) in results {
        report(label, size, c);
    }
    if let Err(why) = real {
        println!("real photographs: {why}");
    }

    // The generated 48 MP photo without restart markers: the file issue 20's memory figure is for.
    let file = &inputs[2].1;
    let size = fs::metadata(file).unwrap().len() as usize;
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, file)
        .output()
        .unwrap();
    assert!(out.status.success(), "memory child failed");
    let peak_kib: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let peak = peak_kib as f64 / 1024.0;
    let limit = (2 * size) as f64 / 1048576.0 + 64.0;
    // Issue 20: no worse than before it (measured on this file then).
    const BEFORE: f64 = 40.8;
    println!(
        "  peak RSS, intake of the generated 48 MP JPEG ({:.1} MB) in a fresh process: {peak:.1} MiB (TARGET <= 2x file size + 64 MiB = {limit:.1} MiB) {}; (TARGET <= {BEFORE:.1} MiB, before issue 20) {}",
        size as f64 / 1e6,
        if peak <= limit { "ok" } else { "OVER" },
        if peak <= BEFORE { "ok" } else { "OVER" }
    );
}
