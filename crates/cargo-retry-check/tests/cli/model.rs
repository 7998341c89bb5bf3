//! `model`: the sample workspace's harness tests through cargo, and `check`
//! running the configured ones.

use super::*;

#[test]
fn help_model() {
    assert_cmd_snapshot!(cmd(&["model", "--help"]));
}

/// Cargo's target directory for the sample workspace: stable, so the sample
/// is built once, not from nothing on every run.
fn sample_target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("model-sample")
}

const SAMPLE: &str = "tests/model-sample/Cargo.toml";

/// `model` on tests/model-sample: its check-then-insert store's
/// counterexample arrives as a diagnostic (exit 1), the correct store's
/// test passes and reports nothing.
#[test]
fn model_reports_the_sample_counterexample() {
    let dir = replay_dir("model_reports_the_sample_counterexample");
    let target = sample_target_dir();
    let target = target.to_str().unwrap();
    assert_cmd_snapshot!(cmd(&[
        "model",
        "--manifest-path",
        SAMPLE,
        "--seed",
        "1",
        "--replay-dir",
        &dir,
        "--target-dir",
        target,
        "--offline",
        "--locked",
    ]));
    // The replay file holds the verdict, and it is the one the finding names.
    let files: Vec<PathBuf> =
        std::fs::read_dir(root().join(&dir).join("model/model-sample--store_model"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let replay =
        retry_check_harness::ReplayFile::from_json(&std::fs::read_to_string(&files[0]).unwrap())
            .unwrap();
    let verdict = replay.verdict.expect("a verdict");
    assert_eq!(verdict.property, retry_check_harness::Property::AtMostOnce);
    assert_eq!(
        verdict.test.as_deref(),
        Some("check_then_insert_store_keeps_at_most_once")
    );
    assert_eq!(replay.seed, 1);

    // JSON: one finding, and a partitioned run still finds it in one of
    // the partitions.
    let mut found = 0;
    for p in ["1/2", "2/2"] {
        let out = cmd(&[
            "model",
            "--manifest-path",
            SAMPLE,
            "--seed",
            "1",
            "--partition",
            p,
            "--format",
            "json",
            "--replay-dir",
            &dir,
            "--target-dir",
            target,
            "--offline",
            "--locked",
        ])
        .output()
        .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(summary["partition"], p);
        found += summary["counterexamples"].as_u64().unwrap();
        assert_eq!(
            out.status.code(),
            Some(if summary["counterexamples"] == 0 {
                0
            } else {
                1
            })
        );
    }
    assert!(found >= 1);
}

#[test]
fn model_of_an_unknown_test_target_is_a_usage_error() {
    let out = cmd(&[
        "model",
        "--manifest-path",
        SAMPLE,
        "--offline",
        "model-sample::store_modle",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("did you mean `model-sample::store_model`"),
        "{err}"
    );
}

/// `check` on a workspace that configures `model-tests`: lint, simulate and
/// model in one report with one exit code. (The target directory and
/// offline mode reach cargo through its own environment variables.)
#[test]
fn check_runs_the_configured_model_tests() {
    let dir = replay_dir("check_runs_the_configured_model_tests");
    let out = cmd(&[
        "check",
        "--manifest-path",
        SAMPLE,
        "--seed",
        "1",
        "--cases",
        "16",
        "--format",
        "json",
        "--replay-dir",
        &dir,
    ])
    .env("CARGO_TARGET_DIR", sample_target_dir())
    .env("CARGO_NET_OFFLINE", "true")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, findings) = lines.split_last().unwrap();
    assert_eq!(findings.len(), 1, "{text}");
    assert_eq!(findings[0]["code"], "RC900");
    assert_eq!(
        findings[0]["file"],
        "tests/model-sample/tests/store_model.rs"
    );
    assert_eq!(summary["model"]["counterexamples"], 1);
    assert_eq!(summary["model"]["passed"], 1);
    assert_eq!(summary["simulation"]["violations"], 0);
    // --no-model: the clean contract alone.
    let out = cmd(&[
        "check",
        "--manifest-path",
        SAMPLE,
        "--cases",
        "16",
        "--no-model",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
