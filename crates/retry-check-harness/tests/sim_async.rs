//! Async stores: their concurrent calls interleave at every `.await`, the
//! schedule is part of the case (same seed, same bytes) and a replay file
//! reproduces an interleaving failure.

#![cfg(not(loom))]

mod sim_support;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use retry_check_harness::{
    checkpoint, replay_async, AsyncIdempotencyStore, AsyncStoreFactory, Claim, DurableState,
    Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Mode, Outcome, Property, ReplayFile,
    Sim, SimError, StorageLocation, StoreError, StoreFactory, VirtualTime,
};
use sim_support::{Defect, TinyFactory, TinyStore};

/// An async store: each call yields to the runtime once before answering,
/// like a database client would.
struct AsyncTiny(TinyStore);

struct AsyncTinyFactory(TinyFactory);

async fn yielded<T>(value: impl FnOnce() -> T) -> T {
    tokio::task::yield_now().await;
    value()
}

impl AsyncIdempotencyStore for AsyncTiny {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send {
        yielded(move || self.0.begin(key, fingerprint, now, lease))
    }

    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send {
        yielded(move || self.0.complete(key, held, outcome, now))
    }

    fn release(
        &self,
        key: &str,
        held: &Held,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send {
        yielded(move || self.0.release(key, held, now))
    }
}

impl AsyncStoreFactory for AsyncTinyFactory {
    fn open(
        &self,
        location: &StorageLocation,
    ) -> impl Future<Output = Result<AsyncTiny, StoreError>> + Send {
        let opened = self.0.open(location).map(AsyncTiny);
        async move { opened }
    }

    type Store = AsyncTiny;

    fn name(&self) -> String {
        format!("async {}", self.0.name())
    }
}

#[test]
fn an_async_store_is_checked_at_its_await_points() {
    let report = Sim::new_async(AsyncTinyFactory(TinyFactory::new(Defect::None)))
        .cases(300)
        .seed(8)
        .run()
        .unwrap_or_else(|e| panic!("false alarm on the correct async store:\n{e}"));
    assert_eq!(report.cases_run, 300);
    let mode = report.modes[0];
    assert_eq!(mode.mode, Mode::AwaitPoints);
    assert_eq!(
        report.modes.len(),
        1,
        "no threaded phase for an async store"
    );
    assert!(
        mode.stats.pending > 0 && mode.stats.switches > 0,
        "{report}"
    );
    let cx = match Sim::new_async(AsyncTinyFactory(TinyFactory::new(Defect::WrongReplay)))
        .seed(8)
        .run()
    {
        Ok(report) => panic!("the broken async store was not caught: {report}"),
        Err(e) => e.expect_violation(),
    };
    assert_eq!(cx.property, Property::ReplayConsistent, "{cx}");
    assert_eq!(cx.mode, Mode::AwaitPoints);
    assert!(cx.store.starts_with("async tiny store"), "{}", cx.store);
}

/// Records of [`TwoStep`]: fingerprint, token, outcome.
type Records = BTreeMap<String, (u64, u64, Option<String>)>;

/// An in-process async store whose claim looks the key up and, after an
/// `.await`, inserts it: correct when `atomic` (one critical section, no
/// await in between), check-then-insert otherwise. Durable (its records are
/// committed to the case's location), leases and TTLs left out: the
/// generated faults stay off here.
struct TwoStep {
    atomic: bool,
    durable: DurableState<(Records, u64)>,
    state: Mutex<(Records, u64)>,
}

#[derive(Clone, Copy)]
struct TwoStepFactory {
    atomic: bool,
}

impl TwoStep {
    fn commit(&self, state: &(Records, u64)) -> Result<(), StoreError> {
        self.durable.commit(state)
    }
}

impl AsyncIdempotencyStore for TwoStep {
    type Token = FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        _now: VirtualTime,
        _lease: Duration,
    ) -> Result<Claim, StoreError> {
        // Each step runs, then its result is awaited, as a database round
        // trip does.
        checkpoint("look up");
        let (found, claimed) = {
            let mut state = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
            let found = state.0.get(key).cloned();
            let mut claimed = None;
            if found.is_none() && self.atomic {
                state.1 += 1;
                let token = state.1;
                state
                    .0
                    .insert(key.to_string(), (fingerprint.0, token, None));
                self.commit(&state)?;
                claimed = Some(token);
            }
            (found, claimed)
        };
        tokio::task::yield_now().await;
        if let Some(token) = claimed {
            return Ok(Claim::Acquired(FencingToken(token)));
        }
        match found {
            Some((fp, _, _)) if fp != fingerprint.0 => Ok(Claim::Mismatch),
            Some((_, _, Some(o))) => Ok(Claim::Completed(Outcome(o))),
            Some(_) => Ok(Claim::InProgress),
            None => {
                checkpoint("insert");
                let token = {
                    let mut state = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
                    state.1 += 1;
                    let token = state.1;
                    state
                        .0
                        .insert(key.to_string(), (fingerprint.0, token, None));
                    self.commit(&state)?;
                    token
                };
                tokio::task::yield_now().await;
                Ok(Claim::Acquired(FencingToken(token)))
            }
        }
    }

