#![no_main]
//! `cargo fuzz run lint_sources`: see `retry_check_tests::fuzz_targets::lint_sources`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retry_check_tests::fuzz_targets::lint_sources(data);
});
