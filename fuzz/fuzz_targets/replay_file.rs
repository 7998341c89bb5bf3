#![no_main]
//! `cargo fuzz run replay_file`: see `retry_check_tests::fuzz_targets::replay_file`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retry_check_tests::fuzz_targets::replay_file(data);
});
