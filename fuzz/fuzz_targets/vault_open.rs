//! Opens arbitrary bytes as a sealed vault blob (and seals them as a plaintext). The body lives in
//! `wardcam_core::vault::fuzzing::vault_open`, which a unit test also runs over random inputs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::vault::fuzzing::vault_open(data);
});
