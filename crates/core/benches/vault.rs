//! Vault throughput and memory, measured in one run and printed as ratios (run `bench/vault`).
//!
//! - sealed write+fsync of a 5 MB photo vs plaintext write+fsync of the same bytes (target >= 0.85x);
//! - the whole `Vault::seal` (blob, rename, folder fsync, index commit) vs the same plaintext write,
//!   and vs a plaintext write made crash-safe the same way (temporary name, fsync, rename, fsync);
//! - `Vault::seal` vs `age` (Debian package) encrypting the same file as a process (target >= 2x);
//! - peak memory above the input buffer while sealing a 50 MB item (target < 8 MiB).
//!
//! Each figure is the median of several rounds, interleaved so disk and CPU noise hit every side.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use wardcam_core::vault::blob::{seal_to, Header};
use wardcam_core::vault::danger::MemoryKeyStore;
use wardcam_core::vault::{DataKey, ItemId, ItemKind, Timestamp, Vault};

const MB: usize = 1_000_000;
const ROUNDS: usize = 15;

fn photo(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn plain_write(path: &Path, data: &[u8]) {
    let mut f = File::create(path).unwrap();
    f.write_all(data).unwrap();
    f.sync_all().unwrap();
}

fn plain_crash_safe(dir: &Path, data: &[u8]) {
    let tmp = dir.join("photo.tmp");
    plain_write(&tmp, data);
    fs::rename(&tmp, dir.join("photo.jpg")).unwrap();
    File::open(dir).unwrap().sync_all().unwrap();
}

fn sealed_write(path: &Path, data: &[u8]) {
    let key = DataKey::generate().unwrap();
    let header = Header {
        item: ItemId::generate().unwrap(),
        key: key.id(),
    };
    let mut f = File::create(path).unwrap();
    seal_to(&key, &header, data, &mut f).unwrap();
    f.sync_all().unwrap();
}

fn status_kib(field: &str) -> u64 {
    let s = fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let data = photo(5 * MB);
    let plain_dir = root.join("plain");
    fs::create_dir_all(&plain_dir).unwrap();
    let keys = MemoryKeyStore::new();
    let vault = Vault::create(&root.join("vault"), &keys).unwrap();
    fs::write(root.join("photo.jpg"), &data).unwrap();
    // Peak memory sealing 50 MB, first, while the heap holds nothing freed that a seal could reuse:
    // reset the kernel's high-water mark once the input is resident, seal, read the mark.
    let big = photo(50 * MB);
    let _ = fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmRSS:");
    let id = vault
        .seal(ItemKind::Photo, &big, None, Timestamp::now())
        .unwrap();
    let peak = status_kib("VmHWM:");
    vault.delete(id).unwrap();
    let peak_mib = peak.saturating_sub(before) as f64 / 1024.0;
    drop(big);

    // age: a fresh identity; the recipient is the public key it prints.
    let identity = root.join("age-identity.txt");
    let age = Command::new("age-keygen")
        .arg("-o")
        .arg(&identity)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|_| {
            let text = fs::read_to_string(&identity).ok()?;
            let line = text.lines().find(|l| l.starts_with("# public key: "))?;
            Some(line.trim_start_matches("# public key: ").to_owned())
        });

    let (mut plain, mut safe, mut sealed, mut full, mut aged, mut nosync) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for round in 0..=ROUNDS {
        // Fresh names every round: rewriting a file in place makes ext4 flush it on close
        // (auto_da_alloc), which would charge one side for another's writeback.
        let round_dir = plain_dir.join(round.to_string());
        fs::create_dir_all(&round_dir).unwrap();
        let p = time(|| plain_write(&round_dir.join("photo.jpg"), &data));
        let c = time(|| plain_crash_safe(&round_dir, &data));
        let s = time(|| sealed_write(&round_dir.join("photo.wcv"), &data));
        let mut id = None;
        let v = time(|| {
            id = Some(
                vault
                    .seal(ItemKind::Photo, &data, None, Timestamp::now())
                    .unwrap(),
            )
        });
        vault.delete(id.unwrap()).unwrap();
        let a = age.as_ref().map(|recipient| {
            time(|| {
                let ok = Command::new("age")
                    .args(["-e", "-r", recipient, "-o"])
                    .arg(round_dir.join("photo.age"))
                    .arg(root.join("photo.jpg"))
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "age failed");
            })
        });
        let n = time(|| {
            let key = DataKey::generate().unwrap();
            let header = Header {
                item: ItemId::generate().unwrap(),
                key: key.id(),
            };
            let mut f = File::create(round_dir.join("photo.nosync")).unwrap();
            seal_to(&key, &header, &data, &mut f).unwrap();
        });
        fs::remove_dir_all(&round_dir).unwrap();
        if round == 0 {
            continue; // warm-up
        }
        plain.push(p);
        safe.push(c);
        sealed.push(s);
        full.push(v);
        nosync.push(n);
        aged.extend(a);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mbps = |d: Duration| data.len() as f64 / MB as f64 / d.as_secs_f64();
    let (plain, safe, sealed, full, nosync) = (
        median(plain),
        median(safe),
        median(sealed),
        median(full),
        median(nosync),
    );
    println!("vault bench: 5 MB photo, median of {ROUNDS} rounds");
    for (name, d) in [
        ("plaintext write + fsync", plain),
        (
            "plaintext crash-safe write (tmp, fsync, rename, fsync dir)",
            safe,
        ),
        ("sealed write + fsync (blob only)", sealed),
        ("Vault::seal (blob, rename, fsync dir, index commit)", full),
        ("sealed write, no fsync (as age does it)", nosync),
    ] {
        println!("  {name:<62} {:>7.2} ms  {:>7.0} MB/s", ms(d), mbps(d));
    }
    let ratio = |a: Duration, b: Duration| b.as_secs_f64() / a.as_secs_f64();
    println!(
        "  ratio sealed write+fsync / plaintext write+fsync:      {:.2}x throughput (target >= 0.85x)",
        ratio(sealed, plain)
    );
    println!(
        "  ratio Vault::seal / plaintext write+fsync:             {:.2}x throughput",
        ratio(full, plain)
    );
    println!(
        "  ratio Vault::seal / plaintext crash-safe write:        {:.2}x throughput",
        ratio(full, safe)
    );
    if aged.is_empty() {
        println!("  age: not installed (Debian package `age`); comparison skipped");
    } else {
        let aged = median(aged);
        println!(
            "  {:<62} {:>7.2} ms  {:>7.0} MB/s",
            "age -e (whole process, no fsync)",
            ms(aged),
            mbps(aged)
        );
        println!(
            "  ratio Vault::seal speed / age:                         {:.2}x faster (target >= 2x)",
            ratio(full, aged)
        );
        println!(
            "  ratio sealed write (no fsync) speed / age (no fsync):  {:.2}x faster (target >= 2x)",
            ratio(nosync, aged)
        );
    }
    println!(
        "  peak memory sealing 50 MB: {peak_mib:.2} MiB above the input buffer (target < 8 MiB)"
    );
}
