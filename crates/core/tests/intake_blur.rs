//! The blur estimate from JPEG coefficients (`Quality::fine_detail`, `Quality::detail_balance`):
//! generated scenes, sharp and blurred at full resolution, including skin-like smooth surfaces;
//! and the calibration on real photographs (Debian's `plasma-workspace-wallpapers`), whose
//! results table is in `docs/intake.md`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::Command;

use jpeg_encoder::{ColorType, Encoder};
use wardcam_core::intake::{intake, IntakePolicy, Quality};

/// A small thumbnail edge, so that generated scenes of 1600 px are decoded at 1/8 scale (the only
/// scale at which the coefficients are read) and the tests stay quick.
fn policy() -> IntakePolicy {
    IntakePolicy {
        thumbnail_edge: 160,
        ..IntakePolicy::default()
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f32 {
        (self.next() % 10_000) as f32 / 10_000.0
    }
}

/// Grey levels, `w` by `h`, as f32 for blurring.
struct Grey {
    w: usize,
    h: usize,
    px: Vec<f32>,
}

impl Grey {
    fn jpeg(&self, quality: u8) -> Vec<u8> {
        let bytes: Vec<u8> = self
            .px
            .iter()
            .map(|&v| v.round().clamp(0.0, 255.0) as u8)
            .collect();
        let mut out = Vec::new();
        Encoder::new(&mut out, quality)
            .encode(&bytes, self.w as u16, self.h as u16, ColorType::Luma)
            .unwrap();
        out
    }

    /// A Gaussian blur of `sigma` px (separable, edges clamped).
    fn gaussian(&self, sigma: f32) -> Grey {
        let r = (3.0 * sigma).ceil() as isize;
        let k: Vec<f32> = (-r..=r)
            .map(|i| (-((i * i) as f32) / (2.0 * sigma * sigma)).exp())
            .collect();
        let sum: f32 = k.iter().sum();
        let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
        let pass = |src: &[f32], horizontal: bool| {
            let mut out = vec![0f32; src.len()];
            for y in 0..self.h as isize {
                for x in 0..self.w as isize {
                    let mut acc = 0.0;
                    for (j, &kv) in k.iter().enumerate() {
                        let d = j as isize - r;
                        let (sx, sy) = if horizontal {
                            ((x + d).clamp(0, self.w as isize - 1), y)
                        } else {
                            (x, (y + d).clamp(0, self.h as isize - 1))
                        };
                        acc += kv * src[sy as usize * self.w + sx as usize];
                    }
                    out[y as usize * self.w + x as usize] = acc;
                }
            }
            out
        };
        let px = pass(&pass(&self.px, true), false);
        Grey { px, ..*self }
    }

    /// Linear motion blur: the average along a `length` px line at `degrees` from horizontal.
    fn motion(&self, length: usize, degrees: f32) -> Grey {
        let (dx, dy) = (degrees.to_radians().cos(), degrees.to_radians().sin());
        let mut px = vec![0f32; self.px.len()];
        for y in 0..self.h {
            for x in 0..self.w {
                let mut acc = 0.0;
                for i in 0..length {
                    let t = i as f32 - (length as f32 - 1.0) / 2.0;
                    let sx = (x as f32 + t * dx).round().clamp(0.0, self.w as f32 - 1.0);
                    let sy = (y as f32 + t * dy).round().clamp(0.0, self.h as f32 - 1.0);
                    acc += self.px[sy as usize * self.w + sx as usize];
                }
                px[y * self.w + x] = acc / length as f32;
            }
        }
        Grey { px, ..*self }
    }
}

/// A scene with objects of every size: overlapping discs and bars with hard edges over a gradient,
/// with fine texture.
fn scene(seed: u64) -> Grey {
    let (w, h) = (1600, 1200);
    let mut rng = Rng(seed);
    let mut px: Vec<f32> = (0..w * h)
        .map(|i| 60.0 + 100.0 * (i % w) as f32 / w as f32 + 40.0 * (i / w) as f32 / h as f32)
        .collect();
    for _ in 0..120 {
        let (cx, cy) = (rng.unit() * w as f32, rng.unit() * h as f32);
        let r = 6.0 + rng.unit() * 120.0;
        let level = 20.0 + rng.unit() * 210.0;
        let bar = rng.next().is_multiple_of(3);
        for y in ((cy - r).max(0.0) as usize)..((cy + r).min(h as f32) as usize) {
            for x in ((cx - r).max(0.0) as usize)..((cx + r).min(w as f32) as usize) {
                let (fx, fy) = (x as f32 - cx, y as f32 - cy);
                let inside = if bar {
                    fx.abs() < r / 5.0
                } else {
                    fx * fx + fy * fy < r * r
                };
                if inside {
                    px[y * w + x] = level;
                }
            }
        }
    }
    for v in &mut px {
        *v += (rng.next() % 9) as f32 - 4.0;
    }
    Grey { w, h, px }
}

/// Skin-like: a smooth, gently lit surface with faint pores, a few fine hairs and a mole or a
/// wound's edge; mostly smooth, sharp where it has detail.
fn skin(seed: u64, marks: bool) -> Grey {
    let (w, h) = (1600, 1200);
    let mut rng = Rng(seed);
    let mut px: Vec<f32> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w) as f32 / w as f32, (i / w) as f32 / h as f32);
            // Soft light falling off towards one corner, as on a curved limb.
            150.0 + 45.0 * (1.0 - (x - 0.3).powi(2) - (y - 0.4).powi(2))
        })
        .collect();
    // Pores: small, faint, dark dots.
    for _ in 0..6000 {
        let (x, y) = (
            (rng.next() % w as u64) as usize,
            (rng.next() % h as u64) as usize,
        );
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            if let Some(v) = px.get_mut((y + dy).min(h - 1) * w + (x + dx).min(w - 1)) {
                *v -= 6.0;
            }
        }
    }
    // Hairs: thin dark curves.
    for _ in 0..40 {
        let (mut x, mut y) = (rng.unit() * w as f32, rng.unit() * h as f32);
        let mut angle = rng.unit() * std::f32::consts::TAU;
        for _ in 0..160 {
            angle += (rng.unit() - 0.5) * 0.1;
            x += angle.cos();
            y += angle.sin();
            if (0.0..w as f32 - 1.0).contains(&x) && (0.0..h as f32 - 1.0).contains(&y) {
                px[y as usize * w + x as usize] -= 45.0;
            }
        }
    }
    if marks {
        // A mole and a sutured wound's dark edge.
        for y in 0..h {
            for x in 0..w {
                let (fx, fy) = (x as f32 - 500.0, y as f32 - 700.0);
                if fx * fx / 900.0 + fy * fy / 600.0 < 1.0 {
                    px[y * w + x] = 70.0;
                }
                let d = (y as f32 - 300.0 - 0.3 * x as f32).abs();
                if x > 800 && x < 1400 && d < 3.0 {
                    px[y * w + x] = 90.0;
                }
            }
        }
    }
    for v in &mut px {
        *v += (rng.next() % 5) as f32 - 2.0;
    }
    Grey { w, h, px }
}

