//! Stress mode: real threads (or tokio tasks, for async stores) hammer a few
//! keys of a real store at once, with duplicates, changed payloads and store
//! restarts, for a bounded number of rounds.
//!
//! Sim mode interleaves at store calls; a race *inside* a call (a `SELECT`
//! then an `INSERT`) needs real concurrency. Each round:
//!
//! 1. every worker sends [`Stress::requests`] requests for the round's keys
//!    (`r<round>_k<i>`), all workers released at once by a barrier; a
//!    request reuses its key with another payload with probability 1/8;
//!    a handler does `begin` → on `Acquired`, the side effect on the shared
//!    ledger (taking [`Stress::effect_time`] of wall time) → `complete`; on `InProgress` (or a store error) it retries a
//!    few times;
//! 2. when restarts are on, every store is dropped and reopened over the
//!    same location, and phase 1 runs again on the same keys (a durable
//!    store answers every duplicate from its records);
//! 3. a fencing probe: an owner claims `r<round>_fence`, its lease ends, a
//!    duplicate takes the key over, and the old owner completes late.
//!
//! After each round the ledger checks `at_most_once` (each key's effect ran
//! at most once: no lease ends during phases 1–2), `mismatch_rejected`
//! (every `Acquired` and `Completed` answer of a key is for the payload of
//! its one owner), `replay_consistent` (every `Completed` answer carries an
//! outcome an accepted `complete` recorded) and `stale_owner_fenced` (the late `complete` of step 3 is
//! refused once the key was taken over). A failure names the round, the seed
//! and what broke. Workers draw their requests from a generator seeded by
//! the seed, the round and the worker; the interleaving itself is the
//! machine's, so a run is a sample, not a proof.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::{Arc, Barrier, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::sim::oracle::{Grant, KeyHistory};
use crate::store::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, Fingerprint, Held, IdempotencyStore,
    Outcome, StorageLocation, StoreError, StoreFactory, VirtualTime,
};
use crate::tokens::TokenTable;
use crate::Property;

/// The stress-mode runner (a builder); see the module docs.
#[derive(Clone, Debug)]
pub struct Stress {
    rounds: u32,
    workers: usize,
    keys: usize,
    requests: usize,
    seed: u64,
    restarts: bool,
    lease: Duration,
    effect_time: Duration,
}

impl Default for Stress {
    fn default() -> Self {
        Stress {
            rounds: 20,
            workers: 4,
            keys: 2,
            requests: 6,
            seed: 0,
            restarts: true,
            lease: Duration::from_secs(30),
            effect_time: Duration::from_micros(300),
        }
    }
}

/// What a passing run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressReport {
    /// Rounds run.
    pub rounds: u32,
    /// Store calls made (`begin`, `complete`).
    pub calls: u64,
    /// Side effects the ledger counted.
    pub effects: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// A property broken in stress mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StressFailure {
    /// The round (1-based) after which the ledger found it.
    pub round: u32,
    /// The run's seed.
    pub seed: u64,
    /// The property.
    pub property: Property,
    /// What broke, in words.
    pub detail: String,
    /// The store (factory name).
    pub store: String,
    /// Wall time from the first round to the failure.
    pub elapsed: Duration,
}

impl fmt::Display for StressFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stress mode: {} broken in round {} (seed {}) against {}: {}",
            self.property.name(),
            self.round,
            self.seed,
            self.store,
            self.detail
        )
    }
}

impl std::error::Error for StressFailure {}

mod ledger;
use ledger::{history_of, Ledger, Seen};

