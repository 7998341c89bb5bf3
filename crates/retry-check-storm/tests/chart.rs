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
    ] {
        assert!(svg.contains(label), "{label}");
    }
    assert_eq!(svg, chart::svg(&report, ledger).unwrap());
    insta::assert_snapshot!("storm_ledger_svg", svg);
}
