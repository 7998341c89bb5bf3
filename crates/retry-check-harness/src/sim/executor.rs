//! The executor: runs one scenario step by step against a store, and the
//! online oracle that judges every store answer as it happens.
//!
//! Actors: clients `c1..` (duplicates of each logical operation), reconcilers
//! `r1..` (one per operation when configured), and server handlers `h1..`
//! (one per delivered request). A `Step(i)` event advances the `i`-th actor
//! able to act; everything else is a fault or a clock jump. When the event
//! schedule ends, faults stop: live handlers finish, the clock moves past the
//! lease of any key still in progress, and one more retry per operation
//! (inside its retry window) must get a final outcome.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::oracle::{Property, Violation, ViolationClass};
use super::scenario::{CrashPoint, Event, Jump, JumpKind, Scenario};
use super::schedule::{mix, unit_draw};
use super::timeline::Timeline;
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};

/// What one simulated case did: its timeline and the first violation found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// The numbered timeline, with the violating line marked.
    pub timeline: Timeline,
    /// The violation reported for the case, if any: the case runs to its
    /// end, and among the properties violated the most specific one is
    /// reported (see [`Property::rank`]); the timeline stops at its line.
    pub violation: Option<Violation>,
    /// Executor steps taken (scheduled events plus the drain phase).
    pub steps: usize,
}

/// Run `scenario` against a store opened by `factory` over `location`.
pub(crate) fn execute<F: StoreFactory>(
    factory: &F,
    config: &SimConfig,
    scenario: &Scenario,
    location: &StorageLocation,
) -> Result<Trace, StoreError> {
    let store = factory.open(location)?;
    let mut ex = Executor::new(factory, config, scenario, location, store);
    ex.run();
    let mut timeline = ex.tl;
    let reported = ex
        .violations
        .into_iter()
        .min_by_key(|(v, _)| (v.property.rank(), v.line));
    let violation = reported.map(|(v, marks)| {
        for (line, mark) in marks {
            timeline.mark(line, &mark);
        }
        timeline.mark(v.line, &v.mark);
        timeline.truncate(v.line);
        v
    });
    Ok(Trace {
        timeline,
        violation,
        steps: ex.steps,
    })
}

/// The fingerprint of operation `op`'s payload (`variant` 0) or of a
/// different payload reusing its key (`variant` 1).
pub(crate) fn fingerprint(op: usize, variant: u64) -> Fingerprint {
    Fingerprint(mix(
        (op as u64 + 1).wrapping_mul(0x1_0001) ^ variant.wrapping_mul(0xdead_beef)
    ))
}

fn op_name(op: usize) -> String {
    format!("op{}", op + 1)
}

