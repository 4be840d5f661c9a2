//! Reads arbitrary bytes as a signed remote-wipe command (`WCW1:`) under a fixed test key, signs
//! them as an order's JSON, and damages a genuinely signed order with edits they choose. The body
//! lives in `wardcam_core::wipe::command::fuzzing::wipe_command`, which unit tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::wipe::command::fuzzing::wipe_command(data);
});
