//! `--write-baseline` and `--baseline` on the bundled contracts: a baseline
//! hides what it recorded, survives edits that only move a finding, reports
//! new ones, lists fixed ones on request, and never hides a contract that
//! does not parse.

use super::*;

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = cmd_in(dir, args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn a_baseline_hides_what_it_recorded_and_reports_what_is_new() {
    let dir = scratch("baseline");
    copy_tree(&root().join("contracts"), &dir);
    let all = json_findings(
        &cmd_in(&dir, &["lint", ".", "--format", "json"])
            .output()
            .unwrap(),
    );
    assert!(all.len() > 50, "{}", all.len());

    let (code, _, stderr) = run(&dir, &["lint", ".", "--write-baseline", "base.json"]);
    assert_eq!(code, Some(0), "recorded findings do not fail the run");
    assert!(
        stderr.contains(&format!(
            "recorded {} findings in the baseline `base.json`",
            all.len()
        )),
        "{stderr}"
    );
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("base.json")).unwrap()).unwrap();
    assert_eq!(file["version"], 1);
    assert_eq!(file["findings"].as_array().unwrap().len(), all.len());

    let (code, stdout, _) = run(
        &dir,
        &["lint", ".", "--baseline", "base.json", "--format", "short"],
    );
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(
        stdout,
        format!(
            "checked {} files: no findings; baseline: 0 new, {} known, 0 fixed\n",
            files_read(&dir),
            all.len()
        )
    );

    // Moving findings (a comment above them) keeps them known; a new gap
    // is reported, and fails the run.
    let rc012 = dir.join("broken/rc012_no_jitter.toml");
    let text = std::fs::read_to_string(&rc012).unwrap();
    std::fs::write(&rc012, format!("# moved down\n\n{text}")).unwrap();
    let rc001 = dir.join("broken/rc001_key_ttl_shorter_than_retry_window.toml");
    let text = std::fs::read_to_string(&rc001).unwrap();
    std::fs::write(&rc001, text.replace("key_ttl = \"1h\"", "key_ttl = \"2h\"")).unwrap();
    let (code, stdout, _) = run(
        &dir,
        &[
            "lint",
            ".",
            "--baseline",
            "base.json",
            "--format",
            "short",
            "--show-fixed",
        ],
    );
    assert_eq!(code, Some(1), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("broken/rc001_key_ttl_shorter_than_retry_window.toml:")
            && lines[0].contains("error[RC001]")
            && lines[0].contains("after 2h"),
        "{stdout}"
    );
    assert_eq!(lines[1], "fixed since the baseline (1 finding):");
    assert!(
        lines[2].contains("fixed[RC001]") && lines[2].contains("after 1h"),
        "{stdout}"
    );
    assert!(
        lines[3].ends_with(&format!(
            "baseline: 1 new, {} known, 1 fixed",
            all.len() - 1
        )),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// How many files `lint .` reads in `dir`: the contracts and the
/// configuration they import (its JSON summary says).
fn files_read(dir: &Path) -> usize {
    let out = cmd_in(dir, &["lint", ".", "--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("a summary line")).unwrap();
    assert_eq!(summary["reason"], "summary");
    summary["files"].as_u64().expect("a file count") as usize
}

/// A contract that does not parse is never hidden by a baseline, and no
/// baseline is taken from a run whose rules did not run.
#[test]
fn parse_errors_are_never_baselined() {
    let dir = scratch("baseline-parse");
    std::fs::write(
        dir.join("a.toml"),
        "version = 1\n[client.c]\nmax_attemps = 3\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&dir, &["lint", ".", "--write-baseline", "base.json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("recorded 0 findings"), "{stderr}");
    let (code, stdout, _) = run(
        &dir,
        &["lint", ".", "--baseline", "base.json", "--format", "short"],
    );
    assert_eq!(code, Some(1));
    assert!(stdout.contains("error[RC000]"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A simulated proof is part of no fingerprint: another seed finds another
/// counterexample of the same gap, and the baseline still knows it.
#[test]
fn simulated_findings_stay_known_whatever_the_proof() {
    let replay = replay_dir("baseline-simulated");
    let base = format!("{replay}/base.json");
    std::fs::create_dir_all(root().join(&replay)).unwrap();
    let args = |seed: &'static str| {
        vec![
            "check",
            RC001,
            "--cases",
            "64",
            "--replay-dir",
            &replay,
            "--seed",
            seed,
        ]
    };
    let mut write = args("1");
    write.extend(["--write-baseline", &base, "--format", "json"]);
    let out = cmd(&write).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let proofs = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("\"simulating "))
        .count();
    assert!(proofs >= 1, "a simulated proof was recorded");
    let mut read = args("7");
    read.extend(["--baseline", &base, "--format", "short"]);
    let out = cmd(&read).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("baseline: 0 new,"), "{stdout}");
}

#[test]
fn an_unreadable_baseline_is_a_usage_error() {
    let dir = scratch("baseline-bad");
    std::fs::write(dir.join("a.toml"), "version = 1\n").unwrap();
    std::fs::write(dir.join("base.json"), "{\"findings\": 3}").unwrap();
    let (code, _, stderr) = run(&dir, &["lint", ".", "--baseline", "base.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("`base.json` is not a retry-check baseline"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&dir, &["lint", ".", "--baseline", "missing.json"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("cannot read the baseline `missing.json`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
