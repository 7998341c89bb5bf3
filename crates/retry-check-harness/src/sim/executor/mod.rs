//! The executor: runs one case step by step against a store and reports
//! every answer to the online oracle.
//!
//! Actors: clients `c1..` (duplicates of each logical operation),
//! reconcilers `r1..` (one per operation when configured), and server
//! handlers `h1..` (one per delivered request, spread over the server
//! nodes in turn). A `Step(i)` event advances the `i`-th choice able to
//! act: the server (which takes a turn: steps of the handlers its
//! [`Interleaving`](super::case::Interleaving) picks, until a call answers
//! or a handler acts) or a client; every
//! other event is a fault or a clock jump. When the event list ends, faults
//! stop: live handlers finish; for an async store, two duplicates race for
//! each key an owner left claimed when it died, past its lease; the clock
//! moves past the lease of any key
//! still in progress, one more retry per operation (inside its retry
//! window) must get a final outcome, and a late duplicate just inside each
//! completed key's TTL must get the recorded one.

mod clients;
mod faults;
mod finish;
mod handlers;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::case::{CrashPoint, Event, SimCase};
use super::config::SimConfig;
use super::driver::Driver;
use super::oracle::online::Oracle;
use super::oracle::Violation;
use super::schedule::mix;
use super::timeline::Timeline;
use crate::store::{FencingToken, Fingerprint, Outcome, StorageLocation, VirtualTime};

/// What one simulated case did: its timeline and the violation found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The numbered timeline, with the violating line marked.
    pub timeline: Timeline,
    /// The violation reported for the case, if any: the case runs to its
    /// end, and among the properties violated the most specific one is
    /// reported (see [`Property::rank`](crate::Property::rank)); the
    /// timeline stops at its line.
    pub violation: Option<Violation>,
    /// Executor steps taken (scheduled events plus the drain phase).
    pub steps: usize,
    /// What the interleaving did.
    #[serde(default)]
    pub stats: CaseStats,
    /// Which event and handler each server step came from (for the
    /// shrinker; not compared).
    #[serde(skip)]
    pub(crate) log: StepLog,
}

/// Which event triggered each server step, and for which handler; the
/// operation of each handler. The shrinker uses it to keep preemption
/// points and priorities on the same handlers when it removes events or
/// operations.
#[derive(Clone, Debug, Default)]
pub(crate) struct StepLog {
    /// Per server step: the index of the event that triggered it (the
    /// event count for the drain after the schedule) and the handler.
    pub(crate) steps: Vec<(usize, usize)>,
    /// Per handler: its operation.
    pub(crate) handler_ops: Vec<usize>,
}

impl PartialEq for StepLog {
    /// Bookkeeping, not part of what a trace says.
    fn eq(&self, _: &StepLog) -> bool {
        true
    }
}

impl Eq for StepLog {}

/// How the server's handlers interleaved in one case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseStats {
    /// Polls of store calls.
    pub polls: u64,
    /// Polls that stopped at an `.await` (`Pending`).
    pub pending: u64,
    /// Times the server ran another handler while one was inside a store
    /// call: the interleavings inside calls.
    pub switches: u64,
    /// Preemption points that struck.
    pub preemptions: u64,
    /// Calls that did not wake within the lock wait (a database lock held
    /// by another handler).
    pub blocked: u64,
    /// The store's answers per kind.
    #[serde(default)]
    pub answers: crate::sim::answers::AnswerCounts,
}

impl CaseStats {
    pub(crate) fn add(&mut self, other: &CaseStats) {
        self.polls += other.polls;
        self.pending += other.pending;
        self.switches += other.switches;
        self.preemptions += other.preemptions;
        self.blocked += other.blocked;
        self.answers.add(&other.answers);
    }
}

/// A case that could not be judged: the store failed, not a property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CaseFailure {
    /// What went wrong.
    pub(crate) message: String,
    /// The timeline up to it (empty when the store never opened).
    pub(crate) timeline: Timeline,
}

/// Limits of the real-time waits of async stores.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Waits {
    /// How long a pending call may take to wake before it counts as blocked
    /// on a lock another handler holds.
    pub(crate) lock_wait: Duration,
    /// How long the harness waits, with every handler blocked, before it
    /// declares the store stuck.
    pub(crate) stuck: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            lock_wait: Duration::from_millis(100),
            stuck: Duration::from_secs(10),
        }
    }
}

