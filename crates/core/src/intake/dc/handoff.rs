//! Parts of a scan handed from the threads that decode them to the one that puts them in place,
//! each as soon as it is done, so that putting overlaps decoding. Shared by the split at restart
//! markers (`mod.rs`) and the self-synchronising split (`sync.rs`).
//!
//! A mutex and condition variable, not a channel: a channel's blocking receive registers a
//! thread-local context that LeakSanitizer reported as a leak in a fuzzing run.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

/// Decodes the parts of each of `groups` on a thread of its own (`decode(k)` for part `k`, in
/// order, each handed on as soon as it is done; `None` hands it on as unusable), while `put`
/// runs on this thread and takes them. When `put` returns, the threads stop at their next part and
/// are joined; its result is returned.
pub(super) fn run<T: Send, R>(
    parts: usize,
    groups: &[Range<usize>],
    decode: impl Fn(usize) -> Option<T> + Sync,
    put: impl FnOnce(&Handoff<T>) -> R,
) -> R {
    let handoff = Handoff::new(parts);
    let (handoff, decode) = (&handoff, &decode);
    std::thread::scope(|s| {
        let workers: Vec<_> = groups
            .iter()
            .map(|group| {
                let group = group.clone();
                s.spawn(move || {
                    let mut done = Unhanded {
                        handoff,
                        group: group.clone(),
                    };
                    for k in group {
                        if handoff.stop.load(Ordering::Relaxed) {
                            break;
                        }
                        handoff.put(k, decode(k));
                        done.group.start = k + 1;
                    }
                })
            })
            .collect();
        let result = put(handoff);
        handoff.stop.store(true, Ordering::Relaxed);
        // Joined, not left to the scope: the scope waits only for the threads' closures, and a
        // thread still exiting (running its thread-local destructors) when intake returns is
        // what LeakSanitizer then reports as a leak. A panic carries on here.
        for w in workers {
            w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        result
    })
}

/// Parts `1..` of a scan (part 0 is the putting thread's own), each handed on once.
pub(super) struct Handoff<T> {
    /// Per part: `None` until handed on; then `Some(None)` if it cannot be used (its decoding
    /// gave up, or its thread stopped).
    slots: Mutex<Vec<Option<Option<T>>>>,
    ready: Condvar,
    /// Set when the putting thread is done or gives up: the others stop at their next part.
    stop: AtomicBool,
}

impl<T> Handoff<T> {
    fn new(parts: usize) -> Handoff<T> {
        Handoff {
            slots: Mutex::new((0..parts).map(|_| None).collect()),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// Hands part `k` on.
    fn put(&self, k: usize, part: Option<T>) {
        // A poisoned lock only means another thread panicked, which its join carries on.
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get_mut(k) {
            *slot = Some(part);
        }
        self.ready.notify_all();
    }

    /// Waits for part `k`; `None` if it cannot be used.
    pub(super) fn take(&self, k: usize) -> Option<T> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            match slots.get_mut(k) {
                Some(slot @ Some(_)) => return slot.take().flatten(),
                Some(None) => {
                    slots = self.ready.wait(slots).unwrap_or_else(|p| p.into_inner());
                }
                None => return None,
            }
        }
    }
}

/// The parts a thread has not handed on, handed on as unusable when it ends (early, or by a
/// panic), so the putting thread never waits for them.
struct Unhanded<'h, T> {
    handoff: &'h Handoff<T>,
    group: Range<usize>,
}

impl<T> Drop for Unhanded<'_, T> {
    fn drop(&mut self) {
        for k in self.group.clone() {
            self.handoff.put(k, None);
        }
    }
}
