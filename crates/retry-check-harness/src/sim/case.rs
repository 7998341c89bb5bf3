//! Cases: what proptest generates and the shrinker reduces — the
//! operations, the jitter seed, the event list and the interleaving choices.

use std::fmt;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::config::{Faults, SimConfig};

/// Where a node crash strikes a handler. The crash kills the handler's node:
/// every in-flight handler of that node dies (a store call in flight is
/// abandoned) and the node restarts; the store and the other nodes go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashPoint {
    /// A request was received, `begin` not called yet.
    BeforeClaim,
    /// `begin` answered `Acquired`, the side effect has not run.
    AfterClaim,
    /// The side effect ran, `complete` not called yet (the effect-record gap).
    AfterSideEffect,
    /// `complete` returned, the reply not sent.
    AfterComplete,
    /// Any reply is ready (a replay, `InProgress`, an error) but not sent.
    BeforeReply,
}

impl CrashPoint {
    /// Human description used in the timeline.
    pub fn describe(self) -> &'static str {
        match self {
            CrashPoint::BeforeClaim => "before claim",
            CrashPoint::AfterClaim => "after claim",
            CrashPoint::AfterSideEffect => "after the side effect",
            CrashPoint::AfterComplete => "after complete",
            CrashPoint::BeforeReply => "before the reply",
        }
    }
}

/// The boundary a clock jump aims at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JumpKind {
    /// A small step of `delta_ms` (absolute value) milliseconds.
    Small,
    /// The store's key TTL.
    KeyTtl,
    /// The lease passed to `begin`.
    Lease,
    /// The handler's maximum time from claim to side effect.
    HandlerTime,
    /// The client's retry window.
    RetryWindow,
    /// The client's per-attempt timeout.
    AttemptTimeout,
}

/// A clock jump: `kind`'s duration plus `delta_ms` (a few ms either side).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jump {
    /// The boundary aimed at.
    pub kind: JumpKind,
    /// Offset from the boundary in milliseconds (for `Small`, the step).
    pub delta_ms: i64,
}

impl fmt::Display for Jump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            JumpKind::Small => return write!(f, "small step"),
            JumpKind::KeyTtl => "key TTL",
            JumpKind::Lease => "lease",
            JumpKind::HandlerTime => "handler time",
            JumpKind::RetryWindow => "retry window",
            JumpKind::AttemptTimeout => "attempt timeout",
        };
        match self.delta_ms {
            0 => write!(f, "{name}"),
            d if d > 0 => write!(f, "{name} + {d}ms"),
            d => write!(f, "{name} - {}ms", -d),
        }
    }
}

/// One scheduled event. Faults *arm* themselves and strike the next matching
/// moment (the next request sent, the next reply, the next handler reaching
/// the crash point), so a short event list still places them precisely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Advance one actor by one action. The index is taken modulo the
    /// choices able to act, in a fixed order: the server (when a handler can
    /// run), then clients, then reconcilers. A client or reconciler sends its
    /// next attempt (waiting on the clock for its backoff if needed); the
    /// server runs steps of the handlers the [`Interleaving`] picks, each a
    /// side effect, a reply, or one poll of a store call (a sync store's
    /// call completes in one poll; an async store's may stop at an
    /// `.await`), until a step is not a poll that stopped at an `.await`.
    Step(u8),
    /// The next request sent is lost.
    LoseRequest,
    /// The next reply sent is lost.
    LoseResponse,
    /// The next request sent is delivered twice.
    DuplicateRequest,
    /// A node crashes when one of its handlers is at this point (now, or as
    /// soon as one gets there), then restarts; the store keeps running.
    Crash(CrashPoint),
    /// The store restarts or fails over: every store instance is dropped and
    /// reopened over the same location, calls in flight fail, handlers go on.
    StoreRestart,
    /// The clock jumps (held back so that no live owner exceeds
    /// `handler_time` since its claim).
    AdvanceClock(Jump),
    /// The next request sent reuses its key with a different payload.
    ChangePayload,
    /// The next handler that acquires a key fails before its side effect
    /// and releases the claim.
    HandlerError,
    /// The oldest live owner (or the next one to acquire) stalls, like a GC
    /// pause, until just past its lease end (the clock moves with it), so
    /// another handler can take the key over while it still runs. Its late
    /// side effect is excused (no store can prevent it), but its late
    /// `complete` must be refused. A stalled handler drops to the lowest
    /// priority: the others run while it is paused. Generated with clock
    /// jumps.
    Stall,
    /// The next handler that acquires a key (or the oldest live owner)
    /// takes its time: the clock moves to the end of its handler time (held
    /// back by other owners), so retries whose attempt timeout passed
    /// arrive while it still works. Generated with clock jumps.
    SlowHandler,
}

/// One logical operation: a key, and how many client actors send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpSpec {
    /// Concurrent duplicates (client actors) of this operation.
    pub duplicates: u8,
}

