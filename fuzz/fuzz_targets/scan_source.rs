#![no_main]
//! `cargo fuzz run scan_source`: see `retry_check_tests::fuzz_targets::scan_source`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retry_check_tests::fuzz_targets::scan_source(data);
});
