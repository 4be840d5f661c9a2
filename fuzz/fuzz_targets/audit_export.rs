//! Reads arbitrary bytes as an exported audit log and verifies its chain, as
//! `wardcam-admin audit verify` does. The body lives in `wardcam_core::audit::fuzzing::audit_export`,
//! which unit tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::audit::fuzzing::audit_export(data);
});
