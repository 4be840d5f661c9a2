//! Reads arbitrary bytes as a wristband scan. The body lives in
//! `wardcam_core::patient::fuzzing::patient_barcode` (it calls the plain public parser
//! `wardcam_core::patient::parse_scan`), which unit tests also run over random and mutated inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::patient::fuzzing::patient_barcode(data);
});
