//! The storm rules: `fixtures/<code>_bad.toml` triggers the rule (its
//! diagnostics are snapshotted), `fixtures/<code>_good.toml` does not.

use retry_check_contract::load;
use retry_check_diagnostics::{Diagnostic, SourceMap};
use retry_check_storm::{simulate, Scenario};
use retry_check_test_support::fixtures::Fixture;
use retry_check_test_support::rule_tests;

fn run(file: &str) -> (SourceMap, Vec<Diagnostic>) {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = SourceMap::new();
    sources.add(format!("fixtures/{file}"), text);
    let (set, errors) = load(&sources);
    assert!(errors.is_empty(), "{file}: {errors:?}");
    let scenario = Scenario {
        duration_ms: 90_000,
        ..Scenario::default()
    };
    let report = simulate(&set, &scenario).unwrap();
    (sources, report.diagnostics)
}

rule_tests! {
    codes: retry_check_storm::rules::ALL.iter().map(|r| r.lint.code).collect(),
    lint: |code: &str, fixture: Fixture| {
        run(&format!("{}_{}.toml", code.to_lowercase(), fixture.as_str()))
    },
    registry: "StormRule",
}

#[test]
fn an_allow_entry_silences_a_storm_rule() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/rc034_bad.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace(
        "max_load_factor = 2.0",
        "max_load_factor = 2.0\nallow = [\"storm_overload\"]",
    );
    let (set, errors) = retry_check_contract::load_str("t.toml", &text);
    assert!(errors.is_empty());
    let report = simulate(&set, &Scenario::default()).unwrap();
    assert!(report.diagnostics.iter().all(|d| d.code != "RC034"));
}
