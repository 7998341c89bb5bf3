//! The catalogue end to end: every code a command prints has `explain`,
//! and the storm rules go through the same levels and suppressions as the
//! others.

use std::collections::BTreeSet;

use super::*;

/// The codes of a `--format json` run's diagnostics.
fn codes_of(args: &[&str]) -> BTreeSet<String> {
    let out = cmd(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "diagnostic")
        .map(|v| v["code"].as_str().unwrap().to_string())
        .collect()
}

fn explain(code: &str) -> String {
    let out = cmd(&["explain", code]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "explain {code}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn explain_knows_every_code_the_commands_print() {
    let replay_dir = "target/retry-check-cli-tests/catalogue";
    let runs: [&[&str]; 5] = [
        &[
            "check",
            "contracts/",
            "--format",
            "json",
            "--replay-dir",
            replay_dir,
        ],
        &[
            "lint",
            "crates/cargo-retry-check/tests/fixtures/typo",
            "--format",
            "json",
        ],
        &["scan", "tests/fixtures/scan-sample", "--format", "json"],
        &["storm", "contracts/broken/storm.toml", "--format", "json"],
        &[
            "simulate",
            "contracts/broken",
            "--format",
            "json",
            "--replay-dir",
            replay_dir,
        ],
    ];
    let mut printed = BTreeSet::new();
    for args in runs {
        printed.extend(codes_of(args));
    }
    // Every family: parse errors, contract rules, the scanner, the storm
    // rules and simulated proofs.
    for code in ["RC000", "RC001", "RC034", "RC100", "RC109"] {
        assert!(printed.contains(code), "{code} not printed: {printed:?}");
    }
    for code in &printed {
        let text = explain(code);
        assert!(text.contains("## What it does"), "explain {code}:\n{text}");
    }
    // And every code of the catalogue, printed by some run or not.
    for lint in retry_check_catalog::all() {
        assert!(explain(lint.code).starts_with(&format!("# {} {}", lint.code, lint.name)));
    }
}

fn storm_codes(args: &[&str]) -> BTreeSet<String> {
    let mut all = vec!["storm", "--format", "json"];
    all.extend(args);
    codes_of(&all)
}

#[test]
fn storm_findings_honour_the_command_line_levels() {
    let broken = "contracts/broken/storm.toml";
    let all = storm_codes(&[broken]);
    assert!(all.contains("RC034") && all.contains("RC035"), "{all:?}");
    let without = storm_codes(&[broken, "-A", "RC034", "-A", "retry_herd"]);
    assert!(!without.contains("RC034") && !without.contains("RC035"));
    assert!(without.contains("RC036"));
    // `-D warnings` makes the warn-level storm rules errors: exit 1 either
    // way, but the level says so.
    let out = cmd(&["storm", broken, "-D", "warnings"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error[RC035]"), "{stdout}");
}

/// A scratch workspace with the storm example and `files` written in it.
fn scratch(
    name: &str,
    manifest: &str,
    contract_edit: &dyn Fn(String) -> String,
) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("retry-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("contracts")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let root = retry_check_test_support::workspace_root();
    let text = std::fs::read_to_string(root.join("contracts/broken/storm.toml")).unwrap();
    std::fs::write(dir.join("contracts/storm.toml"), contract_edit(text)).unwrap();
    dir
}

fn codes_in(dir: &Path, args: &[&str]) -> (Option<i32>, BTreeSet<String>, String) {
    let out = cmd_in(dir, args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let codes = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "diagnostic")
        .map(|v| v["code"].as_str().unwrap().to_string())
        .collect();
    (out.status.code(), codes, stdout)
}

#[test]
fn storm_findings_honour_the_workspace_lints() {
    let dir = scratch(
        "storm-lints",
        "[workspace]\n[workspace.metadata.retry-check.lints]\nstorm_overload = \"allow\"\nRC036 = \"allow\"\n",
        &|t| t,
    );
    let (_, codes, out) = codes_in(&dir, &["storm", "--format", "json"]);
    assert!(
        !codes.contains("RC034") && !codes.contains("RC036"),
        "{out}"
    );
    assert!(codes.contains("RC035"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_storm_allow_is_used_by_storm_and_not_judged_by_lint() {
    let dir = scratch("storm-allow", "[workspace]\n", &|t| {
        t.replace(
            "max_load_factor = 1.5\n",
            "max_load_factor = 1.5\nallow = [\"RC034\"]\n",
        )
    });
    // lint does not run the storm: the entry is neither used nor unused.
    let (_, lint, out) = codes_in(&dir, &["lint", "--format", "json"]);
    assert!(!lint.contains("RC099"), "{out}");
    // storm: the entry silences RC034 and is used.
    let (_, storm, out) = codes_in(&dir, &["storm", "--format", "json"]);
    assert!(
        !storm.contains("RC034") && !storm.contains("RC099"),
        "{out}"
    );
    // A scenario where the server is not overloaded: the entry is unused.
    let (_, calm, out) = codes_in(
        &dir,
        &[
            "storm",
            "--format",
            "json",
            "--outage",
            "1s",
            "--brownout",
            "0.01",
        ],
    );
    assert!(calm.contains("RC099") && !calm.contains("RC034"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
