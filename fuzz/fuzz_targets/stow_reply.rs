//! Reads arbitrary bytes as a STOW-RS response body (DICOM JSON). The body lives in
//! `wardcam_core::delivery::reply::fuzzing::stow_reply`, which unit tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::delivery::reply::fuzzing::stow_reply(data);
});
