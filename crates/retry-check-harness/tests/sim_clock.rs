//! A store that reads its own clock instead of the `now` of each call is
//! told so: its leases never lapse on the harness's clock, so its pass says
//! nothing about time and its stuck keys are most likely false alarms.

use std::time::{Duration, Instant};

use retry_check_harness::stores::MemoryStore;
use retry_check_harness::{
    Claim, Faults, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, Sim,
    SimConfig, SimError, StorageLocation, StoreError, VirtualTime,
};

#[path = "support/async_memory.rs"]
mod async_memory;
use async_memory::{AsyncMemoryFactory, DAY};

/// The reference in-memory store, but timed by the wall clock since it
/// opened: what a store that calls `Instant::now()` does.
struct OwnClock {
    inner: MemoryStore,
    opened: Instant,
}

impl OwnClock {
    fn now(&self) -> VirtualTime {
        VirtualTime::from_instant(Instant::now(), self.opened)
    }
}

impl IdempotencyStore for OwnClock {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        _now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.inner.begin(key, fingerprint, self.now(), lease)
    }

    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.inner.complete(key, held, outcome, self.now())
    }

    fn release(&self, key: &str, held: &Held, _now: VirtualTime) -> Result<Fenced, StoreError> {
        self.inner.release(key, held, self.now())
    }
}

fn own_clock(_: &StorageLocation) -> Result<OwnClock, StoreError> {
    Ok(OwnClock {
        inner: MemoryStore::new(DAY),
        opened: Instant::now(),
    })
}

/// Only the faults a volatile in-process store may see, so that the run
/// ends in a verdict either way.
fn config() -> SimConfig {
    SimConfig {
        faults: Faults {
            store_restarts: false,
            ..Faults::all()
        },
        ..SimConfig::default()
    }
}

const WARNING: &str = "the store does not keep the harness's clock";

#[test]
fn a_store_that_reads_its_own_clock_is_warned_with_its_verdict() {
    let verdict = Sim::new(own_clock)
        .config(config())
        .cases(64)
        .seed(5)
        .threaded_rounds(0)
        .run();
    let (warnings, text) = match verdict {
        Ok(report) => (report.warnings.clone(), report.to_string()),
        Err(SimError::Violation(cx)) => (cx.warnings.clone(), cx.to_string()),
        Err(SimError::Harness(e)) => panic!("{e}"),
    };
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(warnings[0].starts_with(WARNING), "{}", warnings[0]);
    assert!(
        warnings[0].contains(
            "a claim made at t=0.000s with a 5.000s lease was still in progress at t=11.000s"
        ),
        "{}",
        warnings[0]
    );
    assert!(text.contains(WARNING), "the verdict says it: {text}");
    insta::assert_snapshot!(warnings[0]);
}

#[test]
fn a_store_that_keeps_the_harness_clock_gets_no_warning() {
    let report = Sim::new(MemoryStore::factory(DAY))
        .config(config())
        .cases(64)
        .seed(5)
        .threaded_rounds(0)
        .run()
        .expect("the reference store passes");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(!report.to_string().contains(WARNING));
}

#[test]
fn an_async_store_on_tokio_time_is_warned_on_a_running_clock() {
    let verdict = Sim::new_async(AsyncMemoryFactory { tokio_clock: true })
        .config(config())
        .cases(32)
        .seed(5)
        .run();
    let warnings = match verdict {
        Ok(report) => report.warnings,
        Err(SimError::Violation(cx)) => cx.warnings,
        Err(SimError::Harness(e)) => panic!("{e}"),
    };
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with(WARNING));
}

/// On the paused clock that follows the case's time, the same store's
/// leases lapse and its keys expire on the harness's clock: no warning,
/// and it passes as the reference store does, with takeovers exercised.
#[test]
fn an_async_store_on_tokio_time_passes_on_the_tokio_clock() {
    let report = Sim::new_async(AsyncMemoryFactory { tokio_clock: true })
        .tokio_clock()
        .config(config())
        .cases(128)
        .seed(5)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert!(
        !report.answers().not_exercised().contains(&"takeover"),
        "leases lapse on the case's time: {report}"
    );
}
