//! Delivery to a real PACS, measured in one run and printed as a table with ratios (run
//! `bench/delivery`).
//!
//! The PACS is `tests/servers/orthanc/server.mjs`: Orthanc 1.10 with its DICOMweb plugin behind the
//! Node TLS front on loopback (the test CA, basic auth), the same front for every side. One server
//! for the whole run, started with `--exit-with-stdin` so it goes with this process.
//!
//! 1. **Throughput vs curl** (target: WardCam >= 1.0x curl). 50 photo-like 12 MP JPEGs (about
//!    4.5 MB each, made once per run, outside any timing), each captured through a [`Ward`]
//!    (intake, seal) and queued, then timed sides, every round in rotated order, each side after
//!    a `sync` and half a second's rest (so none pays for the writeback of the captures and
//!    bodies just written, which otherwise slowed whichever side went first):
//!    - **WardCam courier**: [`Courier::drain`] of a ward with the 50 queued photos, the whole path
//!      the app runs: per photo unseal + build the DICOM object + seal "sending", STOW-RS, seal
//!      "uploaded", WADO-RS read-back of the frame and its digest check, shred + receipt; at most
//!      [`CONCURRENCY`] photos in flight over one connection pool.
//!    - **WardCam `Pacs::store` alone**: the same client's STOW-RS of 50 prebuilt Part-10 objects
//!      (read into memory beforehand), one after another: the HTTP/TLS part of the path only.
//!    - **curl**: ONE `curl` process posting 50 prebuilt STOW-RS multipart bodies one after another
//!      (`--next` between them, so the TLS connection is reused), the bodies read from files
//!      written beforehand (page cache warm), `Expect:` disabled (reqwest sends none).
//!
//!    Every body is what WardCam builds and frames (`Ward::begin_delivery`, then the framing of
//!    `Pacs::store`) for the same 50 JPEGs, but each side's photos are other photos (other visits),
//!    so other SOP instances: nobody meets "already stored". MB/s counts STOW-RS body bytes (the
//!    courier's bodies are the curl bodies' size within a few bytes: they differ only in UIDs).
//!    The courier's per-photo phase times come from its own progress events. Where its time goes
//!    is also measured apart, untimed by the sides: `begin_delivery`'s unseal, DICOM build and
//!    frame digest on the peers' photos, and, after `Pacs::store`, the courier's later steps done
//!    one photo at a time by hand (`delivery_acknowledged`, `Pacs::verify`, `delivery_verified`).
//!    CPU time of the client (this process, or the curl it ran), the TLS front and Orthanc is read
//!    from `/proc` around each side.
//! 2. **Drain flatness** (target: flat, last/first close to 1x): 1,000 queued 64x48 JPEGs (10
//!    visits of 100) drained in one [`Courier::drain`]; time per photo in each hundred delivered,
//!    from the courier's `Sent` events, with each phase's mean, and the ratio of the last hundred
//!    to the first. Runs first (after an untimed warm-up drain of 20, so the first hundred carries
//!    no first connections), so Orthanc holds 1,000 instances during the throughput rounds.
//!
//! `WARDCAM_BENCH_VAULT_DIR=/dev/shm` puts the vaults (and bodies) on a tmpfs, where the vault's
//! fsyncs cost next to nothing: run once with and once without to see what they cost.
//! `WARDCAM_BENCH_SERVER_LOG=<file>` keeps the test server's log (and Orthanc's) for a failed run.
//!
//! Peak RSS: this process's high-water mark (`VmHWM`, reset through `/proc/self/clear_refs` just
//! before) during each courier drain of the 50 photos, next to its RSS just before (mostly the
//! bench's own 50 source JPEGs).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wardcam_core::consent::{ConsentForm, ConsentText, ConsentedBy, Decision, Method};
use wardcam_core::delivery::{
    reply, vl_photographic_image_with, Courier, OutboxEvent, Outcome, Pacs, Phase, CONCURRENCY,
};
use wardcam_core::endpoint::EndpointConfig;
use wardcam_core::patient::{parse_scan, FhirPatientLookup, PatientPolicy, Verification};
use wardcam_core::review::{Label, Laterality};
use wardcam_core::session::{Purpose, SessionPolicy, UnlockMethod};
use wardcam_core::vault::danger::MemoryKeyStore;
use wardcam_core::vault::{Timestamp, Vault};
use wardcam_core::visit::{
    Candidate, DeliveryJob, FileSystemStorage, PhotoId, SentRecord, SystemClock, Ward,
};
use zeroize::Zeroizing;

#[path = "support/photo.rs"]
mod photo;

