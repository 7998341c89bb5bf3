//! What a scan looks at: test code, and notes about code the scanner could
//! not analyse. The CLI maps its flags and `[workspace.metadata.retry-check]`
//! keys onto [`ScanOptions`]; everything they mean is decided here. (How a
//! file that does not parse is reported is RC100's level: `deny` by
//! default, `-W unparsable_source` downgrades it.)

use std::path::{Component, Path};

/// What a scan looks at beyond production code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Also scan test code: items under `#[cfg(test)]`, `#[test]`-style
    /// functions, and files under a `tests/` directory or named `tests.rs`.
    pub include_tests: bool,
    /// Report code the scanner saw but did not analyse (RC119, `info`),
    /// such as retry loops inside `macro_rules!` bodies.
    pub verbose: bool,
}

impl ScanOptions {
    /// Whether the file at `path` is test code that the scan skips: judged
    /// by [`Self::skips_path`] on its path inside its package (the nearest
    /// directory above it with a Cargo.toml), so that a package that sits
    /// under a `tests/` directory (a fixture workspace) is not test code
    /// itself.
    pub fn skips_file(&self, path: &Path) -> bool {
        if self.include_tests {
            return false;
        }
        let package = path
            .ancestors()
            .skip(1)
            .find(|d| d.join("Cargo.toml").is_file());
        let rel = package
            .and_then(|p| path.strip_prefix(p).ok())
            .unwrap_or(path);
        self.skips_path(rel)
    }

    /// Whether a file at `rel` (relative to its package) is test code that
    /// the scan skips: a `tests` directory anywhere on the path, or a file
    /// named `tests.rs`.
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
