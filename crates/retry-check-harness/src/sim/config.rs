//! The simulator's configuration: the client's retry schedule, the
//! reconciler, the lease and handler time, which faults are generated, and
//! the budget.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a client spreads its retries: the contract's own type (the AWS
/// architecture-blog names), so the harness and the contracts share one
/// definition and one set of formulas
/// ([`retry_check_contract::derive::jittered_delay_ms`]).
pub use retry_check_contract::Jitter;

/// Serde for [`Jitter`] by its contract name (`"none"`, `"full"`, ...).
mod jitter_name {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Jitter;

    pub(super) fn serialize<S: Serializer>(j: &Jitter, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(j.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Jitter, D::Error> {
        let name = String::deserialize(d)?;
        Jitter::from_name(&name)
            .ok_or_else(|| serde::de::Error::unknown_variant(&name, Jitter::NAMES))
    }
}

/// A client's retry schedule: attempts, exponential backoff with jitter,
/// and the time limits after which it stops retrying.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetrySchedule {
    /// Total attempts including the first one (at least 1).
    pub max_attempts: u32,
    /// The backoff before the first retry.
    pub initial_backoff: Duration,
    /// Growth factor of the backoff per retry.
    pub multiplier: f64,
    /// Upper bound of one backoff.
    pub max_backoff: Option<Duration>,
    /// How the backoff is randomised.
    #[serde(with = "jitter_name")]
    pub jitter: Jitter,
    /// The client gives up (sends no attempt) after this much time since its
    /// first attempt.
    pub deadline: Option<Duration>,
    /// Each attempt is abandoned (treated as lost) after this long without a
    /// reply; the client then retries.
    pub per_attempt_timeout: Option<Duration>,
    /// The time since the first attempt during which the same key may still
    /// be retried (by this client or by a reconciler). The store must keep
    /// records at least this long.
    pub retry_window: Option<Duration>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            multiplier: 2.0,
            max_backoff: Some(Duration::from_secs(2)),
            jitter: Jitter::Full,
            deadline: Some(Duration::from_secs(10)),
            per_attempt_timeout: Some(Duration::from_secs(1)),
            retry_window: Some(Duration::from_secs(60)),
        }
    }
}

/// A background retrier of the same key (a sweeper re-driving stuck
/// operations): every `every`, until `until` after the first attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciler {
    /// Interval between two reconciler retries.
    pub every: Duration,
    /// The reconciler stops this long after the operation's first attempt.
    pub until: Duration,
}

/// Which faults the scenario generator may inject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Faults {
    /// Node crashes: a server node dies with its in-flight handlers (their
    /// store calls are abandoned) and restarts; the other nodes and the
    /// store keep running.
    pub crashes: bool,
    /// Restarts (or failovers) of the store itself: every store instance is
    /// dropped and reopened over the case's location; calls in flight fail.
    /// What survives is what the store made durable there. Turn off for an
    /// in-process store that forgets everything by design
    /// ([`MemoryStore`](crate::stores::MemoryStore)).
    #[serde(default = "yes")]
    pub store_restarts: bool,
    /// Requests lost on the way to the server.
    pub lost_requests: bool,
    /// Replies lost on the way back to the client.
    pub lost_responses: bool,
    /// A request delivered twice.
    pub duplicated_requests: bool,
    /// Clock jumps aimed at TTL, lease, handler and window boundaries, and
    /// (with [`stalls`](Self::stalls)) handler stalls.
    pub clock_jumps: bool,
    /// A reused key arriving with a different payload.
    pub payload_changes: bool,
    /// Handlers that stall (a GC pause that lets the clock pass the
    /// owner's lease) or work slowly (up to the handler time). They move
    /// the clock, so they need [`clock_jumps`](Self::clock_jumps) too.
    /// Turn off for a store with no takeover.
    #[serde(default = "yes")]
    pub stalls: bool,
    /// Handlers that fail before the side effect and `release` their claim
    /// (ordinary server behaviour, so on even in [`Faults::none`]). Turn
    /// off for a store with no release operation.
    #[serde(default = "yes")]
    pub handler_errors: bool,
}

fn yes() -> bool {
    true
}

fn two() -> usize {
    2
}

impl Default for Faults {
    fn default() -> Self {
        Faults::all()
    }
}

impl Faults {
    /// Every fault enabled.
    pub fn all() -> Self {
        Faults {
            crashes: true,
            store_restarts: true,
            lost_requests: true,
            lost_responses: true,
            duplicated_requests: true,
            clock_jumps: true,
            payload_changes: true,
            stalls: true,
            handler_errors: true,
        }
    }

    /// No fault (only interleavings of duplicates), except handler errors,
    /// which are ordinary server behaviour: turn them off with
    /// [`handler_errors`](Self::handler_errors).
    pub fn none() -> Self {
        Faults {
            crashes: false,
            store_restarts: false,
            lost_requests: false,
            lost_responses: false,
            duplicated_requests: false,
            clock_jumps: false,
            payload_changes: false,
            stalls: false,
            handler_errors: true,
        }
    }

    /// The fault kinds this configuration never generates, by name (for
    /// reports: a pass says nothing about them).
    pub fn off(&self) -> Vec<&'static str> {
        [
            ("node crashes", self.crashes),
            ("store restarts", self.store_restarts),
            ("lost requests", self.lost_requests),
            ("lost responses", self.lost_responses),
            ("duplicated requests", self.duplicated_requests),
            ("clock jumps", self.clock_jumps),
            ("stalls", self.stalls && self.clock_jumps),
            ("payload changes", self.payload_changes),
            ("handler errors", self.handler_errors),
        ]
        .into_iter()
        .filter(|&(_, on)| !on)
        .map(|(name, _)| name)
        .collect()
    }
}

/// The default number of cases per run. Every store of the zoo is caught
/// well within it (see the crate docs for the measured figures).
pub const DEFAULT_CASES: u32 = 512;

/// Everything the simulator needs besides the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// The client's retry schedule.
    pub schedule: RetrySchedule,
    /// An optional background retrier of the same key.
    pub reconciler: Option<Reconciler>,
    /// The lease passed to `begin`.
    pub lease: Duration,
    /// Upper bound of the time the handler takes from claim to side effect.
    pub handler_time: Duration,
    /// What the store promises to keep a record (biases clock jumps; the
    /// harness does not enforce it).
    pub key_ttl: Option<Duration>,
    /// Server nodes sharing the store: requests are spread over them in
    /// turn, and each crashes on its own (at least 1).
    #[serde(default = "two")]
    pub nodes: usize,
    /// Concurrent duplicates (client actors) of one logical operation, at
    /// least 1; the generator draws `1..=duplicates`, at least 2 when
    /// `duplicates >= 2`.
    pub duplicates: usize,
    /// Logical operations (keys) per case; the generator draws
    /// `1..=operations`.
    pub operations: usize,
    /// Which faults are generated.
    pub faults: Faults,
    /// Cases per run.
    pub cases: u32,
    /// The seed of the run: same seed, same output, byte for byte.
    pub seed: u64,
    /// Maximum number of scheduled events per case.
    pub max_steps: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            schedule: RetrySchedule::default(),
            reconciler: None,
            lease: Duration::from_secs(5),
            handler_time: Duration::from_secs(1),
            key_ttl: Some(Duration::from_secs(24 * 3600)),
            nodes: 2,
            duplicates: 3,
            operations: 2,
            faults: Faults::all(),
            cases: DEFAULT_CASES,
            seed: 0,
            max_steps: 40,
        }
    }
}