#[path = "support/measure.rs"]
mod measure;
#[path = "../tests/support/servers.rs"]
mod servers;
use measure::{median, status_kib};
use servers::Kind;

const PHOTOS: usize = 50;
const ROUNDS: usize = 3;
const SMALL: usize = 1_000;
const SMALL_PER_VISIT: usize = 100;
const WARM_UP: usize = 20;
const BAND: &str = "]d2801850000009434765919493SMITH/JOHN/19800118";

// ---------------------------------------------------------------------------------------------
// The Orthanc test server

struct Server {
    ready: serde_json::Value,
    child: Child,
}

impl Server {
    fn start() -> Result<Server, String> {
        // Its log and Orthanc's, where `WARDCAM_BENCH_SERVER_LOG` says (for a failed run).
        let stderr = match std::env::var_os("WARDCAM_BENCH_SERVER_LOG") {
            Some(path) => Stdio::from(fs::File::create(path).map_err(|e| e.to_string())?),
            None => Stdio::null(),
        };
        let started = servers::start(Kind::Orthanc, &[], stderr)?;
        Ok(Server {
            ready: started.ready,
            child: started.child,
        })
    }

    fn get(&self, key: &str) -> &str {
        self.ready[key].as_str().unwrap()
    }

    fn pacs(&self) -> Pacs {
        let config = EndpointConfig::from_json(&fs::read(self.get("endpoint")).unwrap()).unwrap();
        Pacs::from_config(&config).unwrap()
    }

    /// Instances Orthanc holds (its REST API on the plain port, for the final check only).
    fn instances(&self) -> u64 {
        let out = Command::new("curl")
            .args([
                "-sf",
                "-u",
                &format!("{}:{}", self.get("username"), self.get("password")),
                &format!("{}/statistics", self.get("orthanc")),
            ])
            .output()
            .unwrap();
        let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        stats["CountInstances"].as_u64().unwrap_or(0)
    }

    /// The Node front's pid and Orthanc's (the front's child: `setpriv` execs it).
    fn pids(&self) -> (u32, Option<u32>) {
        let front = self.child.id();
        let orthanc = fs::read_dir("/proc").ok().and_then(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .find(|pid| stat_field(&format!("/proc/{pid}/stat"), 4) == Some(u64::from(front)))
        });
        (front, orthanc)
    }

    /// Closes its stdin (it stops and removes its temp dir) and waits for it.
    fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Photos and wards

/// A photo-like JPEG (gradients, edges and noise, as in `benches/intake.rs`) whose noise depends on
/// `seed`: about 4.5 MB at 12 MP.
fn photo_jpeg(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let rgb = photo::photo_rgb(w, h, seed);
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 88)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn small_jpeg(seed: usize) -> Vec<u8> {
    let (w, h) = (64u16, 48u16);
    let rgb: Vec<u8> = (0..usize::from(w) * usize::from(h) * 3)
        .map(|i| (i.wrapping_mul(37).wrapping_add(seed.wrapping_mul(11)) % 251) as u8)
        .collect();
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

/// A ward on a new vault in `dir`, unlocked, with a clinician's PIN.
fn ward(dir: &Path, keys: &MemoryKeyStore) -> Arc<Ward> {
    let ward = Ward::with(
        SessionPolicy {
            idle_timeout_ms: 3_600_000,
            allow_development_unlock: true,
        },
        Arc::new(SystemClock::new()),
        Arc::new(FileSystemStorage),
    );
    ward.attach_vault(Arc::new(Vault::create(dir, keys).unwrap()))
        .unwrap();
    ward.unlock(UnlockMethod::Development).unwrap();
    ward.set_pin(&Zeroizing::new("270513".to_owned()), "Dr A Jones", None)
        .unwrap();
    Arc::new(ward)
}

/// One visit of the patient on [`BAND`]: verbal consent, every photo captured and labelled,
/// queued, the visit ended. Returns the photos in capture order.
fn visit(ward: &Ward, photos: &[Vec<u8>]) -> Vec<PhotoId> {
    let band = parse_scan(BAND, &PatientPolicy::default()).unwrap();
    ward.identify(Candidate::new(
        band,
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
        text_version: ConsentText::default_text().unwrap().version,
    })
    .unwrap();
    ward.start_capture().unwrap();
    let label = Label::new("14975008", Laterality::Left, "graze").unwrap();
    let ids = photos
        .iter()
        .map(|bytes| {
            let p = ward.capture(bytes, Purpose::Care).unwrap();
            ward.label(p.id, label.clone()).unwrap();
            p.id
        })
        .collect();
    ward.review().unwrap();
    ward.queue().unwrap();
    ward.end_visit().unwrap();
    ids
}

// ---------------------------------------------------------------------------------------------
// Prebuilt bodies for the peers

/// The multipart framing `Pacs::store` puts around a Part-10 object.
fn frame(boundary: &str, part10: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(part10.len() + 2 * boundary.len() + 64);
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(part10);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// A boundary of the shape `Pacs::store` uses: `wardcam-` and 32 random hex digits.
fn boundary() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 16];
    SystemRandom::new().fill(&mut bytes).unwrap();
    format!("wardcam-{}", hex::encode(bytes))
}

