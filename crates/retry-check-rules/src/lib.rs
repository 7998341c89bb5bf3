//! The retry-check rule catalog and lint engine.
//!
//! Each rule lives in its own file under [`rules`] (clippy and ruff style):
//! a static [`Rule`] with its code, name, group, default level, a one-line
//! summary, the long `explain` text (What it does / Why it matters / Example
//! / How to fix / Source), and a `check` function over a [`Context`].
//!
//! [`lint`] runs them all and applies [`LintLevels`] and per-item `allow`
//! suppressions. The crate knows nothing of the CLI, so the scanner and the
//! model checker can reuse it.

mod context;
mod engine;
mod finding;
pub mod level;
pub mod rules;
mod text;

pub use context::{Context, Target};
pub use engine::lint;
pub use finding::{Escalation, Finding};
pub use level::{Group, Level, LevelSource, LintLevels, Selector};

/// A lint rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, `RC001`.
    pub code: &'static str,
    /// snake_case name, usable wherever a code is.
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    /// One line for `rules` and SARIF short descriptions.
    pub summary: &'static str,
    /// Markdown: What it does / Why it matters / Example / How to fix / Source.
    pub explain: &'static str,
    /// Push a [`Finding`] for every instance.
    pub check: fn(&Context<'_>, &mut Vec<Finding>),
}

/// Every rule, in code order.
pub fn all_rules() -> &'static [&'static Rule] {
    rules::ALL
}

/// A rule by code (`RC001`, any case) or name (`key_ttl_shorter_than_retry_window`).
pub fn find_rule(code_or_name: &str) -> Option<&'static Rule> {
    let s = code_or_name.trim();
    all_rules()
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(s) || r.name == s || r.name == s.replace('-', "_"))
}
