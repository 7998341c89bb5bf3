//! A whole report of a run in one of the output formats: the human,
//! short and JSON Lines reports with the run's closing summary, SARIF,
//! JUnit XML, GitHub annotations and the markdown report. Every command
//! renders through [`render`], so the formats mean the same everywhere.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::sarif::{self, RuleMeta, Tool};
use crate::{github, render, Diagnostic, Severity, SourceId, SourceMap};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Short,
    Json,
    Sarif,
    Github,
    Junit,
    Markdown,
}

impl Format {
    /// Every format with its name (`--format NAME`, `--output NAME=FILE`).
    pub const ALL: [(&'static str, Format); 7] = [
        ("human", Format::Human),
        ("short", Format::Short),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("github", Format::Github),
        ("junit", Format::Junit),
        ("markdown", Format::Markdown),
    ];

    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("human", |(n, _)| n)
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, f)| *f)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
                format!("unknown format `{s}` (one of {})", names.join(", "))
            })
    }
}

/// How a run ends its report: the summary line (human, short; after the
/// markdown report when `line_in_markdown`), the JSON summary object, and
/// the number of files the markdown summary counts.
#[derive(Debug, Clone)]
pub struct Closing {
    pub line: String,
    pub json: Value,
    pub files: usize,
    pub line_in_markdown: bool,
    /// Lines printed before the summary line (human, short, markdown):
    /// what a baseline no longer finds, for instance.
    pub details: Vec<String>,
    /// Whether `line` starts with the lint summary of the diagnostics
    /// (made by [`Closing::of`]), which [`Closing::recount`] redoes.
    counted: bool,
    /// The summaries appended by [`Closing::and`], in order.
    parts: Vec<(String, String, Value)>,
}

impl Closing {
    /// The lint summary of `diags` over `files` files (`checked N files:
    /// ...`, and its JSON object).
    pub fn of(diags: &[Diagnostic], files: usize) -> Closing {
        let s = render::Summary::of(diags, files);
        Closing {
            line: s.line(),
            json: s.json(),
            files,
            line_in_markdown: false,
            details: Vec::new(),
            counted: true,
            parts: Vec::new(),
        }
    }

    /// A job's own summary (`simulate`, `model`): `line` and `json` as
    /// given, the line also after the markdown report.
    pub fn custom(line: String, json: Value, files: usize) -> Closing {
        Closing {
            line,
            json,
            files,
            line_in_markdown: true,
            details: Vec::new(),
            counted: false,
            parts: Vec::new(),
        }
    }

    /// Append another job's summary: `; LINE` to the line, `key: json` to
    /// the JSON object.
    pub fn and(mut self, key: &str, line: &str, json: Value) -> Closing {
        self.line = format!("{}; {line}", self.line);
        if let Value::Object(map) = &mut self.json {
            map.insert(key.to_string(), json.clone());
        }
        self.parts.push((key.to_string(), line.to_string(), json));
        self
    }

    /// The same closing over other diagnostics (a baseline took some
    /// away): the lint summary counted again, the other parts kept.
    pub fn recount(self, diags: &[Diagnostic]) -> Closing {
        if !self.counted {
            return self;
        }
        let mut fresh = Closing::of(diags, self.files);
        fresh.line_in_markdown = self.line_in_markdown;
        fresh.details = self.details;
        for (key, line, json) in self.parts {
            fresh = fresh.and(&key, &line, json);
        }
        fresh
    }

    /// The summary line with the detail lines before it.
    fn text(&self) -> String {
        let mut out = String::new();
        for d in &self.details {
            out.push_str(d);
            out.push('\n');
        }
        out.push_str(&self.line);
        out.push('\n');
        out
    }
}

/// Everything about a report that is not its diagnostics.
pub struct Style<'a> {
    /// `## {title}` of the markdown report.
    pub title: &'a str,
    pub color: bool,
    /// Paths in SARIF, JUnit and GitHub annotations are relative to it.
    pub root: &'a Path,
    /// The directory shown paths are relative to.
    pub cwd: &'a Path,
    pub tool: &'a Tool,
    /// The rule catalogue for SARIF and JUnit.
    pub rules: &'a [RuleMeta],
}

/// The whole report of a run.
pub fn render(
    format: Format,
    diags: &[Diagnostic],
    sources: &SourceMap,
    closing: &Closing,
    style: &Style<'_>,
) -> String {
    let mut out = String::new();
    match format {
        Format::Human => {
            for d in diags {
                out.push_str(&render::human(d, sources, style.color));
                out.push_str("\n\n");
            }
            out.push_str(&closing.text());
        }
        Format::Short => {
            for d in diags {
                out.push_str(&render::short(d, sources));
                out.push('\n');
            }
            out.push_str(&closing.text());
        }
        Format::Json => {
            for d in diags {
                out.push_str(&render::json_value(d, sources).to_string());
                out.push('\n');
            }
            out.push_str(&closing.json.to_string());
            out.push('\n');
        }
        Format::Sarif => out = sarif_log(diags, sources, style),
        Format::Junit => out = junit(diags, sources, style),
        Format::Markdown => {
            out = github::markdown_report(style.title, diags, sources, closing.files);
            if closing.line_in_markdown || !closing.details.is_empty() {
                out.push('\n');
                out.push_str(&closing.text());
            }
        }
        Format::Github => {
            let paths = RepoPaths::new(style.root, style.cwd);
            out = github::annotations(diags, sources, &|p| paths.relative(p));
            out.push_str(&render(Format::Human, diags, sources, closing, style));
        }
    }
    out
}

/// Turns a path as shown to users (relative to the current directory, or
/// absolute) into one relative to the workspace root; unchanged when it
/// is outside the root.
pub struct RepoPaths {
    cwd: PathBuf,
    root: PathBuf,
}

impl RepoPaths {
    pub fn new(root: &Path, cwd: &Path) -> Self {
        RepoPaths {
            root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            cwd: cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf()),
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
fn sarif_log(diags: &[Diagnostic], sources: &SourceMap, style: &Style<'_>) -> String {
    let paths = RepoPaths::new(style.root, style.cwd);
    sarif::sarif_report(diags, sources, style.tool, style.rules, &|p| {
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
fn junit(diags: &[Diagnostic], sources: &SourceMap, style: &Style<'_>) -> String {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

    let paths = RepoPaths::new(style.root, style.cwd);
    let mut suites: Vec<(Option<SourceId>, String)> = sources
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
        for rule in style.rules {
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
