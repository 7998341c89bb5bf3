#![no_main]
//! `cargo fuzz run lint_contracts`: see `retry_check_tests::fuzz_targets::lint_contracts`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    retry_check_tests::fuzz_targets::lint_contracts(data);
});