/// Server steps a `Step` event's turn takes at most (see
/// `Executor::server_turn`).
const POLLS_PER_TURN: usize = 64;

/// Run `case` against a store opened by `driver` over `location`.
pub(crate) fn execute<D: Driver>(
    driver: &D,
    config: &SimConfig,
    case: &SimCase,
    location: &StorageLocation,
    waits: Waits,
) -> Result<Trace, CaseFailure> {
    execute_with(driver, config, case, location, waits, Timeline::new())
}

/// [`execute`], writing the trace into `timeline` (a counting-only one for
/// a first pass, whose text nobody reads unless the case fails).
pub(crate) fn execute_with<D: Driver>(
    driver: &D,
    config: &SimConfig,
    case: &SimCase,
    location: &StorageLocation,
    waits: Waits,
    timeline: Timeline,
) -> Result<Trace, CaseFailure> {
    driver.case_started();
    let store = driver.open(location).map_err(|e| CaseFailure {
        message: format!("the store did not open: {e}"),
        timeline: Timeline::new(),
    })?;
    let mut ex = Executor::new(driver, config, case, location, store, waits);
    ex.tl = timeline;
    let outcome = ex.run();
    ex.close();
    if let Err(message) = outcome {
        return Err(CaseFailure {
            message,
            timeline: ex.tl,
        });
    }
    let mut timeline = ex.tl;
    let (violation, marks) = ex.oracle.verdict();
    for (line, mark) in marks {
        timeline.mark(line, &mark);
    }
    if let Some(v) = &violation {
        timeline.truncate(v.line);
    }
    let log = StepLog {
        steps: ex.step_log,
        handler_ops: ex.handlers.iter().map(|h| h.op).collect(),
    };
    Ok(Trace {
        timeline,
        violation,
        steps: ex.steps,
        stats: ex.stats,
        log,
    })
}

/// The fingerprint of operation `op`'s payload (`variant` 0) or of a
/// different payload reusing its key (`variant` 1).
pub(crate) fn fingerprint(op: usize, variant: u64) -> Fingerprint {
    Fingerprint(mix(
        (op as u64 + 1).wrapping_mul(0x1_0001) ^ variant.wrapping_mul(0xdead_beef)
    ))
}

/// What a handler answers its client.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Reply {
    Outcome(Outcome),
    InProgress,
    Mismatch,
    /// A retryable error; `store` when the store itself failed.
    Error {
        text: String,
        store: bool,
    },
}

impl Reply {
    fn error(text: impl Into<String>) -> Reply {
        Reply::Error {
            text: text.into(),
            store: false,
        }
    }
    fn store_error(text: impl Into<String>) -> Reply {
        Reply::Error {
            text: text.into(),
            store: true,
        }
    }
    fn is_final(&self) -> bool {
        matches!(self, Reply::Outcome(_) | Reply::Mismatch)
    }
    fn describe(&self) -> String {
        match self {
            Reply::Outcome(o) => format!("{o}"),
            Reply::InProgress => "\"in progress, retry later\"".to_string(),
            Reply::Mismatch => "\"mismatch: key reused with another payload\"".to_string(),
            Reply::Error { text, .. } => format!("\"retryable error: {text}\""),
        }
    }
}

/// Where a handler is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Received,
    Claimed(FencingToken),
    Effected(FencingToken, Outcome),
    Ready { reply: Reply, after_complete: bool },
    Done,
}

impl Phase {
    fn at(&self, point: CrashPoint) -> bool {
        match (point, self) {
            (CrashPoint::BeforeClaim, Phase::Received)
            | (CrashPoint::AfterClaim, Phase::Claimed(_))
            | (CrashPoint::AfterSideEffect, Phase::Effected(..))
            | (CrashPoint::BeforeReply, Phase::Ready { .. }) => true,
            (CrashPoint::AfterComplete, Phase::Ready { after_complete, .. }) => *after_complete,
            _ => false,
        }
    }
    fn describe(&self) -> &'static str {
        match self {
            Phase::Received => "before claim",
            Phase::Claimed(_) => "after claim",
            Phase::Effected(..) => "after the side effect, before complete",
            Phase::Ready {
                after_complete: true,
                ..
            } => "after complete",
            Phase::Ready { .. } => "before the reply",
            Phase::Done => "done",
        }
    }
    fn holds_claim(&self) -> bool {
        matches!(self, Phase::Claimed(_) | Phase::Effected(..))
    }
}

