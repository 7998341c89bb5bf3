//! Every code rule has `tests/fixtures/<code>/bad.rs`, which must trigger it
//! (diagnostics snapshotted in `tests/snapshots/rules__<code>.snap`), and
//! `tests/fixtures/<code>/good.rs`, which must not.

use std::path::Path;

use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_rules::{Engine, LintLevels};
use retry_check_scan::{
    all_code_rules, lint_scan, lint_scan_at_defaults, lints, scan_file_with, scan_manifest,
    scan_source, ScanOptions,
};
use retry_check_test_support::fixtures::Fixture;
use retry_check_test_support::rule_tests;

fn read_fixture(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Lint `fixtures/<code>/<kind>.rs` against `fixtures/contracts.toml` (the
/// contract the drift fixtures bind to), loaded first as contracts are.
fn lint_fixture(code: &str, fixture: Fixture) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let contract = "fixtures/contracts.toml";
    sources.add(contract, read_fixture(contract));
    let (set, errors) = retry_check_contract::load(&sources);
    assert!(errors.is_empty(), "{contract}: {errors:?}");
    let rel = format!("fixtures/{}/{}.rs", code.to_lowercase(), fixture.as_str());
    let id = sources.add(rel.clone(), read_fixture(&rel));
    // RC119 reports only what `--verbose` asks for.
    let options = ScanOptions {
        verbose: code == "RC119",
        ..ScanOptions::default()
    };
    let scan = scan_file_with(sources.path(id), sources.text(id), id, &options)
        .unwrap_or_else(|d| panic!("{}", d.message));
    let levels = LintLevels::new();
    let known = lints();
    let diags = lint_scan(&scan, Some(&set), &mut Engine::new(&levels, &known));
    (sources, diags)
}

rule_tests! {
    codes: all_code_rules().iter().map(|r| r.lint.code).collect(),
    lint: lint_fixture,
    registry: "CodeRule",
}

/// RC001 with the window derived from code: not a code rule of its own
/// (it is the contract rule's code and level), but it has fixtures too.
#[test]
fn rc001_from_code() {
    let (sources, diags) = lint_fixture("RC001", Fixture::Bad);
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "RC001").collect();
    assert_eq!(hits.len(), 1, "{diags:?}");
    let rendered: String = hits
        .iter()
        .map(|d| render::human(d, &sources, false) + "\n\n")
        .collect();
    insta::assert_snapshot!("rc001_from_code", rendered);
    let (_, diags) = lint_fixture("RC001", Fixture::Good);
    assert!(diags.iter().all(|d| d.code != "RC001"), "{diags:?}");
}

/// Drift reports unknown fields as unknown (info), never as a mismatch.
#[test]
fn rc109_unknown_multiplier_is_info_not_drift() {
    let (_, diags) = lint_fixture("RC109", Fixture::Good);
    let infos: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "RC109").collect();
    assert_eq!(infos.len(), 1, "{diags:?}");
    assert_eq!(infos[0].severity, retry_check_diagnostics::Severity::Info);
    assert!(
        infos[0].notes[0].contains("`backoff.multiplier` (factor)"),
        "{:?}",
        infos[0].notes
    );
}

/// RC107 on a Cargo.toml: the dependency's line, not only `use backoff::`.
#[test]
fn rc107_points_at_the_cargo_toml_dependency() {
    let lint = |kind: &str| {
        let rel = format!("fixtures/rc107/Cargo.toml.{kind}");
        let mut sources = SourceMap::new();
        let id = sources.add(rel.clone(), read_fixture(&rel));
        let scan = scan_manifest(sources.text(id), id);
        let diags = lint_scan_at_defaults(&scan);
        (sources, diags)
    };
    let (sources, diags) = lint("bad");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].code, "RC107");
    insta::assert_snapshot!(
        "rc107_cargo_toml",
        render::human(&diags[0], &sources, false)
    );
    assert!(lint("good").1.is_empty());
}

fn lint_text(text: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    let id = sources.add("inline.rs", text.to_string());
    let scan = scan_source(&sources, id).unwrap_or_else(|d| panic!("{}", d.message));
    lint_scan_at_defaults(&scan)
}

#[test]
fn trailing_suppression_covers_its_line_and_unknown_codes_are_reported() {
    let base = "fn f() { let p = backon::ExponentialBuilder::default().with_max_times(5); }";
    let codes = |d: &[Diagnostic]| d.iter().map(|d| d.code.clone()).collect::<Vec<_>>();
    assert_eq!(codes(&lint_text(base)), ["RC102"]);
    let allowed = format!("{base} // retry-check: allow(code-no-jitter) -- load is tiny");
    assert!(lint_text(&allowed).is_empty());
    let typo = format!("{base} // retry-check: allow(RC999)");
    let diags = lint_text(&typo);
    assert_eq!(codes(&diags), ["RC102", "RC108"]);
    assert_eq!(diags[1].message, "`allow` names unknown code rules: RC999");
}

/// RC119 is always `info`, which the shared runner ignores on good
/// fixtures: check its good fixture here, and that without `--verbose`
/// nothing is reported.
#[test]
fn rc119_only_for_loops_in_macros_and_only_with_verbose() {
    let (_, diags) = lint_fixture("RC119", Fixture::Good);
    assert!(diags.iter().all(|d| d.code != "RC119"), "{diags:?}");
    let mut sources = SourceMap::new();
    let id = sources.add("m.rs", read_fixture("fixtures/rc119/bad.rs"));
    let scan = scan_source(&sources, id).unwrap_or_else(|d| panic!("{}", d.message));
    assert!(scan.not_analysed.is_empty());
    let diags = lint_scan_at_defaults(&scan);
    assert!(diags.iter().all(|d| d.code != "RC119"), "{diags:?}");
}
