//! Turns arbitrary bytes as delivery turns a sealed JPEG upright in the DCT domain, for every
//! orientation. The body lives in `wardcam_core::delivery::dct_turn_fuzzing::dct_turn`, which a
//! unit test also runs over mutated JPEGs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    wardcam_core::delivery::dct_turn_fuzzing::dct_turn(data);
});
