//! The threaded duplicate phase of sync stores: races *inside* store calls,
//! without asking the store to be written on the harness's primitives.
//!
//! Sim mode runs a sync store's calls as atomic steps, so a claim written as
//! "look up, then insert" in two critical sections looks atomic there. This
//! phase runs duplicate handlers of the same keys on real threads against
//! one shared store instance: many short rounds, every round a fresh store
//! over a fresh location, the threads released together by a spinning
//! barrier, each key's `begin`s offset by a seeded spin that differs from
//! round to round (so the offsets sweep across the window between a
//! store's two steps), and every [`checkpoint`](crate::checkpoint) the
//! store passes a seeded yield point. After each round, every key's history
//! is judged by the same judges as sim mode's (`KeyHistory`).
//!
//! The interleaving is the machine's: a round is a sample, not a proof, and
//! a failure cannot be replayed step by step. Its timeline is the order in
//! which the calls started, passed their checkpoints and returned.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::case_dir::CaseDir;
use super::oracle::online::{dur, op_name};
use super::oracle::{Finish, Grant, KeyHistory, Property, Violation, ViolationClass};
use super::partition::Partition;
use super::schedule::mix;
use super::timeline::Timeline;
use crate::checkpoint::{pause, yielding};
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, StoreError,
    StoreFactory, VirtualTime,
};
use crate::tokens::TokenTable;

/// The default number of rounds of the threaded phase.
pub const DEFAULT_THREAD_ROUNDS: u32 = 128;

/// Keys per round: each thread handles them in turn.
const KEYS_PER_ROUND: usize = 8;

/// The payload every duplicate carries.
const FP: Fingerprint = Fingerprint(0x7e57);

/// What the phase runs.
#[doc(hidden)]
pub struct ThreadPlan<'a> {
    pub(crate) rounds: u32,
    pub(crate) threads: usize,
    pub(crate) seed: u64,
    pub(crate) lease: Duration,
    pub(crate) partition: Partition,
    pub(crate) dir: &'a CaseDir,
}

/// Runs of each smaller round the shrinker tries (threads are not
/// deterministic: a candidate is kept when one of its runs fails the same
/// way).
const SHRINK_ATTEMPTS: u32 = 32;

/// How the threaded phase shrank a failing round: fewer threads and keys,
/// each smaller round run up to [`ThreadShrink::attempts`] times (threads
/// are not deterministic) and kept when one run failed the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ThreadShrink {
    /// Threads and keys per thread of the failing round.
    pub from: (usize, usize),
    /// Threads and keys per thread of the shrunk round.
    pub to: (usize, usize),
    /// Store calls of the failing round and of the shrunk one.
    pub calls: (usize, usize),
    /// Rounds run while shrinking.
    pub runs: u32,
    /// Runs allowed per smaller round.
    pub attempts: u32,
}

impl ThreadShrink {
    /// `3 threads x 8 keys (40 calls) -> 2 threads x 1 key (4 calls) ...`
    pub fn describe(&self) -> String {
        let shape = |(threads, keys): (usize, usize), calls: usize| {
            let k = if keys == 1 { "key" } else { "keys" };
            format!("{threads} threads x {keys} {k} ({calls} calls)")
        };
        let result = if self.from == self.to {
            "no smaller round failed the same way"
        } else {
            "a smaller round failed the same way"
        };
        format!(
            "{} -> {} in {} rounds re-run; {result} (threads are not deterministic: each smaller round is run up to {} times, kept when one run fails the same way)",
            shape(self.from, self.calls.0),
            shape(self.to, self.calls.1),
            self.runs,
            self.attempts
        )
    }
}

/// The size of a round: threads, and keys each thread handles in turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    threads: usize,
    keys: usize,
}

/// What the phase found.
#[doc(hidden)]
pub struct ThreadOutcome {
    /// Rounds run (up to and including a failing one).
    pub(crate) rounds_run: u32,
    /// How the failing round shrank.
    pub(crate) shrink: Option<ThreadShrink>,
    /// Store calls made.
    pub(crate) calls: u64,
    /// The first violation, if any.
    pub(crate) failure: Option<ThreadFailure>,
    /// The store could not be opened (a harness failure, not a violation).
    pub(crate) error: Option<String>,
}

