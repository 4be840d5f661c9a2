//! Parts of a scan handed from the threads that decode them to the one that puts them in place,
//! each as soon as it is done, so that putting overlaps decoding. Shared by the split at restart
//! markers (`mod.rs`) and the self-synchronising split (`sync.rs`).
//!
//! A mutex and condition variable, not a channel: a channel's blocking receive registers a
//! thread-local context that LeakSanitizer reported as a leak in a fuzzing run.

use std::sync::atomic::AtomicBool;
use std::sync::{Condvar, Mutex};

/// Parts `1..` of a scan (part 0 is the putting thread's own), each handed on once.
pub(super) struct Handoff<T> {
    /// Per part: `None` until handed on; then `Some(None)` if it cannot be used (its decoding
    /// gave up, or its thread stopped).
    slots: Mutex<Vec<Option<Option<T>>>>,
    ready: Condvar,
    /// Set when the putting thread is done or gives up: the others stop at their next part.
    pub(super) stop: AtomicBool,
}

impl<T> Handoff<T> {
    pub(super) fn new(parts: usize) -> Handoff<T> {
        Handoff {
            slots: Mutex::new((0..parts).map(|_| None).collect()),
            ready: Condvar::new(),
            stop: AtomicBool::new(false),
        }
    }

    /// Hands part `k` on.
    pub(super) fn put(&self, k: usize, part: Option<T>) {
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
pub(super) struct Unhanded<'h, T> {
    pub(super) handoff: &'h Handoff<T>,
    pub(super) group: std::ops::Range<usize>,
}

impl<T> Drop for Unhanded<'_, T> {
    fn drop(&mut self) {
        for k in self.group.clone() {
            self.handoff.put(k, None);
        }
    }
}
