//! What the visit reads from the world: the time and the free storage. Both are traits so tests
//! can move the clock and fill the disk.

use std::fmt::Debug;
use std::path::Path;
use std::time::Duration;

use crate::session::Millis;
use crate::vault::Timestamp;

/// The two clocks the visit needs.
pub trait Clock: Send + Sync + Debug {
    /// A monotonic reading for the session (idle lock, PIN waits): never goes back.
    fn session(&self) -> Millis;
    /// The wall clock, for what is recorded (capture and consent times).
    fn wall(&self) -> Timestamp;
    /// Time since the device booted, counting sleep, and which boot: what retention measures ages
    /// on (`retention.rs`), since the user cannot wind it forward. The default knows no boot and
    /// counts from the session clock's start, which only ever makes ages shorter.
    fn boot(&self) -> BootReading {
        BootReading {
            boot_id: None,
            since_boot_ms: self.session().0,
        }
    }
}

/// A reading of the since-boot clock: which boot (when the platform says) and how long since it.
/// Only differences within one boot mean anything; across a reboot only the time since the new
/// boot is known to have passed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BootReading {
    /// The kernel's random id of this boot (Linux and Android), `None` where it cannot be read.
    pub boot_id: Option<String>,
    /// Milliseconds since boot, counting sleep.
    pub since_boot_ms: u64,
}

/// The system's clocks: milliseconds since the app started on a monotonic clock that counts the
/// time the device sleeps (`CLOCK_BOOTTIME` on Linux and Android, the continuous clock on iOS;
/// see `since_boot.rs`), so an idle lock falls due during sleep; and the wall clock.
#[derive(Debug)]
pub struct SystemClock {
    started: Duration,
}

impl SystemClock {
    /// Starts counting now.
    pub fn new() -> SystemClock {
        SystemClock {
            started: super::since_boot::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn session(&self) -> Millis {
        let elapsed = super::since_boot::now().saturating_sub(self.started);
        Millis(u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
    }
    fn wall(&self) -> Timestamp {
        Timestamp::now()
    }
    fn boot(&self) -> BootReading {
        let since = super::since_boot::now();
        BootReading {
            boot_id: super::since_boot::boot_id(),
            since_boot_ms: u64::try_from(since.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// How much space is free where the vault lives.
pub trait Storage: Send + Sync + Debug {
    /// Bytes available to the app in the file system holding `dir`, or `None` when it cannot be
    /// told (the capture then goes ahead: a failed write still leaves nothing half-written).
    fn available(&self, dir: &Path) -> Option<u64>;
}

/// The file system's own count (`statvfs`).
#[derive(Debug, Default)]
pub struct FileSystemStorage;

impl Storage for FileSystemStorage {
    #[cfg(unix)]
    fn available(&self, dir: &Path) -> Option<u64> {
        let stat = rustix::fs::statvfs(dir).ok()?;
        Some(stat.f_bavail.saturating_mul(stat.f_frsize))
    }
    #[cfg(not(unix))]
    fn available(&self, _dir: &Path) -> Option<u64> {
        None
    }
}

/// Space a capture of `photo_len` bytes needs before it starts: the sealed image and thumbnail,
/// room for a redacted copy beside them, and a reserve so the index and the rest of the phone can
/// still write.
pub fn space_needed(photo_len: usize) -> u64 {
    const RESERVE: u64 = 64 * 1024 * 1024;
    (photo_len as u64).saturating_mul(3).saturating_add(RESERVE)
}
