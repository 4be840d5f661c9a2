//! Decodes a JPEG's DC coefficients (and the blur estimate) split on 2 to 8 threads (at restart
//! markers, or without them where the codes fall into step) and on one, and checks the results
//! are identical, refusals included. The body lives in
//! `wardcam_core::intake::fuzzing::dc_split`, which unit tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::intake::fuzzing::dc_split(data);
});
