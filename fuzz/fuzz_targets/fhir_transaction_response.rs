//! Reads arbitrary bytes as a FHIR transaction-response Bundle, an OperationOutcome and a Binary.
//! The body lives in `wardcam_core::delivery::fhir::fuzzing::transaction_response`, which unit
//! tests also run.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::delivery::fhir::fuzzing::transaction_response(data);
});
