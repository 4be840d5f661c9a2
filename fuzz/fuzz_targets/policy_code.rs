//! Reads arbitrary bytes as the trust's policy arrives on a phone: the body lives in
//! `wardcam_core::policy::fuzzing::provisioning_code`, which a unit test also runs over damaged inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::policy::fuzzing::provisioning_code(data);
});