    async fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        tokio::task::yield_now().await;
        let mut state = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
        match state.0.get_mut(key) {
            Some((_, t, o @ None)) if *t == token.0 => {
                *o = Some(outcome.0.clone());
                self.commit(&state)?;
                Ok(Fenced::Accepted)
            }
            _ => Ok(Fenced::StaleToken),
        }
    }

    async fn release(
        &self,
        key: &str,
        held: &Held,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        tokio::task::yield_now().await;
        let mut state = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
        match state.0.get(key) {
            Some((_, t, None)) if *t == token.0 => {
                state.0.remove(key);
                self.commit(&state)?;
                Ok(Fenced::Accepted)
            }
            _ => Ok(Fenced::StaleToken),
        }
    }
}

impl AsyncStoreFactory for TwoStepFactory {
    type Store = TwoStep;

    async fn open(&self, location: &StorageLocation) -> Result<TwoStep, StoreError> {
        let (durable, state) = DurableState::open(location, "two-step")?;
        Ok(TwoStep {
            atomic: self.atomic,
            durable,
            state: Mutex::new(state),
        })
    }

    fn name(&self) -> String {
        if self.atomic {
            "two-step store (atomic claim)".to_string()
        } else {
            "two-step store (look up, await, insert)".to_string()
        }
    }
}

fn two_step(atomic: bool, seed: u64) -> Result<retry_check_harness::SimReport, SimError> {
    // No leases or TTLs in this store: keep the clock and restarts out.
    let config = retry_check_harness::SimConfig {
        faults: retry_check_harness::Faults {
            lost_responses: true,
            ..retry_check_harness::Faults::none()
        },
        ..retry_check_harness::SimConfig::default()
    };
    Sim::new_async(TwoStepFactory { atomic })
        .config(config)
        .seed(seed)
        .run()
}

#[test]
fn a_check_then_insert_across_an_await_is_caught_and_replays() {
    two_step(true, 3).unwrap_or_else(|e| panic!("false alarm on the atomic claim:\n{e}"));
    let cx = two_step(false, 3).expect_err("caught").expect_violation();
    assert_eq!(cx.property, Property::AtMostOnce, "{cx}");
    assert_eq!(cx.mode, Mode::AwaitPoints);
    assert!(cx.replays, "{cx}");
    // Both look-ups come before either insert.
    let text = cx.timeline.render();
    let lines: Vec<&str> = text.lines().collect();
    let look_ups: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("[look up]"))
        .collect();
    let insert = lines.iter().position(|l| l.contains("[insert]"));
    assert!(look_ups.len() >= 2, "{cx}");
    assert!(insert.is_some_and(|i| look_ups[1] < i), "{cx}");
    // Same seed, same bytes; and the replay file reproduces the timeline.
    let again = two_step(false, 3).expect_err("caught").expect_violation();
    assert_eq!(cx.to_string().as_bytes(), again.to_string().as_bytes());
    let file = ReplayFile::from_json(&cx.replay.to_json()).expect("parses");
    let trace = replay_async(TwoStepFactory { atomic: false }, &file).expect("replays");
    assert_eq!(trace.timeline.render(), text);
    assert_eq!(
        trace.violation.as_ref().map(|v| v.property),
        Some(Property::AtMostOnce)
    );
    // The same case against the atomic claim passes.
    let fixed = replay_async(TwoStepFactory { atomic: true }, &file).expect("replays");
    assert_eq!(fixed.violation, None, "{}", fixed.timeline.render());
}
