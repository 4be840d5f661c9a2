//! Reads arbitrary bytes as an HTTP date (`Date`, `Retry-After`) and writes a moment they choose
//! as one. The body lives in `wardcam_core::endpoint::fuzzing::http_date`, which unit tests also
//! run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::endpoint::fuzzing::http_date(data);
});
