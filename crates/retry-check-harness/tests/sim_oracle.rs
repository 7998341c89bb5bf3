//! The oracle, validated on tiny in-test stores: a correct one is never
//! reported (large budgets, several configurations), and each deliberately
//! broken one is reported with the property its defect breaks, shrunk to a
//! short trace.

mod sim_support;

use std::time::Duration;

use retry_check_harness::{
    replay, CrashPoint, Event, Faults, Held, Jitter, Jump, JumpKind, OpSpec, Property, Reconciler,
    ReplayFile, Sim, SimCase, SimConfig, ViolationClass,
};
use sim_support::{Defect, TinyFactory};

fn run_ok(defect: Defect, config: SimConfig) -> retry_check_harness::SimReport {
    match Sim::new(TinyFactory::new(defect)).config(config).run() {
        Ok(report) => report,
        Err(cx) => panic!("false alarm on a correct store:\n{cx}"),
    }
}

fn run_err(defect: Defect, config: SimConfig) -> Box<retry_check_harness::Counterexample> {
    match Sim::new(TinyFactory::new(defect)).config(config).run() {
        Ok(report) => panic!("{defect:?} was not caught: {report}"),
        Err(e) => e.expect_violation(),
    }
}

#[test]
fn correct_store_is_never_reported_with_a_large_budget() {
    for seed in 1..=3 {
        let report = run_ok(
            Defect::None,
            SimConfig {
                cases: 2000,
                seed,
                ..SimConfig::default()
            },
        );
        assert_eq!(report.cases_run, 2000);
        assert!(report.steps_total > 2000, "cases did something: {report}");
    }
}

#[test]
fn correct_store_is_never_reported_under_other_configurations() {
    let mut configs = Vec::new();
    for jitter in [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ] {
        let mut c = SimConfig::default();
        c.schedule.jitter = jitter;
        configs.push(c);
    }
    configs.push(SimConfig {
        reconciler: Some(Reconciler {
            every: Duration::from_secs(2),
            until: Duration::from_secs(30),
        }),
        ..SimConfig::default()
    });
    let mut c = SimConfig {
        key_ttl: Some(Duration::from_secs(60)),
        ..SimConfig::default()
    };
    c.schedule.deadline = None;
    c.schedule.per_attempt_timeout = None;
    configs.push(c);
    configs.push(SimConfig {
        duplicates: 1,
        operations: 3,
        faults: Faults::none(),
        ..SimConfig::default()
    });
    // A lease just above the handler time: the tightest correct setting.
    configs.push(SimConfig {
        lease: Duration::from_millis(1001),
        ..SimConfig::default()
    });
    for (i, mut c) in configs.into_iter().enumerate() {
        c.cases = 600;
        c.seed = 100 + i as u64;
        run_ok(Defect::None, c);
    }
}

