//! Runs arbitrary bytes through image intake (probe, strip, thumbnail, quality, redaction). The body
//! lives in `wardcam_core::intake::fuzzing::intake`, which unit tests also run over random and
//! mutated JPEG/PNG inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::intake::fuzzing::intake(data);
});
