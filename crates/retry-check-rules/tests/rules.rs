//! Every rule has `tests/fixtures/<code>/bad/*.toml`, which must trigger it,
//! and `tests/fixtures/<code>/good/*.toml`, which must not. The diagnostics
//! of the bad fixture are snapshotted (`tests/snapshots/rules__<code>.snap`).

use std::path::Path;

use retry_check_contract::load;
use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_rules::{all_rules, find_rule, lint, Level, LevelSource, LintLevels, Selector};
use retry_check_test_support::fixtures::{read_dir, Fixture};
use retry_check_test_support::rule_tests;

/// Lint a fixture with `code` enabled (at warn if it is allow by default).
fn lint_fixture(code: &str, fixture: Fixture) -> (SourceMap, Vec<Diagnostic>) {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let dir = base
        .join("fixtures")
        .join(code.to_lowercase())
        .join(fixture.as_str());
    let sources = read_dir(&dir, "toml", &base);
    let (set, errors) = load(&sources);
    assert!(
        errors.is_empty(),
        "fixture {code}/{} does not parse:\n{}",
        fixture.as_str(),
        render::human_report(&errors, &sources, 1, false)
    );
    let rule = find_rule(code).unwrap();
    let mut levels = LintLevels::new();
    if rule.lint.default_level == Level::Allow {
        levels.set(
            Selector::Rule(rule.lint.code),
            Level::Warn,
            LevelSource::CommandLine("-W".into()),
        );
    }
    let diags = lint(&set, &levels);
    (sources, diags)
}

rule_tests! {
    codes: all_rules().iter().map(|r| r.lint.code).collect(),
    lint: lint_fixture,
    registry: "Rule",
}