/// A violation found by the phase.
#[doc(hidden)]
pub struct ThreadFailure {
    /// The round (1-based).
    pub(crate) round: u32,
    /// The violation.
    pub(crate) violation: Violation,
    /// The key's timeline: calls, checkpoints and returns in order.
    pub(crate) timeline: Timeline,
}

/// One thing a thread saw, numbered in the phase's global sequence.
#[derive(Clone, Debug)]
struct Seen<T = FencingToken> {
    seq: u64,
    thread: usize,
    key: usize,
    what: What<T>,
}

/// `T` is the store's token while the threads run, the harness's number
/// for it once the round is judged.
#[derive(Clone, Debug)]
enum What<T = FencingToken> {
    BeginStarts,
    Checkpoint(String),
    Begun(Result<Claim<T>, StoreError>),
    Effect(T),
    CompleteStarts(Outcome),
    Completed(T, Outcome, Result<Fenced, StoreError>),
}

impl<T: Eq> Seen<T> {
    /// The line with the harness's number for its token.
    fn numbered(self, tokens: &mut TokenTable<T>) -> Seen {
        let what = match self.what {
            What::BeginStarts => What::BeginStarts,
            What::Checkpoint(label) => What::Checkpoint(label),
            What::Begun(claim) => What::Begun(claim.map(|c| c.map_token(|t| tokens.number(t)))),
            What::Effect(t) => What::Effect(tokens.number(t)),
            What::CompleteStarts(outcome) => What::CompleteStarts(outcome),
            What::Completed(t, outcome, fenced) => {
                What::Completed(tokens.number(t), outcome, fenced)
            }
        };
        Seen {
            seq: self.seq,
            thread: self.thread,
            key: self.key,
            what,
        }
    }
}

