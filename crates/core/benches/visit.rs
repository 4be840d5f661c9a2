//! Opening and recovering a vault of sealed photos with manifests (run `bench/visit`).
//!
//! Target (issue 11, section Benchmark): **unlock to Outbox listed <= 1 s with 1,000 photos**, and
//! the cost per photo flat from 100 to 1,000 photos (ratio close to 1; the line says ok up to
//! 1.25x, where an n log n cost would give about 1.5x). The path timed is what the
//! app does at start-up: [`Vault::open`] (which sweeps the blob folder against the index),
//! [`Ward::attach_vault`] (which lists the vault, unseals every manifest and visit record and
//! applies the recovery rules), [`Ward::unlock`] and [`Ward::outbox`].
//!
//! The vaults are built the way the app fills them: a [`Ward`] confirms a patient, records consent,
//! captures 10 photos (small 64x48 JPEGs: intake seals image and thumbnail, then the manifest),
//! labels them, queues them and ends the visit; 10 and 100 such visits. Photo size does not
//! matter here: opening reads manifests and the index, never an image. Each figure is the median
//! of several rounds; every round opens both vaults, in alternating order, so load from other work
//! hits both alike. The page cache is warm (the vaults were just written), as on a phone the app
//! was closed on a moment ago; a cold start adds the reads of about 1,100 small files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wardcam_core::consent::{ConsentForm, ConsentText, ConsentedBy, Decision, Method};
use wardcam_core::patient::{parse_scan, PatientPolicy, Verification};
use wardcam_core::review::Label;
use wardcam_core::session::{Purpose, SessionPolicy, UnlockMethod};
use wardcam_core::vault::danger::MemoryKeyStore;
use wardcam_core::vault::{ItemKind, Vault};
use wardcam_core::visit::{Candidate, Storage, SystemClock, Ward};
use zeroize::Zeroizing;

#[path = "support/measure.rs"]
#[allow(dead_code)] // `status_kib` serves the other benches
mod measure;
use measure::median;

const ROUNDS: usize = 9;
const PER_VISIT: usize = 10;
const SIZES: [usize; 2] = [100, 1_000];
const BAND: &str = "]d2801850000009434765919493SMITH/JOHN/19800118";

/// Storage with room for anything (the bench measures opening, not the free-space check).
#[derive(Debug)]
struct Roomy;

impl Storage for Roomy {
    fn available(&self, _dir: &Path) -> Option<u64> {
        Some(u64::MAX)
    }
}

fn ward() -> Ward {
    Ward::with(
        SessionPolicy {
            idle_timeout_ms: 3_600_000,
            allow_development_unlock: true,
        },
        Arc::new(SystemClock::new()),
        Arc::new(Roomy),
    )
}

fn jpeg(seed: usize) -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i.wrapping_mul(37).wrapping_add(seed.wrapping_mul(11)) % 256) as u8)
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// Fills a new vault in `dir` with `photos` queued photos, 10 per visit, as the app would.
fn build(dir: &Path, keys: &MemoryKeyStore, photos: usize) {
    let vault = Arc::new(Vault::create(dir, keys).unwrap());
    let ward = ward();
    ward.attach_vault(vault).unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    // Consent records name the clinician, whose name comes with the PIN.
    ward.set_pin(&Zeroizing::new("270513".to_owned()), "Dr A Jones", None)
        .unwrap();
    let band = parse_scan(BAND, &PatientPolicy::default()).unwrap();
    let text_version = ConsentText::default_text().unwrap().version;
    let label = Label::new(
        "89545001",
        wardcam_core::review::Laterality::NotApplicable,
        "rash",
    )
    .unwrap();
    for v in 0..photos / PER_VISIT {
        ward.identify(Candidate::new(
            band.clone(),
            Verification::not_configured(),
            Some(BAND),
            false,
        ))
        .unwrap();
        ward.confirm().unwrap();
        ward.record_consent(ConsentForm {
            decision: Decision::Permit,
            purposes: [Purpose::Care].into_iter().collect(),
            consented_by: ConsentedBy::Patient,
            method: Method::Verbal {
                witness: "Nurse B".into(),
            },
            text_version: text_version.clone(),
        })
        .unwrap();
        ward.start_capture().unwrap();
        for i in 0..PER_VISIT {
            let p = ward
                .capture(&jpeg(v * PER_VISIT + i), Purpose::Care)
                .unwrap();
            ward.label(p.id, label.clone()).unwrap();
        }
        ward.review().unwrap();
        ward.queue().unwrap();
        ward.end_visit().unwrap();
    }
    assert_eq!(ward.outbox().unwrap().len(), photos);
}

