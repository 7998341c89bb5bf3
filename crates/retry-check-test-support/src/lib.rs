//! What the workspace's tests share (a dev-dependency only).
//!
//! * [`fixtures`]: the rule-fixture runner. Every rule has a fixture that
//!   triggers it (its diagnostics are snapshotted under the rule's code)
//!   and one that does not; [`fixture_tests!`] runs them all for a crate's
//!   registry, snapshotting at the caller so insta files the snapshots next
//!   to the caller's test.
//! * [`registry`]: the list of rule files in a crate's `src/rules/mod.rs`
//!   is generated from the directory; the check rewrites a stale list.
//! * [`cli`]: the `cargo-retry-check` binary as the tests run it.
//! * [`generated`]: committed files the code generates, kept current.
//! * [`pg_url`], [`postgres_url`]: the database a test or bench may use
//!   (the latter with a skip note when there is none).

pub mod cli;
pub mod fixtures;
pub mod generated;
pub mod registry;

/// The variable `.ci/postgres.sh` sets to the URL of a throwaway server.
pub const PG_URL_ENV: &str = "RETRY_CHECK_PG_URL";

/// The URL of the PostgreSQL server `.ci/postgres.sh` started (the
/// non-empty [`PG_URL_ENV`]), or `None`.
pub fn pg_url() -> Option<String> {
    std::env::var(PG_URL_ENV).ok().filter(|url| !url.is_empty())
}

/// [`pg_url`] for `test`, or `None` after printing why the test is
/// skipped and how to run it with a server (`bash .ci/postgres.sh RERUN`).
pub fn postgres_url(test: &str, rerun: &str) -> Option<String> {
    let url = pg_url();
    if url.is_none() {
        eprintln!(
            "SKIPPED {test}: {PG_URL_ENV} is not set (no PostgreSQL server); \
             run `bash .ci/postgres.sh {rerun}`"
        );
    }
    url
}

/// The workspace root (for paths in tests).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `*.rs` file under `dir`, sorted (none when `dir` does not exist).
pub fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Whether the tests run under CI (`CI=true`): generated files are then
/// checked, never rewritten.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0")
}
