//! Decodes a JPEG's DC coefficients (and the blur estimate) looking up two AC codes at a time and
//! one at a time, and checks the results are identical, refusals included. The body lives in
//! `wardcam_core::intake::fuzzing::dc_pairs`, which unit tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::intake::fuzzing::dc_pairs(data);
});
