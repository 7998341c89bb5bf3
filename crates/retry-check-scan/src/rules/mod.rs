//! Code rules, one file per rule (RC101 and up).

use retry_check_contract::ContractSet;
use retry_check_diagnostics::{Diagnostic, Label, Severity, Span};
use retry_check_rules::{Group, Level};

use crate::FileScan;

mod rc101_unbounded_retries;
mod rc102_no_jitter;
mod rc103_no_delay_cap;
mod rc104_retry_every_error;
mod rc105_blocking_sleep_in_async_retry;
mod rc106_retry_unsafe_method_without_key;
mod rc107_unmaintained_retry_crate;
mod rc108_unused_code_suppression;
mod rc109_policy_drift;
mod rc110_immediate_retry;
mod rc119_retry_code_not_analysed;
mod window_rc001;

/// What a code rule looks at: one scanned file, and the contracts of the
/// run when there are any (drift, RC109; RC001 from code).
#[derive(Debug, Clone, Copy)]
pub struct CodeContext<'a> {
    pub scan: &'a FileScan,
    pub contracts: Option<&'a ContractSet>,
}

/// A rule over scanned Rust code.
#[derive(Debug)]
pub struct CodeRule {
    pub code: &'static str,
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    pub summary: &'static str,
    /// Markdown: What it does / Why it matters / Example / How to fix / Source.
    pub explain: &'static str,
    pub check: fn(&CodeContext<'_>, &mut Vec<CodeFinding>),
}

/// One instance of a code rule firing.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeFinding {
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Vec<String>,
    /// Reported at `info` whatever the rule's level (a rule at `allow`
    /// still drops it): something the scanner could not decide.
    pub info: bool,
}

impl CodeFinding {
    pub fn new(message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        CodeFinding {
            message: message.into(),
            primary: Label::new(span, label),
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
            info: false,
        }
    }
    pub fn info(mut self) -> Self {
        self.info = true;
        self
    }
    pub fn secondary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, label));
        self
    }
    pub fn note(mut self, n: impl Into<String>) -> Self {
        self.notes.push(n.into());
        self
    }
    pub fn help(mut self, h: impl Into<String>) -> Self {
        self.help.push(h.into());
        self
    }
}

static ALL: &[&CodeRule] = &[
    &rc101_unbounded_retries::RULE,
    &rc102_no_jitter::RULE,
    &rc103_no_delay_cap::RULE,
    &rc104_retry_every_error::RULE,
    &rc105_blocking_sleep_in_async_retry::RULE,
    &rc106_retry_unsafe_method_without_key::RULE,
    &rc107_unmaintained_retry_crate::RULE,
    &rc108_unused_code_suppression::RULE,
    &rc109_policy_drift::RULE,
    &rc110_immediate_retry::RULE,
    &rc119_retry_code_not_analysed::RULE,
];

/// Rules that run over code but belong to the contract catalogue (RC001:
/// a window derived from code against the server's key TTL). Not listed
/// by [`all_code_rules`]; their level is the contract rule's.
static BORROWED: &[&CodeRule] = &[&window_rc001::RULE];

impl CodeRule {
    /// Does a code or name written in an `allow(..)` comment mean this rule?
    pub fn is_named(&self, written: &str) -> bool {
        let w = written.trim();
        self.code.eq_ignore_ascii_case(w) || self.name == w.replace('-', "_")
    }
}

/// Every code rule, in code order.
pub fn all_code_rules() -> &'static [&'static CodeRule] {
    ALL
}

/// A code rule by code (any case) or name (`-` may stand for `_`).
pub fn find_code_rule(code_or_name: &str) -> Option<&'static CodeRule> {
    let s = code_or_name.trim();
    let n = s.replace('-', "_");
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(s) || r.name == n)
}

fn severity(level: Level) -> Option<Severity> {
    match level {
        Level::Allow => None,
        Level::Warn => Some(Severity::Warning),
        Level::Deny => Some(Severity::Error),
    }
}

/// [`lint_scan_with`] without contracts.
pub fn lint_scan(scan: &FileScan, level_of: impl Fn(&CodeRule) -> Level) -> Vec<Diagnostic> {
    lint_scan_with(scan, None, level_of)
}

/// Run every code rule at the level `level_of` gives it; findings of rules
/// at `allow` are dropped, findings covered by a
/// `// retry-check: allow(..)` comment are suppressed, and comments that
/// suppress nothing are reported (RC108). Output is sorted by position.
/// With `contracts`, policies bound to a contract client are compared with
/// it (RC109) and their windows with the servers' key TTLs (RC001).
pub fn lint_scan_with(
    scan: &FileScan,
    contracts: Option<&ContractSet>,
    level_of: impl Fn(&CodeRule) -> Level,
) -> Vec<Diagnostic> {
    let cx = CodeContext { scan, contracts };
    let mut out = Vec::new();
    let mut used = vec![false; scan.suppressions.len()];
    for rule in ALL.iter().chain(BORROWED) {
        let Some(severity) = severity(level_of(rule)) else {
            continue;
        };
        let mut findings = Vec::new();
        (rule.check)(&cx, &mut findings);
        for f in findings {
            let start = f.primary.span.range.start;
            let suppressed = scan.suppressions.iter().enumerate().find(|(_, s)| {
                s.covers.contains(&start) && s.codes.iter().any(|c| rule.is_named(c))
            });
            if let Some((i, _)) = suppressed {
                used[i] = true;
                continue;
            }
            let severity = if f.info { Severity::Info } else { severity };
            let mut d = Diagnostic::new(rule.code, rule.name, severity, f.message);
            d.primary = Some(f.primary);
            d.secondary = f.secondary;
            d.notes = f.notes;
            d.help = f.help;
            out.push(d);
        }
    }
    let unused_rule = &rc108_unused_code_suppression::RULE;
    if let Some(severity) = severity(level_of(unused_rule)) {
        for (s, used) in scan.suppressions.iter().zip(used) {
            if used {
                continue;
            }
            let unknown: Vec<&str> = s
                .codes
                .iter()
                .filter(|c| !ALL.iter().chain(BORROWED).any(|r| r.is_named(c)))
                .map(String::as_str)
                .collect();
            let message = if unknown.is_empty() {
                format!("`allow({})` suppresses nothing", s.codes.join(", "))
            } else {
                format!("`allow` names unknown code rules: {}", unknown.join(", "))
            };
            out.push(
                Diagnostic::new(unused_rule.code, unused_rule.name, severity, message)
                    .with_primary(s.span.clone(), "unused suppression")
                    .with_help("remove the comment, or move it onto the statement it is meant for"),
            );
        }
    }
    out.sort_by(Diagnostic::cmp_by_location);
    // Copies of one policy (a function's result used twice) report the
    // same finding at the same place once.
    out.dedup_by(|a, b| a.code == b.code && a.primary == b.primary && a.message == b.message);
    out
}
