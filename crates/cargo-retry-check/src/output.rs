//! The machine formats for CI and pull requests (SARIF, GitHub annotations),
//! the step summary, and where a report goes (`-o FILE` or stdout).

use std::path::{Path, PathBuf};

use retry_check_diagnostics::sarif::{self, RuleMeta, Tool};
use retry_check_diagnostics::{github, Diagnostic, Severity, SourceMap};
use retry_check_rules::Level;

use crate::catalog::{self, RuleInfo};

/// Where the SARIF `informationUri` points.
pub const INFORMATION_URI: &str = "https://example.invalid/retry-check";

/// The first section of an explain text without its heading: the rule's
/// full description.
fn what_it_does(explain: &str) -> String {
    let body = explain
        .split("\n## ")
        .next()
        .unwrap_or(explain)
        .trim_start_matches("## What it does")
        .trim();
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn rule_meta(rule: &RuleInfo) -> RuleMeta {
    RuleMeta {
        id: rule.code.to_string(),
        name: rule.name.to_string(),
        short_description: rule.summary.to_string(),
        full_description: what_it_does(rule.explain),
        help_markdown: rule.explain.to_string(),
        default_level: match rule.default_level {
            Level::Deny => Some(Severity::Error),
            Level::Warn => Some(Severity::Warning),
            Level::Allow => None,
        },
        tags: vec![rule.group.to_string(), "retry".to_string()],
    }
}

/// The catalogue for SARIF: every rule (contract and code rules), plus
/// `RC000` for invalid contracts and `RC100` for Rust files that do not parse.
pub fn rule_catalogue() -> Vec<RuleMeta> {
    let mut rules = vec![RuleMeta {
        id: "RC000".into(),
        name: "invalid_contract".into(),
        short_description: "a contract file is not valid TOML or not a valid contract".into(),
        full_description: "The contract parser reports syntax errors, unknown fields (with a \
                           \"did you mean\"), wrong types, invalid values and duplicate names. \
                           Rules do not run until every file is valid."
            .into(),
        help_markdown: "Fix the reported field or value; the message names it and suggests \
                        the closest valid spelling when there is one."
            .into(),
        default_level: Some(Severity::Error),
        tags: vec!["contract".into()],
    }];
    rules.extend(catalog::all().iter().map(rule_meta));
    let at = rules
        .iter()
        .position(|r| r.id.as_str() > "RC100")
        .unwrap_or(rules.len());
    rules.insert(
        at,
        RuleMeta {
            id: "RC100".into(),
            name: "unparsable_source".into(),
            short_description: "a Rust file could not be parsed; it was skipped".into(),
            full_description: "The scanner parses every Rust file with syn. A file that does \
                               not parse is reported at the error's line and column and \
                               skipped; the rest of the scan goes on."
                .into(),
            help_markdown: "Fix the syntax error (`cargo check` shows it too), or exclude the \
                            file with `scan-exclude` in [workspace.metadata.retry-check]."
                .into(),
            default_level: Some(Severity::Warning),
            tags: vec!["scan".into()],
        },
    );
    // The findings of the simulator and of the user's model tests that no
    // contract rule names (they sort after every rule).
    rules.push(RuleMeta {
        id: crate::simulate::SIMULATED_VIOLATION.0.into(),
        name: crate::simulate::SIMULATED_VIOLATION.1.into(),
        short_description: "a simulated or model-checked run broke an at-most-once property".into(),
        full_description: "The harness drove a store through duplicates, lost responses, \
                           crashes, restarts and clock jumps and found a run where a property \
                           (at most once, mismatch rejected, stale owner fenced, ...) breaks. \
                           The finding carries the shrunk timeline and its replay file."
            .into(),
        help_markdown: "Re-run the counterexample with `cargo retry-check replay FILE` (the \
                        replay file is named in the finding) and fix the store or the \
                        contract until it passes."
            .into(),
        default_level: Some(Severity::Error),
        tags: vec!["model".into()],
    });
    rules.push(RuleMeta {
        id: crate::model::MODEL_TEST_FAILED.0.into(),
        name: crate::model::MODEL_TEST_FAILED.1.into(),
        short_description: "a model test failed without a counterexample".into(),
        full_description: "A harness test run by `cargo retry-check model` failed for another \
                           reason than a counterexample (a panic, an assertion, a store error)."
            .into(),
        help_markdown: "Run the test with `cargo test` to see its output.".into(),
        default_level: Some(Severity::Error),
        tags: vec!["model".into()],
    });
    rules
}

/// Turns a path as shown to users (relative to the current directory, or
/// absolute) into one relative to the workspace root; unchanged when it
/// is outside the root.
pub struct RepoPaths {
    cwd: PathBuf,
    root: PathBuf,
}

impl RepoPaths {
    pub fn new(root: &Path) -> Self {
        let cwd = std::env::current_dir().unwrap_or_default();
        RepoPaths {
            root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            cwd: cwd.canonicalize().unwrap_or(cwd),
        }
    }

    pub fn relative(&self, shown: &str) -> String {
        let full = self.cwd.join(shown);
        let full = full.canonicalize().unwrap_or(full);
        match full.strip_prefix(&self.root) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => shown.replace('\\', "/"),
        }
    }
}

