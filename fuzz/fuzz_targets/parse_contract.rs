#![no_main]
//! `cargo fuzz run parse_contract`: see `retry_check_tests::fuzz_targets::parse_contract`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retry_check_tests::fuzz_targets::parse_contract(data);
});
