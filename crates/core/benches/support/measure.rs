//! Measuring helpers shared by the benchmarks (`benches/vault.rs`, `benches/intake.rs`).

use std::fs;
use std::time::Duration;

/// The median of `v` (the upper one for an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A `kB` field of this process's `/proc/self/status` (`VmRSS:`, `VmHWM:`), or 0 where there is
/// no such file.
pub fn status_kib(field: &str) -> u64 {
    let s = fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
