//! Lint levels and groups, and how defaults, workspace configuration and
//! command-line flags combine into one level per rule.

use std::fmt;

use crate::Rule;

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

/// What a level setting applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One rule, by code or name (already resolved to its code).
    Rule(&'static str),
    Group(Group),
    /// `warnings`: every diagnostic that ends up at warn level.
    Warnings,
}

impl Selector {
    /// Parse `RC001`, `key_ttl_shorter_than_retry_window`, a group name, or
    /// `warnings`. Codes are case-insensitive; `-` may stand for `_`.
    pub fn parse(s: &str) -> Result<Selector, String> {
        Selector::parse_with(s, &[])
    }

    /// [`Selector::parse`] that also knows the rules of other catalogues
    /// (the code rules of the scanner), given as `(code, name)` pairs.
    pub fn parse_with(s: &str, extra: &[(&'static str, &'static str)]) -> Result<Selector, String> {
        let norm = s.trim().replace('-', "_");
        if norm == "warnings" {
            return Ok(Selector::Warnings);
        }
        if let Some(g) = Group::parse(&norm) {
            return Ok(Selector::Group(g));
        }
        if let Some(rule) = crate::find_rule(&norm) {
            return Ok(Selector::Rule(rule.code));
        }
        if let Some((code, _)) = extra
            .iter()
            .find(|(code, name)| code.eq_ignore_ascii_case(&norm) || *name == norm)
        {
            return Ok(Selector::Rule(code));
        }
        let mut candidates: Vec<&str> = crate::all_rules().iter().map(|r| r.name).collect();
        candidates.extend(extra.iter().map(|(_, name)| *name));
        candidates.extend(Group::ALL.iter().map(|g| g.as_str()));
        candidates.push("warnings");
        let hint = retry_check_contract::did_you_mean(&norm, &candidates)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        Err(format!(
            "unknown lint `{s}`{hint}; run `cargo retry-check rules` for the list"
        ))
    }
}

/// Where a level came from, for the "is set to deny by ..." note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelSource {
    Default,
    /// `[workspace.metadata.retry-check.lints]`.
    Config,
    /// `-A/-W/-D` on the command line, with the flag as written.
    CommandLine(String),
}

/// The level of every rule for one run. Settings apply in order: defaults,
/// then configuration (groups before single rules, like cargo's `priority`),
/// then command-line flags in the order given.
#[derive(Debug, Clone, Default)]
pub struct LintLevels {
    settings: Vec<(Selector, Level, LevelSource)>,
}

impl LintLevels {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one setting; later settings win.
    pub fn set(&mut self, selector: Selector, level: Level, source: LevelSource) {
        self.settings.push((selector, level, source));
    }

    /// Add configuration-file settings, groups first so single rules override.
    pub fn set_config(&mut self, mut entries: Vec<(Selector, Level)>) {
        entries.sort_by_key(|(s, _)| match s {
            Selector::Warnings => 0,
            Selector::Group(_) => 1,
            Selector::Rule(_) => 2,
        });
        for (s, l) in entries {
            self.set(s, l, LevelSource::Config);
        }
    }

    /// The configured level of a rule and where it came from.
    pub fn level_of(&self, rule: &Rule) -> (Level, LevelSource) {
        self.level_for(rule.code, rule.group, rule.default_level)
    }

    /// The configured level of any rule given by code, group and default
    /// level (code rules of the scanner use this).
    pub fn level_for(&self, code: &str, group: Group, default: Level) -> (Level, LevelSource) {
        let mut level = default;
        let mut source = LevelSource::Default;
        for (sel, l, src) in &self.settings {
            let applies = match sel {
                Selector::Rule(c) => *c == code,
                Selector::Group(g) => *g == group,
                Selector::Warnings => false,
            };
            if applies {
                level = *l;
                source = src.clone();
            }
        }
        (level, source)
    }

    /// The last `warnings` setting: `-D warnings` makes every warning an
    /// error, `-A warnings` hides them.
    pub fn warnings(&self) -> Option<(Level, LevelSource)> {
        self.settings
            .iter()
            .rev()
            .find(|(s, _, _)| *s == Selector::Warnings)
            .map(|(_, l, src)| (*l, src.clone()))
    }
}
