//! Every rule has `tests/fixtures/<code>/bad/*.toml`, which must trigger it,
//! and `tests/fixtures/<code>/good/*.toml`, which must not. The diagnostics
//! of the bad fixture are snapshotted (`tests/snapshots/rules__<code>.snap`).

use std::path::Path;

use retry_check_contract::load;
use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_rules::{all_rules, find_rule, lint, Level, LevelSource, LintLevels, Selector};

fn read_fixture(dir: &Path) -> SourceMap {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("missing fixture dir {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no .toml in {}", dir.display());
    let mut sources = SourceMap::new();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for p in entries {
        let text = std::fs::read_to_string(&p).unwrap();
        let shown = p.strip_prefix(&base).unwrap().display().to_string();
        sources.add(shown, text);
    }
    sources
}

/// Lint a fixture with `code` enabled (at warn if it is allow by default).
fn lint_fixture(code: &str, kind: &str) -> (SourceMap, Vec<Diagnostic>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(code.to_lowercase())
        .join(kind);
    let sources = read_fixture(&dir);
    let (set, errors) = load(&sources);
    assert!(
        errors.is_empty(),
        "fixture {code}/{kind} does not parse:\n{}",
        render::human_report(&errors, &sources, 1, false)
    );
    let rule = find_rule(code).unwrap();
    let mut levels = LintLevels::new();
    if rule.default_level == Level::Allow {
        levels.set(
            Selector::Rule(rule.code),
            Level::Warn,
            LevelSource::CommandLine("-W".into()),
        );
    }
    let diags = lint(&set, &levels);
    (sources, diags)
}

fn check_rule(code: &str) {
    let (sources, diags) = lint_fixture(code, "bad");
    let hits: Vec<Diagnostic> = diags.into_iter().filter(|d| d.code == code).collect();
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
        fn every_rule_has_a_fixture_test() {
            let tested = [$($code),*];
            for rule in all_rules() {
                if retry_check_rules::rules::SIMULATED.contains(&rule.code) {
                    // Reported by the storm simulation; fixtures and
                    // snapshots in crates/retry-check-storm/tests.
                    continue;
                }
                assert!(tested.contains(&rule.code), "{} has no fixture test", rule.code);
            }
        }
    };
}

rule_tests! {
    rc001 => "RC001", rc002 => "RC002", rc003 => "RC003", rc004 => "RC004",
    rc005 => "RC005", rc006 => "RC006", rc007 => "RC007", rc008 => "RC008",
    rc009 => "RC009", rc010 => "RC010", rc011 => "RC011", rc012 => "RC012",
    rc013 => "RC013", rc014 => "RC014", rc015 => "RC015", rc016 => "RC016",
    rc017 => "RC017", rc018 => "RC018", rc019 => "RC019", rc020 => "RC020",
    rc021 => "RC021", rc022 => "RC022", rc023 => "RC023", rc024 => "RC024",
    rc025 => "RC025", rc026 => "RC026", rc027 => "RC027", rc028 => "RC028",
    rc029 => "RC029", rc030 => "RC030", rc031 => "RC031", rc032 => "RC032",
    rc033 => "RC033", rc099 => "RC099",
}

#[test]
fn explain_texts_have_every_section() {
    for rule in all_rules() {
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
        assert!(
            !rule.summary.is_empty() && rule.summary != "TODO",
            "{}: no summary",
            rule.code
        );
        assert_eq!(
            rule.default_level,
            rule.group.default_level(),
            "{}: level differs from its group",
            rule.code
        );
    }
}

#[test]
fn codes_and_names_are_unique() {
    let rules = all_rules();
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            assert_ne!(a.code, b.code);
            assert_ne!(a.name, b.name);
        }
    }
}

#[test]
fn simulated_rules_never_fire_in_lint() {
    for code in retry_check_rules::rules::SIMULATED {
        let rule = find_rule(code).unwrap();
        assert!(rule.explain.contains("cargo retry-check storm"), "{code}");
        for dir in ["rc012", "rc019", "rc032"] {
            let (_, diags) = lint_fixture(&dir.to_uppercase(), "bad");
            assert!(diags.iter().all(|d| d.code != *code));
        }
    }
}