/// Each defect is reported with its property, a short shrunk trace and a
/// complete report.
#[test]
fn every_defect_is_caught_with_its_property_and_a_short_trace() {
    let focused = |f: fn(&mut Faults)| {
        let mut c = SimConfig::default();
        f(&mut c.faults);
        c
    };
    let cases = [
        // Without an in-progress record a changed payload also gets in
        // (mismatch_rejected, a true finding too): focus on the duplicate.
        // Its `complete` takes any token, so a stalled owner's late one is
        // accepted too.
        (
            Defect::CheckThenAct,
            focused(|f| f.payload_changes = false),
            Property::AtMostOnce,
        ),
        (
            Defect::NoFingerprint,
            SimConfig::default(),
            Property::MismatchRejected,
        ),
        (
            Defect::Volatile,
            focused(|f| f.payload_changes = false),
            Property::AtMostOnce,
        ),
        // A store that loses records also lets a changed payload in
        // (mismatch_rejected, a true finding too): focus on the duplicate.
        (
            Defect::ShortTtl,
            focused(|f| f.payload_changes = false),
            Property::AtMostOnce,
        ),
        (
            Defect::WrongReplay,
            SimConfig::default(),
            Property::ReplayConsistent,
        ),
        (
            Defect::NoTakeover,
            SimConfig::default(),
            Property::EventualOutcome,
        ),
        (
            Defect::ExpiredIsFailure,
            SimConfig::default(),
            Property::NoFalseFailure,
        ),
    ];
    for (defect, config, property) in cases {
        for seed in [1, 2, 3] {
            let cx = run_err(
                defect,
                SimConfig {
                    seed,
                    ..config.clone()
                },
            );
            let also: &[Property] = match defect {
                Defect::CheckThenAct => &[Property::StaleOwnerFenced],
                // A store that forgets everything forgets its token counter
                // too, and a late duplicate finds no record.
                Defect::Volatile => &[Property::StaleOwnerFenced, Property::TtlHonoured],
                Defect::ShortTtl => &[Property::TtlHonoured],
                _ => &[],
            };
            assert!(
                cx.property == property || also.contains(&cx.property),
                "{defect:?} seed {seed}:\n{cx}"
            );
            assert!(
                cx.shrink.shrunk_events <= 10,
                "{defect:?} seed {seed}: shrunk to {} events:\n{cx}",
                cx.shrink.shrunk_events
            );
            assert!(cx.shrink.shrunk_events <= cx.shrink.original_events);
            assert!(cx.timeline.len() <= 25, "{defect:?} seed {seed}:\n{cx}");
            assert!(cx.cases_explored <= config.cases);
            let text = cx.to_string();
            assert!(
                text.contains(&format!("property `{}` violated", cx.property)),
                "{text}"
            );
            assert!(
                text.contains("!! "),
                "the violating line is marked:\n{text}"
            );
            assert!(text.contains("because:"), "{text}");
            assert!(text.contains(&format!("seed:      {seed}")), "{text}");
            assert!(text.contains(&format!("tiny store ({defect:?})")), "{text}");
            assert!(!cx.violation.because.is_empty());
            // The violating line is the last line of the timeline.
            assert_eq!(cx.violation.line, cx.timeline.len());
        }
    }
}

#[test]
fn a_lease_shorter_than_the_handler_is_a_finding_even_on_a_correct_store() {
    let config = SimConfig {
        lease: Duration::from_millis(400),
        handler_time: Duration::from_secs(1),
        seed: 5,
        ..SimConfig::default()
    };
    let cx = run_err(Defect::None, config);
    assert_eq!(cx.property, Property::AtMostOnce, "{cx}");
    assert_eq!(
        cx.violation.class,
        ViolationClass::LeaseExpiredInFlight,
        "{cx}"
    );
}

/// A stalled owner (a GC pause) outlives its lease and the key is taken
/// over; its late `complete` must be refused. The correct store refuses it
/// (no report, and its late side effect is excused: no store can stop it),
/// the unfenced one accepts it.
#[test]
fn an_unfenced_store_is_caught_when_a_stalled_owner_completes_late() {
    for seed in [1, 2, 3] {
        let cx = run_err(
            Defect::NoFencing,
            SimConfig {
                seed,
                ..SimConfig::default()
            },
        );
        assert_eq!(cx.property, Property::StaleOwnerFenced, "{cx}");
        assert_eq!(cx.violation.class, ViolationClass::StaleTokenCompletion);
        assert!(cx.timeline.render().contains("stalls (GC pause)"), "{cx}");
    }
    let file = scenario(vec![
        Event::Step(0), // c1 sends -> h1
        Event::Step(0), // h1 begin -> Acquired(token#1)
        Event::Stall,   // h1 stalls past its lease end (t=5.001s)
        Event::Step(1), // c1 retries -> h2 (h1 is runnable at index 0)
        Event::Step(1), // h2 begin -> Acquired(token#2): takeover
    ]);
    let correct = replay(TinyFactory::new(Defect::None), &file).expect("store opens");
    let text = correct.timeline.render();
    assert_eq!(correct.violation, None, "{text}");
    assert!(text.contains("-> StaleToken"), "{text}");
    let broken = replay(TinyFactory::new(Defect::NoFencing), &file).expect("store opens");
    let v = broken.violation.expect("stale completion reported");
    assert_eq!(
        v.property,
        Property::StaleOwnerFenced,
        "{}",
        broken.timeline.render()
    );
}

