//! Scenarios: what proptest generates and shrinks.

use std::fmt;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use super::config::SimConfig;

/// Where a server crash strikes a handler. A crash kills every in-flight
/// handler; the store is dropped and reopened over the same location.
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
    /// Advance one actor by one action: a client or reconciler sends its next
    /// attempt (waiting on the clock for its backoff if needed), or a server
    /// handler makes its next store call, side effect or reply. The index is
    /// taken modulo the actors able to act, in a fixed order (in-flight
    /// handlers oldest first, then clients, then reconcilers).
    Step(u8),
    /// The next request sent is lost.
    LoseRequest,
    /// The next reply sent is lost.
    LoseResponse,
    /// The next request sent is delivered twice.
    DuplicateRequest,
    /// The server crashes when a handler is at this point (now, or as soon as
    /// one gets there), then restarts over the same storage.
    Crash(CrashPoint),
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
    /// `complete` must be refused. Generated with clock jumps.
    Stall,
}

/// One logical operation: a key, and how many client actors send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpSpec {
    /// Concurrent duplicates (client actors) of this operation.
    pub duplicates: u8,
}

/// A generated case: the operations, the seed of the clients' jitter, and
/// the event schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// The logical operations (keys `k1`, `k2`, ...).
    pub operations: Vec<OpSpec>,
    /// Seeds every jitter draw (per client and attempt, so it is stable
    /// under shrinking).
    pub jitter_seed: u64,
    /// The event schedule.
    pub events: Vec<Event>,
}

impl Scenario {
    /// The proptest strategy of scenarios for `config`.
    pub fn strategy(config: &SimConfig) -> BoxedStrategy<Scenario> {
        let max_dups = config.duplicates.clamp(1, 8) as u8;
        let min_dups = max_dups.min(2);
        let max_ops = config.operations.clamp(1, 8);
        let ops = prop::collection::vec(
            (min_dups..=max_dups).prop_map(|duplicates| OpSpec { duplicates }),
            1..=max_ops,
        );
        let events = prop::collection::vec(event_strategy(config), 0..=config.max_steps.max(1));
        (ops, any::<u64>(), events)
            .prop_map(|(operations, jitter_seed, events)| Scenario {
                operations,
                jitter_seed,
                events,
            })
            .boxed()
    }
}

fn event_strategy(config: &SimConfig) -> BoxedStrategy<Event> {
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
    if f.clock_jumps {
        choices.push((
            3,
            jump_strategy(config).prop_map(Event::AdvanceClock).boxed(),
        ));
        choices.push((2, Just(Event::Stall).boxed()));
    }
    if f.payload_changes {
        choices.push((1, Just(Event::ChangePayload).boxed()));
    }
    // Handler errors are part of ordinary server behaviour, always on.
    choices.push((1, Just(Event::HandlerError).boxed()));
    prop::strategy::Union::new_weighted(choices).boxed()
}

fn jump_strategy(config: &SimConfig) -> BoxedStrategy<Jump> {
    let mut kinds = vec![JumpKind::Lease, JumpKind::HandlerTime];
    if config.key_ttl.is_some() {
        kinds.push(JumpKind::KeyTtl);
    }
    if config.schedule.retry_window.is_some() {
        kinds.push(JumpKind::RetryWindow);
    }
    if config.schedule.per_attempt_timeout.is_some() {
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
