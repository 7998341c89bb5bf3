//! The report counts the store's answers per kind and warns about the
//! interesting ones that never occurred, and names the fault kinds the
//! configuration turned off, so that a vacuous pass shows.

use std::time::Duration;

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use retry_check_harness::stores::MemoryStore;
use retry_check_harness::{
    Claim, Event, Faults, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, Sim,
    SimCase, SimConfig, StorageLocation, StoreError, VirtualTime,
};

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

/// A store with no release operation: its `release` always fails.
struct NoRelease(MemoryStore);

impl IdempotencyStore for NoRelease {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.0.begin(key, fingerprint, now, lease)
    }
    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.complete(key, held, outcome, now)
    }
    fn release(&self, _key: &str, _held: &Held, _now: VirtualTime) -> Result<Fenced, StoreError> {
        Err(StoreError::new("this store has no release"))
    }
}

fn no_release(
    faults: Faults,
) -> Result<retry_check_harness::SimReport, retry_check_harness::SimError> {
    let config = SimConfig {
        faults,
        ..report_config()
    };
    Sim::new(|_: &StorageLocation| Ok(NoRelease(MemoryStore::new(DAY))))
        .config(config)
        .cases(256)
        .seed(4)
        .threaded_rounds(0)
        .run()
}

/// Handler errors can be turned off, so a store without `release` is
/// checked without a single call of it; the report says what was left
/// out.
#[test]
fn handler_errors_and_stalls_can_be_turned_off_and_the_report_says_so() {
    let mut faults = report_config().faults;
    // With handler errors on, every failed handler's release is an error.
    let with = no_release(faults).unwrap_or_else(|e| panic!("{e}"));
    assert!(with.answers().errors > 0, "{with}");
    faults.handler_errors = false;
    faults.stalls = false;
    let report = no_release(faults).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report.faults_off,
        ["store restarts", "stalls", "handler errors"].map(String::from)
    );
    let text = report.to_string();
    assert!(
        text.contains("faults off (not exercised): store restarts, stalls, handler errors"),
        "{text}"
    );
    assert_eq!(
        report.answers().released + report.answers().stale_release,
        0
    );
    // No case of such a configuration holds a stall or a handler error.
    let config = SimConfig {
        faults,
        ..report_config()
    };
    let mut runner = TestRunner::deterministic();
    let strategy = SimCase::strategy(&config, false);
    for _ in 0..200 {
        let case = strategy
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !case
                .events
                .iter()
                .any(|e| matches!(e, Event::Stall | Event::SlowHandler | Event::HandlerError)),
            "{case:?}"
        );
    }
}