/// Run the phase against stores opened by `factory`.
pub(crate) fn run<F>(factory: &F, plan: &ThreadPlan<'_>) -> ThreadOutcome
where
    F: StoreFactory,
    F::Store: Send + Sync,
{
    let mut out = ThreadOutcome {
        rounds_run: 0,
        shrink: None,
        calls: 0,
        failure: None,
        error: None,
    };
    let full = Shape {
        threads: plan.threads.clamp(2, 4),
        keys: KEYS_PER_ROUND,
    };
    for round in 1..=plan.rounds {
        if !plan.partition.contains(u64::from(round - 1)) {
            continue;
        }
        out.rounds_run += 1;
        let seen = match run_round(factory, plan, round, full, "") {
            Ok(seen) => seen,
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        let calls = count_calls(&seen);
        out.calls += calls;
        if let Some(failure) = judge(&seen, plan, round, full.keys) {
            let (failure, shrink) = shrink(factory, plan, full, (failure, calls));
            out.shrink = Some(shrink);
            out.failure = Some(failure);
            return out;
        }
    }
    out
}

fn count_calls(seen: &[Seen]) -> u64 {
    seen.iter()
        .filter(|s| matches!(s.what, What::Begun(_) | What::Completed(..)))
        .count() as u64
}

/// One round of `shape` on a fresh store over a fresh location.
fn run_round<F>(
    factory: &F,
    plan: &ThreadPlan<'_>,
    round: u32,
    shape: Shape,
    tag: &str,
) -> Result<Vec<Seen>, String>
where
    F: StoreFactory,
    F::Store: Send + Sync,
{
    let location = plan.dir.named_location(&format!("threads{tag}_{round:06}"));
    let store = factory
        .open(&location)
        .map_err(|e| format!("the store did not open: {e}"))?;
    let seen = one_round(&store, plan, round, shape);
    drop(store);
    plan.dir.remove_case(&location);
    Ok(seen)
}

/// The smallest round that fails the same way as `failure` (same
/// property): fewer keys per thread, then fewer threads, each candidate run
/// up to [`SHRINK_ATTEMPTS`] times with the rounds that follow the failing
/// one (their offsets differ). The failing round itself when none does.
fn shrink<F>(
    factory: &F,
    plan: &ThreadPlan<'_>,
    full: Shape,
    (failure, calls): (ThreadFailure, u64),
) -> (ThreadFailure, ThreadShrink)
where
    F: StoreFactory,
    F::Store: Send + Sync,
{
    let mut candidates: Vec<Shape> = [1, 2, 4]
        .into_iter()
        .filter(|&keys| keys < full.keys)
        .flat_map(|keys| (2..=full.threads).map(move |threads| Shape { threads, keys }))
        .collect();
    candidates.sort_by_key(|s| (s.threads * s.keys, s.threads));
    let calls = usize::try_from(calls).unwrap_or(usize::MAX);
    let mut stats = ThreadShrink {
        from: (full.threads, full.keys),
        to: (full.threads, full.keys),
        calls: (calls, calls),
        runs: 0,
        attempts: SHRINK_ATTEMPTS,
    };
    let property = failure.violation.property;
    for shape in candidates {
        for attempt in 0..SHRINK_ATTEMPTS {
            stats.runs += 1;
            let round = failure.round + attempt;
            let tag = format!("_shrink_{}x{}", shape.threads, shape.keys);
            let Ok(seen) = run_round(factory, plan, round, shape, &tag) else {
                return (failure, stats);
            };
            let Some(found) = judge(&seen, plan, round, shape.keys) else {
                continue;
            };
            if found.violation.property != property {
                continue;
            }
            stats.calls.1 = usize::try_from(count_calls(&seen)).unwrap_or(usize::MAX);
            stats.to = (shape.threads, shape.keys);
            return (
                ThreadFailure {
                    round: failure.round,
                    ..found
                },
                stats,
            );
        }
    }
    (failure, stats)
}

fn one_round<S: IdempotencyStore + Sync>(
    store: &S,
    plan: &ThreadPlan<'_>,
    round: u32,
    shape: Shape,
) -> Vec<Seen> {
    let threads = shape.threads;
    let seq = Arc::new(AtomicU64::new(0));
    let arrived = AtomicUsize::new(0);
    let effects: Vec<AtomicUsize> = (0..shape.keys).map(|_| AtomicUsize::new(0)).collect();
    let log = Mutex::new(Vec::new());
    let now = NOW;
    // The spin before each key's begin grows with the round, so the
    // threads' relative offsets sweep from nanoseconds to microseconds.
    let scale = 1u64 << (round % 10);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (seq, arrived, effects, log) = (&seq, &arrived, &effects, &log);
            scope.spawn(move || {
                let mut state = mix(plan.seed ^ mix(u64::from(round) << 8 | t as u64));
                let mut mine = Vec::new();
                arrived.fetch_add(1, Ordering::SeqCst);
                while arrived.load(Ordering::SeqCst) < threads {
                    std::hint::spin_loop();
                }
                for (key, effects) in effects.iter().enumerate() {
                    state = mix(state);
                    for _ in 0..(state % (16 * scale)) {
                        std::hint::spin_loop();
                    }
                    let at = Spot {
                        now,
                        thread: t,
                        key,
                        state,
                    };
                    handle(store, plan, at, seq, effects, &mut mine);
                }
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend(mine);
            });
        }
    });
    let mut seen: Vec<Seen<S::Token>> = log.into_inner().unwrap_or_else(PoisonError::into_inner);
    seen.sort_by_key(|s| s.seq);
    // Numbered in the order the store's answers were seen.
    let mut tokens = TokenTable::default();
    seen.into_iter().map(|s| s.numbered(&mut tokens)).collect()
}

/// Who handles what: the virtual time, the thread, the key and the
/// thread's draw for it.
#[derive(Clone, Copy)]
struct Spot {
    now: VirtualTime,
    thread: usize,
    key: usize,
    state: u64,
}

