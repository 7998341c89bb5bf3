//! The report counts the store's answers per kind and warns about the
//! interesting ones that never occurred, so that a vacuous pass shows.

use std::time::Duration;

use retry_check_harness::stores::MemoryStore;
use retry_check_harness::{Faults, Sim, SimConfig};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// Without faults the clock never passes a lease, no payload changes and
/// no owner is fenced: the correct store passes, and the report says that
/// it never answered a takeover, a stale token or a mismatch.
#[test]
fn a_run_without_takeovers_says_they_were_not_exercised() {
    let config = SimConfig {
        faults: Faults::none(),
        ..SimConfig::default()
    };
    let report = Sim::new(MemoryStore::factory(DAY))
        .config(config)
        .cases(64)
        .seed(3)
        .threaded_rounds(0)
        .run()
        .expect("the reference store passes");
    let answers = report.answers();
    assert_eq!(answers.takeover, 0);
    assert!(answers.acquired > 0 && answers.completed > 0, "{answers}");
    let missing = answers.not_exercised();
    assert!(missing.contains(&"takeover"), "{missing:?}");
    assert!(missing.contains(&"stale token"), "{missing:?}");
    assert!(missing.contains(&"mismatch"), "{missing:?}");
    let text = report.to_string();
    assert!(text.contains("warning: not exercised:"), "{text}");
    insta::assert_snapshot!(text);
}

/// Every fault on: each interesting answer occurs, and no warning is
/// printed.
#[test]
fn a_run_with_every_fault_exercises_every_answer() {
    let report = Sim::new(MemoryStore::factory(DAY))
        .config(report_config())
        .cases(512)
        .seed(3)
        .threaded_rounds(0)
        .run()
        .expect("the reference store passes");
    let answers = report.answers();
    assert_eq!(answers.not_exercised(), Vec::<&str>::new(), "{answers}");
    assert!(answers.takeover > 0 && answers.mismatch > 0, "{answers}");
    assert!(
        answers.stale_complete + answers.stale_release > 0,
        "{answers}"
    );
    let text = report.to_string();
    assert!(text.contains("store answers: begin:"), "{text}");
    assert!(!text.contains("warning"), "{text}");
    // Same seed, same counts.
    let again = Sim::new(MemoryStore::factory(DAY))
        .config(report_config())
        .cases(512)
        .seed(3)
        .threaded_rounds(0)
        .run()
        .expect("the reference store passes");
    assert_eq!(again.answers(), answers);
}

/// The default configuration; store restarts off (the in-process store is
/// volatile by design).
fn report_config() -> SimConfig {
    let mut config = SimConfig::default();
    config.faults.store_restarts = false;
    config
}