/// One prebuilt body on disk.
struct Body {
    path: PathBuf,
    photo: PhotoId,
    sent: SentRecord,
    boundary: String,
    len: usize,
}

/// Where the time of `Ward::begin_delivery` goes, measured on the peers' photos.
#[derive(Default)]
struct Prep {
    begin: Vec<Duration>,
    unseal: Vec<Duration>,
    build: Vec<Duration>,
    digest: Vec<Duration>,
    part10_len: usize,
}

/// The courier's later steps, done one at a time by hand on the photos `Pacs::store` sent.
#[derive(Default)]
struct Steps {
    /// `Ward::delivery_acknowledged`: seal the manifest "uploaded".
    ack: Vec<Duration>,
    /// `Pacs::verify`: WADO-RS read-back of the frame and its digest check.
    verify: Vec<Duration>,
    /// `Ward::delivery_verified`: shred the photo and thumbnail, seal the receipt.
    shred: Vec<Duration>,
}

/// Builds every queued photo of `photos` as the courier would (`begin_delivery`), and writes each
/// to `dir`: as the Part-10 object alone when `framed` is false (for `Pacs::store`), else framed as
/// a STOW-RS multipart body (for curl). Times the build steps into `prep`.
fn bodies(
    ward: &Ward,
    photos: &[PhotoId],
    server: &str,
    dir: &Path,
    framed: bool,
    prep: &mut Prep,
) -> Vec<Body> {
    fs::create_dir_all(dir).unwrap();
    let vault = ward.vault().unwrap();
    photos
        .iter()
        .enumerate()
        .map(|(i, &photo)| {
            // The costly steps of `begin_delivery` on their own: unseal, build, digest the frame.
            let manifest = ward.manifest(photo).unwrap().unwrap();
            let t = Instant::now();
            let image = vault.unseal(manifest.image).unwrap();
            prep.unseal.push(t.elapsed());
            let t = Instant::now();
            let built = vl_photographic_image_with(&manifest, &image, Timestamp::now()).unwrap();
            prep.build.push(t.elapsed());
            let t = Instant::now();
            let digest = reply::frame_digest(&built.part10[built.frame.clone()]);
            prep.digest.push(t.elapsed());
            drop((image, built, digest));
            // Then the whole step, as the courier calls it.
            let t = Instant::now();
            let job = ward.begin_delivery(photo, server).unwrap().unwrap();
            prep.begin.push(t.elapsed());
            let DeliveryJob::Send { part10, sent, .. } = job else {
                panic!("a queued photo should be sent")
            };
            prep.part10_len = part10.len();
            let boundary = boundary();
            let bytes = if framed {
                frame(&boundary, &part10)
            } else {
                part10.to_vec()
            };
            let path = dir.join(format!("{i:03}.{}", if framed { "mime" } else { "dcm" }));
            fs::write(&path, &bytes).unwrap();
            let len = if framed {
                bytes.len()
            } else {
                frame(&boundary, &[]).len() + bytes.len()
            };
            Body {
                path,
                photo,
                sent,
                boundary,
                len,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The courier's progress, timed

/// The moments each photo reached: preparing, uploading, verifying, sent.
#[derive(Default)]
struct Trace {
    marks: Mutex<HashMap<PhotoId, [Option<Instant>; 4]>>,
}

impl Trace {
    fn record(&self, e: OutboxEvent) {
        let now = Instant::now();
        let (photo, i) = match e {
            OutboxEvent::Progress { photo, phase, .. } => (
                photo,
                match phase {
                    Phase::Preparing => 0,
                    Phase::Uploading => 1,
                    Phase::Verifying => 2,
                },
            ),
            OutboxEvent::Sent { photo } => (photo, 3),
            OutboxEvent::Changed => return,
        };
        self.marks.lock().unwrap().entry(photo).or_default()[i] = Some(now);
    }

    /// Summed over photos: prepare (unseal, build, seal "sending"), STOW-RS (+ seal "uploaded"),
    /// read-back (+ shred and receipt).
    fn phases(&self) -> [Duration; 3] {
        let mut sums = [Duration::ZERO; 3];
        for m in self.marks.lock().unwrap().values() {
            for (k, sum) in sums.iter_mut().enumerate() {
                if let (Some(a), Some(b)) = (m[k], m[k + 1]) {
                    *sum += b - a;
                }
            }
        }
        sums
    }
}

/// Drains `ward` once with a fresh courier; returns when it started, the wall time and the trace.
fn drain(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    ward: &Arc<Ward>,
    n: usize,
) -> (Instant, Duration, Trace) {
    let courier = Courier::new(server.pacs());
    let trace = Trace::default();
    let record = |e: OutboxEvent| trace.record(e);
    let t = Instant::now();
    let report = rt
        .block_on(courier.drain::<FhirPatientLookup>(ward, None, false, &record))
        .unwrap();
    let wall = t.elapsed();
    if report.delivered != n {
        // What the photos left behind say (a failure is a finding, not something to retry away).
        let problems: Vec<String> = ward
            .outbox()
            .unwrap()
            .iter()
            .filter_map(|v| ward.manifest(v.id).unwrap())
            .filter_map(|m| m.delivery.problem.or(m.delivery.hold))
            .map(|p| format!("{}: {}", p.code, p.message))
            .collect();
        panic!(
            "the courier delivered {} of {n} photos after {:.1} s: {report:?}; problems: {problems:#?}",
            report.delivered,
            wall.as_secs_f64()
        );
    }
    assert!(ward.outbox().unwrap().is_empty());
    (t, wall, trace)
}

// ---------------------------------------------------------------------------------------------
// Sides

fn have_curl() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// One curl process posting every body in turn (`--next`: same connection); checks every 200.
fn curl(server: &Server, set: &[Body]) -> Duration {
    let url = format!("{}/studies", server.get("base"));
    let user = format!("{}:{}", server.get("username"), server.get("password"));
    let mut args: Vec<String> = Vec::new();
    for (i, b) in set.iter().enumerate() {
        if i > 0 {
            args.push("--next".into());
        }
        args.extend(
            [
                "-sS",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}\\n",
                "--cacert",
                server.get("ca"),
                "-u",
                &user,
                "-H",
                &format!(
                    "Content-Type: multipart/related; type=\"application/dicom\"; boundary={}",
                    b.boundary
                ),
                "-H",
                "Accept: application/dicom+json",
                "-H",
                "Expect:",
                "--data-binary",
                &format!("@{}", b.path.display()),
                &url,
            ]
            .map(str::to_owned),
        );
    }
    let t = Instant::now();
    let out = Command::new("curl").args(&args).output().unwrap();
    let d = t.elapsed();
    let codes = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "curl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        codes.lines().filter(|c| *c == "200").count(),
        set.len(),
        "curl: {codes}"
    );
    d
}

/// WardCam's `Pacs::store` of every prebuilt Part-10 object in turn, from memory.
fn store(rt: &tokio::runtime::Runtime, server: &Server, set: &[Body]) -> Duration {
    let pacs = server.pacs();
    let objects: Vec<(Zeroizing<Vec<u8>>, &str)> = set
        .iter()
        .map(|b| {
            (
                Zeroizing::new(fs::read(&b.path).unwrap()),
                b.sent.sop_uid.as_str(),
            )
        })
        .collect();
    let t = Instant::now();
    rt.block_on(async {
        for (part10, uid) in objects {
            match pacs.store(part10, uid).await {
                Outcome::Done(()) => {}
                other => panic!("store: {other:?}"),
            }
        }
    });
    t.elapsed()
}

/// After `store`: the courier's remaining steps for each photo, one at a time, timed apart.
fn steps(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    ward: &Ward,
    set: &[Body],
    steps: &mut Steps,
) {
    let pacs = server.pacs();
    for b in set {
        let t = Instant::now();
        ward.delivery_acknowledged(b.photo, b.sent.clone()).unwrap();
        steps.ack.push(t.elapsed());
        let t = Instant::now();
        let matched = rt.block_on(pacs.verify(&b.sent));
        steps.verify.push(t.elapsed());
        assert_eq!(matched, Outcome::Done(true));
        let t = Instant::now();
        assert!(ward.delivery_verified(b.photo).unwrap());
        steps.shred.push(t.elapsed());
    }
}

/// Field `n` (1-based, as proc(5) numbers them: 4 is the parent's pid, 14 and 15 user and system
/// time) of a `/proc/<pid>/stat` file.
fn stat_field(path: &str, n: usize) -> Option<u64> {
    let s = fs::read_to_string(path).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    // `rest` starts at field 3 (state); its k-th word is field k + 3 (1-based).
    rest.split_whitespace().nth(n.checked_sub(3)?)?.parse().ok()
}

/// CPU time (user + system) of a process, plus (with `children`) of its waited-for children.
fn cpu(pid: &str, children: bool) -> Duration {
    let path = format!("/proc/{pid}/stat");
    let f = |n| stat_field(&path, n).unwrap_or(0);
    let mut ticks = f(14) + f(15);
    if children {
        ticks += f(16) + f(17);
    }
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// CPU used by the client side (this process and the curl it ran), the Node TLS front and
/// Orthanc, over what `work` did.
fn cpu_of<T>(server: &Server, work: impl FnOnce() -> T) -> (T, [Duration; 3]) {
    let (front, orthanc) = server.pids();
    let orthanc = orthanc.map_or("none".to_owned(), |p| p.to_string());
    let front = front.to_string();
    let read = || [cpu("self", true), cpu(&front, false), cpu(&orthanc, false)];
    let before = read();
    let out = work();
    let after = read();
    (out, [0, 1, 2].map(|i| after[i].saturating_sub(before[i])))
}

/// Flushes dirty pages to disk (`sync`) and lets the servers go idle for a moment.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_millis(500));
}

/// Resets this process's peak RSS (`VmHWM`) where Linux allows it.
fn reset_peak() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------------

struct Round {
    /// CPU of client, front and Orthanc for the courier, `Pacs::store` and curl sides.
    cpu: [[Duration; 3]; 3],
    courier: Duration,
    phases: [Duration; 3],
    store: Duration,
    curl: Option<Duration>,
    bytes: usize,
    rss_before_kib: u64,
    peak_kib: u64,
}

fn main() {
    let server = match Server::start() {
        Ok(s) => s,
        Err(why) => {
            eprintln!(
                "delivery bench: needs node and the Debian packages orthanc and orthanc-dicomweb \
                 (scripts/setup installs them): {why}"
            );
            std::process::exit(1);
        }
    };
    let curl_ok = have_curl();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let keys = MemoryKeyStore::new();
    // The vaults and bodies: in the system's temp dir, or where `WARDCAM_BENCH_VAULT_DIR` says
    // (`/dev/shm`, a tmpfs, makes every fsync of the vault nearly free: a way to see their cost;
    // Orthanc's storage stays where it was).
    let tmp = match std::env::var_os("WARDCAM_BENCH_VAULT_DIR") {
        Some(dir) => tempfile::tempdir_in(dir).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let base = server.get("base").to_owned();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Warm-up, untimed: a first drain of a few photos (Orthanc's first instances, the front's and
    // the client's first connections).
    let warm = ward(&tmp.path().join("warm-up"), &keys);
    let photos: Vec<Vec<u8>> = (0..WARM_UP).map(|i| small_jpeg(SMALL + i)).collect();
    visit(&warm, &photos);
    drain(&rt, &server, &warm, WARM_UP);
    drop(warm);

    // 2. Drain flatness first: Orthanc then holds 1,000 instances during the throughput rounds.
    let t = Instant::now();
    let small_ward = ward(&tmp.path().join("small"), &keys);
    for v in 0..SMALL / SMALL_PER_VISIT {
        let photos: Vec<Vec<u8>> = (0..SMALL_PER_VISIT)
            .map(|i| small_jpeg(v * SMALL_PER_VISIT + i))
            .collect();
        visit(&small_ward, &photos);
    }
    let small_build = t.elapsed();
    let (small_start, small_wall, small_trace) = drain(&rt, &server, &small_ward, SMALL);
    drop(small_ward);
    // Each photo's marks, in the order they were delivered.
    let mut delivered: Vec<[Instant; 4]> = small_trace
        .marks
        .lock()
        .unwrap()
        .values()
        .map(|m| m.map(|t| t.unwrap()))
        .collect();
    delivered.sort_by_key(|m| m[3]);
    assert_eq!(delivered.len(), SMALL);

    // 1. The 50 photos, made once.
    let t = Instant::now();
    let jpegs: Vec<Vec<u8>> = std::thread::scope(|s| {
        let halves: Vec<_> = (0..2)
            .map(|h| {
                s.spawn(move || {
                    (0..PHOTOS)
                        .filter(|i| i % 2 == h)
                        .map(|i| (i, photo_jpeg(4000, 3000, i as u64)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Vec<u8>)> =
            halves.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, j)| j).collect()
    });
    let jpeg_bytes: usize = jpegs.iter().map(Vec::len).sum();
    let made = t.elapsed();

    let mut rounds = Vec::new();
    let mut prep = Prep::default();
    let mut by_hand = Steps::default();
    let mut capture_time = Duration::ZERO;
    for round in 0..ROUNDS {
        let dir = tmp.path().join(format!("round-{round}"));
        let t = Instant::now();
        let courier_ward = ward(&dir.join("courier"), &keys);
        visit(&courier_ward, &jpegs);
        let peer_ward = ward(&dir.join("peers"), &keys);
        let for_store = visit(&peer_ward, &jpegs);
        let for_curl = visit(&peer_ward, &jpegs);
        capture_time += t.elapsed();
        let store_set = bodies(
            &peer_ward,
            &for_store,
            &base,
            &dir.join("dcm"),
            false,
            &mut prep,
        );
        let curl_set = bodies(
            &peer_ward,
            &for_curl,
            &base,
            &dir.join("mime"),
            true,
            &mut prep,
        );
        let bytes: usize = curl_set.iter().map(|b| b.len).sum();
        let store_bytes: usize = store_set.iter().map(|b| b.len).sum();
        assert!(bytes.abs_diff(store_bytes) < 64 * PHOTOS);

        let mut r = Round {
            cpu: [[Duration::ZERO; 3]; 3],
            courier: Duration::ZERO,
            phases: [Duration::ZERO; 3],
            store: Duration::ZERO,
            curl: None,
            bytes,
            rss_before_kib: 0,
            peak_kib: 0,
        };
        for k in 0..3 {
            // Each side starts on a quiet machine: the captures and prebuilt bodies just written
            // (hundreds of MB) are flushed first, so no side pays for another's writeback.
            settle();
            match (k + round) % 3 {
                0 => {
                    r.rss_before_kib = status_kib("VmRSS:");
                    let reset = reset_peak();
                    let ((_, wall, trace), cpu) =
                        cpu_of(&server, || drain(&rt, &server, &courier_ward, PHOTOS));
                    r.cpu[0] = cpu;
                    r.peak_kib = if reset { status_kib("VmHWM:") } else { 0 };
                    r.courier = wall;
                    r.phases = trace.phases();
                }
                1 => (r.store, r.cpu[1]) = cpu_of(&server, || store(&rt, &server, &store_set)),
                _ if curl_ok => {
                    let (t, cpu) = cpu_of(&server, || curl(&server, &curl_set));
                    r.curl = Some(t);
                    r.cpu[2] = cpu;
                }
                _ => {}
            }
        }
        // Untimed: the courier's later steps one by one, on the photos `Pacs::store` sent.
        steps(&rt, &server, &peer_ward, &store_set, &mut by_hand);
        drop((courier_ward, peer_ward));
        fs::remove_dir_all(&dir).unwrap();
        rounds.push(r);
    }
    let held = server.instances();
    // Each visit a courier drained also leaves its consent's own copy (a PACS-only trust): the
    // warm-up's, the small photos' and each round's courier visit.
    let consent_copies = 1 + SMALL / SMALL_PER_VISIT + ROUNDS;
    let expected = (WARM_UP + SMALL + ROUNDS * 3 * PHOTOS + consent_copies) as u64
        - if curl_ok { 0 } else { (ROUNDS * PHOTOS) as u64 };
    let hwm_total = status_kib("VmHWM:");
    server.stop();

    // ---- Report ----------------------------------------------------------------------------
    let bytes = median(
        rounds
            .iter()
            .map(|r| Duration::from_nanos(r.bytes as u64))
            .collect(),
    )
    .as_nanos() as f64;
    let mbs = |d: Duration| bytes / 1e6 / d.as_secs_f64();
    let courier = median(rounds.iter().map(|r| r.courier).collect());
    let stored = median(rounds.iter().map(|r| r.store).collect());
    let curl_t = curl_ok.then(|| median(rounds.iter().filter_map(|r| r.curl).collect()));
    println!(
        "delivery bench, one run, {cores} cores, Orthanc 1.10 + DICOMweb behind the Node TLS front \
         on loopback:"
    );
    println!(
        "   vaults and prebuilt bodies under {}",
        tmp.path()
            .parent()
            .map_or("?".into(), |p| p.display().to_string())
    );
    println!(
        "1. throughput: {PHOTOS} photo-like 12 MP JPEGs, {:.1} MB of JPEG ({:.2} MB each), \
         {:.1} MB of STOW-RS bodies; median of {ROUNDS} rounds, sides in rotated order",
        jpeg_bytes as f64 / 1e6,
        jpeg_bytes as f64 / 1e6 / PHOTOS as f64,
        bytes / 1e6
    );
    println!(
        "   (made in {:.1} s; {} captures through a Ward in {:.1} s; {} bodies prebuilt; none timed)",
        made.as_secs_f64(),
        ROUNDS * 3 * PHOTOS,
        capture_time.as_secs_f64(),
        ROUNDS * 2 * PHOTOS
    );
    println!(
        "   | side | what it does per photo | time | MB/s | vs curl |\n   | --- | --- | ---: | ---: | ---: |"
    );
    let vs = |d: Duration| {
        curl_t.map_or("-".to_owned(), |c| {
            format!("{:.2}x", c.as_secs_f64() / d.as_secs_f64())
        })
    };
    println!(
        "   | WardCam courier (Courier::drain) | unseal, build DICOM, seal, STOW-RS, seal, WADO-RS \
         read-back + digest, shred + receipt; {CONCURRENCY} in flight | {:.2} s | {:.1} | {} |",
        courier.as_secs_f64(),
        mbs(courier),
        vs(courier)
    );
    println!(
        "   | WardCam Pacs::store alone | STOW-RS of a prebuilt Part-10 object from memory (framing \
         copy included), one after another | {:.2} s | {:.1} | {} |",
        stored.as_secs_f64(),
        mbs(stored),
        vs(stored)
    );
    match curl_t {
        Some(c) => println!(
            "   | curl, one process, --next | STOW-RS of a prebuilt multipart body from a file, one \
             after another, one connection | {:.2} s | {:.1} | 1.00x |",
            c.as_secs_f64(),
            mbs(c)
        ),
        None => println!("   | curl | not installed | - | - | - |"),
    }
    for (i, r) in rounds.iter().enumerate() {
        println!(
            "   round {i}: courier {:.2} s, store {:.2} s, curl {}",
            r.courier.as_secs_f64(),
            r.store.as_secs_f64(),
            r.curl
                .map_or("-".to_owned(), |c| format!("{:.2} s", c.as_secs_f64()))
        );
    }
    // CPU seconds per side, averaged over the rounds, against the wall time and the cores.
    let avg = |side: usize, who: usize| {
        rounds
            .iter()
            .map(|r| r.cpu[side][who].as_secs_f64())
            .sum::<f64>()
            / ROUNDS as f64
    };
    let mean = |f: fn(&Round) -> Option<Duration>| {
        rounds.iter().filter_map(f).sum::<Duration>() / ROUNDS as u32
    };
    for (side, name, wall) in [
        (0, "courier", mean(|r| Some(r.courier))),
        (1, "Pacs::store", mean(|r| Some(r.store))),
        (2, "curl", mean(|r| r.curl)),
    ] {
        if wall.is_zero() {
            continue;
        }
        let (c, f, o) = (avg(side, 0), avg(side, 1), avg(side, 2));
        println!(
            "   CPU during {name} (mean of rounds): client {c:.2} s + TLS front {f:.2} s + Orthanc \
             {o:.2} s = {:.2} s in {:.2} s wall (mean) = {:.0}% of {cores} cores",
            c + f + o,
            wall.as_secs_f64(),
            100.0 * (c + f + o) / (wall.as_secs_f64() * cores as f64)
        );
    }
    if let Some(c) = curl_t {
        let ratio = c.as_secs_f64() / courier.as_secs_f64();
        println!(
            "   WardCam courier / curl throughput: {ratio:.2}x (TARGET >= 1.0x: {}); \
             Pacs::store alone / curl: {:.2}x",
            if ratio >= 1.0 { "ok" } else { "MISSED" },
            c.as_secs_f64() / stored.as_secs_f64()
        );
    }
    // Where the courier's time goes: each photo's phases, summed, per photo.
    let per = |d: Duration| ms(d) / PHOTOS as f64;
    let mid = rounds
        .iter()
        .min_by_key(|r| r.courier.abs_diff(courier))
        .unwrap();
    let [p, s, v] = mid.phases;
    println!(
        "   courier phases per photo (median round; {CONCURRENCY} photos overlap, so they sum to \
         about {CONCURRENCY}x the wall time per photo {:.1} ms): prepare {:.1} ms + STOW-RS and \
         seal {:.1} ms + read-back, shred and receipt {:.1} ms = {:.1} ms",
        per(mid.courier),
        per(p),
        per(s),
        per(v),
        per(p + s + v)
    );
    println!(
        "   WardCam's STOW-RS share alone: {:.2} s of photo time for {PHOTOS} photos ({:.1} MB/s per \
         request in flight)",
        s.as_secs_f64(),
        bytes / 1e6 / s.as_secs_f64()
    );
    let pm = |v: &Vec<Duration>| ms(median(v.clone()));
    let (begin, unseal, build, digest) = (
        pm(&prep.begin),
        pm(&prep.unseal),
        pm(&prep.build),
        pm(&prep.digest),
    );
    let (ack, verify, shred) = (pm(&by_hand.ack), pm(&by_hand.verify), pm(&by_hand.shred));
    let store_each = per(stored);
    println!(
        "   the courier's steps one photo at a time, by hand on the peers' photos (medians of {} \
         photos; ms per photo): begin_delivery {begin:.1} (unseal {unseal:.1}, build DICOM \
         {build:.1} for a {:.1} MB Part-10, SHA-256 of the frame {digest:.1}, the rest, mostly \
         sealing the manifest \"sending\", {:.1}) + Pacs::store {store_each:.1} (mean) + \
         delivery_acknowledged {ack:.1} + Pacs::verify (read-back) {verify:.1} + \
         delivery_verified (shred + receipt) {shred:.1} = {:.1}; curl's STOW-RS {}",
        prep.begin.len(),
        prep.part10_len as f64 / 1e6,
        (begin - unseal - build - digest).max(0.0),
        begin + store_each + ack + verify + shred,
        curl_t.map_or("-".to_owned(), |c| format!("{:.1}", per(c)))
    );
    let peak = rounds.iter().map(|r| r.peak_kib).max().unwrap_or(0);
    if peak > 0 {
        let before = rounds.iter().map(|r| r.rss_before_kib).max().unwrap_or(0);
        println!(
            "   peak RSS during a courier drain of the {PHOTOS} photos: {:.1} MiB (RSS before it {:.1} \
             MiB, mostly the bench's own {:.0} MB of source JPEGs; {:.1} MiB more)",
            mib(peak),
            mib(before),
            jpeg_bytes as f64 / 1e6,
            mib(peak.saturating_sub(before))
        );
    }
    println!(
        "   peak RSS of the whole bench process: {:.1} MiB; Orthanc holds {held} instances \
         (expected {expected}: {})",
        mib(hwm_total),
        if held == expected { "ok" } else { "MISMATCH" }
    );

    // Flatness: the hundreds in the order they were delivered.
    println!(
        "2. drain flatness: {SMALL} queued 64x48 JPEGs in {} visits (captured in {:.1} s, not \
         timed), one Courier::drain after a warm-up drain of {WARM_UP}: {:.2} s, {:.1} ms per photo",
        SMALL / SMALL_PER_VISIT,
        small_build.as_secs_f64(),
        small_wall.as_secs_f64(),
        ms(small_wall) / SMALL as f64
    );
    // Hundred k runs from the (100k)-th photo delivered (the drain's start for k = 0) to the
    // (100k + 100)-th. The phases are means over its photos (2 overlap, as above); the median
    // time per delivery (half the span of each two in a row) shrugs off bursts of load from other
    // work on the machine.
    println!(
        "   | photos delivered | ms per photo | median per photo | prepare | STOW-RS + seal | read-back, \
         shred + receipt |\n   | --- | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut rows = Vec::new();
    for (k, chunk) in delivered.chunks(100).enumerate() {
        let from = if k == 0 {
            small_start
        } else {
            delivered[100 * k - 1][3]
        };
        let wall = ms(chunk[chunk.len() - 1][3] - from) / chunk.len() as f64;
        // Two photos are in flight, so deliveries come in pairs: half the span of each two.
        let gaps: Vec<Duration> = std::iter::once(from)
            .chain(chunk.iter().map(|m| m[3]))
            .collect::<Vec<_>>()
            .windows(3)
            .map(|w| (w[2] - w[0]) / 2)
            .collect();
        let gap = ms(median(gaps));
        let phase = |a: usize| chunk.iter().map(|m| ms(m[a + 1] - m[a])).sum::<f64>() / 100.0;
        println!(
            "   | {}-{} | {wall:.1} | {gap:.1} | {:.1} | {:.1} | {:.1} |",
            100 * k + 1,
            100 * k + chunk.len(),
            phase(0),
            phase(1),
            phase(2)
        );
        rows.push((wall, gap));
    }
    let (first, last) = (rows[0], rows[rows.len() - 1]);
    let ratio = last.0 / first.0;
    // Growth is what the target is about; a faster end is noise or warm-up, not a cost per photo
    // that grows with the outbox.
    let verdict = |r: f64| {
        if (0.8..=1.25).contains(&r) {
            "ok"
        } else if r < 0.8 {
            "no growth, but not flat: the first hundred was slower"
        } else {
            "MISSED"
        }
    };
    println!(
        "   last hundred / first hundred: {ratio:.2}x per photo (TARGET flat, close to 1x; {}); \
         by median {:.2}x",
        verdict(ratio),
        last.1 / first.1
    );
}