/// One duplicate handler: `begin`, and on `Acquired` the side effect and
/// `complete`.
fn handle<S: IdempotencyStore>(
    store: &S,
    plan: &ThreadPlan<'_>,
    Spot {
        now,
        thread,
        key,
        state,
    }: Spot,
    seq: &Arc<AtomicU64>,
    effects: &AtomicUsize,
    log: &mut Vec<Seen<S::Token>>,
) {
    let name = op_name(key);
    let mut push = |seq_no: u64, what: What<S::Token>| {
        log.push(Seen {
            seq: seq_no,
            thread,
            key,
            what,
        })
    };
    push(seq.fetch_add(1, Ordering::SeqCst), What::BeginStarts);
    let (claim, labels) = yielding(state, seq, || store.begin(&name, FP, now, plan.lease));
    for (n, label) in labels {
        push(n, What::Checkpoint(label));
    }
    let token = match &claim {
        Ok(Claim::Acquired(token)) => Some(token.clone()),
        _ => None,
    };
    push(seq.fetch_add(1, Ordering::SeqCst), What::Begun(claim));
    let Some(token) = token else {
        return;
    };
    let n = effects.fetch_add(1, Ordering::SeqCst) + 1;
    push(
        seq.fetch_add(1, Ordering::SeqCst),
        What::Effect(token.clone()),
    );
    pause(mix(state ^ 0x5eed));
    let outcome = Outcome(format!("charged:{name}:#{n}"));
    push(
        seq.fetch_add(1, Ordering::SeqCst),
        What::CompleteStarts(outcome.clone()),
    );
    let held = Held::new(token, FP);
    let (fenced, labels) = yielding(mix(state), seq, || {
        store.complete(&name, &held, &outcome, now)
    });
    for (n, label) in labels {
        push(n, What::Checkpoint(label));
    }
    push(
        seq.fetch_add(1, Ordering::SeqCst),
        What::Completed(held.token, outcome, fenced),
    );
}

/// Judge every key of a round; the first violation, with its key's
/// timeline.
fn judge(seen: &[Seen], plan: &ThreadPlan<'_>, round: u32, keys: usize) -> Option<ThreadFailure> {
    (0..keys).find_map(|key| {
        let lines: Vec<&Seen> = seen.iter().filter(|s| s.key == key).collect();
        judge_key(&lines, plan, round, key)
    })
}

fn judge_key(
    seen: &[&Seen],
    plan: &ThreadPlan<'_>,
    round: u32,
    key: usize,
) -> Option<ThreadFailure> {
    let mut judge = KeyJudge {
        name: op_name(key),
        lease: plan.lease,
        tl: Timeline::new(),
        history: KeyHistory::default(),
        grant_of: vec![None; 4],
        started: vec![0; 4],
        found: None,
        carried: Vec::new(),
    };
    for s in seen {
        judge.see(s);
    }
    let KeyJudge { mut tl, found, .. } = judge;
    let (violation, marks) = found?;
    for (line, mark) in marks {
        tl.mark(line, &mark);
    }
    tl.mark(violation.line, &violation.mark);
    Some(ThreadFailure {
        round,
        violation,
        timeline: tl,
    })
}

/// One key's timeline and history, built from what the threads saw.
struct KeyJudge {
    name: String,
    lease: Duration,
    tl: Timeline,
    history: KeyHistory,
    /// Per thread: its grant.
    grant_of: Vec<Option<usize>>,
    /// Per thread: the line its `begin` started on.
    started: Vec<usize>,
    found: Option<(Violation, Vec<(usize, String)>)>,
    /// Outcomes carried by the `complete` calls made so far: the store may
    /// record one before its call returns.
    carried: Vec<Outcome>,
}

/// The virtual time of every call of the phase.
const NOW: VirtualTime = VirtualTime(1_000);

impl KeyJudge {
    fn see(&mut self, s: &Seen) {
        let who = format!("h{}", s.thread + 1);
        let actor = format!("thread {who}");
        let name = self.name.clone();
        match &s.what {
            What::BeginStarts => {
                let text = format!(
                    "store.begin({name}, {FP}, lease {}) starts",
                    dur(self.lease)
                );
                self.started[s.thread] = self.tl.push(NOW, actor, text);
            }
            What::Checkpoint(label) => {
                self.tl.push(NOW, actor, format!("  ... {label}"));
            }
            What::Begun(claim) => self.begun(s.thread, &who, claim),
            What::Effect(token) => {
                let text = format!("{who} runs the side effect of {name} ({FP}, {token})");
                let line = self.tl.push(NOW, "ledger", text);
                let Some(g) = self.grant_of[s.thread] else {
                    return;
                };
                self.history.execute(g, line);
                if self.found.is_none() {
                    if let Some((first, second)) = self.history.repeated_execution() {
                        let found =
                            double_claim(&self.history, first, second, &self.started, &name);
                        self.found = Some(found);
                    }
                }
            }
            What::CompleteStarts(outcome) => self.carried.push(outcome.clone()),
            What::Completed(token, outcome, fenced) => {
                let shown = match fenced {
                    Ok(f) => f.to_string(),
                    Err(e) => format!("error: {e}"),
                };
                let text = format!("store.complete({name}, {token}, {outcome}) -> {shown}");
                let line = self.tl.push(NOW, actor, text);
                if fenced == &Ok(Fenced::Accepted) {
                    if let Some(g) = self.grant_of[s.thread] {
                        self.history.grants[g].finished = Some(Finish {
                            line,
                            at: NOW,
                            released: false,
                        });
                    }
                    if self.history.first_outcome.is_none() {
                        self.history.first_outcome = Some((outcome.clone(), line, NOW));
                    }
                }
            }
        }
    }

