//! Loom mode (only under `RUSTFLAGS="--cfg loom"`): every interleaving of N
//! duplicate handlers of one logical operation, explored by
//! [`loom::model`] with a preemption bound.
//!
//! Each handler runs `begin` → on `Acquired`, the side effect (a counter) →
//! `complete`; on `InProgress` it answers "retry later"; on `Completed` it
//! replays the outcome. With [`LoomConfig::crash`], the first handler dies
//! right after its claim (it never runs the effect nor completes).
//!
//! Time is virtual: every store call gets the current value of a shared
//! clock (loom sees it: it is an atomic). Without
//! [`LoomConfig::takeover`] the clock stays at zero and the lease is long,
//! so no lease ends during a run. With it, an environment thread moves the
//! clock past the lease (30 s) once, at any point of the interleaving: a
//! handler that claimed before the jump is then stalled past its lease
//! (like a GC pause), a duplicate that begins after the jump takes the key
//! over with a new token, and the first owner later runs its effect and
//! completes with its stale token. That is how the stale-token bug is
//! expressed.
//!
//! After every interleaving the driver checks, in this order (the oracle of
//! sim mode, restricted to one operation):
//!
//! - `stale_owner_fenced`: a `complete` with a token is accepted after a
//!   newer token was issued for the key once the older one's lease had
//!   ended (a takeover);
//! - `at_most_once`: at most one side effect, not counting those of owners
//!   that were taken over (only fencing downstream can stop those; their
//!   late `complete` must be refused, which the first check judges);
//! - `replay_consistent`: every `Completed` answer carries an outcome some
//!   `complete` had recorded.
//!
//! A violation panics with the interleaving (its number among those
//! explored) as a numbered timeline of store calls.
//!
//! The store must take its locks and atomics from [`crate::sync`] for loom
//! to interleave *inside* its calls; a store on `std` primitives is still
//! interleaved *between* calls (every log line and the clock are loom
//! operations). It must not read the system clock.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};
use std::time::{Duration, Instant};

use crate::sim::oracle::{Finish, Grant, KeyHistory};
use crate::store::{Claim, Fenced, Fingerprint, IdempotencyStore, Outcome, VirtualTime};
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::sync::{Arc, Mutex};
use crate::tokens::TokenTable;

/// What to explore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoomConfig {
    /// Concurrent duplicates (2 to 4: loom allows 5 threads, and the
    /// takeover clock is one of them).
    pub duplicates: usize,
    /// The first handler crashes after its claim.
    pub crash: bool,
    /// An environment thread moves the clock past the lease once, at any
    /// point: leases end while their owners still run, and duplicates take
    /// keys over.
    pub takeover: bool,
    /// Loom's preemption bound (`None`: exhaustive).
    pub preemption_bound: Option<usize>,
}

