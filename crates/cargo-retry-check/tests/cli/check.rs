//! `check` (and the default with no subcommand): lint, scan, simulate and
//! model in one report.

use super::*;

#[test]
fn help_check() {
    assert_cmd_snapshot!(cmd(&["check", "--help"]));
}

#[test]
fn help_check_lists_simulation_flags() {
    let out = cmd(&["check", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in ["--seed", "--cases", "--replay-dir", "--no-simulate", "-D"] {
        assert!(help.contains(flag), "`check --help` lacks {flag}:\n{help}");
    }
}

#[test]
fn check_clean_contract() {
    let dir = replay_dir("check_clean_contract");
    assert_cmd_snapshot!(cmd(&[
        "check",
        "--replay-dir",
        &dir,
        "contracts/payments.toml"
    ]));
    assert!(
        !root().join(&dir).exists(),
        "a clean run writes no replay file"
    );
}

/// With no subcommand, `check` runs: the same bytes and exit code.
#[test]
fn no_subcommand_is_check() {
    let dir = replay_dir("no_subcommand_is_check");
    let bare = cmd(&["--replay-dir", &dir, "--format", "short", RC001])
        .output()
        .unwrap();
    let check = cmd(&["check", "--replay-dir", &dir, "--format", "short", RC001])
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(1));
    assert_eq!(bare.status.code(), check.status.code());
    assert_eq!(bare.stdout, check.stdout);
    assert!(String::from_utf8(bare.stdout)
        .unwrap()
        .contains("; simulated 1 pair"));
}

/// The proofs of the three gaps the simulation covers, each after the lint
/// findings of its file, each with the timeline of the duplicate charge.
#[test]
fn check_broken_gaps_human() {
    let dir = replay_dir("check_broken_gaps_human");
    assert_cmd_snapshot!(cmd(&["check", "--replay-dir", &dir, RC001, RC022, RC027]));
}

#[test]
fn check_no_simulate_is_lint() {
    let dir = replay_dir("check_no_simulate_is_lint");
    let check = cmd(&["check", "--no-simulate", "--replay-dir", &dir, RC001])
        .output()
        .unwrap();
    let lint = cmd(&["lint", RC001]).output().unwrap();
    assert_eq!(check.status.code(), lint.status.code());
    assert_eq!(check.stdout, lint.stdout);
    assert!(!root().join(&dir).exists());
}

#[test]
fn check_reports_parse_errors_without_simulating() {
    let out = cmd(&["check", "--format", "short", &format!("{FIXTURES}/typo")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("error[RC000]"), "{stdout}");
    assert!(!stdout.contains("simulated"), "{stdout}");
}

/// The README's main job: `check contracts/` shows every lint rule, and
/// the RC001, RC022 and RC027 findings carry their simulated proofs (the
/// RC027 one a duplicate side effect), as JSON Lines with one summary, and
/// exits 1.
#[test]
fn main_job_check_lints_and_proves() {
    let dir = replay_dir("main_job_check_lints_and_proves");
    let out = cmd(&[
        "check",
        "contracts/",
        "--format",
        "json",
        "--cases",
        "64",
        "--replay-dir",
        &dir,
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "findings exit 1");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut codes = std::collections::BTreeSet::new();
    let mut proofs = std::collections::BTreeMap::new();
    let mut proven = 0;
    let mut gaps = std::collections::BTreeSet::new();
    let mut summaries = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["reason"] == "summary" {
            summaries.push(v);
            continue;
        }
        let code = v["code"].as_str().unwrap().to_string();
        if v.get("trace").is_some() {
            // A proof is attached to the lint finding it proves.
            let notes = v["notes"].as_array().unwrap();
            let proof = notes
                .iter()
                .filter_map(|n| n.as_str())
                .find(|n| n.starts_with("simulating "))
                .unwrap_or_else(|| panic!("a proven finding notes its proof: {line}"));
            assert!(proof.contains("counterexample"), "{line}");
            let message = v["message"].as_str().unwrap();
            assert!(
                gaps.insert(message.to_string()),
                "one finding per gap: `{message}` twice"
            );
            proofs.insert(code.clone(), proof.to_string());
            proven += 1;
        }
        codes.insert(code);
    }
    for n in 1..=38 {
        let code = format!("RC{n:03}");
        if storm_codes().contains(&code.as_str()) {
            continue; // `check` does not run the storm simulation
        }
        assert!(codes.contains(&code), "{code} does not fire on contracts/");
    }
    for code in ["RC001", "RC022", "RC027"] {
        assert!(
            proofs.contains_key(code),
            "no simulated proof of {code}: {proofs:?}"
        );
    }
    assert!(
        proofs["RC027"].contains("`at_most_once`"),
        "RC027 is proven by a duplicate side effect: {}",
        proofs["RC027"]
    );
    assert_eq!(summaries.len(), 1, "one summary object at the end");
    let sim = &summaries[0]["simulation"];
    assert_eq!(sim["violations"].as_u64(), Some(proven));
    assert!(sim["pairs"].as_u64().unwrap() >= 3);
    assert_eq!(summaries[0]["success"], false);
}

pub(crate) const TWO_CLIENTS: &str = "crates/cargo-retry-check/tests/fixtures/two-clients";

/// One gap, one finding: a checkout that gives up after 3s and a
/// reconciler that retries for 48h call a server that keeps keys for 24h.
/// Only the reconciler outlives the TTL: exactly one RC001, naming it, with
/// the simulated trace of its own schedule attached (not a second finding,
/// and nothing for the checkout).
#[test]
fn two_clients_one_gap_one_finding() {
    let dir = replay_dir("two_clients_one_gap_one_finding");
    assert_cmd_snapshot!(cmd(&["check", "--replay-dir", &dir, TWO_CLIENTS]));
    let out = cmd(&[
        "check",
        "--format",
        "json",
        "--replay-dir",
        &dir,
        TWO_CLIENTS,
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rc001: Vec<&serde_json::Value> = lines.iter().filter(|v| v["code"] == "RC001").collect();
    assert_eq!(rc001.len(), 1, "one finding per gap: {lines:#?}");
    let finding = rc001[0];
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("client `reconciler`"), "{message}");
    assert!(!message.contains("checkout"), "{message}");
    let trace = finding["trace"].as_array().expect("the proof is attached");
    assert!(trace.len() >= 4, "{trace:?}");
    let notes = finding["notes"].to_string();
    assert!(
        notes.contains("simulating `reconciler` -> `payments` proves it"),
        "{notes}"
    );
    assert!(!notes.contains("`checkout` -> "), "{notes}");
    let summary = lines.last().unwrap();
    assert_eq!(summary["simulation"]["violations"], 1);
    assert_eq!(summary["simulation"]["proved"], 1);
}
