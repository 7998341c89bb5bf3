//! End-to-end tests of the binary: every `--help`, every output format,
//! exit codes, configuration and flags. Snapshots hold exit code, stdout
//! and stderr.

use std::path::PathBuf;
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary, run from the workspace root, colourless, as cargo runs it.
fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cargo-retry-check"));
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .arg("retry-check")
        .args(args);
    c
}

const FIXTURES: &str = "crates/cargo-retry-check/tests/fixtures";

#[test]
fn help_main() {
    assert_cmd_snapshot!(cmd(&["--help"]));
}

#[test]
fn help_lint() {
    assert_cmd_snapshot!(cmd(&["lint", "--help"]));
}

#[test]
fn help_check() {
    assert_cmd_snapshot!(cmd(&["check", "--help"]));
}

#[test]
fn help_rules() {
    assert_cmd_snapshot!(cmd(&["rules", "--help"]));
}

#[test]
fn help_explain() {
    assert_cmd_snapshot!(cmd(&["explain", "--help"]));
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

#[test]
fn clean_contract_human() {
    assert_cmd_snapshot!(cmd(&["lint", "contracts/payments.toml"]));
}

#[test]
fn typo_human() {
    assert_cmd_snapshot!(cmd(&["lint", &format!("{FIXTURES}/typo")]));
}

#[test]
fn typo_short() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "--format",
        "short",
        &format!("{FIXTURES}/typo")
    ]));
}

#[test]
fn typo_json() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "--format",
        "json",
        &format!("{FIXTURES}/typo")
    ]));
}

#[test]
fn typo_points_at_the_line_and_suggests() {
    let out = cmd(&["lint", "--format", "json", &format!("{FIXTURES}/typo")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let typo = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("max_attempt`"))
        })
        .expect("a diagnostic about max_attempt");
    assert_eq!(typo["line"], 5);
    assert_eq!(typo["column"], 1);
    assert_eq!(typo["label"], "did you mean `max_attempts`?");
}

#[test]
fn json_lines_all_parse_with_required_fields() {
    let out = cmd(&["lint", "--format", "json", &format!("{FIXTURES}/warn")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, diags) = lines.split_last().unwrap();
    assert_eq!(summary["reason"], "summary");
    assert!(!diags.is_empty());
    for d in diags {
        for field in ["code", "name", "level", "message", "file", "line", "column"] {
            assert!(!d[field].is_null(), "missing {field} in {d}");
        }
        assert!(["error", "warning", "info"].contains(&d["level"].as_str().unwrap()));
    }
}

#[test]
fn duplicate_names_across_files() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "--format",
        "short",
        &format!("{FIXTURES}/dup")
    ]));
}

#[test]
fn warnings_only_exit_zero() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "--format",
        "short",
        &format!("{FIXTURES}/warn")
    ]));
}

#[test]
fn deny_warnings_fails() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "--format",
        "short",
        "-D",
        "warnings",
        &format!("{FIXTURES}/warn")
    ]));
}

#[test]
fn later_flags_win() {
    // -A then -D of the same rule: deny wins; -A of a group silences it.
    let out = cmd(&[
        "lint",
        "--format",
        "short",
        "-A",
        "no_retry_budget",
        "-D",
        "RC017",
        "-A",
        "style",
        &format!("{FIXTURES}/warn"),
    ])
    .output()
    .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("error[RC017]"), "{text}");
    assert_eq!(out.status.code(), Some(1));
    let out = cmd(&[
        "lint",
        "--format",
        "short",
        "-D",
        "RC017",
        "-A",
        "no_retry_budget",
        &format!("{FIXTURES}/warn"),
    ])
    .output()
    .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains("RC017"));
}

#[test]
fn workspace_metadata_configures_globs_and_levels() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "--format",
        "short",
        "--manifest-path",
        &format!("{FIXTURES}/config/Cargo.toml"),
    ]));
}

#[test]
fn unknown_lint_is_a_usage_error() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "-A",
        "no_retry_budgt",
        "contracts/payments.toml"
    ]));
}

#[test]
fn missing_path_is_a_usage_error() {
    assert_cmd_snapshot!(cmd(&["lint", "does/not/exist.toml"]));
}

#[test]
fn rules_table() {
    assert_cmd_snapshot!(cmd(&["rules"]));
}

#[test]
fn rules_json() {
    assert_cmd_snapshot!(cmd(&["rules", "--format", "json"]));
}

#[test]
fn explain_rc001() {
    assert_cmd_snapshot!(cmd(&["explain", "RC001"]));
}