impl Default for LoomConfig {
    /// 2 duplicates, no crash, no takeover, preemption bound 2.
    fn default() -> Self {
        LoomConfig {
            duplicates: 2,
            crash: false,
            takeover: false,
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

/// The lease every handler asks for.
pub const LEASE: Duration = Duration::from_secs(30);

/// Where the takeover clock jumps: just past the lease of a claim made at 0.
pub const JUMP_TO: VirtualTime = VirtualTime(30_001);

/// What a log line says, for the checks.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Acquired { token: u64, at: u64 },
    Effect,
    Complete { token: u64, accepted: bool },
    Replayed(String),
    Other,
}

#[derive(Clone, Debug)]
struct Entry {
    actor: String,
    event: Event,
    line: String,
}

type Log = Mutex<Vec<Entry>>;

/// What the handlers of one interleaving share besides the store.
struct Run<T> {
    effects: Arc<AtomicUsize>,
    clock: Arc<AtomicU64>,
    log: Arc<Log>,
    /// The harness's numbers for the store's tokens. A `std` lock, which
    /// loom does not see: numbering a token is not a step of the store's,
    /// and no loom operation happens while it is held.
    tokens: std::sync::Arc<std::sync::Mutex<TokenTable<T>>>,
}

impl<T> Clone for Run<T> {
    fn clone(&self) -> Self {
        Run {
            effects: self.effects.clone(),
            clock: self.clock.clone(),
            log: self.log.clone(),
            tokens: std::sync::Arc::clone(&self.tokens),
        }
    }
}

impl<T: Eq> Run<T> {
    fn number(&self, token: T) -> crate::FencingToken {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .number(token)
    }
}

fn push(log: &Log, actor: String, event: Event, line: String) {
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Entry { actor, event, line });
}

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
        let run = runs.fetch_add(1, StdOrdering::Relaxed) + 1;
        let store = Arc::new(make());
        let shared = Run {
            effects: Arc::new(AtomicUsize::new(0)),
            clock: Arc::new(AtomicU64::new(0)),
            log: Arc::new(Mutex::new(Vec::new())),
            tokens: std::sync::Arc::default(),
        };
        let env = config.takeover.then(|| {
            let (clock, log) = (shared.clock.clone(), shared.log.clone());
            crate::sync::thread::spawn(move || {
                clock.store(JUMP_TO.as_millis(), Ordering::SeqCst);
                push(
                    &log,
                    "env".to_string(),
                    Event::Other,
                    format!("clock -> {JUMP_TO}: every lease of a claim made at t=0 has ended"),
                );
            })
        });
        let ctx = Ctx {
            timed: config.takeover,
        };
        let handles: Vec<_> = (1..duplicates)
            .map(|h| {
                let (store, shared) = (store.clone(), shared.clone());
                crate::sync::thread::spawn(move || handler(ctx, &*store, &shared, h + 1, false))
            })
            .collect();
        handler(ctx, &*store, &shared, 1, config.crash);
        for h in handles {
            let _ = h.join();
        }
        if let Some(env) = env {
            let _ = env.join();
        }
        let effects = &shared.effects;
        let log = shared.log.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Err(violation) = judge(&log, effects.load(Ordering::SeqCst)) {
            let timeline = log
                .iter()
                .enumerate()
                .map(|(i, e)| format!("  #{:<2} {}  {}", i + 1, e.actor, e.line))
                .collect::<Vec<_>>()
                .join("\n");
            panic!("loom mode: {violation} (interleaving #{run}):\n{timeline}");
        }
    });
    LoomReport {
        interleavings: counter.load(StdOrdering::Relaxed),
        elapsed: start.elapsed(),
    }
}

/// The checks of one interleaving, most specific first, by the judges sim
/// mode uses ([`KeyHistory`]).
///
/// The log is in the order the handlers *wrote* their lines, which may
/// differ from the order the store *ran* their calls (a handler can be
/// preempted between a call and its line). So a takeover is told by time,
/// not by position: an owner is taken over when another token was issued at
/// or after the end of its lease. A correct store never both accepts the
/// old owner's `complete` and issues such a token, in any order; for the
/// stale-token check the order of the lines must also say "issued, then
/// accepted", which some interleaving of a broken store shows: the history
/// is built line by line and the fencing judge asked at each accepted
/// `complete`.
fn judge(log: &[Entry], effects: usize) -> Result<(), String> {
    for (i, e) in log.iter().enumerate() {
        let Event::Complete {
            token,
            accepted: true,
        } = &e.event
        else {
            continue;
        };
        // The grants logged before this accepted complete, in the order
        // the store issued them (by time).
        let (history, grant_of) = history(&log[..i]);
        let Some(&g) = grant_of.get(e.actor.as_str()) else {
            continue;
        };
        if let Some(newer) = history.takeover_of(g, LEASE, usize::MAX) {
            let by = &history.grants[newer];
            return Err(format!(
                "stale_owner_fenced broken: {}'s complete with token#{token} was \
                 accepted at line {} after {} had taken {KEY} over with {}",
                e.actor,
                i + 1,
                by.owner,
                by.token
            ));
        }
    }
    let (mut history, _) = history(log);
    // An owner whose lease the clock thread ended while it still ran is a
    // stalled one: its late effect is excused once the key was taken over.
    for g in 0..history.grants.len() {
        if history.takeover_of(g, LEASE, usize::MAX).is_some() {
            history.grants[g].stalled = Some(history.grants[g].at + LEASE);
        }
    }
    if history.repeated_execution().is_some() {
        return Err(format!(
            "at_most_once broken: the side effect of {KEY} ran {effects} times in this \
             interleaving"
        ));
    }
    let outcomes: Vec<String> = log
        .iter()
        .filter_map(|e| match &e.event {
            Event::Complete { accepted: true, .. } => Some(format!("charged:{KEY}:{}", e.actor)),
            _ => None,
        })
        .collect();
    for e in log {
        if let Event::Replayed(o) = &e.event {
            if !outcomes.contains(o) {
                return Err(format!(
                    "replay_consistent broken: {KEY} replayed {o:?}, never recorded"
                ));
            }
        }
    }
    Ok(())
}

