//! Loom mode (only under `RUSTFLAGS="--cfg loom"`): every interleaving of N
//! duplicate handlers of one logical operation, explored by
//! [`loom::model`] with a preemption bound.
//!
//! Each handler runs `begin` → on `Acquired`, the side effect (a counter) →
//! `complete`; on `InProgress` it answers "retry later"; on `Completed` it
//! replays the outcome. With [`LoomConfig::crash`], the first handler dies
//! right after its claim (it never runs the effect nor completes). After
//! every interleaving the driver checks `at_most_once` (at most one effect),
//! `replay_consistent` (every `Completed` carries the recorded outcome) and
//! that `complete` was accepted for the owner. A violation panics with the
//! interleaving as a numbered timeline of store calls.
//!
//! The store must take its locks and atomics from [`crate::sync`] (loom
//! only sees those) and must not read the clock: the virtual time is fixed
//! at zero and the lease is long, so no lease ends during a run.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::time::{Duration, Instant};

use crate::store::{Claim, Fenced, Fingerprint, IdempotencyStore, Outcome, VirtualTime};
use crate::sync::atomic::{AtomicUsize, Ordering};
use crate::sync::{Arc, Mutex};

/// What to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomConfig {
    /// Concurrent duplicates (2 to 4: loom allows 4 spawned threads).
    pub duplicates: usize,
    /// The first handler crashes after its claim.
    pub crash: bool,
    /// Loom's preemption bound (`None`: exhaustive).
    pub preemption_bound: Option<usize>,
}

impl Default for LoomConfig {
    /// 2 duplicates, no crash, preemption bound 2.
    fn default() -> Self {
        LoomConfig {
            duplicates: 2,
            crash: false,
            preemption_bound: Some(2),
        }
    }
}

/// What a passing exploration did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomReport {
    /// Interleavings explored.
    pub interleavings: usize,
    /// Wall time.
    pub elapsed: Duration,
}

const KEY: &str = "op1";

/// Explore every interleaving of `config.duplicates` handlers against a
/// store made fresh by `make` for each interleaving. Panics with the
/// timeline on a violation.
pub fn check<S, F>(config: LoomConfig, make: F) -> LoomReport
where
    S: IdempotencyStore + Send + Sync + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let duplicates = config.duplicates.clamp(2, 4);
    let counter = std::sync::Arc::new(StdAtomicUsize::new(0));
    let runs = std::sync::Arc::clone(&counter);
    let start = Instant::now();
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = config.preemption_bound;
    builder.check(move || {
        runs.fetch_add(1, StdOrdering::Relaxed);
        let store = Arc::new(make());
        let effects = Arc::new(AtomicUsize::new(0));
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let handles: Vec<_> = (1..duplicates)
            .map(|h| {
                let (store, effects, log) = (store.clone(), effects.clone(), log.clone());
                crate::sync::thread::spawn(move || handler(&*store, &effects, &log, h + 1, false))
            })
            .collect();
        let mut recorded = vec![handler(&*store, &effects, &log, 1, config.crash)];
        for h in handles {
            recorded.push(h.join().unwrap_or_default());
        }
        let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let timeline = || {
            log.iter()
                .enumerate()
                .map(|(i, line)| format!("  #{:<2} {line}", i + 1))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let n = effects.load(Ordering::SeqCst);
        if n > 1 {
            panic!(
                "loom mode: at_most_once broken: the side effect of {KEY} ran {n} times \
                 in this interleaving:\n{}",
                timeline()
            );
        }
        let accepted: Vec<String> = recorded.into_iter().flatten().collect();
        for line in &log {
            if let Some(rest) = line.split("Completed(").nth(1) {
                let replayed = rest.trim_end_matches(')').trim_matches('"');
                if !accepted.iter().any(|a| a == replayed) {
                    panic!(
                        "loom mode: replay_consistent broken: {KEY} replayed {replayed:?}, \
                         never recorded:\n{}",
                        timeline()
                    );
                }
            }
        }
    });
    LoomReport {
        interleavings: counter.load(StdOrdering::Relaxed),
        elapsed: start.elapsed(),
    }
}

/// One handler; returns the outcome it recorded (accepted `complete`).
fn handler<S: IdempotencyStore>(
    store: &S,
    effects: &AtomicUsize,
    log: &Mutex<Vec<String>>,
    h: usize,
    crash: bool,
) -> Option<String> {
    let push = |line: String| {
        log.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(format!("h{h}  {line}"));
    };
    let lease = Duration::from_secs(30);
    let claim = store.begin(KEY, Fingerprint(1), VirtualTime::ZERO, lease);
    push(match &claim {
        Ok(c) => format!("begin({KEY}) -> {c}"),
        Err(e) => format!("begin({KEY}) -> error: {e}"),
    });
    let Ok(Claim::Acquired(token)) = claim else {
        return None;
    };
    if crash {
        push("crashes after its claim".to_string());
        return None;
    }
    let n = effects.fetch_add(1, Ordering::SeqCst) + 1;
    push(format!("side effect: charge {KEY} (execution #{n})"));
    let outcome = Outcome(format!("charged:{KEY}:#{n}"));
    let fenced = store.complete(KEY, token, &outcome, VirtualTime::ZERO);
    push(match &fenced {
        Ok(f) => format!("complete({KEY}, {token}) -> {f}"),
        Err(e) => format!("complete({KEY}, {token}) -> error: {e}"),
    });
    (fenced == Ok(Fenced::Accepted)).then_some(outcome.0)
}

/// Broken on purpose, for loom mode's own tests: `begin` looks the key up
/// under the lock, releases it, then inserts under the lock again (the
/// check-then-insert race inside one call, which sim mode cannot see).
#[derive(Default)]
pub struct CheckThenInsertStore {
    records: Mutex<std::collections::BTreeMap<String, (u64, Option<String>)>>,
    tokens: AtomicUsize,
}

impl IdempotencyStore for CheckThenInsertStore {
    fn begin(
        &self,
        key: &str,
        _fingerprint: Fingerprint,
        _now: VirtualTime,
        _lease: Duration,
    ) -> Result<Claim, crate::StoreError> {
        let found = self
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned();
        match found {
            Some((_, Some(o))) => Ok(Claim::Completed(Outcome(o))),
            Some((_, None)) => Ok(Claim::InProgress),
            None => {
                // The bug: the lock was released between the look-up and
                // this insert.
                let token = self.tokens.fetch_add(1, Ordering::SeqCst) as u64 + 1;
                self.records
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_string(), (token, None));
                Ok(Claim::Acquired(crate::FencingToken(token)))
            }
        }
    }

    fn complete(
        &self,
        key: &str,
        token: crate::FencingToken,
        outcome: &Outcome,
        _now: VirtualTime,
    ) -> Result<Fenced, crate::StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        match records.get_mut(key) {
            Some((t, o)) if *t == token.0 && o.is_none() => {
                *o = Some(outcome.0.clone());
                Ok(Fenced::Accepted)
            }
            _ => Ok(Fenced::StaleToken),
        }
    }

    fn release(
        &self,
        key: &str,
        token: crate::FencingToken,
        _now: VirtualTime,
    ) -> Result<Fenced, crate::StoreError> {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        match records.get(key) {
            Some((t, None)) if *t == token.0 => {
                records.remove(key);
                Ok(Fenced::Accepted)
            }
            _ => Ok(Fenced::StaleToken),
        }
    }
}