/// Times of one start-up: open (with sweep), attach (recovery), unlock + outbox; and the total.
struct StartUp {
    open: Duration,
    attach: Duration,
    list: Duration,
    total: Duration,
}

fn start_up(dir: &Path, keys: &MemoryKeyStore, photos: usize) -> StartUp {
    let t0 = Instant::now();
    let vault = Arc::new(Vault::open(dir, keys).unwrap());
    let t1 = Instant::now();
    let ward = ward();
    let report = ward.attach_vault(vault).unwrap();
    let t2 = Instant::now();
    ward.unlock(UnlockMethod::Development).unwrap();
    let listed = ward.outbox().unwrap();
    let t3 = Instant::now();
    assert_eq!(listed.len(), photos);
    assert_eq!(report.photos, photos);
    assert_eq!(
        report.stale_revisions + report.unreferenced_items_shredded,
        0
    );
    StartUp {
        open: t1 - t0,
        attach: t2 - t1,
        list: t3 - t2,
        total: t3 - t0,
    }
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::new();
    let dirs: Vec<PathBuf> = SIZES
        .iter()
        .map(|n| tmp.path().join(format!("vault-{n}")))
        .collect();
    let built = Instant::now();
    for (dir, &n) in dirs.iter().zip(&SIZES) {
        build(dir, &keys, n);
    }
    let build_s = built.elapsed().as_secs_f64();
    let items: Vec<usize> = dirs
        .iter()
        .map(|d| {
            let v = Vault::open(d, &keys).unwrap();
            let all = v.list().unwrap();
            assert_eq!(
                all.iter().filter(|m| m.kind == ItemKind::Manifest).count(),
                all.iter().filter(|m| m.kind == ItemKind::Photo).count()
            );
            all.len()
        })
        .collect();

    let mut runs: Vec<Vec<StartUp>> = SIZES.iter().map(|_| Vec::new()).collect();
    for round in 0..=ROUNDS {
        for k in 0..SIZES.len() {
            let i = (k + round) % SIZES.len();
            let s = start_up(&dirs[i], &keys, SIZES[i]);
            if round > 0 {
                runs[i].push(s); // round 0 is warm-up
            }
        }
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let med = |i: usize, f: fn(&StartUp) -> Duration| median(runs[i].iter().map(f).collect());
    println!(
        "visit bench: Vault::open + Ward::attach_vault + unlock + outbox, median of {ROUNDS} \
         rounds (vaults built in {build_s:.1} s)"
    );
    for (i, n) in SIZES.iter().enumerate() {
        let total = med(i, |s| s.total);
        let best = runs[i].iter().map(|s| s.total).min().unwrap_or_default();
        println!(
            "  {n:>5} photos ({:>5} items): {:>8.1} ms total (best {:>7.1} ms) = open {:>6.1} + \
             attach/recover {:>6.1} + unlock/outbox {:>5.1} ms; {:>6.1} us per photo",
            items[i],
            ms(total),
            ms(best),
            ms(med(i, |s| s.open)),
            ms(med(i, |s| s.attach)),
            ms(med(i, |s| s.list)),
            ms(total) * 1e3 / *n as f64,
        );
    }
    let total_1000 = med(1, |s| s.total);
    let per = |i: usize| med(i, |s| s.total).as_secs_f64() / SIZES[i] as f64;
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!(
        "  unlock to Outbox listed, 1,000 photos: {:.1} ms (TARGET <= 1000 ms: {})",
        ms(total_1000),
        verdict(total_1000 <= Duration::from_secs(1))
    );
    let ratio = per(1) / per(0);
    println!(
        "  time per photo at 1,000 / at 100: {ratio:.2}x (TARGET flat, close to 1x; {})",
        verdict(ratio <= 1.25)
    );
}
