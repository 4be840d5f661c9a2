//! Reads arbitrary bytes as a DICOM Part-10 instance and takes its first encapsulated frame. The
//! body lives in `wardcam_core::delivery::reply::fuzzing::dicom_frame`, which unit tests also run.
//!
//! Here only (it needs a global allocator): no single allocation may be larger than the input
//! warrants, so a few bytes claiming a 4 GiB element cannot make the DICOM reader reserve it.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The largest single allocation (or reallocation) since the last reset.
static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, recording the largest request.
struct Largest;

// SAFETY: every call is passed through to `System` unchanged; only the size is recorded.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// Slack for fixed-size buffers (the reader's 8 KiB buffer, the dictionaries built on first use).
const SLACK: usize = 1 << 20;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    LARGEST.store(0, Ordering::Relaxed);
    wardcam_core::delivery::reply::fuzzing::dicom_frame(data);
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest <= 4 * data.len() + SLACK,
        "one allocation of {largest} bytes for {} input bytes",
        data.len()
    );
});
