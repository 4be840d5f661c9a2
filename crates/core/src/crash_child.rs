//! The crash campaigns' common step (`visit::crash_tests`, `delivery::crash_tests`): run this test
//! binary again as a child on one test, and SIGKILL it at a random moment, either while it starts
//! (opening and recovering the vault) or a random time after it says it is ready.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// What became of one child.
pub(crate) struct Killed {
    /// It had said it was ready before the kill.
    pub(crate) ready: bool,
}

/// Runs `test` (an exact test name) in a child of this test binary with `envs`, waits for it to
/// print `ready_marker` on stderr unless `r` picks a kill during start-up (one in six, within
/// `startup_window`), then waits a random part of `ready_window` and kills it with SIGKILL.
/// Panics if the child stopped by itself, which would make the campaign test nothing.
pub(crate) fn kill_at_random_moment(
    test: &str,
    envs: &[(&str, &Path)],
    ready_marker: &str,
    r: u64,
    startup_window: Duration,
    ready_window: Duration,
) -> Killed {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut text = String::new();
    let mut ready = false;
    let micros = |window: Duration| {
        Duration::from_micros(r % u64::try_from(window.as_micros()).unwrap().max(1))
    };
    if r.is_multiple_of(6) {
        std::thread::sleep(micros(startup_window));
    } else {
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap() > 0 {
            if line.contains(ready_marker) {
                ready = true;
                break;
            }
            text.push_str(&line);
            line.clear();
        }
        std::thread::sleep(micros(ready_window));
    }
    let _ = child.kill(); // SIGKILL
    let status = child.wait().unwrap();
    stderr.read_to_string(&mut text).unwrap();
    assert!(
        status.code().is_none(),
        "the child stopped by itself: {text}"
    );
    Killed {
        ready: ready || text.contains(ready_marker),
    }
}

/// The campaigns' random stream (xorshift64 from `seed`): reproducible, so a failing round can be
/// run again.
pub(crate) fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