/// Which handler the server runs, PCT style (probabilistic concurrency
/// testing: Burckhardt et al., ASPLOS 2010): each handler has a priority,
/// the server always runs the runnable handler with the highest one, and at
/// each preemption point the running handler drops below every other.
/// With `d - 1` preemption points drawn among `k` server steps, a run hits
/// a given ordering bug of depth `d` between `n` handlers with probability
/// at least `1 / (n k^(d-1))`. Both lists shrink: fewer preemptions, plainer
/// priorities (all 0: oldest handler first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interleaving {
    /// The base priority of handler `n` (0-based, in order of arrival); a
    /// handler past the end of the list has priority 0. Ties go to the
    /// older handler.
    pub priorities: Vec<u8>,
    /// Server steps (0-based) after which the handler that just ran drops
    /// to the lowest priority (a later preemption ranks above an earlier
    /// one, as in PCT).
    pub preemptions: Vec<u16>,
    /// Await-point yields (async stores), made only while another handler
    /// of the same key is inside a call or about to begin (where a race
    /// inside the store is). `Some(n)`, `n > 0`: every store
    /// call still pending after its `n`-th poll drops its handler to the
    /// lowest priority, as at a preemption point, so every handler that
    /// has not yielded runs before the call resumes. `Some(0)`: after every
    /// poll that leaves its call pending, the handler goes below every
    /// other (round robin), so concurrent calls on a key advance in
    /// lockstep, one poll each, however many polls their connection set-up
    /// or round trips take. Either way a call's read and its write are apart at an
    /// `.await` in every call of the case, whichever step of the case the
    /// race needs (a fresh claim, a takeover after a lease ended, a
    /// completion), where a preemption point drawn among the first server
    /// steps strikes one step only. `None`: no yield.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yield_at: Option<u8>,
}

/// A generated case: the operations, the seed of the clients' jitter, the
/// event schedule and the interleaving choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimCase {
    /// The logical operations (keys `op1`, `op2`, ...).
    pub operations: Vec<OpSpec>,
    /// Seeds every jitter draw (per client and attempt, so it is stable
    /// under shrinking).
    pub jitter_seed: u64,
    /// The event schedule.
    pub events: Vec<Event>,
    /// Which handler runs at each server step.
    #[serde(default)]
    pub interleaving: Interleaving,
}

/// Preemption points are drawn among this many server steps.
pub(crate) const PREEMPTION_HORIZON: u16 = 20;

impl SimCase {
    /// A case with no operation and no event (a placeholder).
    pub fn empty() -> SimCase {
        SimCase {
            operations: Vec::new(),
            jitter_seed: 0,
            events: Vec::new(),
            interleaving: Interleaving::default(),
        }
    }

    /// The proptest strategy of cases for `config`; `await_points` (an
    /// async store) draws [`Interleaving::yield_at`] too.
    pub fn strategy(config: &SimConfig, await_points: bool) -> BoxedStrategy<SimCase> {
        CaseShape::of(config, await_points).strategy()
    }
}

/// Everything the case generator reads from a configuration. Two
/// configurations of the same shape draw the same cases from the same
/// seed, whatever their durations, so a run may reuse the cases another
/// run drew (see `runner::drawn_cases`); the generator reads nothing else,
/// which is why it takes a shape and not a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CaseShape {
    duplicates: usize,
    operations: usize,
    max_steps: usize,
    faults: Faults,
    key_ttl: bool,
    retry_window: bool,
    attempt_timeout: bool,
    await_points: bool,
}

impl CaseShape {
    pub(crate) fn of(config: &SimConfig, await_points: bool) -> CaseShape {
        CaseShape {
            duplicates: config.duplicates,
            operations: config.operations,
            max_steps: config.max_steps,
            faults: config.faults,
            key_ttl: config.key_ttl.is_some(),
            retry_window: config.schedule.retry_window.is_some(),
            attempt_timeout: config.schedule.per_attempt_timeout.is_some(),
            await_points,
        }
    }

