//! The rule-fixture runner shared by the contract, code and storm rules.
//!
//! For every code of a registry, the caller's `lint` runs the rule's bad
//! fixture and its good one. The bad one must produce a diagnostic of that
//! code (all of them, rendered as `human`, are snapshotted as the code in
//! lower case); the good one must produce none (an `info` is not a
//! finding). Every rule is run and every failure reported, not just the
//! first.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use retry_check_diagnostics::{render, Diagnostic, Severity, SourceMap};

/// Which fixture of a rule to lint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// Must trigger the rule.
    Bad,
    /// Must not.
    Good,
}

impl Fixture {
    pub fn as_str(self) -> &'static str {
        match self {
            Fixture::Bad => "bad",
            Fixture::Good => "good",
        }
    }
}

/// Lints one fixture of a rule: its sources and the diagnostics.
pub type LintFixture<'a> = dyn Fn(&str, Fixture) -> (SourceMap, Vec<Diagnostic>) + 'a;

/// The diagnostics of `code` among `diags`, rendered as the snapshots hold
/// them (human, no colour, each followed by a blank line).
pub fn render_hits(code: &str, diags: &[Diagnostic], sources: &SourceMap) -> String {
    diags
        .iter()
        .filter(|d| d.code == code)
        .map(|d| render::human(d, sources, false) + "\n\n")
        .collect()
}

/// Run the fixtures of every code: `lint(code, fixture)` gives the
/// sources and diagnostics of one fixture, `snapshot(name, rendered)`
/// snapshots at the caller (see [`crate::fixture_tests!`]).
pub fn run(codes: &[&str], lint: &LintFixture<'_>, snapshot: &dyn Fn(&str, String)) {
    assert!(!codes.is_empty(), "no rule to test");
    let mut failures = Vec::new();
    for code in codes {
        let result = catch_unwind(AssertUnwindSafe(|| check(code, lint, snapshot)));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(panic) => failures.push(format!(
                "{code}: {}",
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("panicked")
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules fail their fixtures:\n{}",
        failures.len(),
        codes.len(),
        failures.join("\n\n")
    );
}

fn check(
    code: &str,
    lint: &LintFixture<'_>,
    snapshot: &dyn Fn(&str, String),
) -> Result<(), String> {
    let (sources, diags) = lint(code, Fixture::Bad);
    let rendered = render_hits(code, &diags, &sources);
    if rendered.is_empty() {
        return Err(format!("{code}: the bad fixture does not trigger the rule"));
    }
    snapshot(&code.to_lowercase(), rendered);
    let (sources, diags) = lint(code, Fixture::Good);
    let hits: Vec<String> = diags
        .iter()
        .filter(|d| d.code == code && d.severity != Severity::Info)
        .map(|d| render::human(d, &sources, false))
        .collect();
    if !hits.is_empty() {
        return Err(format!(
            "{code}: the good fixture triggers the rule:\n{}",
            hits.join("\n")
        ));
    }
    Ok(())
}

/// The files of `dir` ending in `.{ext}`, sorted, added to a new map under
/// their path relative to `base`.
pub fn read_dir(dir: &Path, ext: &str, base: &Path) -> SourceMap {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("missing fixture dir {}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()).unwrap_or_default())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no .{ext} in {}", dir.display());
    let mut sources = SourceMap::new();
    for p in entries {
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let shown = p.strip_prefix(base).unwrap_or(&p).display().to_string();
        sources.add(shown, text);
    }
    sources
}

/// `fixture_tests!(CODES, |code, fixture| -> (SourceMap, Vec<Diagnostic>))`:
/// [`run`] with insta snapshots taken in the calling test file (named
/// `<test file>__<code>.snap`, in its `snapshots/` directory).
#[macro_export]
macro_rules! fixture_tests {
    ($codes:expr, $lint:expr) => {
        $crate::fixtures::run($codes, &$lint, &|name: &str, rendered: String| {
            insta::assert_snapshot!(name, rendered);
        })
    };
}

/// The two tests every crate with a rule registry has: each rule against
/// its fixtures ([`fixture_tests!`]), and the registry against the rule
/// files ([`crate::registry::check`]).
///
/// ```text
/// rule_tests! {
///     codes: all_rules().iter().map(|r| r.lint.code).collect(),
///     lint: lint_fixture,
///     registry: "Rule",
/// }
/// ```
#[macro_export]
macro_rules! rule_tests {
    (codes: $codes:expr, lint: $lint:expr, registry: $rule_type:literal $(,)?) => {
        #[test]
        fn every_rule_fires_on_its_bad_fixture_only() {
            let codes: Vec<&str> = $codes;
            $crate::fixture_tests!(&codes, $lint);
        }

        #[test]
        fn registry_lists_every_rule_file() {
            $crate::registry::check(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), $rule_type);
        }
    };
}