/// A request of a worker.
#[derive(Clone, Debug)]
struct Request {
    key: String,
    fp: u64,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Sync stores seen through the async trait: every future is ready at once.
struct Ready<S>(Arc<S>);

impl<S: IdempotencyStore + Send + Sync> AsyncIdempotencyStore for Ready<S> {
    type Token = S::Token;
    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim<S::Token>, StoreError> {
        self.0.begin(key, fingerprint, now, lease)
    }
    async fn complete(
        &self,
        key: &str,
        held: &Held<S::Token>,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.complete(key, held, outcome, now)
    }
    async fn release(
        &self,
        key: &str,
        held: &Held<S::Token>,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.release(key, held, now)
    }
}

/// Run a future whose awaits are all ready (the [`Ready`] adapter).
fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// One request, handled like a server would: claim, effect, complete.
/// The virtual time of a phase and the handlers' timing.
#[derive(Clone, Copy)]
struct Timing {
    now: VirtualTime,
    lease: Duration,
    effect_time: Duration,
    is_async: bool,
}

async fn handle<A: AsyncIdempotencyStore>(
    store: &A,
    ledger: &Ledger<A::Token>,
    worker: usize,
    request: &Request,
    timing: Timing,
) {
    let Timing {
        now,
        lease,
        effect_time,
        is_async,
    } = timing;
    for _ in 0..8 {
        ledger.call();
        let claim = store
            .begin(&request.key, Fingerprint(request.fp), now, lease)
            .await;
        let Ok(claim) = claim else {
            pause(is_async).await;
            continue;
        };
        ledger.push(
            &request.key,
            Seen::Begin {
                worker,
                fp: request.fp,
                claim: claim.clone().map_token(|t| ledger.number(&request.key, t)),
            },
        );
        match claim {
            Claim::Acquired(store_token) => {
                let token = ledger.number(&request.key, store_token.clone());
                let n = ledger.push(&request.key, Seen::Effect { worker, token });
                // The side effect takes (wall) time, like a call to a card
                // provider: the window in which duplicates race.
                if is_async {
                    tokio::time::sleep(effect_time).await;
                } else {
                    std::thread::sleep(effect_time);
                }
                let outcome = format!("charged:{}:#{n}", request.key);
                ledger.call();
                let held = Held::new(store_token, Fingerprint(request.fp));
                if let Ok(fenced) = store
                    .complete(&request.key, &held, &Outcome(outcome.clone()), now)
                    .await
                {
                    ledger.push(
                        &request.key,
                        Seen::Complete {
                            worker,
                            outcome,
                            fenced,
                        },
                    );
                }
                return;
            }
            Claim::InProgress => pause(is_async).await,
            Claim::Completed(_) | Claim::Mismatch => return,
        }
    }
}

async fn pause(is_async: bool) {
    if is_async {
        tokio::task::yield_now().await;
    } else {
        std::thread::yield_now();
    }
}

/// How a round's handlers run.
enum Exec<'a> {
    Threads,
    Tasks(&'a tokio::runtime::Runtime),
}

impl Stress {
    /// The default run: 20 rounds, 4 workers, 2 keys, 6 requests per worker
    /// and phase, seed 0, restarts on, a 30 s lease.
    pub fn new() -> Self {
        Stress::default()
    }

    /// Number of rounds.
    pub fn rounds(mut self, n: u32) -> Self {
        self.rounds = n;
        self
    }

    /// Concurrent workers (threads or tasks), at least 2.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n.max(2);
        self
    }

    /// Keys per round, at least 1.
    pub fn keys(mut self, n: usize) -> Self {
        self.keys = n.max(1);
        self
    }

    /// Requests per worker and phase.
    pub fn requests(mut self, n: usize) -> Self {
        self.requests = n.max(1);
        self
    }

    /// The seed of the request generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long (wall time) a side effect takes (default 300 µs): the
    /// window in which a duplicate can race the owner.
    pub fn effect_time(mut self, d: Duration) -> Self {
        self.effect_time = d;
        self
    }

    /// Whether stores are dropped and reopened mid-round (turn off for a
    /// volatile store such as [`MemoryStore`](crate::stores::MemoryStore)).
    pub fn restarts(mut self, on: bool) -> Self {
        self.restarts = on;
        self
    }

    fn requests_of(&self, round: u32, worker: usize) -> Vec<Request> {
        let mut state =
            self.seed ^ (u64::from(round) << 32) ^ (worker as u64).wrapping_mul(0x1000_0001);
        (0..self.requests)
            .map(|_| {
                let r = splitmix(&mut state);
                let k = (r % self.keys as u64) as usize;
                let changed = (r >> 32).is_multiple_of(8);
                Request {
                    key: format!("r{round}_k{k}"),
                    fp: 1 + u64::from(changed),
                }
            })
            .collect()
    }

    fn fail(&self, round: u32, store: &str, property: Property, detail: String) -> StressFailure {
        StressFailure {
            round,
            seed: self.seed,
            property,
            detail,
            store: store.to_string(),
            elapsed: Duration::ZERO,
        }
    }