    fn begun(&mut self, thread: usize, who: &str, claim: &Result<Claim, StoreError>) {
        let name = &self.name;
        let shown = match claim {
            Ok(c) => c.to_string(),
            Err(e) => format!("error: {e}"),
        };
        let line = self.tl.push(
            NOW,
            format!("thread {who}"),
            format!("store.begin({name}) -> {shown}"),
        );
        match claim {
            Ok(Claim::Acquired(token)) => {
                let g = self.history.grant(Grant::new(who, *token, FP, NOW, line));
                self.grant_of[thread] = Some(g);
            }
            Ok(Claim::Completed(o)) if self.found.is_none() => {
                let recorded = self.history.first_outcome.as_ref().map(|(r, _, _)| r);
                let consistent = match recorded {
                    Some(r) => r == o,
                    None => self.carried.contains(o),
                };
                if consistent {
                    return;
                }
                let because = vec![
                    match recorded {
                        Some(r) => format!("the outcome recorded for {name} was {r}"),
                        None => format!("no complete of {name} had been accepted"),
                    },
                    format!("store.begin replayed {o} to {who} at line {line}"),
                ];
                let v = violation(
                    Property::ReplayConsistent,
                    ViolationClass::DivergentReplay,
                    line,
                    "!! divergent replay",
                    because,
                );
                self.found = Some((v, Vec::new()));
            }
            _ => {}
        }
    }
}

fn violation(
    property: Property,
    class: ViolationClass,
    line: usize,
    mark: &str,
    because: Vec<String>,
) -> Violation {
    Violation {
        property,
        class,
        line,
        mark: mark.to_string(),
        because,
    }
}

fn double_claim(
    history: &KeyHistory,
    first: usize,
    second: usize,
    started: &[usize],
    name: &str,
) -> (Violation, Vec<(usize, String)>) {
    let (e1, e2) = (history.executions[first], history.executions[second]);
    let (g1, g2) = (&history.grants[e1.grant], &history.grants[e2.grant]);
    let thread_of = |owner: &str| -> usize {
        owner
            .trim_start_matches('h')
            .parse::<usize>()
            .map_or(0, |n| n.saturating_sub(1))
    };
    let start1 = started.get(thread_of(&g1.owner)).copied().unwrap_or(0);
    let start2 = started.get(thread_of(&g2.owner)).copied().unwrap_or(0);
    let overlap = if start2 < g1.line && start1 < g2.line {
        format!(
            "{} and {} ran begin({name}) at the same time on one store instance: each call started (lines {start1} and {start2}) before the other returned",
            g1.owner, g2.owner
        )
    } else {
        format!(
            "{} began begin({name}) at line {start2}, after {}'s begin had returned at line {}: the store had not recorded that claim",
            g2.owner, g1.owner, g1.line
        )
    };
    let because = vec![
        overlap,
        format!(
            "both were answered Acquired ({} at line {}, {} at line {}): the claim is not atomic",
            g1.token, g1.line, g2.token, g2.line
        ),
        format!(
            "so {} ran the side effect of {name} again at line {} (execution #{})",
            g2.owner, e2.line, e2.n
        ),
    ];
    (
        violation(
            Property::AtMostOnce,
            ViolationClass::DuplicateEffect,
            e2.line,
            "!! second execution",
            because,
        ),
        vec![(e1.line, "first execution".to_string())],
    )
}
