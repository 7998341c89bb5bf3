#![no_main]
//! `cargo fuzz run import_source`: see `retry_check_tests::fuzz_targets::import_source`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retry_check_tests::fuzz_targets::import_source(data);
});