/// The SARIF log of a run.
pub fn sarif(diags: &[Diagnostic], sources: &SourceMap, root: &Path) -> String {
    let paths = RepoPaths::new(root);
    let tool = Tool {
        name: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        information_uri: INFORMATION_URI.to_string(),
    };
    sarif::sarif_report(diags, sources, &tool, &rule_catalogue(), &|p| {
        paths.relative(p)
    })
}

/// JUnit XML: one `<testsuite>` per file, one `<testcase>` per rule that
/// applies to it (contract rules to contracts, code rules to Rust files
/// and Cargo.toml, and any rule that fired there; `RC000` is a contract's
/// validity). A rule with an error-level finding
/// in the file fails, with the rule code as the failure type and every
/// finding (`file:line:col: level[code]: message`) as its text; warnings and
/// notes leave the case passing and appear in its `system-out`. Findings
/// without a file go to a suite named `retry-check`.
pub fn junit(diags: &[Diagnostic], sources: &SourceMap, root: &Path) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    use retry_check_diagnostics::render;

    let paths = RepoPaths::new(root);
    let catalogue = rule_catalogue();
    let mut suites: Vec<(Option<retry_check_diagnostics::SourceId>, String)> = sources
        .files()
        .map(|(id, f)| (Some(id), paths.relative(&f.path)))
        .collect();
    if diags.iter().any(|d| d.primary.is_none()) {
        suites.push((None, "retry-check".to_string()));
    }
    let mut report = Report::new("cargo-retry-check");
    for (id, name) in suites {
        let mut suite = TestSuite::new(name.as_str());
        // Contract files get the contract rules, Rust files and Cargo.toml
        // the code rules (RC100 and up); any rule that fired is listed.
        let code_file = name.ends_with(".rs") || name.ends_with("Cargo.toml");
        for rule in &catalogue {
            let found: Vec<&Diagnostic> = diags
                .iter()
                .filter(|d| d.code == rule.id && d.primary.as_ref().map(|p| p.span.source) == id)
                .collect();
            let applies = id.is_none() || (rule.id.as_str() >= "RC100") == code_file;
            if !applies && found.is_empty() {
                continue;
            }
            let lines: Vec<String> = found.iter().map(|d| render::short(d, sources)).collect();
            let status = match found.iter().find(|d| d.severity == Severity::Error) {
                Some(first) => {
                    let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    st.set_message(first.message.as_str())
                        .set_type(rule.id.as_str())
                        .set_description(lines.join("\n"));
                    st
                }
                None => TestCaseStatus::success(),
            };
            let mut case = TestCase::new(format!("{} {}", rule.id, rule.name), status);
            case.set_classname(name.as_str());
            if !found.iter().any(|d| d.severity == Severity::Error) && !lines.is_empty() {
                case.set_system_out(lines.join("\n"));
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    let mut out = report
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot write JUnit XML: {e} -->"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// GitHub workflow-command annotations, one line per diagnostic.
pub fn github_annotations(diags: &[Diagnostic], sources: &SourceMap, root: &Path) -> String {
    let paths = RepoPaths::new(root);
    github::annotations(diags, sources, &|p| paths.relative(p))
}

/// With `--format github` and `$GITHUB_STEP_SUMMARY` set, append a markdown
/// summary of the run to that file.
pub fn step_summary(title: &str, diags: &[Diagnostic], files: usize) -> Result<(), String> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    use std::io::Write;
    let path = PathBuf::from(path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open GITHUB_STEP_SUMMARY `{}`: {e}", path.display()))?;
    let text = format!("\n{}", github::markdown_summary(title, diags, files));
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write GITHUB_STEP_SUMMARY `{}`: {e}", path.display()))
}

/// Send a report where it goes: to `output` (then the summary line to
/// stderr, so the terminal still says what happened) or to stdout.
pub fn deliver(report: &str, summary: &str, output: Option<&Path>) -> Result<(), String> {
    match output {
        Some(path) => {
            std::fs::write(path, report)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            eprintln!("{summary}");
            eprintln!("wrote the report to `{}`", path.display());
            Ok(())
        }
        None => {
            crate::lint::print_stdout(report);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_description_is_the_first_section() {
        let rc001 = rule_catalogue()
            .into_iter()
            .find(|r| r.id == "RC001")
            .unwrap();
        assert!(rc001
            .full_description
            .starts_with("Compares each keyed server's `key_ttl`"));
        assert!(!rc001.full_description.contains('\n'));
        assert!(!rc001.full_description.contains("Why it matters"));
        assert!(rc001.help_markdown.contains("## How to fix"));
        assert_eq!(rc001.default_level, Some(Severity::Error));
    }

    #[test]
    fn catalogue_has_every_rule_once() {
        let rules = rule_catalogue();
        // The catalogue's rules, plus RC000, RC100, RC900 and RC901.
        assert_eq!(rules.len(), catalog::all().len() + 4);
        for code in [
            "RC000", "RC001", "RC100", "RC101", "RC109", "RC900", "RC901",
        ] {
            assert!(rules.iter().any(|r| r.id == code), "{code} is missing");
        }
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rules.len());
    }
}