fn scenario(events: Vec<Event>) -> ReplayFile {
    ReplayFile::new(
        SimConfig::default(),
        SimCase {
            operations: vec![OpSpec { duplicates: 2 }],
            events,
            ..SimCase::empty()
        },
    )
}

/// A crash between the side effect and `complete` is the effect-record gap:
/// a correct store lets the retry run again after the lease, and the oracle
/// says so instead of reporting it.
#[test]
fn a_rerun_after_a_crash_in_the_effect_record_gap_is_not_a_violation() {
    let file = scenario(vec![
        Event::Step(0),                            // c1 sends -> h1
        Event::Step(0),                            // h1 begin -> Acquired
        Event::Step(0),                            // h1 side effect
        Event::Crash(CrashPoint::AfterSideEffect), // h1 dies before complete
    ]);
    let trace = replay(TinyFactory::new(Defect::None), &file).expect("store opens");
    assert_eq!(trace.violation, None, "{}", trace.timeline.render());
    let text = trace.timeline.render();
    assert!(
        text.contains("re-run after a crash in the effect-record gap"),
        "{text}"
    );
    assert!(text.contains("execution #2"), "{text}");
    // The same schedule against a store that never lets the key go again is
    // stuck: no final outcome once faults stop.
    let stuck = replay(TinyFactory::new(Defect::NoTakeover), &file).expect("store opens");
    let v = stuck.violation.expect("stuck key reported");
    assert_eq!(v.property, Property::EventualOutcome);
    // The explanation names the dead owner, and says the lease was over
    // only because it was.
    let because = v.because.join("\n");
    assert!(
        because.contains("h1 claimed op1 at line 2 and its node crashed at line 4"),
        "{because}"
    );
    assert!(
        because.contains("the lease of every open claim of op1 had ended"),
        "{because}"
    );
}

/// A node crash kills its own handlers only: an owner on the other node
/// keeps running and completes.
#[test]
fn a_node_crash_spares_the_other_nodes_handlers() {
    let file = scenario(vec![
        Event::Step(0),                        // c1 sends -> n1 h1
        Event::Step(1),                        // c2 sends -> n2 h2
        Event::Step(0),                        // h1 begin -> Acquired
        Event::Crash(CrashPoint::BeforeClaim), // strikes h2 on n2
    ]);
    let trace = replay(TinyFactory::new(Defect::None), &file).expect("store opens");
    let text = trace.timeline.render();
    assert_eq!(trace.violation, None, "{text}");
    assert!(
        text.contains("CRASH of node n2 before claim of h2"),
        "{text}"
    );
    assert!(
        text.contains("n1 h1    store.complete(op1, token#1"),
        "{text}"
    );
}

/// A completed record lost on a restart of the store is re-executed:
/// reported, with the class and the first execution marked. (A node crash
/// leaves the store alone: no violation.)
#[test]
fn a_record_lost_on_restart_is_a_duplicate_effect() {
    let file = scenario(vec![
        Event::Step(0),
        Event::Step(0),
        Event::Step(0),
        Event::Step(0), // complete
        Event::StoreRestart,
    ]);
    let durable = replay(TinyFactory::new(Defect::None), &file).expect("store opens");
    assert_eq!(durable.violation, None, "{}", durable.timeline.render());
    let mut node_crash = file.clone();
    node_crash.scenario.events[4] = Event::Crash(CrashPoint::AfterComplete);
    let survives = replay(TinyFactory::new(Defect::Volatile), &node_crash).expect("store opens");
    assert_eq!(survives.violation, None, "{}", survives.timeline.render());
    let trace = replay(TinyFactory::new(Defect::Volatile), &file).expect("store opens");
    let v = trace.violation.expect("violation");
    assert_eq!(v.property, Property::AtMostOnce);
    assert_eq!(v.class, ViolationClass::RecordLostOnCrash);
    let text = trace.timeline.render();
    assert!(text.contains("first execution"), "{text}");
    assert!(text.contains("!! second execution"), "{text}");
}