/// A client or a reconciler.
struct Actor {
    name: String,
    op: usize,
    reconciler: bool,
    draw_id: u64,
    attempts: u32,
    first_sent: Option<VirtualTime>,
    waiting: Option<(u64, VirtualTime)>,
    next_at: Option<VirtualTime>,
    prev_sleep: Duration,
    done: bool,
}

/// Which store call a handler has in flight.
#[derive(Clone, Debug, PartialEq, Eq)]
enum CallKind {
    Begin,
    Complete(FencingToken, Outcome),
    Release(FencingToken),
}

/// A store call in flight.
struct InFlight<C> {
    kind: CallKind,
    call: C,
    /// The call as the timeline writes it: `store.begin(op1, fp:1234, lease 5.000s)`.
    text: String,
    polls: u32,
    /// The virtual time the call was made with.
    started_at: VirtualTime,
    /// The timeline line it started at (the next line when it was made).
    started_line: usize,
    /// When it did not wake within the lock wait: the number of completed
    /// calls at that moment. It is not picked again until another call
    /// completes (its lock holder progressed).
    blocked_at: Option<u64>,
}

/// Why a handler exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A delivered request.
    Request,
    /// The extra retry once faults stopped.
    FinalRetry,
    /// A late duplicate just inside the key TTL: `begin` only.
    TtlProbe,
    /// One of two duplicates that retry at once, once faults stopped, a
    /// key whose owner died holding it (async stores: their calls
    /// interleave). Judged like any handler, but its reply need not be
    /// final (the other may hold the key).
    RacingRetry,
}

struct Handler<C> {
    name: String,
    node: usize,
    op: usize,
    from: Option<usize>,
    req: u64,
    fp: Fingerprint,
    phase: Phase,
    alive: bool,
    claimed_at: VirtualTime,
    stalled: bool,
    /// Its grant in the oracle's key history.
    grant: Option<usize>,
    fail_before_effect: bool,
    role: Role,
    priority: i32,
    call: Option<InFlight<C>>,
}

impl<C> Handler<C> {
    fn active(&self) -> bool {
        self.alive && self.phase != Phase::Done
    }
    fn faults_apply(&self) -> bool {
        self.role == Role::Request
    }
}

#[derive(Default)]
struct Armed {
    lose_request: u32,
    lose_response: u32,
    duplicate_request: u32,
    change_payload: u32,
    handler_error: u32,
    stall: u32,
    slow: u32,
    crash: Option<CrashPoint>,
}

/// A choice a `Step` event can make.
#[derive(Clone, Copy)]
enum Who {
    Server,
    Actor(usize),
}

struct Executor<'a, D: Driver> {
    driver: &'a D,
    config: &'a SimConfig,
    case: &'a SimCase,
    location: &'a StorageLocation,
    store: Option<D::Store>,
    now: VirtualTime,
    tl: Timeline,
    actors: Vec<Actor>,
    handlers: Vec<Handler<D::Call>>,
    oracle: Oracle,
    armed: Armed,
    next_req: u64,
    steps: usize,
    /// Server steps taken (the clock of the preemption points).
    server_steps: u64,
    /// Store calls that returned.
    completed_calls: u64,
    /// The handler of the previous server step, and whether it stopped at
    /// an `.await`.
    last_ran: Option<(usize, bool)>,
    /// Priority given at the next preemption (rises, as in PCT).
    next_low: i32,
    /// Priority given at the next round-robin yield (falls: below every
    /// preempted handler and every earlier yield).
    next_back: i32,
    stats: CaseStats,
    waits: Waits,
    /// The store failed where the case needed an answer.
    store_failure: Option<String>,
    /// The event being applied (the event count once the schedule ended).
    event: usize,
    /// Per server step: the event and the handler.
    step_log: Vec<(usize, usize)>,
}

