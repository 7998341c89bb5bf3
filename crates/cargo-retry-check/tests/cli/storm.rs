//! `storm`: the fleet through an outage, every format, usage errors.

use super::*;

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
        (
            vec!["--outage", "0s"],
            "`--outage 0s` must be longer than zero",
        ),
        (vec!["--duration", "0s"], "must be above zero"),
        (vec!["--brownout", "0"], "must be a failure ratio"),
        (vec!["--slowdown=-1"], "must be a capacity factor"),
    ] {
        let mut all = vec!["storm", "contracts/storm.toml"];
        all.extend(args);
        let out = cmd(&all).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(needle), "{all:?}: {stderr}");
    }
}

/// A cycle through `runs_in` leaves no client to start a request: `storm`
/// says so (and points at RC037), not "no client calls a server".
#[test]
fn storm_names_a_runs_in_cycle() {
    assert_cmd_snapshot!(cmd(&["storm", "contracts/broken/rc037_runs_in_cycle.toml"]));
}