/// The key's history as the shared judges read it: the grants in the
/// order the store issued them (by virtual time, then log order), the side
/// effects and accepted completions in log order; and each handler's grant.
fn history(log: &[Entry]) -> (KeyHistory, std::collections::BTreeMap<&str, usize>) {
    let mut grants: Vec<(u64, usize, &Entry, u64)> = log
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e.event {
            Event::Acquired { token, at } => Some((at, i, e, token)),
            _ => None,
        })
        .collect();
    grants.sort_by_key(|(at, i, _, _)| (*at, *i));
    let mut history = KeyHistory::default();
    let mut grant_of = std::collections::BTreeMap::new();
    for (at, i, e, token) in grants {
        let g = history.grant(Grant::new(
            e.actor.clone(),
            crate::FencingToken(token),
            Fingerprint(1),
            VirtualTime(at),
            i + 1,
        ));
        grant_of.insert(e.actor.as_str(), g);
    }
    for (i, e) in log.iter().enumerate() {
        let Some(&g) = grant_of.get(e.actor.as_str()) else {
            continue;
        };
        match e.event {
            Event::Effect => {
                history.execute(g, i + 1);
            }
            Event::Complete { accepted: true, .. } => {
                history.grants[g].finished = Some(Finish {
                    line: i + 1,
                    at: VirtualTime(0),
                    released: false,
                });
            }
            _ => {}
        }
    }
    (history, grant_of)
}

#[derive(Clone, Copy)]
struct Ctx {
    /// Show the virtual time of each call (the clock moves).
    timed: bool,
}

/// One handler.
fn handler<S: IdempotencyStore>(
    ctx: Ctx,
    store: &S,
    shared: &Run<S::Token>,
    h: usize,
    crash: bool,
) {
    let (effects, clock, log) = (&*shared.effects, &*shared.clock, &*shared.log);
    let me = format!("h{h}");
    let now = || VirtualTime(clock.load(Ordering::SeqCst));
    let at = |t: VirtualTime| {
        if ctx.timed {
            format!(" at {t}")
        } else {
            String::new()
        }
    };
    let t = now();
    let answer = store.begin(KEY, Fingerprint(1), t, LEASE);
    let store_token = match &answer {
        Ok(Claim::Acquired(token)) => Some(token.clone()),
        _ => None,
    };
    let claim = answer.map(|c| c.map_token(|token| shared.number(token)));
    let event = match &claim {
        Ok(Claim::Acquired(token)) => Event::Acquired {
            token: token.0,
            at: t.as_millis(),
        },
        Ok(Claim::Completed(o)) => Event::Replayed(o.0.clone()),
        _ => Event::Other,
    };
    let line = match &claim {
        Ok(c) => format!("begin({KEY}){} -> {c}", at(t)),
        Err(e) => format!("begin({KEY}){} -> error: {e}", at(t)),
    };
    push(log, me.clone(), event, line);
    let (Ok(Claim::Acquired(token)), Some(store_token)) = (claim, store_token) else {
        return;
    };
    if crash {
        push(log, me, Event::Other, "crashes after its claim".to_string());
        return;
    }
    let n = effects.fetch_add(1, Ordering::SeqCst) + 1;
    push(
        log,
        me.clone(),
        Event::Effect,
        format!("side effect: charge {KEY} (execution #{n})"),
    );
    // The outcome names the handler, so a replay says whose it is.
    let outcome = Outcome(format!("charged:{KEY}:{me}"));
    let t = now();
    let fenced = store.complete(
        KEY,
        &crate::Held::new(store_token, Fingerprint(1)),
        &outcome,
        t,
    );
    let line = match &fenced {
        Ok(f) => format!("complete({KEY}, {token}){} -> {f}", at(t)),
        Err(e) => format!("complete({KEY}, {token}){} -> error: {e}", at(t)),
    };
    push(
        log,
        me,
        Event::Complete {
            token: token.0,
            accepted: fenced == Ok(Fenced::Accepted),
        },
        line,
    );
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
    type Token = crate::FencingToken;

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
        held: &crate::Held,
        outcome: &Outcome,
        _now: VirtualTime,
    ) -> Result<Fenced, crate::StoreError> {
        let token = held.token;
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
        held: &crate::Held,
        _now: VirtualTime,
    ) -> Result<Fenced, crate::StoreError> {
        let token = held.token;
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
