//! `cargo retry-check model --loom` end to end: it builds the sample
//! workspace's loom test with `--cfg loom` in release, in a target
//! directory of its own, runs it, and reports the interleaving loom found
//! as a failed model test (RC901) with loom mode's timeline.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Cargo's target directory for the sample workspace (shared with the
/// `model` tests of `cli.rs`; `--loom` builds under `retry-check-loom`
/// inside it).
fn sample_target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("model-sample")
}

#[test]
fn model_loom_runs_the_samples_loom_test_and_reports_the_interleaving() {
    let target = sample_target_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-retry-check"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("RUSTFLAGS")
        .args([
            "retry-check",
            "model",
            "--loom",
            "--manifest-path",
            "tests/model-sample/Cargo.toml",
            "model-sample::store_loom",
            "--target-dir",
            target.to_str().expect("a UTF-8 path"),
            "--offline",
            "--locked",
        ])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    // The failed loom test is reported at its function, with loom mode's
    // own timeline of the interleaving.
    assert!(stdout.contains("error[RC901]"), "{stdout}");
    assert!(
        stdout.contains("check_then_insert_store_under_loom"),
        "{stdout}"
    );
    assert!(
        stdout.contains("loom mode: at_most_once broken"),
        "{stdout}"
    );
    assert!(stdout.contains("h1  begin(op1) -> Acquired"), "{stdout}");
    assert!(stdout.contains("h2  begin(op1) -> Acquired"), "{stdout}");
    assert!(stdout.contains("(loom)"), "the summary says loom: {stdout}");
    // It was built where `--loom` builds: its own target directory.
    assert!(target.join("retry-check-loom").is_dir());
}