impl<'a, D: Driver> Executor<'a, D> {
    fn new(
        driver: &'a D,
        config: &'a SimConfig,
        case: &'a SimCase,
        location: &'a StorageLocation,
        store: D::Store,
        waits: Waits,
    ) -> Self {
        let ops = case.operations.len().max(1);
        let actors = clients::actors(config, case, ops);
        Executor {
            driver,
            config,
            case,
            location,
            store: Some(store),
            now: VirtualTime::ZERO,
            tl: Timeline::new(),
            actors,
            handlers: Vec::new(),
            oracle: Oracle::new(config, ops),
            armed: Armed::default(),
            next_req: 0,
            steps: 0,
            server_steps: 0,
            completed_calls: 0,
            last_ran: None,
            next_low: -1000,
            next_back: -100_000,
            stats: CaseStats::default(),
            waits,
            store_failure: None,
            event: 0,
            step_log: Vec::new(),
        }
    }

    /// The events, then the end of the schedule. An error is a store that
    /// failed where the case needed an answer.
    fn run(&mut self) -> Result<(), String> {
        for (i, event) in self.case.events.iter().enumerate() {
            self.event = i;
            self.apply(*event);
        }
        self.event = self.case.events.len();
        self.final_phase()
    }

    /// Drop every store call in flight and the store.
    fn close(&mut self) {
        for h in &mut self.handlers {
            if let Some(f) = h.call.take() {
                self.driver.abandon(f.call);
            }
        }
        if let Some(store) = self.store.take() {
            self.driver.close(store);
        }
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Step(i) => {
                let choices = self.choices();
                if choices.is_empty() {
                    return;
                }
                match choices[usize::from(i) % choices.len()] {
                    Who::Actor(a) => self.send(a),
                    Who::Server => self.server_turn(),
                }
            }
            Event::LoseRequest => self.armed.lose_request += 1,
            Event::LoseResponse => self.armed.lose_response += 1,
            Event::DuplicateRequest => self.armed.duplicate_request += 1,
            Event::ChangePayload => self.armed.change_payload += 1,
            Event::HandlerError => self.armed.handler_error += 1,
            Event::Stall => match self.oldest_owner() {
                Some(h) => self.stall(h),
                None => self.armed.stall += 1,
            },
            Event::SlowHandler => match self.oldest_owner() {
                Some(h) => self.slow(h),
                None => self.armed.slow += 1,
            },
            Event::Crash(point) => {
                let live = self.live_handlers();
                let at_point = live
                    .iter()
                    .copied()
                    .find(|&h| self.handlers[h].call.is_none() && self.handlers[h].phase.at(point));
                if live.is_empty() {
                    self.crash(0, point, None);
                } else if let Some(h) = at_point {
                    self.crash(self.handlers[h].node, point, Some(h));
                } else {
                    self.armed.crash = Some(point);
                }
            }
            Event::StoreRestart => self.restart_store(),
            Event::AdvanceClock(jump) => self.jump(jump),
        }
    }

    /// What a `Step` can advance: the server, when a handler can run, then
    /// the clients and reconcilers able to send.
    fn choices(&self) -> Vec<Who> {
        let mut out = Vec::new();
        if self.pick_handler().is_some() {
            out.push(Who::Server);
        }
        out.extend(
            (0..self.actors.len())
                .filter(|&a| self.next_send(a).is_some())
                .map(Who::Actor),
        );
        out
    }

    /// The oldest live owner that is not stalled and not inside a call.
    fn oldest_owner(&self) -> Option<usize> {
        (0..self.handlers.len()).find(|&h| {
            let hd = &self.handlers[h];
            hd.alive && !hd.stalled && hd.phase.holds_claim() && hd.call.is_none()
        })
    }

    fn live_handlers(&self) -> Vec<usize> {
        (0..self.handlers.len())
            .filter(|&h| self.handlers[h].active())
            .collect()
    }

    /// The handler the server runs next: the runnable one with the highest
    /// priority, the oldest on a tie. A handler whose call is blocked waits
    /// until another call completes.
    fn pick_handler(&self) -> Option<usize> {
        self.handlers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.active() && h.role != Role::TtlProbe)
            .filter(|(_, h)| {
                h.call
                    .as_ref()
                    .and_then(|c| c.blocked_at)
                    .is_none_or(|at| self.completed_calls > at)
            })
            .max_by_key(|(i, h)| (h.priority, std::cmp::Reverse(*i)))
            .map(|(i, _)| i)
    }

    /// The server's turn at a `Step` event: server steps until one is not
    /// a poll that stopped at an `.await` (a call answered, a side effect,
    /// a reply), at most [`POLLS_PER_TURN`]. A sync store's call answers at
    /// its first poll: one step. An async store's calls take a poll per
    /// round trip, and the handlers still switch between them as the
    /// interleaving says, but a turn ends where a handler's next action
    /// could meet a fault: so a schedule's faults meet claims and
    /// completions as often as with a sync store, not mostly handlers
    /// still inside their first call.
    fn server_turn(&mut self) {
        for _ in 0..POLLS_PER_TURN {
            if !self.server_step() || !matches!(self.last_ran, Some((_, true))) {
                return;
            }
        }
    }

    /// One server step: the picked handler advances by one action (a poll,
    /// a side effect or a reply); then the preemption point, if this step
    /// is one. Returns false when no handler could run.
    fn server_step(&mut self) -> bool {
        let Some(h) = self.pick_handler() else {
            return false;
        };
        if let Some((prev, true)) = self.last_ran {
            if prev != h && self.handlers[prev].call.is_some() {
                self.stats.switches += 1;
            }
        }
        self.step_log.push((self.event, h));
        let pended = self.handler_step(h);
        self.last_ran = Some((h, pended));
        // Await-point yields only where another handler of the key is in a
        // call or about to begin: that is where a race inside the store is,
        // and calls on other keys do not pile up inside the store (a
        // database store's connection pool).
        let polls = self.handlers[h].call.as_ref().map(|c| c.polls);
        let (yields, to_back) = match (self.case.interleaving.yield_at, polls) {
            (Some(_), Some(_)) if !self.key_contended(h) => (false, false),
            (Some(0), Some(_)) => (false, true),
            (Some(n), Some(p)) => (p == u32::from(n), false),
            _ => (false, false),
        };
        if to_back && self.handlers[h].active() {
            // Round robin: below every other handler, the last one to
            // yield lowest, so the pending calls on one key advance in
            // lockstep.
            self.handlers[h].priority = self.next_back;
            self.next_back -= 1;
        }
        let step = self.server_steps;
        self.server_steps += 1;
        let preempt =
            u16::try_from(step).is_ok_and(|s| self.case.interleaving.preemptions.contains(&s));
        if (preempt || yields) && self.handlers[h].active() {
            self.handlers[h].priority = self.next_low;
            self.next_low += 1;
            self.stats.preemptions += 1;
        }
        true
    }

    /// Another live handler of `h`'s key is inside a store call or about
    /// to make its first: an await-point yield has someone to let in.
    fn key_contended(&self, h: usize) -> bool {
        let op = self.handlers[h].op;
        self.handlers.iter().enumerate().any(|(i, o)| {
            i != h
                && o.op == op
                && o.active()
                && o.role != Role::TtlProbe
                && (o.call.is_some() || o.phase == Phase::Received)
        })
    }

    /// The base priority of handler number `n`.
    fn base_priority(&self, n: usize) -> i32 {
        i32::from(
            self.case
                .interleaving
                .priorities
                .get(n)
                .copied()
                .unwrap_or(0),
        )
    }

    /// A new handler for a request that has just reached node `node`.
    #[allow(clippy::too_many_arguments)]
    fn receive(
        &mut self,
        op: usize,
        from: Option<usize>,
        req: u64,
        fp: Fingerprint,
        role: Role,
    ) -> usize {
        let h = self.handlers.len();
        let node = h % self.config.nodes.max(1);
        let priority = self.base_priority(h);
        self.handlers.push(Handler {
            name: format!("h{}", h + 1),
            node,
            op,
            from,
            req,
            fp,
            phase: Phase::Received,
            alive: true,
            claimed_at: self.now,
            stalled: false,
            grant: None,
            fail_before_effect: false,
            role,
            priority,
            call: None,
        });
        h
    }

    /// The timeline actor of handler `h`: `n1 h3` (node n1, handler h3).
    fn actor_label(&self, h: usize) -> String {
        if !self.tl.keeps_text() {
            return String::new();
        }
        let hd = &self.handlers[h];
        format!("n{} {}", hd.node + 1, hd.name)
    }
}
