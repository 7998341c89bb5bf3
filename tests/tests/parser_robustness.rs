//! The contract parser never panics: arbitrary bytes, arbitrary text, and
//! every single-character mutation of a valid contract either parse or give
//! located errors.

use proptest::prelude::*;
use retry_check_contract::{load, parse::decode};
use retry_check_diagnostics::SourceMap;
use retry_check_rules::{lint, LintLevels};

const PAYMENTS: &str = include_str!("../../contracts/payments.toml");

/// Parse, and lint when valid; every error must have a location.
fn parse_and_lint(bytes: &[u8]) {
    let mut sources = SourceMap::new();
    let (_, utf8_error) = decode("fuzz.toml", bytes, &mut sources);
    if utf8_error.is_some() {
        return;
    }
    let (set, errors) = load(&sources);
    for e in &errors {
        assert!(e.primary.is_some(), "error without a location: {e:?}");
    }
    if errors.is_empty() {
        let _ = lint(&set, &LintLevels::new());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        parse_and_lint(&bytes);
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,300}") {
        parse_and_lint(text.as_bytes());
    }

    #[test]
    fn single_character_mutation(pos in 0usize..PAYMENTS.len(), c in proptest::char::any()) {
        let mut chars: Vec<char> = PAYMENTS.chars().collect();
        let i = pos % chars.len();
        chars[i] = c;
        let mutated: String = chars.into_iter().collect();
        parse_and_lint(mutated.as_bytes());
    }
}

#[test]
fn huge_numbers_and_deep_nesting_are_errors() {
    for text in [
        "version = 1\n[client.a]\nmax_attempts = 99999999999999999999999\n",
        "version = 1\n[client.a]\ndeadline = \"99999999999999999999d\"\n",
        "version = 1\n[client.a]\nbackoff = { multiplier = 1e400 }\n",
        &format!(
            "version = 1\nx = {}1{}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        ),
        "version = 99999999999999999999\n",
    ] {
        let mut sources = SourceMap::new();
        sources.add("t.toml", text);
        let (_, errors) = load(&sources);
        assert!(!errors.is_empty(), "accepted: {text:.80}");
    }
}
