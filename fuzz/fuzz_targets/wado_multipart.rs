//! Splits a multipart/related WADO-RS body: the input's first line is the Content-Type, the rest
//! the body. The body lives in `wardcam_core::delivery::reply::fuzzing::wado_multipart`, which unit
//! tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::delivery::reply::fuzzing::wado_multipart(data);
});
