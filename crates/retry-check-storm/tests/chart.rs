//! The SVG chart is deterministic: snapshotted for the bundled example.

use retry_check_storm::{chart, simulate, Scenario};

#[test]
fn svg_of_the_broken_storm_example_is_stable() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contracts/broken/storm.toml"
    ))
    .unwrap();
    let (set, errors) = retry_check_contract::load_str("storm.toml", &text);
    assert!(errors.is_empty());
    let report = simulate(&set, &Scenario::default()).unwrap();
    let ledger = report
        .servers
        .iter()
        .find(|s| s.name == "storm-ledger")
        .unwrap();
    let svg = chart::svg(&report, ledger).unwrap();
    assert!(svg.starts_with("<svg"));
    for label in [
        "offered (as written)",
        "offered (with fix)",
        "incident",
        "capacity",
        "bound: max_load_factor 1.5x = 4500/s",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    // The fix changes this fleet: no line covers another.
    assert!(!svg.contains("covers"), "{svg}");
    assert_eq!(svg, chart::svg(&report, ledger).unwrap());
    insta::assert_snapshot!("storm_ledger_svg", svg);
}

/// A fleet that needs no fix runs the same twice: the "with fix" lines are
/// drawn over the "as written" ones, and the legend says so.
#[test]
fn coinciding_lines_are_named_in_the_legend() {
    let (set, errors) = retry_check_contract::load_str(
        "t.toml",
        r#"version = 1
[server.db]
capacity_per_sec = 500
max_load_factor = 3.0
[client.app]
calls = ["db"]
fleet = { clients = 100, rate_per_sec = 2.0 }
max_attempts = 3
backoff = { initial = "100ms", multiplier = 2.0, max = "1s", jitter = "full" }
budget = { ratio = 0.1 }
"#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let scenario = Scenario {
        duration_ms: 20_000,
        incident_start_ms: 5_000,
        incident_len_ms: 5_000,
        ..Scenario::default()
    };
    let report = simulate(&set, &scenario).unwrap();
    let svg = chart::svg(&report, &report.servers[0]).unwrap();
    for label in [
        "offered (with fix) (covers offered (as written): the same line)",
        "succeeded (with fix) (covers succeeded (as written): the same line)",
        "bound: max_load_factor 3x = 1500/s",
    ] {
        assert!(svg.contains(label), "{label} missing from\n{svg}");
    }
    assert!(
        !svg.contains("offered (as written) (covers"),
        "the first of two equal lines covers nothing"
    );
}