fn quality(jpeg: &[u8]) -> Quality {
    intake(jpeg, &policy()).unwrap().quality
}

#[test]
fn generated_scenes_sharp_pass_and_blurred_are_flagged() {
    for seed in [3] {
        let sharp = scene(seed);
        let q = quality(&sharp.jpeg(90));
        println!("scene {seed} sharp: {q:?}");
        assert!(q.fine_detail.is_some(), "measured from the coefficients");
        assert!(!q.blurred, "sharp scene {seed} flagged: {q:?}");
        for sigma in [2.0, 4.0, 8.0] {
            let q = quality(&sharp.gaussian(sigma).jpeg(90));
            println!("scene {seed} sigma {sigma}: {q:?}");
            assert!(q.blurred, "scene {seed}, sigma {sigma} not flagged: {q:?}");
        }
        let q = quality(&sharp.motion(15, 30.0).jpeg(90));
        println!("scene {seed} motion: {q:?}");
        assert!(q.blurred, "scene {seed}, motion blur not flagged: {q:?}");
    }
}

#[test]
fn smooth_skin_in_focus_is_not_called_blurred() {
    for (seed, marks) in [(5, true), (9, false)] {
        let sharp = skin(seed, marks);
        let q = quality(&sharp.jpeg(92));
        println!("skin {seed} (marks {marks}) sharp: {q:?}");
        assert!(!q.blurred, "sharp skin {seed} flagged: {q:?}");
        // The thumbnail's Laplacian, which the coefficients replace, would call it blurred.
        assert!(q.sharpness < IntakePolicy::default().min_sharpness, "{q:?}");
        for sigma in [4.0, 8.0] {
            let q = quality(&sharp.gaussian(sigma).jpeg(92));
            println!("skin {seed} sigma {sigma}: {q:?}");
            // Blurred skin with no edge left to judge is not guessed at: only a measured
            // estimate must say blurred.
            if q.fine_detail.is_some() {
                assert!(q.blurred, "skin {seed}, sigma {sigma} not flagged: {q:?}");
            }
        }
    }
    // With a mole and a wound edge there is enough structure to judge the blurred copy.
    let q = quality(&skin(5, true).gaussian(4.0).jpeg(92));
    assert!(q.fine_detail.is_some() && q.blurred, "{q:?}");
}

