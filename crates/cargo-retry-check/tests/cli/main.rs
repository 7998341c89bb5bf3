//! End-to-end tests of the binary, one module per command (lint, check,
//! scan, simulate and replay, storm, model, init, rules and explain,
//! schema), the output formats, the catalogue, and contracts imported
//! from deployed configuration (sources). Snapshots hold exit
//! code, stdout and stderr. One test binary, so the tests of every command
//! run in parallel.

mod action;
mod baseline;
mod catalogue;
mod check;
mod fix;
mod formats;
mod init;
mod lint;
mod model;
mod model_loom;
mod outputs;
mod readme;
mod replay_user;
mod rules;
mod scaffold_runs;
mod scan;
mod scan_options;
mod schema;
mod simulate;
mod sources;
mod storm;
mod storm_output;

pub(crate) use std::path::{Path, PathBuf};
pub(crate) use std::process::{Command, Output};

pub(crate) use insta_cmd::assert_cmd_snapshot;
use retry_check_test_support::cli_command;

/// The workspace root, where the tests run the binary.
pub(crate) fn root() -> PathBuf {
    retry_check_test_support::workspace_root()
}

/// The binary, run from the workspace root, colourless, as cargo runs it.
pub(crate) fn cmd(args: &[&str]) -> Command {
    cli_command!(args)
}

/// The binary, run in `dir`.
pub(crate) fn cmd_in(dir: &Path, args: &[&str]) -> Command {
    cli_command!(in dir, args)
}

pub(crate) const FIXTURES: &str = "crates/cargo-retry-check/tests/fixtures";

pub(crate) const RC001: &str = "contracts/broken/rc001_key_ttl_shorter_than_retry_window.toml";
pub(crate) const RC022: &str = "contracts/broken/rc022_lease_shorter_than_handler.toml";
pub(crate) const RC027: &str = "contracts/broken/rc027_volatile_key_store.toml";

/// A replay directory of its own per test (relative, so outputs that name
/// replay files stay the same on every machine), emptied first.
pub(crate) fn replay_dir(test: &str) -> String {
    replay_dir_in("retry-check-cli-tests", test)
}

/// [`replay_dir`] under `target/<group>/`.
pub(crate) fn replay_dir_in(group: &str, test: &str) -> String {
    let dir = format!("target/{group}/{test}");
    let _ = std::fs::remove_dir_all(root().join(&dir));
    dir
}

/// A fresh directory `<prefix>-<test>-<pid>` under the temp dir, and a
/// function that writes a file into it (making its parents).
pub(crate) fn scratch_dir(prefix: &str, test: &str) -> (PathBuf, impl Fn(&str, &str)) {
    let dir = std::env::temp_dir().join(format!("{prefix}-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = dir.clone();
    let write = move |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    (dir, write)
}

/// The codes only `storm` reports.
pub(crate) fn storm_codes() -> Vec<&'static str> {
    retry_check_storm::rules::ALL
        .iter()
        .map(|r| r.lint.code)
        .collect()
}

#[test]
fn help_main() {
    assert_cmd_snapshot!(cmd(&["--help"]));
}

#[test]
fn bare_binary_works_too() {
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-retry-check"))
        .current_dir(root())
        .args(["lint", "contracts/payments.toml"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A scratch directory of its own per test, outside the workspace, emptied
/// first.
pub(crate) fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retry-check-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of `from` (a directory of the workspace) at `to`.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The diagnostics of a `--format json` run: (code, file) pairs.
pub(crate) fn json_findings(out: &Output) -> Vec<(String, String)> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "diagnostic")
        .map(|v| {
            (
                v["code"].as_str().unwrap_or_default().to_string(),
                v["file"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}
