//! The session clock's source: a monotonic reading that **keeps counting while the device sleeps**,
//! so the idle lock counts the minutes a phone spent in a pocket with its screen off.
//!
//! `std::time::Instant` will not do: on Linux and Android it reads `CLOCK_MONOTONIC`, and on Apple
//! platforms `CLOCK_UPTIME_RAW`, and both stop while the device is suspended. A phone unlocked, put
//! to sleep for an hour and woken would find its idle timer barely moved, and show the last
//! patient's screen without asking for the passcode.
//!
//! - **Linux and Android**: `CLOCK_BOOTTIME`, `CLOCK_MONOTONIC` plus the time spent suspended.
//! - **iOS and macOS**: `CLOCK_MONOTONIC`, which on Darwin, unlike Linux, counts sleep (Apple's
//!   `clock_gettime(3)`: it "will continue to increment while the system is asleep"), as
//!   `mach_continuous_time`, the documented continuous clock, does. Going through `clock_gettime`
//!   keeps the Mach binding and its `unsafe` out: both platforms are read through `rustix`'s safe
//!   `clock_gettime`, and the core stays `#![forbid(unsafe_code)]`.
//! - **Elsewhere** (Windows): `Instant`, counted from the first reading. WardCam runs there only as
//!   a development build; whether it counts sleep is the platform's business.

use std::time::Duration;

// `now`: time since an arbitrary fixed point (boot, on the platforms above), counting sleep.
// Never goes back; only differences between readings mean anything.

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn now() -> Duration {
    from_timespec(rustix::time::clock_gettime(rustix::time::ClockId::Boottime))
}

#[cfg(any(target_os = "ios", target_os = "macos"))]
pub(crate) fn now() -> Duration {
    from_timespec(rustix::time::clock_gettime(
        rustix::time::ClockId::Monotonic,
    ))
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "ios",
    target_os = "macos"
)))]
pub(crate) fn now() -> Duration {
    use std::sync::OnceLock;
    use std::time::Instant;
    static FIRST: OnceLock<Instant> = OnceLock::new();
    FIRST.get_or_init(Instant::now).elapsed()
}

/// The kernel's id of this boot (`/proc/sys/kernel/random/boot_id`, a random UUID made at each
/// boot), read once. `None` where there is none or it cannot be read: retention then tells a
/// reboot only by the clock going back, which can only make ages shorter (`retention.rs`).
pub(crate) fn boot_id() -> Option<String> {
    use std::sync::OnceLock;
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(|| {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let text = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
            let id = text.trim();
            (id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
                .then(|| id.to_owned())
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        {
            None
        }
    })
    .clone()
}

/// A kernel timespec as a duration. Both fields are non-negative for these clocks; a negative one
/// (which the kernel never returns) reads as zero rather than panicking.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "ios",
    target_os = "macos"
))]
pub(super) fn from_timespec(t: rustix::time::Timespec) -> Duration {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(t.tv_nsec).unwrap_or(0).min(999_999_999);
    Duration::new(secs, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_goes_back() {
        let mut last = now();
        for _ in 0..10_000 {
            let next = now();
            assert!(next >= last, "{next:?} < {last:?}");
            last = next;
        }
    }

    #[test]
    fn the_session_clock_moves_with_time() {
        use crate::visit::{Clock, SystemClock};
        let clock = SystemClock::new();
        let before = clock.session();
        std::thread::sleep(Duration::from_millis(30));
        let after = clock.session();
        assert!(after.0 - before.0 >= 30, "{before:?} -> {after:?}");
    }

    /// The reading is `CLOCK_BOOTTIME`'s, read directly around it, and not the process's
    /// `CLOCK_MONOTONIC` when the two differ (they do once the machine has been suspended).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn reads_boottime_on_linux() {
        use rustix::time::{clock_gettime, ClockId};
        let boot = || from_timespec(clock_gettime(ClockId::Boottime));
        let before = boot();
        let ours = now();
        let after = boot();
        assert!(
            before <= ours && ours <= after,
            "{before:?} {ours:?} {after:?}"
        );
        assert!(after - before < Duration::from_millis(50));

        let monotonic = from_timespec(clock_gettime(ClockId::Monotonic));
        let slept = boot().saturating_sub(monotonic);
        if slept > Duration::from_secs(1) {
            // This machine has slept since boot: a monotonic reading would be `slept` behind.
            assert!(
                ours > monotonic + slept / 2,
                "{ours:?} vs monotonic {monotonic:?}"
            );
        }
    }
}
