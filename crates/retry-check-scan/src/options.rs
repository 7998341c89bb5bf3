//! What a scan looks at and how strict it is: test code, files that do not
//! parse, and notes about code the scanner could not analyse. The CLI maps
//! its flags and `[workspace.metadata.retry-check]` keys onto
//! [`ScanOptions`]; everything they mean is decided here.

use std::path::{Component, Path};

use retry_check_diagnostics::{Diagnostic, Severity};

/// How a scan treats test code and files it cannot check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Also scan test code: `#[cfg(test)]` items, `#[test]`-style
    /// functions, and files under a `tests/` directory or named `tests.rs`.
    pub include_tests: bool,
    /// Report code the scanner saw but did not analyse (RC119, `info`),
    /// such as retry loops inside `macro_rules!` bodies.
    pub verbose: bool,
    /// How a file that cannot be read or parsed is reported (RC100).
    pub unparsable: Unparsable,
}

/// The severity of `RC100 unparsable_source`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unparsable {
    /// An error: the run exits 1, as a linter does on a syntax error (the
    /// file was not checked, so the run cannot say it is clean).
    #[default]
    Error,
    /// A warning: reported, but the run's exit code ignores it.
    Warn,
}

impl ScanOptions {
    /// Whether a file at `rel` (relative to the workspace or scan root) is
    /// test code that the scan skips: a `tests` directory anywhere on the
    /// path, or a file named `tests.rs`.
    pub fn skips_path(&self, rel: &Path) -> bool {
        if self.include_tests {
            return false;
        }
        let n = rel.components().count();
        rel.components().enumerate().any(|(i, c)| match c {
            Component::Normal(s) if i + 1 < n => s == "tests",
            Component::Normal(s) => s == "tests.rs",
            _ => false,
        })
    }

    /// The `RC100` diagnostic for a file that could not be checked.
    pub fn unparsable_diagnostic(&self, message: impl Into<String>) -> Diagnostic {
        let severity = match self.unparsable {
            Unparsable::Error => Severity::Error,
            Unparsable::Warn => Severity::Warning,
        };
        Diagnostic::new("RC100", "unparsable_source", severity, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_directories_and_tests_rs_are_skipped_unless_included() {
        let o = ScanOptions::default();
        for p in [
            "tests/a.rs",
            "crates/x/tests/a.rs",
            "src/tests/mod.rs",
            "src/tests.rs",
        ] {
            assert!(o.skips_path(Path::new(p)), "{p}");
        }
        for p in [
            "src/lib.rs",
            "src/testing.rs",
            "tests",
            "src/retry_tests_util.rs",
        ] {
            assert!(!o.skips_path(Path::new(p)), "{p}");
        }
        let all = ScanOptions {
            include_tests: true,
            ..ScanOptions::default()
        };
        assert!(!all.skips_path(Path::new("tests/a.rs")));
    }
}