#[test]
fn explain_by_name_matches_code() {
    let a = cmd(&["explain", "RC001"]).output().unwrap();
    let b = cmd(&["explain", "key_ttl_shorter_than_retry_window"])
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn explain_unknown() {
    assert_cmd_snapshot!(cmd(&["explain", "RC0001"]));
}

#[test]
fn random_bytes_are_a_clean_error() {
    // A fixed pseudo-random generator, so the test is reproducible.
    let dir = std::env::temp_dir().join(format!("retry-check-random-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for case in 0..8 {
        let bytes: Vec<u8> = (0..512)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Half the cases are printable ASCII, to get past UTF-8 decoding.
                if case % 2 == 0 {
                    (state % 95 + 32) as u8
                } else {
                    state as u8
                }
            })
            .collect();
        let path = dir.join(format!("case{case}.toml"));
        std::fs::write(&path, bytes).unwrap();
        let out = cmd(&["lint", path.to_str().unwrap()]).output().unwrap();
        let code = out.status.code();
        assert!(
            matches!(code, Some(1) | Some(2)),
            "case {case}: exit {code:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_file_is_a_clean_error() {
    let dir = std::env::temp_dir().join(format!("retry-check-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("empty.toml");
    std::fs::write(&path, "").unwrap();
    let out = cmd(&["lint", "--format", "short", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no `version`"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn readme_rule_table_is_current() {
    let out = cmd(&["rules", "--format", "markdown"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's rule table is stale; replace it with the output of \
         `cargo run -p cargo-retry-check -- rules --format markdown`:\n{table}"
    );
}

/// The README's main job: linting the bundled contracts with this
/// workspace's configuration shows every rule of the catalog, as JSON Lines
/// that parse one by one and carry the documented fields.
#[test]
fn main_job_shows_every_rule_as_json_lines() {
    let out = cmd(&["lint", "contracts/", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "findings exit 1");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut codes = std::collections::BTreeSet::new();
    let mut summaries = 0;
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v.get("reason").is_some_and(|r| r == "summary") {
            summaries += 1;
            continue;
        }
        for field in ["code", "name", "level", "message", "file", "line", "column"] {
            assert!(v.get(field).is_some(), "missing `{field}` in {line}");
        }
        assert!(["error", "warning", "info"].contains(&v["level"].as_str().unwrap()));
        codes.insert(v["code"].as_str().unwrap().to_string());
    }
    assert_eq!(summaries, 1, "one summary object at the end");
    for n in 1..=36 {
        let code = format!("RC{n:03}");
        if storm_codes().contains(&code.as_str()) {
            // Storm rules: `storm_main_job_trips_every_storm_rule`.
            assert!(!codes.contains(&code), "{code} is storm-only");
            continue;
        }
        assert!(codes.contains(&code), "{code} does not fire on contracts/");
    }
    assert!(codes.contains("RC099"));
}

// ---- simulate and replay -------------------------------------------------

const RC001: &str = "contracts/broken/rc001_key_ttl_shorter_than_retry_window.toml";
const RC022: &str = "contracts/broken/rc022_lease_shorter_than_handler.toml";
const RC027: &str = "contracts/broken/rc027_volatile_key_store.toml";

/// A replay directory of its own per test (relative, so outputs that name
/// replay files stay the same on every machine), emptied first.
fn replay_dir(test: &str) -> String {
    let dir = format!("target/retry-check-cli-tests/{test}");
    let _ = std::fs::remove_dir_all(root().join(&dir));
    dir
}

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
    let help = finding["help"][0].as_str().unwrap();
    let file = help
        .rsplit(' ')
        .next()
        .expect("the help names the replay file");
    assert_eq!(
        file,
        format!("{dir}/rc001-settlement-reconciler--rc001-ledger-at_most_once-seed1.json")
    );
    let note = finding["notes"][0].as_str().unwrap();
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

// ---- check ---------------------------------------------------------------

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

/// The README's main job: `check contracts/` shows every lint rule and the
/// simulated proofs of RC001, RC022 and RC027 (the RC027 one a duplicate
/// side effect), as JSON Lines with one summary, and exits 1.
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
    let mut summaries = Vec::new();
    for line in stdout.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["reason"] == "summary" {
            summaries.push(v);
            continue;
        }
        let code = v["code"].as_str().unwrap().to_string();
        let message = v["message"].as_str().unwrap();
        if message.starts_with("simulating ") {
            let note = v["notes"][0].as_str().unwrap_or_default().to_string();
            assert!(note.starts_with("counterexample"), "{line}");
            proofs.insert(code.clone(), message.to_string());
            proven += 1;
        }
        codes.insert(code);
    }
    for n in 1..=36 {
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

// ---- init ----------------------------------------------------------------

/// An empty crate in a fresh directory outside this workspace.
fn scratch_crate(test: &str, manifest: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retry-check-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    dir
}

const DEMO_MANIFEST: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

fn in_dir(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = cmd(args);
    c.current_dir(dir);
    c
}

#[test]
fn help_init() {
    assert_cmd_snapshot!(cmd(&["init", "--help"]));
}

#[test]
fn init_scaffolds_a_clean_start() {
    let dir = scratch_crate("init_scaffolds", DEMO_MANIFEST);
    assert_cmd_snapshot!(in_dir(&dir, &["init"]));
    let contract = std::fs::read_to_string(dir.join("contracts/example.toml")).unwrap();
    assert!(contract.contains("[server.payments]"));
    let test = std::fs::read_to_string(dir.join("tests/retry_check_store.rs")).unwrap();
    assert!(test.contains("fn my_store_keeps_at_most_once"));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.starts_with(DEMO_MANIFEST),
        "the manifest is appended to"
    );
    assert_eq!(
        manifest.matches("[package.metadata.retry-check]").count(),
        1
    );

    // The scaffolded contract lints and simulates clean, found through the
    // new configuration; Cargo.toml scans clean (2 files: the contract and
    // Cargo.toml; the harness test under tests/ is test code, not scanned).
    let checked = in_dir(&dir, &["check", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(checked.stdout).unwrap();
    assert_eq!(checked.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("checked 2 files: no findings; simulated 1 pair"),
        "{stdout}"
    );
    assert!(stdout.contains(": 0 violations"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = scratch_crate("init_refuses", DEMO_MANIFEST);
    assert_eq!(
        in_dir(&dir, &["init"]).output().unwrap().status.code(),
        Some(0)
    );
    std::fs::write(dir.join("contracts/example.toml"), "# mine\n").unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert_cmd_snapshot!(in_dir(&dir, &["init"]));
    assert_eq!(
        std::fs::read_to_string(dir.join("contracts/example.toml")).unwrap(),
        "# mine\n",
        "nothing is overwritten without --force"
    );

    let forced = in_dir(&dir, &["init", "--force"]).output().unwrap();
    assert_eq!(forced.status.code(), Some(0));
    let stdout = String::from_utf8(forced.stdout).unwrap();
    assert!(
        stdout.contains("overwrote contracts/example.toml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kept the existing retry-check configuration"),
        "{stdout}"
    );
    assert_ne!(
        std::fs::read_to_string(dir.join("contracts/example.toml")).unwrap(),
        "# mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        manifest,
        "the configuration table is never added twice"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_keeps_an_existing_workspace_table() {
    let manifest = "[workspace]\nmembers = []\n\n[workspace.metadata.retry-check]\n\
                    contracts = [\"specs/*.toml\"]\n";
    let dir = scratch_crate("init_keeps_table", manifest);
    let out = in_dir(&dir, &["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        manifest
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_without_a_manifest_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("retry-check-init-none-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = in_dir(&dir, &["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no Cargo.toml found"));
    assert!(!dir.join("contracts").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- storm ---------------------------------------------------------------

#[test]
fn help_storm() {
    assert_cmd_snapshot!(cmd(&["storm", "--help"]));
}

#[test]
fn storm_human_on_the_broken_example() {
    assert_cmd_snapshot!(cmd(&["storm", "contracts/broken/storm.toml"]));
}

#[test]
fn storm_human_on_the_clean_example_exits_0() {
    assert_cmd_snapshot!(cmd(&["storm", "contracts/storm.toml", "--duration", "90s"]));
}

#[test]
fn storm_json() {
    assert_cmd_snapshot!(cmd(&[
        "storm",
        "contracts/broken/storm.toml",
        "--format",
        "json",
        "--duration",
        "75s",
        "--at",
        "15s",
    ]));
}

#[test]
fn storm_brownout_and_slowdown_run() {
    for flags in [["--brownout", "0.5"], ["--slowdown", "0.3"]] {
        let out = cmd(&[
            "storm",
            "contracts/storm.toml",
            "--format",
            "json",
            flags[0],
            flags[1],
        ])
        .output()
        .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let last = stdout.lines().last().unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(last).unwrap();
        let scenario = v["storm"]["scenario"].as_str().unwrap();
        assert!(scenario.starts_with(&flags[0][2..]), "{scenario}");
    }
}

/// The storm main job: every storm rule fires on contracts/broken/storm.toml,
/// and `-o` writes the markdown report with the chart next to it.
#[test]
fn storm_main_job_trips_every_storm_rule() {
    let dir = replay_dir("storm_main_job");
    let report = format!("{dir}/storm.md");
    std::fs::create_dir_all(root().join(&dir)).unwrap();
    let out = cmd(&[
        "storm",
        "contracts/broken/storm.toml",
        "--format",
        "markdown",
        "-o",
        &report,
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "a storm rule fires: exit 1");
    let md = std::fs::read_to_string(root().join(&report)).unwrap();
    for code in storm_codes() {
        assert!(md.contains(code), "{code} missing from\n{md}");
    }
    assert!(
        md.contains("![offered load at `storm-ledger`](storm-storm-ledger.svg)"),
        "{md}"
    );
    let svg = std::fs::read_to_string(root().join(&dir).join("storm-storm-ledger.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    insta::assert_snapshot!("storm_markdown", md);
}

#[test]
fn storm_usage_errors_exit_2() {
    for (args, needle) in [
        (vec!["--server", "nope"], "no server `nope`"),
        (vec!["--outage", "30"], "invalid `--outage 30`"),
        (vec!["--brownout", "1.5"], "must be a failure ratio"),
        (vec!["--at", "2m"], "must end within"),
    ] {
        let mut all = vec!["storm", "contracts/storm.toml"];
        all.extend(args);
        let out = cmd(&all).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(needle), "{all:?}: {stderr}");
    }
}

// ---- --partition ------------------------------------------------------------

#[test]
fn help_model() {
    assert_cmd_snapshot!(cmd(&["model", "--help"]));
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

// ---- model ------------------------------------------------------------------

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

#[test]
fn help_schema() {
    assert_cmd_snapshot!(cmd(&["schema", "--help"]));
}

/// `schema` prints exactly the committed `schema/contract.schema.json`
/// (regenerate it with `cargo run -p cargo-retry-check -- schema -o
/// schema/contract.schema.json`).
#[test]
fn schema_prints_the_committed_file_byte_for_byte() {
    let out = cmd(&["schema"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read(root().join("schema/contract.schema.json"))
        .expect("schema/contract.schema.json is committed");
    assert!(
        out.stdout == committed,
        "schema/contract.schema.json is stale: run \
         `cargo run -p cargo-retry-check -- schema -o schema/contract.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn schema_output_file() {
    let dir = replay_dir("schema_output_file");
    std::fs::create_dir_all(root().join(&dir)).unwrap();
    let file = format!("{dir}/contract.schema.json");
    let out = cmd(&["schema", "-o", &file]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(root().join(&file)).unwrap(),
        std::fs::read(root().join("schema/contract.schema.json")).unwrap()
    );
    let bad = cmd(&["schema", "-o", &format!("{dir}/missing/dir/x.json")])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error: cannot write `"));
}

/// The `cargo retry-check ...` commands of a workflow line, as arguments:
/// what follows `cargo retry-check` up to a shell operator or comment.
fn workflow_commands(yaml: &str) -> Vec<Vec<String>> {
    yaml.lines()
        .filter_map(|line| line.split_once("cargo retry-check "))
        .map(|(_, rest)| {
            rest.split_whitespace()
                .take_while(|w| !matches!(*w, "||" | "&&" | ">>" | ">" | "|" | "#"))
                .map(String::from)
                .collect()
        })
        .collect()
}

/// docs/github-actions.yml only uses subcommands and flags that exist: each
/// command parses (with `--help` appended, clap checks every flag and value
/// before printing help, and runs nothing). The README quotes the file.
#[test]
fn github_actions_example_uses_commands_that_exist() {
    let yaml = std::fs::read_to_string(root().join("docs/github-actions.yml")).unwrap();
    let commands = workflow_commands(&yaml);
    assert_eq!(commands.len(), 3, "{commands:?}");
    let formats: Vec<&str> = commands
        .iter()
        .filter_map(|c| {
            c.iter()
                .position(|a| a == "--format")
                .map(|i| c[i + 1].as_str())
        })
        .collect();
    assert_eq!(formats, ["sarif", "github", "markdown"]);
    for args in &commands {
        let mut with_help: Vec<&str> = args.iter().map(String::as_str).collect();
        with_help.push("--help");
        let out = cmd(&with_help).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "`cargo retry-check {}` does not parse:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A misspelt flag is caught by the same check.
    let bad = cmd(&["check", "--format", "sarif", "--ouput", "x", "--help"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(yaml.contains("cargo install --locked --path crates/cargo-retry-check"));
    assert!(root().join("crates/cargo-retry-check/Cargo.toml").is_file());
    assert!(yaml.contains("uses: github/codeql-action/upload-sarif@v4"));
    assert!(yaml.contains("sarif_file: retry-check.sarif"));
    assert!(yaml.contains(">> \"$GITHUB_STEP_SUMMARY\""));
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{yaml}```\n")),
        "the README quotes docs/github-actions.yml verbatim"
    );
}

/// The codes only `storm` reports.
fn storm_codes() -> Vec<&'static str> {
    retry_check_storm::rules::ALL
        .iter()
        .map(|r| r.lint.code)
        .collect()
}