/// Clock jumps never push a live owner past `handler_time`: a jump of a
/// whole lease while h1 holds its claim is held back, so a correct store
/// never hands the key over in flight.
#[test]
fn clock_jumps_are_held_while_an_owner_is_within_its_handler_time() {
    let lease_jump = Event::AdvanceClock(Jump {
        kind: JumpKind::Lease,
        delta_ms: 3,
    });
    let file = scenario(vec![
        Event::Step(0), // c1 sends -> h1
        Event::Step(0), // h1 begin -> Acquired at t=0
        lease_jump,     // wants t=5.003s, held at t=1.000s
        Event::Step(1), // c1 or c2 sends a duplicate
        Event::Step(1), // the duplicate's begin
    ]);
    let trace = replay(TinyFactory::new(Defect::None), &file).expect("store opens");
    let text = trace.timeline.render();
    assert_eq!(trace.violation, None, "{text}");
    assert!(text.contains("held at t=1.000s"), "{text}");
    assert!(!text.contains("execution #2"), "{text}");
}

/// A different payload arriving before anyone claimed the key legitimately
/// acquires it; the original payload is then answered Mismatch, which is no
/// false failure (its effect never ran).
#[test]
fn a_changed_payload_that_arrives_first_may_acquire() {
    let file = scenario(vec![Event::ChangePayload, Event::Step(0)]);
    let trace = replay(TinyFactory::new(Defect::None), &file).expect("store opens");
    let text = trace.timeline.render();
    assert_eq!(trace.violation, None, "{text}");
    assert!(text.contains("[payload changed, same key]"), "{text}");
    assert!(text.contains("-> Mismatch"), "{text}");
}

/// A store the harness cannot judge is reported as what it is: a factory
/// that cannot open, a store that fails where an answer is needed. Never a
/// property violation.
#[test]
fn store_failures_are_harness_errors_not_violations() {
    use retry_check_harness::{
        Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, SimError,
        StorageLocation, StoreError, VirtualTime,
    };
    use std::time::Duration;

    let cannot_open = |_: &StorageLocation| -> Result<TinyStoreAlias, StoreError> {
        Err(StoreError::new("no database"))
    };
    match Sim::new(cannot_open).cases(5).run() {
        Err(SimError::Harness(e)) => {
            assert!(
                e.message.contains("the store did not open: no database"),
                "{e}"
            );
            assert!(e.to_string().contains("not a property violation"), "{e}");
        }
        other => panic!("expected a harness error, got {other:?}"),
    }

    /// Every call fails.
    struct Down;
    impl IdempotencyStore for Down {
        type Token = FencingToken;
        fn begin(
            &self,
            _: &str,
            _: Fingerprint,
            _: VirtualTime,
            _: Duration,
        ) -> Result<Claim, StoreError> {
            Err(StoreError::new("connection refused"))
        }
        fn complete(
            &self,
            _: &str,
            _: &Held,
            _: &Outcome,
            _: VirtualTime,
        ) -> Result<Fenced, StoreError> {
            Err(StoreError::new("connection refused"))
        }
        fn release(&self, _: &str, _: &Held, _: VirtualTime) -> Result<Fenced, StoreError> {
            Err(StoreError::new("connection refused"))
        }
    }
    match Sim::new(|_: &StorageLocation| Ok(Down)).cases(20).run() {
        Err(SimError::Harness(e)) => {
            assert!(
                e.message.contains("the store failed on the final retry"),
                "{e}"
            );
            assert!(e.message.contains("connection refused"), "{e}");
            assert!(!e.timeline.is_empty(), "the timeline up to the failure");
        }
        other => panic!("expected a harness error, got {other:?}"),
    }
    let panic = std::panic::catch_unwind(|| {
        Sim::new(|_: &StorageLocation| Ok(Down)).cases(20).check();
    })
    .expect_err("check panics");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.starts_with("retry-check sim: could not check store"),
        "{message}"
    );
    assert!(!message.contains("property `"), "{message}");
}

/// A store type for the factory that never opens.
type TinyStoreAlias = sim_support::TinyStore;
