//! What every code the tool prints is: its declaration ([`Lint`]), the
//! levels a user can set it to and the groups it belongs to.
//!
//! Each crate declares its codes next to the logic that reports them (a
//! contract rule with its check, RC000 with the contract parser, RC100
//! with the scanner, RC900 with the simulator); the catalogue that lists
//! them all is assembled above every crate that reports
//! (`retry-check-catalog`). The declaration lives here, below all of them,
//! so that SARIF and the renderers can describe any code.

use std::fmt;

use crate::Severity;

/// What happens when a rule fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    /// The severity a finding at this level is reported with; `None` for
    /// `allow` (not reported). The one place levels become severities.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Allow => None,
            Level::Warn => Some(Severity::Warning),
            Level::Deny => Some(Severity::Error),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rule groups, as in clippy: each has a default level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Contracts that will double-execute or misbehave: deny.
    Correctness,
    /// Probably wrong or dangerous under load: warn.
    Suspicious,
    /// Missing safety nets and conventions: warn.
    Style,
    /// Opinionated checks, off by default: allow.
    Pedantic,
}

impl Group {
    pub const ALL: &'static [Group] = &[
        Group::Correctness,
        Group::Suspicious,
        Group::Style,
        Group::Pedantic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Correctness => "correctness",
            Group::Suspicious => "suspicious",
            Group::Style => "style",
            Group::Pedantic => "pedantic",
        }
    }

    pub fn parse(s: &str) -> Option<Group> {
        Group::ALL.iter().copied().find(|g| g.as_str() == s)
    }

    pub fn default_level(self) -> Level {
        match self {
            Group::Correctness => Level::Deny,
            Group::Suspicious | Group::Style => Level::Warn,
            Group::Pedantic => Level::Allow,
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which job of the tool reports a code. A run judges the `allow` entries
/// (unused or not) of the jobs it ran, and only those: `lint` cannot know
/// whether an `allow` of a storm rule is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    /// The contract parser (RC000): an error of the file, not a lint; no
    /// level applies to it.
    Parse,
    /// The contract rules (`lint`).
    Lint,
    /// The source scanner (`scan`).
    Scan,
    /// The contract simulation against reference stores (`simulate`).
    Simulate,
    /// The fleet storm simulation (`storm`).
    Storm,
    /// The user's harness tests (`model`).
    Model,
}

/// The declaration of one code: everything `rules`, `explain`, SARIF and
/// the level engine need to know about it, in one place.
#[derive(Debug, PartialEq, Eq)]
pub struct Lint {
    /// Stable code, `RC001`.
    pub code: &'static str,
    /// snake_case name, usable wherever a code is.
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    pub job: Job,
    /// One line for `rules` and SARIF short descriptions.
    pub summary: &'static str,
    /// Markdown: What it does / Why it matters / Example / How to fix / Source.
    pub explain: &'static str,
}

impl Lint {
    /// Does a code or name as a user wrote it (any case for codes, `-` for
    /// `_` in names) mean this lint?
    pub fn is_named(&self, written: &str) -> bool {
        let w = written.trim();
        self.code.eq_ignore_ascii_case(w) || self.name == w.replace('-', "_")
    }

    /// Whether `-A/-W/-D`, `[lints]` and `allow` apply (everything but the
    /// parser's errors).
    pub fn is_configurable(&self) -> bool {
        self.job != Job::Parse
    }

    /// What `lint --fix` does for this rule: the first paragraph of the
    /// explain text's `## Autofix` section, on one line; `None` when the
    /// rule has no mechanical fix. (The rule's check attaches the fix to
    /// each finding; the section declares it for `rules` and `explain`.)
    pub fn autofix(&self) -> Option<String> {
        let (_, rest) = self.explain.split_once("## Autofix\n")?;
        let paragraph = rest.trim_start().split("\n\n").next().unwrap_or_default();
        let line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
        (!line.is_empty()).then_some(line)
    }

    /// The first section of the explain text without its heading, on one
    /// line: the full description of SARIF.
    pub fn what_it_does(&self) -> String {
        let body = self
            .explain
            .split("\n## ")
            .next()
            .unwrap_or(self.explain)
            .trim_start_matches("## What it does")
            .trim();
        body.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The lint `written` names (code or name) among `lints`.
pub fn find_lint(lints: &[&'static Lint], written: &str) -> Option<&'static Lint> {
    lints.iter().copied().find(|l| l.is_named(written))
}
