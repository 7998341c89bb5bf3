//! `replay` on a file written by a harness test of the user's own store
//! (here `model` on tests/model-sample): the store is not in retry-check,
//! so `replay` shows what the test recorded, says plainly that it did not
//! re-run it, prints the `cargo test` command that does (exit 1, never
//! "passed"), and reads older files that do not name the test's package.
//! The contract-simulation path, which re-runs against the reference store,
//! is `simulate::replay_of_a_simulated_counterexample`.

use super::model::{sample_target_dir, SAMPLE};
use super::*;

/// `model` on the sample with seed 1 (`extra`: more flags).
fn model_on_the_sample(extra: &[&str]) -> Command {
    let target = sample_target_dir();
    let mut args = vec![
        "model",
        "--manifest-path",
        SAMPLE,
        "--seed",
        "1",
        "--target-dir",
        target.to_str().unwrap(),
        "--offline",
        "--locked",
        "--format",
        "short",
    ];
    args.extend(extra);
    cmd(&args)
}

/// Run `model` on the sample into `dir`; the replay file of the broken
/// store's counterexample.
fn model_replay_file(dir: &str) -> String {
    let out = model_on_the_sample(&["--replay-dir", dir])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let sub = format!("{dir}/model/model-sample--store_model");
    let files: Vec<String> = std::fs::read_dir(root().join(&sub))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    format!("{sub}/{}", files[0])
}

#[test]
fn replay_of_a_user_store_file_prints_the_test_command_not_a_verdict() {
    let dir = replay_dir("replay_of_a_user_store_file");
    let file = model_replay_file(&dir);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(&file)).unwrap()).unwrap();
    // The file names where its test lives.
    assert_eq!(json["rerun"]["package"], "model-sample");
    assert_eq!(json["rerun"]["target"], "store_model");

    let out = cmd(&["replay", &file]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a recorded violation is not a pass"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("passed"), "{stdout}");
    assert!(stdout.contains("not re-run"), "{stdout}");
    let command = format!(
        "{}=1 {}=512 cargo test --manifest-path tests/model-sample/Cargo.toml -p model-sample \
         --test store_model -- check_then_insert_store_keeps_at_most_once --exact",
        retry_check_harness::SEED_ENV,
        retry_check_harness::CASES_ENV
    );
    assert!(stdout.contains(&command), "{stdout}");
    assert_cmd_snapshot!(cmd(&["replay", &file]));
    assert_cmd_snapshot!(
        "replay_of_a_user_store_file_markdown",
        cmd(&["replay", &file, "--format", "markdown"])
    );

    // An older file, without `rerun`: still read, with a command that runs
    // the test wherever it is in the workspace.
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("rerun");
    let old_file = format!("{dir}/older.json");
    std::fs::write(root().join(&old_file), old.to_string()).unwrap();
    let out = cmd(&["replay", &old_file]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(
            "cargo test --workspace -- check_then_insert_store_keeps_at_most_once --exact"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("written by an older harness"), "{stdout}");
}

/// Two commands write replay files: `simulate` (and `check`) directly
/// under the replay directory, `model` under `model/<package>--<target>/`
/// of the same directory; `RETRY_CHECK_REPLAY_DIR` moves both.
#[test]
fn simulate_and_model_share_one_replay_directory() {
    let dir = replay_dir("one_replay_directory");
    let out = cmd(&["simulate", RC001])
        .env("RETRY_CHECK_REPLAY_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let simulated = root()
        .join(&dir)
        .join("rc001-settlement-reconciler--rc001-ledger-at_most_once-seed1.json");
    assert!(simulated.is_file(), "{}", simulated.display());
    let out = model_on_the_sample(&[])
        .env("RETRY_CHECK_REPLAY_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let modelled = root().join(&dir).join("model/model-sample--store_model");
    assert_eq!(std::fs::read_dir(&modelled).unwrap().count(), 1);
}
