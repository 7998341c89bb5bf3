//! How defaults, workspace configuration and command-line flags combine
//! into one level per lint.

use retry_check_diagnostics::{find_lint, Group, Level, Lint};

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
    /// `warnings`, naming one of `known` (the catalogue). Codes are
    /// case-insensitive; `-` may stand for `_`.
    pub fn parse(s: &str, known: &[&'static Lint]) -> Result<Selector, String> {
        let norm = s.trim().replace('-', "_");
        if norm == "warnings" {
            return Ok(Selector::Warnings);
        }
        if let Some(g) = Group::parse(&norm) {
            return Ok(Selector::Group(g));
        }
        if let Some(lint) = find_lint(known, &norm) {
            if !lint.is_configurable() {
                return Err(format!(
                    "`{s}` ({} {}) is an error of the contract files, not a lint: \
                     no level applies to it",
                    lint.code, lint.name
                ));
            }
            return Ok(Selector::Rule(lint.code));
        }
        let mut candidates: Vec<&str> = known
            .iter()
            .filter(|l| l.is_configurable())
            .map(|l| l.name)
            .collect();
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

    /// The configured level of a lint and where it came from.
    pub fn level_of(&self, lint: &Lint) -> (Level, LevelSource) {
        let mut level = lint.default_level;
        let mut source = LevelSource::Default;
        for (sel, l, src) in &self.settings {
            let applies = match sel {
                Selector::Rule(c) => *c == lint.code,
                Selector::Group(g) => *g == lint.group,
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
