//! Code rules, one file per rule (`rcNNN_<name>.rs`, RC101 and up, each a
//! `pub static RULE: CodeRule`). The registry below is generated from the
//! files of this directory: `cargo test` rewrites it when a file is added
//! or removed (`registry_lists_every_rule_file`). `window_rc001.rs` is
//! RC001 over a window derived from code, with RC001's own declaration.

use retry_check_contract::ContractSet;
use retry_check_diagnostics::Diagnostic;
use retry_check_rules::{Engine, Finding, Job, Lint, Suppressions};

use crate::{FileScan, Suppression};

// @generated registry: begin
pub mod rc101_unbounded_retries;
pub mod rc102_no_jitter;
pub mod rc103_no_delay_cap;
pub mod rc104_retry_every_error;
pub mod rc105_blocking_sleep_in_async_retry;
pub mod rc106_retry_unsafe_method_without_key;
pub mod rc107_unmaintained_retry_crate;
pub mod rc108_unused_code_suppression;
pub mod rc109_policy_drift;
pub mod rc110_immediate_retry;
pub mod rc119_retry_code_not_analysed;

/// Every rule, in code order.
pub static ALL: &[&CodeRule] = &[
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
// @generated registry: end
mod window_rc001;

/// What a code rule looks at: one scanned file, and the contracts of the
/// run when there are any (drift, RC109; RC001 from code).
#[derive(Debug, Clone, Copy)]
pub struct CodeContext<'a> {
    pub scan: &'a FileScan,
    pub contracts: Option<&'a ContractSet>,
}

/// A rule over scanned Rust code: its declaration and its check.
#[derive(Debug)]
pub struct CodeRule {
    pub lint: &'static Lint,
    pub check: fn(&CodeContext<'_>, &mut Vec<Finding>),
}

/// Rules that run over code but belong to the contract catalogue (RC001:
/// a window derived from code against the server's key TTL, with RC001's
/// own declaration). Not listed by [`all_code_rules`].
static BORROWED: &[&CodeRule] = &[&window_rc001::RULE];

/// Every code rule, in code order.
pub fn all_code_rules() -> &'static [&'static CodeRule] {
    ALL
}

/// The declarations of the scanner: RC100 and the code rules, in code order.
pub fn lints() -> Vec<&'static Lint> {
    std::iter::once(&crate::UNPARSABLE_SOURCE)
        .chain(ALL.iter().map(|r| r.lint))
        .collect()
}

/// The `// retry-check: allow(..)` comments of one file, and which of them
/// suppressed something.
struct CommentAllows<'a> {
    comments: &'a [Suppression],
    used: Vec<bool>,
}

impl Suppressions for CommentAllows<'_> {
    fn suppresses(&mut self, lint: &Lint, finding: &Finding) -> bool {
        let start = finding.primary.span.range.start;
        let hit = self
            .comments
            .iter()
            .position(|s| s.covers.contains(&start) && s.codes.iter().any(|c| lint.is_named(c)));
        if let Some(i) = hit {
            self.used[i] = true;
        }
        hit.is_some()
    }
}

/// Run every code rule over one file through `engine` (levels,
/// `warnings`); findings covered by a `// retry-check: allow(..)` comment
/// are suppressed, and comments that suppress nothing are reported (RC108).
/// Output is sorted by position. With `contracts`, policies bound to a
/// contract client are compared with it (RC109) and their windows with the
/// servers' key TTLs (RC001).
pub fn lint_scan(
    scan: &FileScan,
    contracts: Option<&ContractSet>,
    engine: &mut Engine<'_>,
) -> Vec<Diagnostic> {
    engine.ran(Job::Scan);
    let cx = CodeContext { scan, contracts };
    let mut allows = CommentAllows {
        comments: &scan.suppressions,
        used: vec![false; scan.suppressions.len()],
    };
    let mut out = Vec::new();
    for rule in ALL.iter().chain(BORROWED) {
        if !engine.is_enabled(rule.lint) {
            continue;
        }
        let mut findings = Vec::new();
        (rule.check)(&cx, &mut findings);
        for f in findings {
            out.extend(engine.report_unless(rule.lint, f, &mut allows));
        }
    }
    let unused = rc108_unused_code_suppression::RULE.lint;
    for (s, used) in scan.suppressions.iter().zip(allows.used) {
        if used {
            continue;
        }
        let unknown: Vec<&str> = s
            .codes
            .iter()
            .filter(|c| !ALL.iter().chain(BORROWED).any(|r| r.lint.is_named(c)))
            .map(String::as_str)
            .collect();
        let message = if unknown.is_empty() {
            format!("`allow({})` suppresses nothing", s.codes.join(", "))
        } else {
            format!("`allow` names unknown code rules: {}", unknown.join(", "))
        };
        let f = Finding::new(message, s.span.clone(), "unused suppression")
            .help("remove the comment, or move it onto the statement it is meant for");
        out.extend(engine.report(unused, f));
    }
    out.sort_by(Diagnostic::cmp_by_location);
    // Copies of one policy (a function's result used twice) report the
    // same finding at the same place once.
    out.dedup_by(|a, b| a.code == b.code && a.primary == b.primary && a.message == b.message);
    out
}

/// [`lint_scan`] at the default levels, without contracts (tests, benches).
pub fn lint_scan_at_defaults(scan: &FileScan) -> Vec<Diagnostic> {
    let levels = retry_check_rules::LintLevels::new();
    let known = lints();
    lint_scan(scan, None, &mut Engine::new(&levels, &known))
}
