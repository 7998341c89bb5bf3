//! Every code rule has `tests/fixtures/<code>/bad.rs`, which must trigger it
//! (diagnostics snapshotted in `tests/snapshots/rules__<code>.snap`), and
//! `tests/fixtures/<code>/good.rs`, which must not.

use std::path::Path;

use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_scan::{all_code_rules, find_code_rule, lint_scan, scan_source};

fn lint_fixture(code: &str, kind: &str) -> (SourceMap, Vec<Diagnostic>) {
    let rel = format!("fixtures/{}/{kind}.rs", code.to_lowercase());
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(&rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut sources = SourceMap::new();
    let id = sources.add(rel, text);
    let scan = scan_source(&sources, id).unwrap_or_else(|d| panic!("{}", d.message));
    let diags = lint_scan(&scan, |r| r.default_level);
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

    let (sources, diags) = lint_fixture(code, "good");
    let hits: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == code).collect();
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
