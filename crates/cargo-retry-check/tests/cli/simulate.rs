//! `simulate` and `replay`: proofs with timelines, determinism by seed,
//! `--partition`.

use super::*;

#[test]
fn help_simulate() {
    assert_cmd_snapshot!(cmd(&["simulate", "--help"]));
}

#[test]
fn help_replay() {
    assert_cmd_snapshot!(cmd(&["replay", "--help"]));
}

#[test]
fn simulate_clean_contract() {
    let dir = replay_dir("simulate_clean_contract");
    assert_cmd_snapshot!(cmd(&[
        "simulate",
        "--replay-dir",
        &dir,
        "contracts/payments.toml"
    ]));
    assert!(
        !root().join(&dir).exists(),
        "a clean run writes no replay file"
    );
}

#[test]
fn simulate_rc001_and_rc022_human() {
    let dir = replay_dir("simulate_rc001_and_rc022_human");
    assert_cmd_snapshot!(cmd(&["simulate", "--replay-dir", &dir, RC001, RC022]));
    let files: Vec<_> = std::fs::read_dir(root().join(&dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
}

#[test]
fn simulate_rc027_volatile_store() {
    let dir = replay_dir("simulate_rc027_volatile_store");
    assert_cmd_snapshot!(cmd(&[
        "simulate",
        "--format",
        "short",
        "--replay-dir",
        &dir,
        RC027
    ]));
}

#[test]
fn simulate_skips_pairs_without_a_key_contract() {
    let dir = replay_dir("simulate_skips_pairs_without_a_key_contract");
    // The rc002 server declares no key contract: nothing to simulate there.
    assert_cmd_snapshot!(cmd(&[
        "simulate",
        "--format",
        "json",
        "--replay-dir",
        &dir,
        "contracts/broken/rc002_retry_without_idempotency_key.toml",
        RC022
    ]));
}

#[test]
fn simulate_reports_parse_errors_like_lint() {
    assert_cmd_snapshot!(cmd(&[
        "simulate",
        "--format",
        "short",
        &format!("{FIXTURES}/typo")
    ]));
}

#[test]
fn simulate_is_deterministic_by_seed() {
    let dir = replay_dir("simulate_is_deterministic_by_seed");
    let run = |seed: &str| {
        let out = cmd(&["simulate", "--seed", seed, "--replay-dir", &dir, RC001])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run("7"), run("7"));
}

/// Simulate RC001, then replay the file it wrote: the violation reproduces
/// and the timeline is the one the finding showed, byte for byte.
#[test]
fn replay_of_a_simulated_counterexample() {
    let dir = replay_dir("replay_of_a_simulated_counterexample");
    let out = cmd(&["simulate", "--format", "json", "--replay-dir", &dir, RC001])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let finding: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(finding["code"], "RC001");
    let helps = finding["help"].as_array().unwrap();
    let help = helps
        .iter()
        .filter_map(|h| h.as_str())
        .find(|h| h.starts_with("re-run it"))
        .expect("a help names the replay file");
    let file = help
        .rsplit(' ')
        .next()
        .expect("the help names the replay file");
    assert_eq!(
        file,
        format!("{dir}/rc001-settlement-reconciler--rc001-ledger-at_most_once-seed1.json")
    );
    let notes = finding["notes"].as_array().unwrap();
    let note = notes
        .iter()
        .filter_map(|n| n.as_str())
        .find(|n| n.contains("counterexample"))
        .expect("the proof's note");
    let shown: Vec<&str> = note
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("because:"))
        .collect();

    assert_cmd_snapshot!(cmd(&["replay", file]));
    let replayed = cmd(&["replay", file]).output().unwrap();
    assert_eq!(replayed.status.code(), Some(1));
    let replayed = String::from_utf8(replayed.stdout).unwrap();
    let timeline: Vec<&str> = replayed
        .split("\n\n")
        .nth(1)
        .expect("a timeline paragraph")
        .lines()
        .collect();
    assert_eq!(shown, timeline);

    let markdown = cmd(&["replay", "--format", "markdown", file])
        .output()
        .unwrap();
    assert_eq!(markdown.status.code(), Some(1));
    let markdown = String::from_utf8(markdown.stdout).unwrap();
    assert!(
        markdown.contains("```mermaid\nsequenceDiagram\n"),
        "{markdown}"
    );

    // The same scenario against a store that keeps keys for 7 days passes.
    let mut edited: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(file)).unwrap()).unwrap();
    let week = serde_json::json!({ "secs": 7 * 24 * 3600, "nanos": 0 });
    edited["reference_store"]["key_ttl"] = week.clone();
    edited["config"]["key_ttl"] = week;
    let fixed = format!("{dir}/fixed.json");
    std::fs::write(root().join(&fixed), edited.to_string()).unwrap();
    let passed = cmd(&["replay", &fixed]).output().unwrap();
    let stdout = String::from_utf8(passed.stdout).unwrap();
    assert_eq!(passed.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("key TTL 7d"), "{stdout}");
    assert!(
        stdout.contains("verdict:   passed: no property violated"),
        "{stdout}"
    );
}

