//! Reads arbitrary bytes as a provisioned endpoint configuration (JSON, PEM anchors, pins, client
//! certificate) and builds the pinned client from it. The body lives in
//! `wardcam_core::endpoint::fuzzing::endpoint_config`, which a unit test also runs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::endpoint::fuzzing::endpoint_config(data);
});