/// The photographs the issue names, as Debian's `plasma-workspace-wallpapers` installs them, with
/// the JPEG quality each largest image was saved at (ImageMagick's `identify -format %Q`): the
/// blurred copies are saved at the same quality, as ImageMagick did when it made them.
const PHOTOS: [(&str, u8); 8] = [
    ("Volna", 85),
    ("SafeLanding", 80),
    ("FallenLeaf", 90),
    ("Path", 75),
    ("ColorfulCups", 90),
    ("BytheWater", 75),
    ("summer_1am", 90),
    ("ColdRipple", 90),
];
const WALLPAPERS: &str = "/usr/share/wallpapers";

/// The motion blur's sigma and angle (ImageMagick's `-motion-blur 0x12+30`).
const MOTION: (f64, f64) = (12.0, 30.0);

/// The largest image of a wallpaper.
fn largest(name: &str) -> Option<PathBuf> {
    let dir = Path::new(WALLPAPERS).join(name).join("contents/images");
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "jpg"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
}

fn tool(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        // libvips warns about the wallpapers' EXIF resolution unit; nothing to act on.
        .env("VIPS_WARNING", "0")
        .status()
        .is_ok_and(|s| s.success())
}

/// ImageMagick 6's motion-blur kernel (`MotionBlurImage` in `magick/effect.c`) as a libvips
/// convolution matrix: weights `exp(-i^2 / 2 sigma^2)`, normalised, for i = 0 up to ImageMagick's
/// kernel width for `sigma` (where a weight falls under 1/65535 of the whole, for Q16), each at
/// ImageMagick's rounded offset along `degrees` from the pixel, on one side only (a comet, not a
/// line). libvips correlates (it does not flip the matrix) and takes the matrix's centre as the
/// pixel, so each weight sits at the centre plus its offset.
fn motion_matrix(sigma: f64, degrees: f64) -> String {
    let alpha = 1.0 / (2.0 * sigma * sigma);
    let beta = 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * sigma);
    let mut width = 5i64;
    loop {
        let j = (width - 1) / 2;
        let normalize: f64 = (-j..=j)
            .map(|i| (-((i * i) as f64) * alpha).exp() * beta)
            .sum();
        if (-((j * j) as f64) * alpha).exp() * beta / normalize < 1.0 / 65_535.0 {
            break;
        }
        width += 2;
    }
    let width = width - 2;
    let weights: Vec<f64> = (0..width)
        .map(|i| (-((i * i) as f64) * alpha).exp())
        .collect();
    let sum: f64 = weights.iter().sum();
    let (px, py) = (
        width as f64 * degrees.to_radians().sin(),
        width as f64 * degrees.to_radians().cos(),
    );
    let h = px.hypot(py);
    let offsets: Vec<(i64, i64)> = (0..width)
        .map(|i| {
            let i = i as f64;
            (
                (i * py / h - 0.5).ceil() as i64,
                (i * px / h - 0.5).ceil() as i64,
            )
        })
        .collect();
    let rx = offsets.iter().map(|o| o.0.abs()).max().unwrap_or(0);
    let ry = offsets.iter().map(|o| o.1.abs()).max().unwrap_or(0);
    let (w, h) = (2 * rx + 1, 2 * ry + 1);
    let mut m = vec![0f64; (w * h) as usize];
    for (&(dx, dy), &v) in offsets.iter().zip(&weights) {
        m[((ry + dy) * w + rx + dx) as usize] += v / sum;
    }
    let mut text = format!("{w} {h} 1 0\n");
    for row in m.chunks(w as usize) {
        let row: Vec<String> = row.iter().map(|v| v.to_string()).collect();
        text += &row.join(" ");
        text += "\n";
    }
    text
}