fn dur(d: Duration) -> String {
    let ms = d.as_millis();
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

fn is_failure(o: &Outcome) -> bool {
    !o.0.starts_with("charged:")
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Reply {
    Outcome(Outcome),
    InProgress,
    Mismatch,
    Error(String),
}

impl Reply {
    fn is_final(&self) -> bool {
        matches!(self, Reply::Outcome(_) | Reply::Mismatch)
    }
    fn describe(&self) -> String {
        match self {
            Reply::Outcome(o) => format!("{o}"),
            Reply::InProgress => "\"in progress, retry later\"".to_string(),
            Reply::Mismatch => "\"mismatch: key reused with another payload\"".to_string(),
            Reply::Error(e) => format!("\"retryable error: {e}\""),
        }
    }
}

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

struct Handler {
    name: String,
    op: usize,
    from: Option<usize>,
    req: u64,
    fp: Fingerprint,
    phase: Phase,
    alive: bool,
    claimed_at: VirtualTime,
    /// Line of its `Acquired` answer.
    acquire_line: usize,
    /// Stalled (a GC pause): the clock may run past its lease.
    stalled: bool,
    /// When `complete` accepted its outcome.
    completed_at: Option<VirtualTime>,
    /// The token `begin` issued to it.
    token: Option<FencingToken>,
    fail_before_effect: bool,
    /// Line of the crash that killed it, and whether it died in the
    /// effect-record gap (after the side effect, before `complete`).
    crashed: Option<(usize, bool)>,
    final_retry: bool,
}

impl Handler {
    /// A handler for a request that has just reached the server.
    fn received(
        name: String,
        op: usize,
        from: Option<usize>,
        req: u64,
        fp: Fingerprint,
        now: VirtualTime,
        final_retry: bool,
    ) -> Self {
        Handler {
            name,
            op,
            from,
            req,
            fp,
            phase: Phase::Received,
            alive: true,
            claimed_at: now,
            acquire_line: 0,
            stalled: false,
            completed_at: None,
            token: None,
            fail_before_effect: false,
            crashed: None,
            final_retry,
        }
    }
}

#[derive(Clone)]
struct Owner {
    fp: Fingerprint,
    handler: usize,
    token: FencingToken,
    acquired_at: VirtualTime,
    line: usize,
    completed: Option<(usize, VirtualTime)>,
}

struct Execution {
    handler: usize,
    fp: Fingerprint,
    line: usize,
    n: usize,
}

#[derive(Default)]
struct KeyState {
    latest_token: Option<(FencingToken, usize)>,
    /// Every token `begin` issued for the key, with when.
    issued: Vec<(FencingToken, VirtualTime)>,
    owner: Option<Owner>,
    record_created_at: Option<VirtualTime>,
    first_outcome: Option<(Outcome, usize)>,
    executions: Vec<Execution>,
    op_start: Option<VirtualTime>,
}

#[derive(Default)]
struct Armed {
    lose_request: u32,
    lose_response: u32,
    duplicate_request: u32,
    change_payload: u32,
    handler_error: u32,
    stall: u32,
    crash: Option<CrashPoint>,
}

/// Which actor or handler a step advances.
#[derive(Clone, Copy)]
enum Who {
    Actor(usize),
    Handler(usize),
}

struct Executor<'a, F: StoreFactory> {
    factory: &'a F,
    config: &'a SimConfig,
    scenario: &'a Scenario,
    location: &'a StorageLocation,
    store: Option<F::Store>,
    now: VirtualTime,
    tl: Timeline,
    actors: Vec<Actor>,
    handlers: Vec<Handler>,
    keys: Vec<KeyState>,
    armed: Armed,
    next_req: u64,
    /// The first violation of each property, with extra marks to print.
    violations: Vec<(Violation, Vec<(usize, String)>)>,
    steps: usize,
    /// Lines of the restarts, in order.
    restarts: Vec<usize>,
}

impl<'a, F: StoreFactory> Executor<'a, F> {
    fn new(
        factory: &'a F,
        config: &'a SimConfig,
        scenario: &'a Scenario,
        location: &'a StorageLocation,
        store: F::Store,
    ) -> Self {
        let mut actors = Vec::new();
        let ops = scenario.operations.len().max(1);
        for op in 0..ops {
            let dups = scenario
                .operations
                .get(op)
                .map_or(1, |o| o.duplicates.max(1));
            for _ in 0..dups {
                let n = actors.len() + 1;
                actors.push(Actor {
                    name: format!("c{n}"),
                    op,
                    reconciler: false,
                    draw_id: n as u64,
                    attempts: 0,
                    first_sent: None,
                    waiting: None,
                    next_at: Some(VirtualTime::ZERO),
                    prev_sleep: config.schedule.initial_backoff,
                    done: false,
                });
            }
        }
        if config.reconciler.is_some() {
            for op in 0..ops {
                actors.push(Actor {
                    name: format!("r{}", op + 1),
                    op,
                    reconciler: true,
                    draw_id: 1000 + op as u64,
                    attempts: 0,
                    first_sent: None,
                    waiting: None,
                    next_at: None,
                    prev_sleep: Duration::ZERO,
                    done: false,
                });
            }
        }
        Executor {
            factory,
            config,
            scenario,
            location,
            store: Some(store),
            now: VirtualTime::ZERO,
            tl: Timeline::new(),
            actors,
            handlers: Vec::new(),
            keys: (0..ops).map(|_| KeyState::default()).collect(),
            armed: Armed::default(),
            next_req: 0,
            violations: Vec::new(),
            steps: 0,
            restarts: Vec::new(),
        }
    }

    fn run(&mut self) {
        for event in &self.scenario.events {
            self.apply(*event);
        }
        self.final_phase();
    }

    // ----- scheduling -------------------------------------------------------

    /// The latest instant the clock may reach: no live owner may exceed
    /// `handler_time` since its claim (the harness only generates handler
    /// delays up to `handler_time`).
    fn cap(&self) -> VirtualTime {
        self.handlers
            .iter()
            .filter(|h| h.alive && !h.stalled && h.phase.holds_claim())
            .map(|h| h.claimed_at + self.config.handler_time)
            .min()
            .unwrap_or(VirtualTime(u64::MAX))
    }

    /// The instant after which no actor of `op` may send, `None` when
    /// unbounded: the retry window (or, without one, the deadline) since the
    /// operation's first attempt, or the reconciler's horizon if later.
    fn op_horizon(&self, op: usize) -> Option<VirtualTime> {
        let start = self.keys[op].op_start?;
        let s = &self.config.schedule;
        let client = s.retry_window.or(s.deadline).map(|d| start + d);
        match (client, self.config.reconciler) {
            (None, _) => None,
            (Some(c), None) => Some(c),
            (Some(c), Some(r)) => Some(c.max(start + r.until)),
        }
    }

    /// When actor `a` could send next, if it may.
    fn next_send(&self, a: usize) -> Option<VirtualTime> {
        let actor = &self.actors[a];
        if actor.done {
            return None;
        }
        let t = self.now.max(actor.next_at?);
        if t > self.cap() {
            return None;
        }
        let op_start = self.keys[actor.op].op_start;
        if actor.reconciler {
            let start = op_start?;
            let until = self.config.reconciler?.until;
            return (t.saturating_since(start) < until).then_some(t);
        }
        let s = &self.config.schedule;
        if actor.attempts >= s.max_attempts.max(1) {
            return None;
        }
        if let (Some(first), Some(deadline)) = (actor.first_sent, s.deadline) {
            if t.saturating_since(first) >= deadline {
                return None;
            }
        }
        if let (Some(start), Some(window)) = (op_start, s.retry_window) {
            if t.saturating_since(start) >= window {
                return None;
            }
        }
        Some(t)
    }

    fn runnable(&self) -> Vec<Who> {
        let mut out: Vec<Who> = self
            .handlers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.alive && h.phase != Phase::Done)
            .map(|(i, _)| Who::Handler(i))
            .collect();
        out.extend(
            (0..self.actors.len())
                .filter(|&a| self.next_send(a).is_some())
                .map(Who::Actor),
        );
        out
    }

    fn apply(&mut self, event: Event) {
        match event {
            Event::Step(i) => {
                let runnable = self.runnable();
                if runnable.is_empty() {
                    return;
                }
                match runnable[usize::from(i) % runnable.len()] {
                    Who::Actor(a) => self.send(a),
                    Who::Handler(h) => self.handler_step(h),
                }
            }
            Event::LoseRequest => self.armed.lose_request += 1,
            Event::LoseResponse => self.armed.lose_response += 1,
            Event::DuplicateRequest => self.armed.duplicate_request += 1,
            Event::ChangePayload => self.armed.change_payload += 1,
            Event::HandlerError => self.armed.handler_error += 1,
            Event::Stall => {
                let holder = (0..self.handlers.len()).find(|&h| {
                    let hd = &self.handlers[h];
                    hd.alive && !hd.stalled && hd.phase.holds_claim()
                });
                match holder {
                    Some(h) => self.stall(h),
                    None => self.armed.stall += 1,
                }
            }
            Event::Crash(point) => {
                let live: Vec<usize> = self.live_handlers();
                let at_point = live
                    .iter()
                    .copied()
                    .find(|&h| self.handlers[h].phase.at(point));
                if live.is_empty() {
                    self.crash(point, None);
                } else if let Some(h) = at_point {
                    self.crash(point, Some(h));
                } else {
                    self.armed.crash = Some(point);
                }
            }
            Event::AdvanceClock(jump) => self.jump(jump),
        }
    }

    /// Handler `h` pauses (a GC pause) until just past its lease end; the
    /// clock moves with it, held back only by other live owners.
    fn stall(&mut self, h: usize) {
        self.steps += 1;
        self.handlers[h].stalled = true;
        let until = self.handlers[h].claimed_at + self.config.lease;
        let wanted = until + Duration::from_millis(1);
        let target = wanted.min(self.cap()).max(self.now);
        let from = self.now;
        self.now = target;
        let mut text = format!("stalls (GC pause) past its lease end at {until}");
        if target > from {
            let _ = write!(text, ": clock +{}", dur(target.saturating_since(from)));
        }
        if target < wanted {
            let _ = write!(text, ", held at {target} by another owner's handler time");
        }
        self.tl.push(self.now, self.actor_label(h), text);
    }

    fn live_handlers(&self) -> Vec<usize> {
        (0..self.handlers.len())
            .filter(|&h| self.handlers[h].alive && self.handlers[h].phase != Phase::Done)
            .collect()
    }

    fn jump(&mut self, jump: Jump) {
        let c = self.config;
        let base = match jump.kind {
            JumpKind::Small => Some(Duration::ZERO),
            JumpKind::KeyTtl => c.key_ttl,
            JumpKind::Lease => Some(c.lease),
            JumpKind::HandlerTime => Some(c.handler_time),
            JumpKind::RetryWindow => c.schedule.retry_window,
            JumpKind::AttemptTimeout => c.schedule.per_attempt_timeout,
        };
        let base_ms = base.map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let ms = if jump.delta_ms >= 0 {
            base_ms.saturating_add(jump.delta_ms.unsigned_abs())
        } else {
            base_ms.saturating_sub(jump.delta_ms.unsigned_abs())
        }
        .max(1);
        let wanted = self.now + Duration::from_millis(ms);
        let cap = self.cap();
        let target = wanted.min(cap);
        if target <= self.now {
            return;
        }
        let from = self.now;
        self.now = target;
        self.steps += 1;
        let mut text = format!("+{} ({jump})", dur(target.saturating_since(from)));
        if target < wanted {
            let holder = self
                .handlers
                .iter()
                .filter(|h| h.alive && !h.stalled && h.phase.holds_claim())
                .min_by_key(|h| h.claimed_at)
                .map_or(String::new(), |h| h.name.clone());
            let _ = write!(
                text,
                ", held at {target}: {holder} may take at most the handler time ({})",
                dur(c.handler_time)
            );
        }
        self.tl.push(self.now, "clock", text);
    }

    // ----- clients ----------------------------------------------------------

    fn sleep_after(&mut self, a: usize) -> Duration {
        let actor = &self.actors[a];
        let u = unit_draw(
            self.scenario.jitter_seed,
            actor.draw_id,
            u64::from(actor.attempts),
        );
        let d = self
            .config
            .schedule
            .sleep(actor.attempts, u, actor.prev_sleep);
        self.actors[a].prev_sleep = d;
        d
    }

    fn send(&mut self, a: usize) {
        let Some(t) = self.next_send(a) else {
            return;
        };
        self.now = t;
        self.steps += 1;
        let op = self.actors[a].op;
        self.keys[op].op_start.get_or_insert(t);
        let actor = &mut self.actors[a];
        actor.first_sent.get_or_insert(t);
        let timed_out = actor.waiting.is_some() && !actor.reconciler;
        actor.attempts += 1;
        let attempt = actor.attempts;
        let reconciler = actor.reconciler;
        let name = actor.name.clone();

        let changed = self.armed.change_payload > 0;
        if changed {
            self.armed.change_payload -= 1;
        }
        let fp = fingerprint(op, u64::from(changed));
        let req = self.next_req;
        self.next_req += 1;
        let lost = self.armed.lose_request > 0;
        let copies = if lost {
            self.armed.lose_request -= 1;
            0
        } else if self.armed.duplicate_request > 0 {
            self.armed.duplicate_request -= 1;
            2
        } else {
            1
        };

        let mut text = if reconciler {
            format!("reconcile {} {fp}", op_name(op))
        } else {
            let max = self.config.schedule.max_attempts.max(1);
            format!("send attempt {attempt}/{max} {} {fp}", op_name(op))
        };
        if timed_out {
            text.push_str(" (previous attempt timed out)");
        }
        if changed {
            text.push_str(" [payload changed, same key]");
        }
        let mut names = Vec::new();
        for _ in 0..copies {
            let h = self.handlers.len();
            let hname = format!("h{}", h + 1);
            names.push(hname.clone());
            self.handlers.push(Handler::received(
                hname,
                op,
                Some(a),
                req,
                fp,
                self.now,
                false,
            ));
        }
        match copies {
            0 => text.push_str(" -> request lost"),
            1 => {
                let _ = write!(text, " -> {}", names[0]);
            }
            _ => {
                let _ = write!(text, " -> delivered twice: {}", names.join(", "));
            }
        }
        self.tl.push(self.now, name, text);

        // Schedule the next attempt.
        if reconciler {
            let every = self
                .config
                .reconciler
                .map_or(Duration::from_secs(1), |r| r.every);
            self.actors[a].next_at = Some(self.now + every.max(Duration::from_millis(1)));
        } else {
            let sleep = self.sleep_after(a);
            let actor = &mut self.actors[a];
            actor.waiting = Some((req, self.now));
            actor.next_at = self
                .config
                .schedule
                .per_attempt_timeout
                .map(|timeout| self.now + timeout + sleep);
        }
        let first = self.handlers.len().saturating_sub(copies);
        for h in first..self.handlers.len() {
            self.maybe_crash_at(h);
        }
    }

    // ----- server handlers --------------------------------------------------

    fn handler_step(&mut self, h: usize) {
        if !self.handlers[h].alive {
            return;
        }
        self.steps += 1;
        match self.handlers[h].phase.clone() {
            Phase::Received => self.do_begin(h),
            Phase::Claimed(token) => {
                if self.handlers[h].fail_before_effect {
                    self.do_release(h, token);
                } else {
                    self.do_effect(h, token);
                }
            }
            Phase::Effected(token, outcome) => self.do_complete(h, token, outcome),
            Phase::Ready { reply, .. } => self.do_reply(h, reply),
            Phase::Done => {}
        }
        self.maybe_crash_at(h);
    }

    fn actor_label(&self, h: usize) -> String {
        format!("server {}", self.handlers[h].name)
    }

    fn do_begin(&mut self, h: usize) {
        let (op, fp) = (self.handlers[h].op, self.handlers[h].fp);
        let key = op_name(op);
        let lease = self.config.lease;
        if let Some(end) = self.op_horizon(op).filter(|&end| self.now >= end) {
            if !self.handlers[h].final_retry {
                self.tl.push(
                    self.now,
                    self.actor_label(h),
                    format!(
                        "request handled after {key}'s retry window ended at {end}: dropped without a store call"
                    ),
                );
                self.handlers[h].phase = Phase::Ready {
                    reply: Reply::Error("request expired".to_string()),
                    after_complete: false,
                };
                return;
            }
        }
        let result = match &self.store {
            Some(s) => s.begin(&key, fp, self.now, lease),
            None => Err(StoreError::new("store unavailable (reopen failed)")),
        };
        let shown = match &result {
            Ok(c) => c.to_string(),
            Err(e) => format!("error: {e}"),
        };
        let line = self.tl.push(
            self.now,
            self.actor_label(h),
            format!("store.begin({key}, {fp}, lease {}) -> {shown}", dur(lease)),
        );
        let phase = match result {
            Ok(Claim::Acquired(token)) => {
                self.check_foreign_claim(h, line, "Acquired");
                let now = self.now;
                let ks = &mut self.keys[op];
                ks.latest_token = Some((token, line));
                ks.issued.push((token, now));
                if ks.owner.is_none() || ks.record_created_at.is_none() {
                    ks.record_created_at = Some(now);
                }
                ks.owner = Some(Owner {
                    fp,
                    handler: h,
                    token,
                    acquired_at: now,
                    line,
                    completed: None,
                });
                let handler = &mut self.handlers[h];
                handler.claimed_at = now;
                handler.acquire_line = line;
                handler.token = Some(token);
                if self.armed.handler_error > 0 && !handler.final_retry {
                    self.armed.handler_error -= 1;
                    handler.fail_before_effect = true;
                }
                self.handlers[h].phase = Phase::Claimed(token);
                if self.armed.stall > 0 && !self.handlers[h].final_retry {
                    self.armed.stall -= 1;
                    self.stall(h);
                }
                return;
            }
            Ok(Claim::InProgress) => Phase::Ready {
                reply: Reply::InProgress,
                after_complete: false,
            },
            Ok(Claim::Completed(outcome)) => {
                self.check_foreign_claim(h, line, "Completed");
                self.check_failure_answer(h, line, &outcome);
                self.check_replay(op, line, &outcome, "store.begin replayed");
                Phase::Ready {
                    reply: Reply::Outcome(outcome),
                    after_complete: false,
                }
            }
            Ok(Claim::Mismatch) => {
                self.check_mismatch_answer(h, line);
                Phase::Ready {
                    reply: Reply::Mismatch,
                    after_complete: false,
                }
            }
            Err(e) => Phase::Ready {
                reply: Reply::Error(e.to_string()),
                after_complete: false,
            },
        };
        self.handlers[h].phase = phase;
    }

    fn do_effect(&mut self, h: usize, token: FencingToken) {
        let (op, fp) = (self.handlers[h].op, self.handlers[h].fp);
        let n = self.keys[op].executions.len() + 1;
        let outcome = Outcome(format!("charged:{}:#{n}", op_name(op)));
        let name = self.handlers[h].name.clone();
        let line = self.tl.push(
            self.now,
            "ledger",
            format!(
                "{name} runs the side effect of {op} ({fp}, {token}): execution #{n} of {op}",
                op = op_name(op)
            ),
        );
        self.check_at_most_once(h, line);
        self.keys[op].executions.push(Execution {
            handler: h,
            fp,
            line,
            n,
        });
        self.handlers[h].phase = Phase::Effected(token, outcome);
    }

    fn do_complete(&mut self, h: usize, token: FencingToken, outcome: Outcome) {
        let op = self.handlers[h].op;
        let key = op_name(op);
        let result = match &self.store {
            Some(s) => s.complete(&key, token, &outcome, self.now),
            None => Err(StoreError::new("store unavailable (reopen failed)")),
        };
        let shown = match &result {
            Ok(f) => f.to_string(),
            Err(e) => format!("error: {e}"),
        };
        let line = self.tl.push(
            self.now,
            self.actor_label(h),
            format!("store.complete({key}, {token}, {outcome}) -> {shown}"),
        );
        let reply = match result {
            Ok(Fenced::Accepted) => {
                self.check_fenced(h, token, line, "complete");
                let now = self.now;
                let ks = &mut self.keys[op];
                if ks.first_outcome.is_none() {
                    ks.first_outcome = Some((outcome.clone(), line));
                }
                if let Some(o) = ks.owner.as_mut().filter(|o| o.token == token) {
                    o.completed = Some((line, now));
                }
                self.handlers[h].completed_at = Some(now);
                Reply::Outcome(outcome)
            }
            Ok(Fenced::StaleToken) => Reply::Error("complete refused: stale token".to_string()),
            Err(e) => Reply::Error(e.to_string()),
        };
        self.handlers[h].phase = Phase::Ready {
            reply,
            after_complete: true,
        };
    }

    fn do_release(&mut self, h: usize, token: FencingToken) {
        let op = self.handlers[h].op;
        let key = op_name(op);
        let result = match &self.store {
            Some(s) => s.release(&key, token, self.now),
            None => Err(StoreError::new("store unavailable (reopen failed)")),
        };
        let shown = match &result {
            Ok(f) => f.to_string(),
            Err(e) => format!("error: {e}"),
        };
        let line = self.tl.push(
            self.now,
            self.actor_label(h),
            format!(
                "handler fails before the side effect; store.release({key}, {token}) -> {shown}"
            ),
        );
        if let Ok(Fenced::Accepted) = result {
            self.check_fenced(h, token, line, "release");
            let ks = &mut self.keys[op];
            if ks.owner.as_ref().is_some_and(|o| o.token == token) {
                ks.owner = None;
                ks.record_created_at = None;
            }
        }
        self.handlers[h].phase = Phase::Ready {
            reply: Reply::Error("handler failed before the side effect".to_string()),
            after_complete: false,
        };
    }

    fn do_reply(&mut self, h: usize, reply: Reply) {
        let op = self.handlers[h].op;
        self.handlers[h].phase = Phase::Done;
        let lost = self.armed.lose_response > 0 && !self.handlers[h].final_retry;
        if lost {
            self.armed.lose_response -= 1;
        }
        let to = self.handlers[h].from.map_or_else(
            || "the final retry".to_string(),
            |a| self.actors[a].name.clone(),
        );
        let mut text = format!("reply {} to {to}", reply.describe());
        if lost {
            text.push_str(" -> reply lost");
        } else if let Some(a) = self.handlers[h].from {
            let req = self.handlers[h].req;
            let actor = &self.actors[a];
            if actor.reconciler {
                if reply.is_final() {
                    self.actors[a].done = true;
                    text.push_str(" (reconciler done)");
                }
            } else if actor.waiting.map(|(r, _)| r) == Some(req) && !actor.done {
                self.actors[a].waiting = None;
                if reply.is_final() {
                    self.actors[a].done = true;
                    text.push_str(" (final)");
                } else {
                    let sleep = self.sleep_after(a);
                    let at = self.now + sleep;
                    self.actors[a].next_at = Some(at);
                    let _ = write!(text, " (retryable; next attempt not before {at})");
                }
            } else {
                text.push_str(" (late, ignored)");
            }
        }
        let line = self.tl.push(self.now, self.actor_label(h), text);
        if let Reply::Outcome(o) = &reply {
            self.check_replay(op, line, o, "the reply");
        }
        if self.handlers[h].final_retry && !reply.is_final() {
            let because = vec![
                format!(
                    "the schedule ended and faults stopped; the clock was past every lease of {}",
                    op_name(op)
                ),
                format!(
                    "a retry inside the retry window still got {} at line {line}, not a final outcome",
                    reply.describe()
                ),
            ];
            self.violate(
                Property::EventualOutcome,
                ViolationClass::StuckInProgress,
                line,
                "!! no final outcome",
                because,
            );
        }
    }

    // ----- crashes ----------------------------------------------------------

    fn maybe_crash_at(&mut self, h: usize) {
        if let Some(point) = self.armed.crash {
            let handler = &self.handlers[h];
            if handler.alive && handler.phase.at(point) {
                self.armed.crash = None;
                self.crash(point, Some(h));
            }
        }
    }

    fn crash(&mut self, point: CrashPoint, at: Option<usize>) {
        self.steps += 1;
        let mut killed = Vec::new();
        let live = self.live_handlers();
        let line = self.tl.len() + 1;
        for &h in &live {
            let handler = &mut self.handlers[h];
            let gap = matches!(handler.phase, Phase::Effected(..));
            killed.push(format!("{} ({})", handler.name, handler.phase.describe()));
            handler.alive = false;
            handler.crashed = Some((line, gap));
        }
        self.store = None;
        let reopened = self.factory.open(self.location);
        let mut text = match at {
            Some(h) => format!("CRASH {} of {}", point.describe(), self.handlers[h].name),
            None => "CRASH (idle server)".to_string(),
        };
        if !killed.is_empty() {
            let _ = write!(text, "; lost in flight: {}", killed.join(", "));
        }
        match reopened {
            Ok(s) => {
                self.store = Some(s);
                text.push_str("; restart: store reopened over the same storage");
            }
            Err(e) => {
                let _ = write!(text, "; restart: reopening the store failed: {e}");
            }
        }
        let n = self.tl.push(self.now, "server", text);
        debug_assert_eq!(n, line);
        self.restarts.push(line);
    }

    // ----- the end of the schedule ------------------------------------------

    fn final_phase(&mut self) {
        self.armed = Armed::default();
        let live = self.live_handlers();
        let has_ops = self.keys.iter().any(|k| k.op_start.is_some());
        if live.is_empty() && !has_ops {
            return;
        }
        self.tl.push(
            self.now,
            "harness",
            "end of schedule: faults stop; in-flight handlers finish, then one retry per operation",
        );
        for h in live {
            while self.handlers[h].alive && self.handlers[h].phase != Phase::Done {
                self.handler_step(h);
            }
        }
        for op in 0..self.keys.len() {
            if self.keys[op].op_start.is_none() {
                continue;
            }
            let mut target = self.now;
            if let Some(o) = self.keys[op]
                .owner
                .as_ref()
                .filter(|o| o.completed.is_none())
            {
                target = target.max(o.acquired_at + self.config.lease + Duration::from_millis(1));
            }
            if self.op_horizon(op).is_some_and(|end| target >= end) {
                continue;
            }
            if target > self.now {
                let from = self.now;
                self.now = target;
                self.tl.push(
                    self.now,
                    "clock",
                    format!(
                        "+{} (past the lease of {}'s in-progress claim)",
                        dur(target.saturating_since(from)),
                        op_name(op)
                    ),
                );
            }
            if self.store.is_none() {
                if let Ok(s) = self.factory.open(self.location) {
                    self.store = Some(s);
                    self.tl.push(self.now, "server", "store reopened");
                }
            }
            let fp = fingerprint(op, 0);
            let client = self
                .actors
                .iter()
                .find(|a| a.op == op && !a.reconciler)
                .map_or_else(|| "c?".to_string(), |a| a.name.clone());
            let h = self.handlers.len();
            let hname = format!("h{}", h + 1);
            self.tl.push(
                self.now,
                client,
                format!("final retry of {} {fp} -> {hname}", op_name(op)),
            );
            self.handlers.push(Handler::received(
                hname,
                op,
                None,
                u64::MAX,
                fp,
                self.now,
                true,
            ));
            while self.handlers[h].alive && self.handlers[h].phase != Phase::Done {
                self.handler_step(h);
            }
        }
    }

    // ----- the oracle -------------------------------------------------------

    fn violate(
        &mut self,
        property: Property,
        class: ViolationClass,
        line: usize,
        mark: &str,
        because: Vec<String>,
    ) {
        self.violate_marked(property, class, line, mark, because, Vec::new());
    }

    fn violate_marked(
        &mut self,
        property: Property,
        class: ViolationClass,
        line: usize,
        mark: &str,
        because: Vec<String>,
        marks: Vec<(usize, String)>,
    ) {
        if self.violations.iter().any(|(v, _)| v.property == property) {
            return;
        }
        self.violations.push((
            Violation {
                property,
                class,
                line,
                mark: mark.to_string(),
                because,
            },
            marks,
        ));
    }

    /// The owner whose fingerprint a different payload must not get past:
    /// the latest `Acquired` not released, unless its lease ended before it
    /// completed (a takeover is allowed) or the record outlived the promised
    /// key TTL.
    fn binding_owner(&self, op: usize) -> Option<Owner> {
        let ks = &self.keys[op];
        let owner = ks.owner.as_ref()?;
        if owner.completed.is_none() && self.now >= owner.acquired_at + self.config.lease {
            return None;
        }
        if let (Some(ttl), Some(created)) = (self.config.key_ttl, ks.record_created_at) {
            if self.now >= created + ttl {
                return None;
            }
        }
        Some(owner.clone())
    }

    fn check_foreign_claim(&mut self, h: usize, line: usize, answer: &str) {
        let op = self.handlers[h].op;
        let fp = self.handlers[h].fp;
        let Some(owner) = self.binding_owner(op) else {
            return;
        };
        if owner.fp == fp {
            return;
        }
        let because = vec![
            format!(
                "{} owns {} with {} since line {} ({})",
                self.handlers[owner.handler].name,
                op_name(op),
                owner.fp,
                owner.line,
                match owner.completed {
                    Some((l, _)) => format!("completed at line {l}"),
                    None => "in progress, lease live".to_string(),
                }
            ),
            format!(
                "{} reused the key with another payload ({fp}) and the store answered {answer} at line {line} instead of Mismatch",
                self.handlers[h].name
            ),
        ];
        self.violate(
            Property::MismatchRejected,
            ViolationClass::MismatchAccepted,
            line,
            "!! mismatch accepted",
            because,
        );
    }

    fn check_failure_answer(&mut self, h: usize, line: usize, outcome: &Outcome) {
        if !is_failure(outcome) {
            return;
        }
        let op = self.handlers[h].op;
        let fp = self.handlers[h].fp;
        let Some(e) = self.keys[op].executions.iter().find(|e| e.fp == fp) else {
            return;
        };
        let mut because = vec![format!(
            "{} ran the side effect of {} at line {} (execution #{})",
            self.handlers[e.handler].name,
            op_name(op),
            e.line,
            e.n
        )];
        if let Some((cl, true)) = self.handlers[e.handler].crashed {
            because.push(format!(
                "the server crashed at line {cl} before {} could complete the key",
                self.handlers[e.handler].name
            ));
        }
        because.push(format!(
            "the store answered {} with the final failure {outcome} at line {line}, although the effect happened",
            self.handlers[h].name
        ));
        self.violate(
            Property::NoFalseFailure,
            ViolationClass::FalseFailure,
            line,
            "!! false failure",
            because,
        );
    }

    /// An execution no store can be blamed for repeating: its owner crashed
    /// in the effect-record gap, or stalled until its lease ran out before
    /// it completed and the key was taken over (only fencing downstream of
    /// the store stops that).
    fn exempt(&self, e: &Execution) -> bool {
        let hd = &self.handlers[e.handler];
        if matches!(hd.crashed, Some((_, true))) {
            return true;
        }
        hd.stalled && hd.completed_at.is_none() && self.superseded(e.handler)
    }

    /// The key was handed to another owner after handler `h` acquired it.
    fn superseded(&self, h: usize) -> bool {
        let hd = &self.handlers[h];
        match (hd.token, self.keys[hd.op].latest_token) {
            (Some(mine), Some((latest, _))) => mine != latest,
            _ => false,
        }
    }

    fn check_mismatch_answer(&mut self, h: usize, line: usize) {
        let op = self.handlers[h].op;
        let fp = self.handlers[h].fp;
        let ttl_over = match (self.config.key_ttl, self.keys[op].record_created_at) {
            (Some(ttl), Some(created)) => self.now >= created + ttl,
            _ => false,
        };
        if ttl_over {
            return;
        }
        let Some(e) = self.keys[op]
            .executions
            .iter()
            .find(|e| e.fp == fp && !self.exempt(e))
        else {
            return;
        };
        let because = vec![
            format!(
                "{} ran the side effect of {} with this very payload ({fp}) at line {}",
                self.handlers[e.handler].name,
                op_name(op),
                e.line
            ),
            format!(
                "the store answered {}'s unchanged payload with Mismatch at line {line}: a final failure for an operation that happened",
                self.handlers[h].name
            ),
        ];
        self.violate(
            Property::NoFalseFailure,
            ViolationClass::FalseFailure,
            line,
            "!! false failure",
            because,
        );
    }

    fn check_replay(&mut self, op: usize, line: usize, outcome: &Outcome, what: &str) {
        let first = self.keys[op].first_outcome.clone();
        match first {
            Some((o, _)) if &o == outcome => {}
            Some((o, l)) => self.violate(
                Property::ReplayConsistent,
                ViolationClass::DivergentReplay,
                line,
                "!! divergent replay",
                vec![
                    format!(
                        "the first outcome recorded for {} was {o} (line {l})",
                        op_name(op)
                    ),
                    format!("{what} {outcome} at line {line}"),
                ],
            ),
            // Nothing recorded and a failure answered: the store's own
            // verdict that the operation did not happen, judged by
            // `no_false_failure` (checked first), not a divergent replay.
            None if is_failure(outcome) => {}
            None => self.violate(
                Property::ReplayConsistent,
                ViolationClass::DivergentReplay,
                line,
                "!! divergent replay",
                vec![
                    format!(
                        "no outcome was ever recorded for {} by complete()",
                        op_name(op)
                    ),
                    format!("{what} {outcome} at line {line}"),
                ],
            ),
        }
    }

    fn check_fenced(&mut self, h: usize, token: FencingToken, line: usize, call: &str) {
        let op = self.handlers[h].op;
        let Some((latest, latest_line)) = self.keys[op].latest_token else {
            return;
        };
        if latest == token {
            return;
        }
        // Fencing is about takeovers: the newer token was issued once this
        // token's lease had ended. A newer token issued while this lease was
        // live is a double grant, reported as `at_most_once` when both
        // owners run the side effect.
        let issued = &self.keys[op].issued;
        let mine = issued
            .iter()
            .rev()
            .find(|(t, _)| *t == token)
            .map(|(_, at)| *at);
        let theirs = issued
            .iter()
            .rev()
            .find(|(t, _)| *t == latest)
            .map(|(_, at)| *at);
        if let (Some(mine), Some(theirs)) = (mine, theirs) {
            if theirs < mine + self.config.lease {
                return;
            }
        }
        let mine_at = mine.map_or(String::new(), |at| format!(" at {at}"));
        let because = vec![
            format!(
                "{} was issued {token}{mine_at}; once its lease ({}) had ended the store handed the key over with {latest} at line {latest_line}",
                self.handlers[h].name,
                dur(self.config.lease)
            ),
            format!("{call}() with the stale {token} was Accepted at line {line}: the old owner overwrote the new owner's key"),
        ];
        self.violate(
            Property::StaleOwnerFenced,
            ViolationClass::StaleTokenCompletion,
            line,
            "!! stale token accepted",
            because,
        );
    }

    fn check_at_most_once(&mut self, h: usize, line: usize) {
        let op = self.handlers[h].op;
        let ks = &self.keys[op];
        let me = &self.handlers[h];
        if me.stalled && self.superseded(h) && !ks.executions.is_empty() {
            let note = format!(
                "run by {} after its lease lapsed during a stall: only fencing downstream can stop it",
                me.name
            );
            self.tl.mark(line, &note);
            return;
        }
        let Some(prev) = ks.executions.iter().find(|e| !self.exempt(e)) else {
            if let Some(prev) = ks.executions.last() {
                let why = if matches!(self.handlers[prev.handler].crashed, Some((_, true))) {
                    "after a crash in the effect-record gap"
                } else {
                    "after the stalled owner's lease lapsed"
                };
                let note = format!("re-run {why} (execution #{} at line {})", prev.n, prev.line);
                self.tl.mark(line, &note);
            }
            return;
        };
        let (a, e1_line, e1_n) = (prev.handler, prev.line, prev.n);
        let n = ks.executions.len() + 1;
        let completed = ks.first_outcome.as_ref().map(|(_, l)| *l);
        let (ha, hb) = (&self.handlers[a], &self.handlers[h]);
        let (older, newer) = if ha.claimed_at <= hb.claimed_at {
            (ha, hb)
        } else {
            (hb, ha)
        };
        let lease = self.config.lease;
        let crash_between = self
            .restarts
            .iter()
            .copied()
            .find(|&r| r > e1_line && r < hb.acquire_line);
        let older_was_running = older
            .crashed
            .is_none_or(|(crash_line, _)| crash_line > newer.acquire_line)
            && older.completed_at.is_none_or(|t| t > newer.claimed_at);
        let key = op_name(op);
        let mut because = vec![format!(
            "{} claimed {key} at line {} and ran its side effect at line {e1_line} (execution #{e1_n})",
            ha.name, ha.acquire_line
        )];
        let class = if older_was_running && newer.claimed_at >= older.claimed_at + lease {
            because.push(format!(
                "{} was still running when its lease ({}) ended at {}; the store handed the key to {} at line {}",
                older.name,
                dur(lease),
                older.claimed_at + lease,
                newer.name,
                newer.acquire_line
            ));
            ViolationClass::LeaseExpiredInFlight
        } else if let Some(r) = crash_between {
            because.push(format!(
                "{}the server restarted at line {r}; after it the store answered {}'s begin at line {} with Acquired: the record was lost",
                completed.map_or(String::new(), |l| format!("the key was completed at line {l}; ")),
                hb.name,
                hb.acquire_line
            ));
            ViolationClass::RecordLostOnCrash
        } else if completed.is_some() && hb.claimed_at > ha.claimed_at {
            let window = self.op_horizon(op).map_or(String::new(), |end| {
                format!(" (retries of {key} may come until {end})")
            });
            because.push(format!(
                "the key was completed at line {}; {} after the first claim the store answered {}'s begin at line {} with Acquired: the record was gone while clients could still retry{window}",
                completed.unwrap_or(0),
                dur(hb.claimed_at.saturating_since(ha.claimed_at)),
                hb.name,
                hb.acquire_line
            ));
            ViolationClass::RecordExpiredInWindow
        } else {
            because.push(format!(
                "the store answered {}'s begin at line {} with Acquired while {}'s claim (line {}) was live and not released",
                newer.name, newer.acquire_line, older.name, older.acquire_line
            ));
            ViolationClass::DuplicateEffect
        };
        because.push(format!(
            "so {} ran the side effect of {key} again at line {line} (execution #{n}) while a client could still retry",
            hb.name
        ));
        self.violate_marked(
            Property::AtMostOnce,
            class,
            line,
            "!! second execution",
            because,
            vec![(e1_line, "first execution".to_string())],
        );
    }
}
