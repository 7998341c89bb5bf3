//! `lint`: the human, short and JSON reports, exit codes, configuration,
//! flags and levels, and inputs that are not contracts.

use super::*;

#[test]
fn help_lint() {
    assert_cmd_snapshot!(cmd(&["lint", "--help"]));
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

#[test]
fn consumer_mistakes_human() {
    assert_cmd_snapshot!(cmd(&["lint", &format!("{FIXTURES}/consumer-typo")]));
}

#[test]
fn clean_consumers_human() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "contracts/ledger-projector.toml",
        "contracts/invoice-worker.toml"
    ]));
}

/// Values no contract can mean (a zero deadline, key TTL or lease, a
/// negative budget, a sub-millisecond duration, ...) are errors, each at
/// its place.
#[test]
fn impossible_values_are_located_errors() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        &format!("{FIXTURES}/impossible/values.toml")
    ]));
}

/// Fractional durations read as Go's and humantime's parsers read them.
#[test]
fn fractional_durations_parse() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        &format!("{FIXTURES}/impossible/fractions.toml")
    ]));
}
