//! The machine formats for CI and pull requests (SARIF, GitHub annotations),
//! the step summary, and where a report goes (`-o FILE` or stdout).

use std::path::{Path, PathBuf};

use retry_check_diagnostics::sarif::{self, RuleMeta, Tool};
use retry_check_diagnostics::{github, Diagnostic, Severity, SourceMap};

/// Where the SARIF `informationUri` points.
pub const INFORMATION_URI: &str = "https://example.invalid/retry-check";

/// The catalogue for SARIF and JUnit: every code the tool prints.
pub fn rule_catalogue() -> Vec<RuleMeta> {
    retry_check_catalog::sarif_rules()
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
