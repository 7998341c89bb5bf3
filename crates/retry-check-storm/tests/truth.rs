//! The storm report says what its numbers rest on: an assumed capacity, a
//! fix that is not enough, fewer than one attempt per request, exhaustion
//! that grows with the fix. Fixtures in `fixtures/truth/`, the human
//! report snapshotted.

use retry_check_contract::load;
use retry_check_diagnostics::SourceMap;
use retry_check_storm::{report, simulate, Scenario, StormReport};

fn run(file: &str) -> (SourceMap, StormReport) {
    let path = format!("{}/tests/fixtures/truth/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = SourceMap::new();
    sources.add(format!("fixtures/truth/{file}"), text);
    let (set, errors) = load(&sources);
    assert!(errors.is_empty(), "{file}: {errors:?}");
    let scenario = Scenario {
        duration_ms: 90_000,
        ..Scenario::default()
    };
    let storm = simulate(&set, &scenario).unwrap();
    (sources, storm)
}

fn human(file: &str) -> (String, StormReport) {
    let (sources, storm) = run(file);
    (report::human(&storm, &sources, false), storm)
}

#[test]
fn an_assumed_capacity_is_still_judged_and_says_so() {
    let (text, storm) = human("assumed_capacity_bad.toml");
    let rc034: Vec<_> = storm
        .diagnostics
        .iter()
        .filter(|d| d.code == "RC034")
        .collect();
    assert_eq!(rc034.len(), 1, "{text}");
    assert!(rc034[0].message.contains("its assumed capacity"), "{text}");
    assert!(
        text.contains("capacity assumed: `search` declares no `capacity_per_sec`"),
        "{text}"
    );
    assert!(text.contains("(400/s + 25% = 500/s)"), "{text}");
    insta::assert_snapshot!("assumed_capacity", text);

    let (text, storm) = human("assumed_capacity_good.toml");
    assert!(storm.diagnostics.is_empty(), "{text}");
    assert!(text.contains("assumed: no `capacity_per_sec`"), "{text}");
}

#[test]
fn a_fix_that_still_exceeds_the_bound_is_not_presented_as_enough() {
    let (text, storm) = human("fix_not_enough.toml");
    let ledger = &storm.servers[0];
    assert!(
        ledger.with_fix.peak_load_factor > ledger.max_load_factor,
        "the fixture's fix must fall short: {text}"
    );
    assert!(text.contains("(still above the bound 1.2x)"), "{text}");
    assert!(
        text.contains("the recommended fix is not enough here"),
        "{text}"
    );
    let rc034 = storm.diagnostics.iter().find(|d| d.code == "RC034");
    let help = rc034.map(|d| d.help.join("\n")).unwrap_or_default();
    assert!(
        help.contains("still above the bound 1.2x: the fix is not enough"),
        "{help}"
    );
    // The budget fails requests fast: the report explains the growth.
    let poller = &storm.clients[0];
    assert!(poller.with_fix.budget_denials > 0);
    assert!(
        text.contains("`poller` exhausts more requests with the fix"),
        "{text}"
    );
    assert!(text.contains("the retry budget refused"), "{text}");
    let json = retry_check_storm::json_summary(&storm);
    assert_eq!(json["servers"][0]["fix_is_enough"], false);
    insta::assert_snapshot!("fix_not_enough", text);

    // Where the fix is enough, nothing says otherwise.
    let (sources, storm) = {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/rc034_bad.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let mut sources = SourceMap::new();
        sources.add("rc034_bad.toml", text);
        let (set, _) = load(&sources);
        let storm = simulate(&set, &Scenario::default()).unwrap();
        (sources, storm)
    };
    let text = report::human(&storm, &sources, false);
    assert!(!text.contains("not enough"), "{text}");
    assert!(!text.contains("still above"), "{text}");
}

#[test]
fn fewer_than_one_attempt_per_request_is_explained() {
    let (text, storm) = human("breaker.toml");
    let index = &storm.servers[0];
    assert!(index.without.incident_amplification < 1.0, "{text}");
    assert!(
        text.contains("note: fewer than 1 attempt per request: an open breaker failed"),
        "{text}"
    );
    insta::assert_snapshot!("breaker", text);
    // A fleet with more than one attempt per request gets no such note.
    let (text, _) = human("fix_not_enough.toml");
    assert!(!text.contains("fewer than 1 attempt"), "{text}");
}
