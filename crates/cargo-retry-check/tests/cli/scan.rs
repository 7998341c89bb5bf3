//! `scan` end to end: help, the README sample (drift, RC001 from code,
//! RC107 on Cargo.toml, a file that does not parse) in human and JSON,
//! workspace discovery and configuration, and `check` scanning a workspace.

use super::*;

const SAMPLE: &str = "tests/fixtures/scan-sample";

#[test]
fn help_scan() {
    assert_cmd_snapshot!(cmd(&["scan", "--help"]));
}

#[test]
fn sample_human() {
    assert_cmd_snapshot!(cmd(&["scan", SAMPLE]));
}

#[test]
fn sample_json() {
    assert_cmd_snapshot!(cmd(&["scan", SAMPLE, "--format", "json"]));
}

/// Drift points at the code with the contract's line as a related location
/// in another file; the code-derived window reaches RC001.
#[test]
fn drift_relates_code_to_the_contract_line() {
    let out = cmd(&["scan", SAMPLE, "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let drift: Vec<&serde_json::Value> = lines.iter().filter(|v| v["code"] == "RC109").collect();
    assert_eq!(drift.len(), 2, "{stdout}");
    let checkout = drift[0];
    assert_eq!(
        checkout["file"],
        "tests/fixtures/scan-sample/src/checkout.rs"
    );
    assert_eq!(checkout["line"], 11);
    let related: Vec<(String, u64)> = checkout["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // The line of `max_attempts = 3` in [client.checkout], found rather than
    // hard-coded so an edit above it does not break the test.
    let payments = std::fs::read_to_string(root().join("contracts/payments.toml")).unwrap();
    let checkout_attempts = payments
        .lines()
        .position(|l| l.trim() == "max_attempts = 3")
        .expect("checkout's max_attempts in payments.toml") as u64
        + 1;
    assert!(
        related.contains(&("contracts/payments.toml".to_string(), checkout_attempts)),
        "max_attempts = 3 of [client.checkout]: {related:?}"
    );
    let rc001 = lines.iter().find(|v| v["code"] == "RC001").unwrap();
    assert_eq!(rc001["file"], "tests/fixtures/scan-sample/src/reconcile.rs");
    assert!(rc001["message"]
        .as_str()
        .unwrap()
        .contains("retries without end"));
    // `--no-contracts`: no drift, no RC001; the bindings say they were not compared.
    let out = cmd(&["scan", SAMPLE, "--no-contracts", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains("error[RC109]") && !stdout.contains("RC001"),
        "{stdout}"
    );
    assert!(
        stdout.contains("info[RC109]: no contracts loaded"),
        "{stdout}"
    );
    assert!(stdout.contains("RC101"), "{stdout}");
}

/// A file that does not parse is a warning at its line and column, and the
/// scan goes on; `-D warnings` makes it fail.
#[test]
fn parse_error_is_located_and_not_fatal() {
    let broken = format!("{SAMPLE}/src/broken.rs");
    // An error by default (the run exits 1: the file was not checked),
    // a warning when downgraded.
    assert_cmd_snapshot!(cmd(&["scan", &broken, "--format", "short"]));
    let out = cmd(&["scan", &broken, "-W", "unparsable_source"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = cmd(&["scan", &format!("{SAMPLE}/src"), "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("broken.rs:6:1: error[RC100]"), "{stdout}");
    assert!(
        stdout.contains("checkout.rs:11:5: error[RC109]"),
        "{stdout}"
    );
}

/// This repository's own sources (minus the scanner's fixtures, excluded
/// in its Cargo.toml) hold no false positive.
#[test]
fn this_workspace_scans_clean() {
    let out = cmd(&["scan", "--format", "short"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("checked "), "{stdout}");
    assert!(stdout.ends_with(": no findings\n"), "{stdout}");
}

/// Output does not depend on thread scheduling.
#[test]
fn output_is_deterministic() {
    let a = cmd(&["scan", SAMPLE, "--format", "json"]).output().unwrap();
    for _ in 0..3 {
        let b = cmd(&["scan", SAMPLE, "--format", "json"]).output().unwrap();
        assert_eq!(a.stdout, b.stdout);
    }
}

#[test]
fn every_format_renders() {
    for format in ["short", "sarif", "github", "junit", "markdown"] {
        let out = cmd(&["scan", SAMPLE, "--format", format]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.contains("RC109"), "{format}: {stdout}");
    }
    let out = cmd(&["scan", SAMPLE, "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for code in ["RC001", "RC100", "RC101", "RC107", "RC109"] {
        assert!(
            rules.iter().any(|r| r["id"] == code),
            "{code} not in the SARIF catalogue"
        );
    }
}

#[test]
fn rules_and_explain_know_code_rules() {
    let out = cmd(&["rules", "--format", "json"]).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    for code in ["RC101", "RC108", "RC109"] {
        assert!(
            stdout.contains(&format!("\"code\":\"{code}\"")),
            "{code}: {stdout}"
        );
    }
    let out = cmd(&["explain", "policy_drift"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .starts_with("# RC109 policy_drift"));
}

// ---- a scratch workspace -------------------------------------------------

/// A two-member workspace in a fresh directory: `a` has a backon policy
/// without jitter, a `target/` file that must be skipped, and a test; `b`
/// depends on `tokio-retry`.
fn scratch(test: &str, metadata: &str) -> PathBuf {
    let (dir, write) = crate::scratch_dir("retry-check-scan", test);
    write(
        "Cargo.toml",
        &format!("[workspace]\nmembers = [\"crates/*\"]\n\n{metadata}"),
    );
    write(
        "contracts/c.toml",
        "version = 1\n[client.fetcher]\ncalls = [\"api\"]\nmax_attempts = 3\n\
         backoff = { initial = \"100ms\", multiplier = 2.0, max = \"1s\", jitter = \"full\" }\n",
    );
    let crate_toml = |name: &str, deps: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n\n[dependencies]\n{deps}")
    };
    write("crates/a/Cargo.toml", &crate_toml("a", "backon = \"1\"\n"));
    write(
        "crates/a/src/lib.rs",
        "pub fn p() -> backon::ExponentialBuilder {\n    \
         backon::ExponentialBuilder::default().with_max_times(2)\n}\n",
    );
    write("crates/a/target/debug/gen.rs", "fn broken( {\n");
    write("crates/a/tests/t.rs", "#[test]\nfn t() {}\n");
    write(
        "crates/b/Cargo.toml",
        &crate_toml("b", "tokio-retry = \"0.3\"\n"),
    );
    write("crates/b/src/lib.rs", "pub fn nothing() {}\n");
    dir
}

#[test]
fn default_paths_are_the_members_sources_and_manifests() {
    let dir = scratch("default_paths", "");
    let out = cmd_in(&dir, &["scan", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "crates/a/src/lib.rs:2:5: warning[RC102]: backon retry policy retries on a fixed \
         schedule (no jitter)\n\
         crates/b/Cargo.toml:6:1: warning[RC107]: the `tokio-retry` crate is unmaintained \
         (no release since 2021)\n\
         checked 5 files: 0 errors, 2 warnings\n"
    );
    assert_eq!(out.status.code(), Some(0));
    // --manifest-path from elsewhere finds the same files.
    let manifest = dir.join("Cargo.toml");
    let out = cmd_in(
        &std::env::temp_dir(),
        &[
            "scan",
            "--manifest-path",
            manifest.to_str().unwrap(),
            "--format",
            "short",
        ],
    )
    .output()
    .unwrap();
    let elsewhere = String::from_utf8(out.stdout).unwrap();
    assert!(
        elsewhere.ends_with("checked 5 files: 0 errors, 2 warnings\n"),
        "{elsewhere}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lint_levels_and_scan_exclude_come_from_workspace_metadata() {
    let dir = scratch(
        "levels",
        "[workspace.metadata.retry-check]\nscan-exclude = [\"crates/b/**\"]\n\n\
         [workspace.metadata.retry-check.lints]\ncode_no_jitter = \"deny\"\n",
    );
    let out = cmd_in(&dir, &["scan", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        "crates/a/src/lib.rs:2:5: error[RC102]: backon retry policy retries on a fixed \
         schedule (no jitter)\nchecked 3 files: 1 error, 0 warnings\n"
    );
    assert_eq!(out.status.code(), Some(1));
    // Command-line flags come after the configuration.
    let out = cmd_in(&dir, &["scan", "-A", "RC102"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `check` without PATHS lints the contracts and scans the sources: one
/// report, one summary, one exit code; `scan = false` and `--no-scan` turn
/// the scan off.
#[test]
fn check_scans_the_workspace() {
    let dir = scratch("check", "");
    let out = cmd_in(
        &dir,
        &["check", "--format", "short", "-D", "code_no_jitter"],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("crates/a/src/lib.rs:2:5: error[RC102]"),
        "{stdout}"
    );
    assert!(stdout.contains("checked 6 files"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
    let out = cmd_in(&dir, &["check", "--format", "short", "--no-scan"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains("RC102") && stdout.contains("checked 1 file"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let dir = scratch(
        "check_off",
        "[workspace.metadata.retry-check]\nscan = false\n",
    );
    let out = cmd_in(&dir, &["check", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("RC10"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