/// Where the copies are kept, in Cargo's test scratch folder. The folder's name changes with how
/// they are made, so copies an older version of this test made are never judged.
fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("blur-calibration-vips")
}

/// The variant of a photograph, made once and kept in [`cache`]: `sharp` is the original made
/// sequential (lossless `jpegtran`: phones write sequential JPEG, two of these files are
/// progressive, whose coefficients the DC-only decoder does not read); the others are blurred at
/// full resolution by libvips, in floating point, rounded to 8 bits and saved at the original's
/// quality: `sN` a Gaussian of sigma N px (`gaussblur`, whose sigma is ImageMagick's: weights
/// `exp(-x^2 / 2 sigma^2)`, cut below 1/1000 of the peak), `motion` ImageMagick's
/// `-motion-blur 0x12+30` kernel ([`motion_matrix`]) by `conv`. ImageMagick made them before;
/// libvips makes the same blurs in a fraction of the time (its motion blur skips the kernel's
/// zeros), and the scores stayed within a few points (`docs/intake.md`).
fn variant(original: &Path, name: &str, quality: u8, kind: &str) -> PathBuf {
    let dir = cache();
    let out = dir.join(format!("{name}-{kind}.jpg"));
    if out.exists() {
        return out;
    }
    let tmp = dir.join(format!("{name}-{kind}.part.jpg"));
    let (src, dst) = (original.to_str().unwrap(), tmp.to_str().unwrap());
    let ok = if kind == "sharp" {
        tool("jpegtran", &["-copy", "none", "-outfile", dst, src])
    } else {
        // Floating point throughout, then rounded (libvips' cast truncates: add a half first).
        let float = dir.join(format!("{name}-{kind}.part.v"));
        let f = float.to_str().unwrap();
        let blurred = if kind == "motion" {
            let matrix = dir.join("motion.mat");
            tool(
                "vips",
                &[
                    "conv",
                    src,
                    f,
                    matrix.to_str().unwrap(),
                    "--precision",
                    "float",
                ],
            )
        } else {
            let sigma = &kind[1..];
            let args = ["gaussblur", src, f, sigma, "--precision", "float"];
            tool("vips", &[&args[..], &["--min-ampl", "0.001"]].concat())
        };
        let saved = blurred
            && tool(
                "vips",
                &[
                    "linear",
                    f,
                    &format!("{dst}[Q={quality}]"),
                    "1",
                    "0.5",
                    "--uchar",
                ],
            );
        let _ = std::fs::remove_file(&float);
        saved
    };
    assert!(ok, "making {kind} of {name} failed");
    std::fs::rename(&tmp, &out).unwrap();
    out
}

const KINDS: [&str; 5] = ["sharp", "s2", "s4", "s8", "motion"];