#[test]
fn replay_of_garbage_is_a_clean_error() {
    assert_cmd_snapshot!(cmd(&[
        "replay",
        "crates/cargo-retry-check/tests/fixtures/replay/garbage.json"
    ]));
}

#[test]
fn replay_of_a_missing_file_is_a_clean_error() {
    assert_cmd_snapshot!(cmd(&[
        "replay",
        "crates/cargo-retry-check/tests/fixtures/replay/nope.json"
    ]));
}

#[test]
fn partition_is_validated() {
    assert_cmd_snapshot!(cmd(&["simulate", "--partition", "0/3", RC001]));
    for bad in ["3/2", "x", "1/0"] {
        let out = cmd(&["simulate", "--partition", bad, RC001])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("invalid partition"), "{bad}: {err}");
    }
    let out = cmd(&["model", "--partition", "3/2"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The JSON summary and the findings of one `simulate` run.
fn simulate_json(args: &[&str]) -> (Vec<serde_json::Value>, serde_json::Value) {
    let out = cmd(args).output().unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let mut lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary = lines.pop().expect("a summary");
    (lines, summary)
}

/// n partitions of `simulate` run as many cases as one run, and flag the
/// same rules on the same pairs (a pair fails in one job iff it fails in
/// one of the partitions).
#[test]
fn simulate_partitions_cover_the_unpartitioned_run() {
    let dir = replay_dir("simulate_partitions_cover_the_unpartitioned_run");
    let run = |partition: Option<&str>, files: &[&'static str]| {
        let mut args = vec![
            "simulate",
            "--format",
            "json",
            "--cases",
            "60",
            "--replay-dir",
            &dir,
        ];
        if let Some(p) = partition {
            args.extend(["--partition", p]);
        }
        args.extend(files);
        simulate_json(&args)
    };
    let key = |d: &serde_json::Value| {
        let m = d["message"].as_str().unwrap();
        (
            d["code"].as_str().unwrap().to_string(),
            m.split(" violates").next().unwrap().to_string(),
        )
    };
    let broken = [RC001, RC027];
    let (whole, whole_summary) = run(None, &broken);
    assert!(!whole.is_empty(), "the broken contracts fail");
    let whole_keys: std::collections::BTreeSet<_> = whole.iter().map(key).collect();
    let mut union = std::collections::BTreeSet::new();
    for p in ["1/3", "2/3", "3/3"] {
        let (found, summary) = run(Some(p), &broken);
        assert_eq!(summary["partition"], p);
        assert_eq!(summary["pairs"], whole_summary["pairs"]);
        union.extend(found.iter().map(key));
    }
    assert_eq!(union, whole_keys);
    // A clean contract: the partitions' cases add up to the whole run's.
    let clean = ["contracts/payments.toml"];
    let (_, all) = run(None, &clean);
    let mut cases = 0;
    for p in ["1/3", "2/3", "3/3"] {
        let (found, summary) = run(Some(p), &clean);
        assert!(found.is_empty());
        cases += summary["cases"].as_u64().unwrap();
    }
    assert_eq!(cases, all["cases"].as_u64().unwrap());
    assert!(cases > 0);
}

/// A budget of zero cases is a usage error, not an empty run.
#[test]
fn zero_cases_is_a_usage_error() {
    for args in [
        vec!["simulate", "--cases", "0", RC001],
        vec!["check", "--clean-cases", "0", RC001],
    ] {
        let out = cmd(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("0 is not in 1.."), "{args:?}: {stderr}");
    }
}