    fn strategy(&self) -> BoxedStrategy<SimCase> {
        let config = self;
        let await_points = self.await_points;
        let max_dups = config.duplicates.clamp(1, 8) as u8;
        let min_dups = max_dups.min(2);
        let max_ops = config.operations.clamp(1, 8);
        let ops = prop::collection::vec(
            (min_dups..=max_dups).prop_map(|duplicates| OpSpec { duplicates }),
            1..=max_ops,
        );
        let events = prop::collection::vec(event_strategy(config), 0..=config.max_steps.max(1));
        let interleaving = (
            prop::collection::vec(0u8..8, 0..=12),
            prop::collection::vec(0..PREEMPTION_HORIZON, 0..=3),
        )
            .prop_map(|(priorities, mut preemptions)| {
                preemptions.sort_unstable();
                preemptions.dedup();
                Interleaving {
                    priorities,
                    preemptions,
                    yield_at: None,
                }
            });
        let cases = (ops, any::<u64>(), events, interleaving).prop_map(
            |(operations, jitter_seed, events, interleaving)| SimCase {
                operations,
                jitter_seed,
                events,
                interleaving,
            },
        );
        if !await_points {
            // A sync store's call never stops at an `.await`: nothing to
            // draw (and the cases stay those of earlier versions).
            return cases.boxed();
        }
        // Every takeover race needs an owner that died holding its claim:
        // with node crashes on, an async case often has one (a crash after
        // a claim, or after its side effect, somewhere in the schedule),
        // so duplicates retry its key concurrently once its lease ended
        // (see `Event::Crash`; the shrinker drops it when not needed).
        let dead_owner = if config.faults.crashes {
            let point = prop_oneof![
                Just(CrashPoint::AfterClaim),
                Just(CrashPoint::AfterSideEffect)
            ];
            prop::option::weighted(0.5, (0..=config.max_steps, point)).boxed()
        } else {
            Just(None).boxed()
        };
        (cases, yield_strategy(), dead_owner)
            .prop_map(|(mut case, yield_at, dead_owner)| {
                case.interleaving.yield_at = yield_at;
                if let Some((at, point)) = dead_owner {
                    // After the first request is sent (with no handler
                    // alive, a crash strikes an idle node at once).
                    let first_send = case
                        .events
                        .iter()
                        .position(|e| matches!(e, Event::Step(_)))
                        .map_or(0, |i| i + 1);
                    let at = at.max(first_send).min(case.events.len());
                    case.events.insert(at, Event::Crash(point));
                }
                case
            })
            .boxed()
    }
}

/// Await-point yields: often round robin at every poll (robust to how
/// many polls a call takes), else at one of the first few polls of a call
/// (where a read is answered and its write not yet sent: one poll for an
/// in-process store that awaits between its steps, a few for a database
/// statement's round trips), sometimes later, sometimes none.
fn yield_strategy() -> BoxedStrategy<Option<u8>> {
    prop_oneof![
        2 => Just(None),
        6 => Just(Some(0)),
        2 => Just(Some(1)),
        4 => (2u8..=5).prop_map(Some),
        1 => (6u8..=8).prop_map(Some),
    ]
    .boxed()
}

fn event_strategy(config: &CaseShape) -> BoxedStrategy<Event> {
    let f = config.faults;
    let mut choices: Vec<(u32, BoxedStrategy<Event>)> =
        vec![(12, any::<u8>().prop_map(Event::Step).boxed())];
    if f.lost_requests {
        choices.push((1, Just(Event::LoseRequest).boxed()));
    }
    if f.lost_responses {
        choices.push((1, Just(Event::LoseResponse).boxed()));
    }
    if f.duplicated_requests {
        choices.push((1, Just(Event::DuplicateRequest).boxed()));
    }
    if f.crashes {
        let point = prop_oneof![
            Just(CrashPoint::BeforeClaim),
            Just(CrashPoint::AfterClaim),
            Just(CrashPoint::AfterSideEffect),
            Just(CrashPoint::AfterComplete),
            Just(CrashPoint::BeforeReply),
        ];
        choices.push((2, point.prop_map(Event::Crash).boxed()));
    }
    if f.store_restarts {
        choices.push((2, Just(Event::StoreRestart).boxed()));
    }
    if f.clock_jumps {
        choices.push((
            3,
            jump_strategy(config).prop_map(Event::AdvanceClock).boxed(),
        ));
        if f.stalls {
            choices.push((2, Just(Event::Stall).boxed()));
            choices.push((2, Just(Event::SlowHandler).boxed()));
        }
    }
    if f.payload_changes {
        choices.push((1, Just(Event::ChangePayload).boxed()));
    }
    if f.handler_errors {
        choices.push((1, Just(Event::HandlerError).boxed()));
    }
    prop::strategy::Union::new_weighted(choices).boxed()
}

fn jump_strategy(config: &CaseShape) -> BoxedStrategy<Jump> {
    let mut kinds = vec![JumpKind::Lease, JumpKind::HandlerTime];
    if config.key_ttl {
        kinds.push(JumpKind::KeyTtl);
    }
    if config.retry_window {
        kinds.push(JumpKind::RetryWindow);
    }
    if config.attempt_timeout {
        kinds.push(JumpKind::AttemptTimeout);
    }
    let boundary =
        (prop::sample::select(kinds), -3i64..=3).prop_map(|(kind, d)| Jump { kind, delta_ms: d });
    let small = (1i64..=400).prop_map(|d| Jump {
        kind: JumpKind::Small,
        delta_ms: d,
    });
    prop_oneof![1 => small, 2 => boundary].boxed()
}