/// Makes every photograph's variants that are not cached yet, a photograph per core at a time.
fn make_variants() -> Vec<(&'static str, Vec<PathBuf>)> {
    std::fs::create_dir_all(cache()).unwrap();
    std::fs::write(
        cache().join("motion.mat"),
        motion_matrix(MOTION.0, MOTION.1),
    )
    .unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(PHOTOS.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(name, quality)) = PHOTOS.get(i) else {
                    return;
                };
                let original = largest(name).expect("photo missing");
                for kind in KINDS {
                    variant(&original, name, quality, kind);
                }
            });
        }
    });
    PHOTOS
        .iter()
        .map(|&(name, quality)| {
            let original = largest(name).expect("photo missing");
            let files = KINDS
                .iter()
                .map(|kind| variant(&original, name, quality, kind))
                .collect();
            (name, files)
        })
        .collect()
}

#[test]
fn the_motion_matrix_is_imagemagicks_kernel() {
    // sigma 12: ImageMagick's width is 95 (j = 48 is the first half-width under 1/65535, less 1).
    let text = motion_matrix(12.0, 30.0);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("163 95 1 0"));
    let m: Vec<Vec<f64>> = lines
        .map(|l| l.split(' ').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(m.len(), 95);
    let sum: f64 = m.iter().flatten().sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
    // 95 weights at 90 places (a few steps along the line round to the same pixel), the pixel
    // itself among them, and nothing before it (one side only).
    assert_eq!(m.iter().flatten().filter(|&&v| v > 0.0).count(), 90);
    assert!(m[47][81] > 0.0);
    for (y, row) in m.iter().enumerate() {
        for (x, &v) in row.iter().enumerate() {
            if v > 0.0 {
                assert!(x >= 81 && y >= 47, "a weight before the pixel at {x},{y}");
            }
        }
    }
    // Down and to the right at 30 degrees: 94 px along, x = ceil(94 cos 30 - 0.5) = 81, y = 47.
    assert!(m[94][162] > 0.0);
}

/// Prints the table in `docs/intake.md` and checks the requirement: no sharp photograph
/// flagged; every sigma 4 and 8 and motion-blurred copy flagged. Needs `plasma-workspace-wallpapers`,
/// `libvips-tools` and `libjpeg-turbo-progs` (`scripts/setup` installs them; CI has them). The first
/// run makes the copies (about half a minute on two cores); later runs reuse them.
#[test]
fn calibration_on_real_photographs() {
    if largest(PHOTOS[0].0).is_none() {
        println!("SKIPPED: {WALLPAPERS} not found: install the Debian package plasma-workspace-wallpapers (scripts/setup)");
        return;
    }
    assert!(
        tool("jpegtran", &["-version"])
            || tool("jpegtran", &["-h"])
            || Path::new("/usr/bin/jpegtran").exists(),
        "jpegtran missing: install libjpeg-turbo-progs (scripts/setup)"
    );
    assert!(
        tool("vips", &["--version"]),
        "libvips missing: install libvips-tools (scripts/setup)"
    );
    let mut failures = Vec::new();
    println!("| photo | size | sharp | sigma 2 | sigma 4 | sigma 8 | motion |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, files) in make_variants() {
        let mut row = format!("| {name} |");
        for (kind, file) in KINDS.iter().zip(files) {
            let bytes = std::fs::read(file).unwrap();
            let out = intake(&bytes, &IntakePolicy::default()).unwrap();
            if *kind == "sharp" {
                row += &format!(" {}x{} |", out.info.width, out.info.height);
            }
            let q = out.quality;
            let cell = match (q.fine_detail, q.detail_balance) {
                (Some(f), Some(b)) => format!("{f:.0} / {b:.2}"),
                (Some(f), None) => format!("{f:.0} / -"),
                _ => "not measured".to_owned(),
            };
            row += &format!(" {cell}{} |", if q.blurred { " **blurred**" } else { "" });
            let want_blurred = matches!(*kind, "s4" | "s8" | "motion");
            let judged = *kind != "s2";
            if judged && q.blurred != want_blurred {
                failures.push(format!("{name} {kind}: {q:?}"));
            }
        }
        println!("{row}");
    }
    assert!(failures.is_empty(), "misjudged: {failures:#?}");
}
