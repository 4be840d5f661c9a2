//! Reads arbitrary bytes as a FHIR Bundle of the trust record's AuditEvents, as
//! `wardcam-admin audit verify` does with a search result. The body lives in
//! `wardcam_core::audit::fuzzing::audit_record_bundle`, which unit tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::audit::fuzzing::audit_record_bundle(data);
});
