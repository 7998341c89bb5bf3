//! `model --loom` end to end: it builds the sample workspace's loom test
//! with `--cfg loom` in release, in a target directory of its own, runs it,
//! and reports the interleaving loom found as a failed model test (RC901)
//! with loom mode's timeline.

use super::model::{sample_target_dir, SAMPLE};
use super::*;

#[test]
fn model_loom_runs_the_samples_loom_test_and_reports_the_interleaving() {
    let target = sample_target_dir();
    // loom and its dependencies are only downloaded by a build with
    // `--cfg loom`: fetch them first (all of the lock file), so that the
    // offline run below also works on a machine that never built one.
    let fetch = Command::new(env!("CARGO"))
        .args(["fetch", "--locked", "--manifest-path", SAMPLE])
        .current_dir(root())
        .env_remove("RUSTFLAGS")
        .status()
        .expect("cargo runs");
    assert!(fetch.success(), "cargo fetch of the sample failed");
    let out = cmd(&[
        "model",
        "--loom",
        "--manifest-path",
        SAMPLE,
        "model-sample::store_loom",
        "--target-dir",
        target.to_str().expect("a UTF-8 path"),
        "--offline",
        "--locked",
    ])
    .env_remove("RUSTFLAGS")
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
