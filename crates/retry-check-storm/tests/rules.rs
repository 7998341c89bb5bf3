//! The storm rules: `fixtures/<code>_bad.toml` triggers the rule (its
//! diagnostics are snapshotted), `fixtures/<code>_good.toml` does not.

use retry_check_contract::load;
use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_storm::{simulate, Scenario};

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

fn check(code: &str) {
    let lower = code.to_lowercase();
    let (sources, diags) = run(&format!("{lower}_bad.toml"));
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == code).collect();
    assert!(
        !hits.is_empty(),
        "{code}: the bad fixture does not trigger it"
    );
    let rendered: String = hits
        .iter()
        .map(|d| render::human(d, &sources, false) + "\n\n")
        .collect();
    insta::assert_snapshot!(lower.clone(), rendered);
    let (sources, diags) = run(&format!("{lower}_good.toml"));
    let hits: Vec<String> = diags
        .iter()
        .filter(|d| d.code == code)
        .map(|d| render::human(d, &sources, false))
        .collect();
    assert!(
        hits.is_empty(),
        "{code}: the good fixture triggers it:\n{}",
        hits.join("\n")
    );
}

#[test]
fn rc034_storm_overload() {
    check("RC034");
}

#[test]
fn rc035_retry_herd() {
    check("RC035");
}

#[test]
fn rc036_unbounded_storm_amplification() {
    check("RC036");
}

#[test]
fn every_simulated_rule_is_tested_here() {
    let tested = ["RC034", "RC035", "RC036"];
    assert_eq!(retry_check_rules::rules::SIMULATED, tested);
    for code in tested {
        assert!(retry_check_rules::find_rule(code).is_some());
    }
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
