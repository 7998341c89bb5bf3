//! Every code rule has `tests/fixtures/<code>/bad.rs`, which must trigger it
//! (diagnostics snapshotted in `tests/snapshots/rules__<code>.snap`), and
//! `tests/fixtures/<code>/good.rs`, which must not.

use std::path::Path;

use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_scan::{
    all_code_rules, find_code_rule, lint_scan, lint_scan_with, scan_file_with, scan_manifest,
    scan_source, ScanOptions,
};

fn read_fixture(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Lint `fixtures/<code>/<kind>.rs` against `fixtures/contracts.toml` (the
/// contract the drift fixtures bind to), loaded first as contracts are.
fn lint_fixture(code: &str, kind: &str) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let contract = "fixtures/contracts.toml";
    sources.add(contract, read_fixture(contract));
    let (set, errors) = retry_check_contract::load(&sources);
    assert!(errors.is_empty(), "{contract}: {errors:?}");
    let rel = format!("fixtures/{}/{kind}.rs", code.to_lowercase());
    let id = sources.add(rel.clone(), read_fixture(&rel));
    // RC119 reports only what `--verbose` asks for.
    let options = ScanOptions {
        verbose: code == "RC119",
        ..ScanOptions::default()
    };
    let scan = scan_file_with(sources.path(id), sources.text(id), id, &options)
        .unwrap_or_else(|d| panic!("{}", d.message));
    let diags = lint_scan_with(&scan, Some(&set), |r| r.default_level);
    (sources, diags)
}

fn check_rule(code: &str) {
    assert!(find_code_rule(code).is_some(), "{code} is not registered");
    let (sources, diags) = lint_fixture(code, "bad");
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == code).collect();
    assert!(
        !hits.is_empty(),
        "{code}: the bad fixture does not trigger the rule"
    );
    let rendered: String = hits
        .iter()
        .map(|d| render::human(d, &sources, false) + "\n\n")
        .collect();
    insta::assert_snapshot!(code.to_lowercase(), rendered);

    // `info` (something the scanner could not decide) is not a finding.
    let (sources, diags) = lint_fixture(code, "good");
    let hits: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| {
            // RC119 only ever reports at `info`: for it, info counts.
            d.code == code
                && (d.severity != retry_check_diagnostics::Severity::Info || code == "RC119")
        })
        .collect();
    assert!(
        hits.is_empty(),
        "{code}: the good fixture triggers the rule:\n{}",
        hits.iter()
            .map(|d| render::human(d, &sources, false))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

macro_rules! rule_tests {
    ($($name:ident => $code:literal),* $(,)?) => {
        $(#[test] fn $name() { check_rule($code); })*

        #[test]
        fn every_code_rule_has_a_fixture_test() {
            let tested = [$($code),*];
            for rule in all_code_rules() {
                assert!(tested.contains(&rule.code), "{} has no fixture test", rule.code);
            }
        }
    };
}

rule_tests! {
    rc101 => "RC101", rc102 => "RC102", rc103 => "RC103", rc104 => "RC104",
    rc105 => "RC105", rc106 => "RC106", rc107 => "RC107", rc108 => "RC108",
    rc109 => "RC109", rc110 => "RC110", rc119 => "RC119",
}

/// Without `--verbose`, code that was not analysed is not reported.
#[test]
fn rc119_needs_verbose() {
    let mut sources = SourceMap::new();
    let id = sources.add("m.rs", read_fixture("fixtures/rc119/bad.rs"));
    let scan = scan_source(&sources, id).unwrap_or_else(|d| panic!("{}", d.message));
    assert!(scan.not_analysed.is_empty());
    let diags = lint_scan(&scan, |r| r.default_level);
    assert!(diags.iter().all(|d| d.code != "RC119"), "{diags:?}");
}

/// RC001 with the window derived from code: not a code rule of its own
/// (it is the contract rule's code and level), but it has fixtures too.
#[test]
fn rc001_from_code() {
    let (sources, diags) = lint_fixture("RC001", "bad");
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == "RC001").collect();
    assert_eq!(hits.len(), 1, "{diags:?}");
    let rendered: String = hits
        .iter()
        .map(|d| render::human(d, &sources, false) + "\n\n")
        .collect();
    insta::assert_snapshot!("rc001_from_code", rendered);
    let (_, diags) = lint_fixture("RC001", "good");
    assert!(diags.iter().all(|d| d.code != "RC001"), "{diags:?}");
}

/// Drift reports unknown fields as unknown (info), never as a mismatch.
#[test]
fn rc109_unknown_multiplier_is_info_not_drift() {
    let (_, diags) = lint_fixture("RC109", "good");
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
        let diags = lint_scan(&scan, |r| r.default_level);
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

#[test]
fn explain_texts_have_every_section() {
    for rule in all_code_rules() {
        for heading in [
            "## What it does",
            "## Why it matters",
            "## Example",
            "## How to fix",
            "## Source",
        ] {
            assert!(
                rule.explain.contains(heading),
                "{}: explain lacks `{heading}`",
                rule.code
            );
        }
    }
}

#[test]
fn codes_do_not_collide_with_contract_rules() {
    for rule in all_code_rules() {
        assert!(
            retry_check_rules::find_rule(rule.code).is_none(),
            "{} is taken",
            rule.code
        );
        assert!(
            retry_check_rules::find_rule(rule.name).is_none(),
            "{} is taken",
            rule.name
        );
    }
}

fn lint_text(text: &str) -> Vec<Diagnostic> {
    let mut sources = SourceMap::new();
    let id = sources.add("inline.rs", text.to_string());
    let scan = scan_source(&sources, id).unwrap_or_else(|d| panic!("{}", d.message));
    lint_scan(&scan, |r| r.default_level)
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
