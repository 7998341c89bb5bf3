//! The contract rules and the one engine that turns every job's findings
//! into diagnostics.
//!
//! * Each contract rule lives in its own file under [`rules`] (clippy and
//!   ruff style): a static [`Rule`] with its declaration ([`Lint`]: code,
//!   name, group, default level, summary, the long `explain` text) and a
//!   `check` function over a [`Context`]. `rules/mod.rs` lists them; a test
//!   keeps that list equal to the directory.
//! * [`Engine`] applies levels ([`LintLevels`]: defaults, configuration,
//!   `-A/-W/-D` in order, `warnings`), escalation and suppressions (a
//!   contract's per-item `allow`, and any other [`Suppressions`] such as the
//!   scanner's comments) to the findings of lint, scan, storm and simulate
//!   alike, and reports unknown and unused `allow` entries of the jobs that
//!   ran.
//!
//! [`lint`] runs every contract rule through the engine; [`fix`] applies
//! the fixes rules attach to their findings (`lint --fix`). The crate
//! knows nothing of the CLI.

mod consumer;
mod context;
mod engine;
mod finding;
pub mod fix;
pub mod level;
pub mod rules;
mod text;

pub use context::{Context, Target};
pub use engine::{findings, lint, lint_with, report_findings, Engine, Suppressions};
pub use finding::{Escalation, Finding};
pub use level::{LevelSource, LintLevels, Selector};
pub use retry_check_diagnostics::{find_lint, Fix, Group, Job, Level, Lint};

/// A contract rule: its declaration and its check.
#[derive(Debug)]
pub struct Rule {
    pub lint: &'static Lint,
    /// Push a [`Finding`] for every instance.
    pub check: fn(&Context<'_>, &mut Vec<Finding>),
}

/// Every contract rule, in code order.
pub fn all_rules() -> &'static [&'static Rule] {
    rules::ALL
}

/// The declarations of the contract rules, in code order.
pub fn lints() -> Vec<&'static Lint> {
    all_rules().iter().map(|r| r.lint).collect()
}

/// A contract rule by code (`RC001`, any case) or name
/// (`key_ttl_shorter_than_retry_window`, `-` for `_`).
pub fn find_rule(code_or_name: &str) -> Option<&'static Rule> {
    all_rules()
        .iter()
        .copied()
        .find(|r| r.lint.is_named(code_or_name))
}