    /// One phase: every worker sends its requests at once.
    fn phase<S: AsyncIdempotencyStore + 'static>(
        &self,
        stores: &[Arc<S>],
        ledger: &Arc<Ledger<S::Token>>,
        round: u32,
        now: VirtualTime,
        exec: &Exec<'_>,
    ) {
        let timing = Timing {
            now,
            lease: self.lease,
            effect_time: self.effect_time,
            is_async: false,
        };
        match exec {
            Exec::Threads => {
                let barrier = Barrier::new(stores.len());
                std::thread::scope(|scope| {
                    for (worker, store) in stores.iter().enumerate() {
                        let requests = self.requests_of(round, worker);
                        let barrier = &barrier;
                        scope.spawn(move || {
                            barrier.wait();
                            for request in &requests {
                                run_ready(handle(
                                    &**store,
                                    ledger,
                                    worker,
                                    request,
                                    Timing {
                                        is_async: false,
                                        ..timing
                                    },
                                ));
                            }
                        });
                    }
                });
            }
            Exec::Tasks(rt) => {
                let barrier = Arc::new(tokio::sync::Barrier::new(stores.len()));
                let handles: Vec<_> = stores
                    .iter()
                    .enumerate()
                    .map(|(worker, store)| {
                        let requests = self.requests_of(round, worker);
                        let (store, ledger, barrier) =
                            (Arc::clone(store), Arc::clone(ledger), Arc::clone(&barrier));
                        rt.spawn(async move {
                            barrier.wait().await;
                            for request in &requests {
                                handle(
                                    &*store,
                                    &ledger,
                                    worker,
                                    request,
                                    Timing {
                                        is_async: true,
                                        ..timing
                                    },
                                )
                                .await;
                            }
                        })
                    })
                    .collect();
                rt.block_on(async {
                    for h in handles {
                        let _ = h.await;
                    }
                });
            }
        }
    }

    /// The fencing probe; returns the failure detail, if any.
    async fn probe<S: AsyncIdempotencyStore>(
        &self,
        store: &S,
        round: u32,
        base: VirtualTime,
    ) -> Option<String> {
        let key = format!("r{round}_fence");
        let fp = Fingerprint(1);
        let Ok(Claim::Acquired(first)) = store.begin(&key, fp, base, self.lease).await else {
            return None;
        };
        let later = base + self.lease + Duration::from_millis(1);
        let Ok(Claim::Acquired(second)) = store.begin(&key, fp, later, self.lease).await else {
            return None;
        };
        let mut tokens = TokenTable::default();
        let (old, new) = (tokens.number(first.clone()), tokens.number(second));
        let late = store
            .complete(
                &key,
                &Held::new(first, fp),
                &Outcome("charged:late".into()),
                later,
            )
            .await;
        // The shared fencing judge: was the newer grant a takeover of the
        // old one, so that the late complete must be refused?
        let mut history = KeyHistory::default();
        for (token, at) in [(old, base), (new, later)] {
            history.grant(Grant {
                stalled: Some(base + self.lease),
                ..Grant::new(format!("owner of {token}"), token, fp, at, 0)
            });
        }
        if late == Ok(Fenced::Accepted) && history.takeover_of(0, self.lease, usize::MAX).is_some()
        {
            return Some(format!(
                "key {key}: the lease of {old} ended and {new} took the key over, \
                 yet the late complete with {old} was accepted"
            ));
        }
        None
    }

    fn judge<T>(&self, ledger: &Ledger<T>, round: u32, store: &str) -> Result<(), StressFailure> {
        let seen = ledger.seen.lock().unwrap_or_else(PoisonError::into_inner);
        for (key, list) in seen.range(format!("r{round}_")..format!("r{round}`")) {
            let history = history_of(list);
            if history.repeated_execution().is_some() {
                let effects: Vec<String> = history
                    .executions
                    .iter()
                    .map(|e| {
                        let g = &history.grants[e.grant];
                        format!("{} with {}", g.owner, g.token)
                    })
                    .collect();
                return Err(self.fail(
                    round,
                    store,
                    Property::AtMostOnce,
                    format!(
                        "key {key}: the side effect ran {} times ({})",
                        effects.len(),
                        effects.join(", ")
                    ),
                ));
            }
            let mut owner: Option<(u64, usize)> = None;
            for s in list {
                let Seen::Begin { worker, fp, claim } = s else {
                    continue;
                };
                if !matches!(claim, Claim::Acquired(_) | Claim::Completed(_)) {
                    continue;
                }
                match owner {
                    None => owner = Some((*fp, *worker)),
                    Some((ofp, ow)) if ofp != *fp => {
                        return Err(self.fail(
                            round,
                            store,
                            Property::MismatchRejected,
                            format!(
                                "key {key}: worker {worker} sent payload fp:{fp:04x} and got {claim}, \
                                 but worker {ow} had the key with payload fp:{ofp:04x}"
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            let recorded: Vec<&String> = list
                .iter()
                .filter_map(|s| match s {
                    Seen::Complete {
                        outcome,
                        fenced: Fenced::Accepted,
                        ..
                    } => Some(outcome),
                    _ => None,
                })
                .collect();
            for s in list {
                if let Seen::Begin {
                    worker,
                    claim: Claim::Completed(o),
                    ..
                } = s
                {
                    if !recorded.iter().any(|r| **r == o.0) {
                        return Err(self.fail(
                            round,
                            store,
                            Property::ReplayConsistent,
                            format!(
                                "key {key}: worker {worker} was answered {o}, which no accepted \
                                 complete recorded ({recorded:?})"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn run_with<S: AsyncIdempotencyStore + 'static>(
        &self,
        name: &str,
        open: impl FnMut() -> Result<Vec<Arc<S>>, StoreError>,
        exec: Exec<'_>,
    ) -> Result<StressReport, StressFailure> {
        let start = Instant::now();
        self.rounds_with(name, open, exec, start).map_err(|mut f| {
            f.elapsed = start.elapsed();
            f
        })
    }

    fn rounds_with<S: AsyncIdempotencyStore + 'static>(
        &self,
        name: &str,
        mut open: impl FnMut() -> Result<Vec<Arc<S>>, StoreError>,
        exec: Exec<'_>,
        start: Instant,
    ) -> Result<StressReport, StressFailure> {
        let ledger = Arc::new(Ledger::default());
        let open_err = |round, e: StoreError| {
            self.fail(
                round,
                name,
                Property::EventualOutcome,
                format!("the store did not open: {e}"),
            )
        };
        let mut stores = open().map_err(|e| open_err(0, e))?;
        for round in 1..=self.rounds {
            let base = VirtualTime(u64::from(round) * 10 * (self.lease.as_millis() as u64 + 1));
            self.phase(&stores, &ledger, round, base, &exec);
            if self.restarts {
                stores.clear();
                stores = open().map_err(|e| open_err(round, e))?;
                self.phase(&stores, &ledger, round, base, &exec);
            }
            self.judge(&ledger, round, name)?;
            let probe = match &exec {
                Exec::Threads => run_ready(self.probe(&*stores[0], round, base)),
                Exec::Tasks(rt) => rt.block_on(self.probe(&*stores[0], round, base)),
            };
            if let Some(detail) = probe {
                return Err(self.fail(round, name, Property::StaleOwnerFenced, detail));
            }
        }
        let seen = ledger.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let effects = seen
            .values()
            .flatten()
            .filter(|s| matches!(s, Seen::Effect { .. }))
            .count() as u64;
        let calls = *ledger.calls.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(StressReport {
            rounds: self.rounds,
            calls,
            effects,
            elapsed: start.elapsed(),
        })
    }

    /// Threads share one store opened by `factory` (reopened at restarts).
    pub fn run_shared<F>(&self, factory: &F) -> Result<StressReport, StressFailure>
    where
        F: StoreFactory,
        F::Store: Send + Sync + 'static,
    {
        let dir = tempfile::tempdir().map_err(|e| {
            self.fail(
                0,
                &factory.name(),
                Property::EventualOutcome,
                format!("temporary directory: {e}"),
            )
        })?;
        let location = StorageLocation::new(dir.path(), "stress");
        let workers = self.workers;
        self.run_with(
            &factory.name(),
            || {
                let store = Arc::new(Ready(Arc::new(factory.open(&location)?)));
                Ok(vec![store; workers])
            },
            Exec::Threads,
        )
    }

    /// Each thread opens its own store over the same location (a connection
    /// per thread).
    pub fn run_per_worker<F>(&self, factory: &F) -> Result<StressReport, StressFailure>
    where
        F: StoreFactory,
        F::Store: Send + Sync + 'static,
    {
        let dir = tempfile::tempdir().map_err(|e| {
            self.fail(
                0,
                &factory.name(),
                Property::EventualOutcome,
                format!("temporary directory: {e}"),
            )
        })?;
        let location = StorageLocation::new(dir.path(), "stress");
        self.run_with(
            &factory.name(),
            || {
                (0..self.workers)
                    .map(|_| Ok(Arc::new(Ready(Arc::new(factory.open(&location)?)))))
                    .collect()
            },
            Exec::Threads,
        )
    }

    /// Async stores: tokio tasks on a multi-thread runtime, one store
    /// (connection) per task, all over one location.
    pub fn run_async<F>(&self, factory: &F) -> Result<StressReport, StressFailure>
    where
        F: AsyncStoreFactory,
        F::Store: 'static,
    {
        let name = factory.name();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| {
                self.fail(
                    0,
                    &name,
                    Property::EventualOutcome,
                    format!("tokio runtime: {e}"),
                )
            })?;
        let dir = tempfile::tempdir().map_err(|e| {
            self.fail(
                0,
                &name,
                Property::EventualOutcome,
                format!("temporary directory: {e}"),
            )
        })?;
        let location = StorageLocation::new(dir.path(), "stress");
        self.run_with(
            &name,
            || {
                rt.block_on(async {
                    let mut stores = Vec::with_capacity(self.workers);
                    for _ in 0..self.workers {
                        stores.push(Arc::new(factory.open(&location).await?));
                    }
                    Ok(stores)
                })
            },
            Exec::Tasks(&rt),
        )
    }
}
