//! The six properties and the exact oracle that checks them on a trace.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A property the simulator checks; each is named in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Property {
    /// Per logical operation, the side effect runs at most once while any
    /// client may still retry it.
    AtMostOnce,
    /// A reused key with a different fingerprint never executes and is
    /// answered with the mismatch status.
    MismatchRejected,
    /// Every replayed outcome equals the first recorded one.
    ReplayConsistent,
    /// No client is told "failed" for an operation whose effect happened.
    NoFalseFailure,
    /// After a lease takeover, the old owner cannot complete or release.
    StaleOwnerFenced,
    /// Once faults stop, a retry inside the window gets a final outcome.
    EventualOutcome,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 6] = [
        Property::AtMostOnce,
        Property::MismatchRejected,
        Property::ReplayConsistent,
        Property::NoFalseFailure,
        Property::StaleOwnerFenced,
        Property::EventualOutcome,
    ];

    /// Which property a case reports when it violates several (lower
    /// first): the most specific diagnosis wins. A stale-token completion
    /// usually precedes a duplicate effect (the new owner runs it again), a
    /// key reused after a lost record is also executed twice, and a false
    /// failure is also an unrecorded replay.
    pub fn rank(self) -> u8 {
        match self {
            Property::StaleOwnerFenced => 0,
            Property::AtMostOnce => 1,
            Property::MismatchRejected => 2,
            Property::NoFalseFailure => 3,
            Property::ReplayConsistent => 4,
            Property::EventualOutcome => 5,
        }
    }

    /// The name used in reports: `at_most_once`, `mismatch_rejected`, ...
    pub fn name(self) -> &'static str {
        match self {
            Property::AtMostOnce => "at_most_once",
            Property::MismatchRejected => "mismatch_rejected",
            Property::ReplayConsistent => "replay_consistent",
            Property::NoFalseFailure => "no_false_failure",
            Property::StaleOwnerFenced => "stale_owner_fenced",
            Property::EventualOutcome => "eventual_outcome",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kind of anomaly behind a violation (Elle-style names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationClass {
    /// The side effect ran twice with no crash or lease expiry to explain it.
    DuplicateEffect,
    /// A completed record vanished across a restart.
    RecordLostOnCrash,
    /// A record expired while a client could still retry.
    RecordExpiredInWindow,
    /// A live owner's lease ran out and another handler took over.
    LeaseExpiredInFlight,
    /// A replayed outcome differs from the recorded one.
    DivergentReplay,
    /// A stale token was accepted by `complete` or `release`.
    StaleTokenCompletion,
    /// A request with another payload was executed or replayed.
    MismatchAccepted,
    /// A client was told "failed" although the effect happened.
    FalseFailure,
    /// A key stayed in progress (or erroring) once faults stopped.
    StuckInProgress,
}

impl ViolationClass {
    /// The human name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ViolationClass::DuplicateEffect => "duplicate effect",
            ViolationClass::RecordLostOnCrash => "record lost on crash",
            ViolationClass::RecordExpiredInWindow => "record expired inside the retry window",
            ViolationClass::LeaseExpiredInFlight => "lease expired in flight",
            ViolationClass::DivergentReplay => "divergent replay",
            ViolationClass::StaleTokenCompletion => "stale-token completion",
            ViolationClass::MismatchAccepted => "mismatch accepted",
            ViolationClass::FalseFailure => "false failure",
            ViolationClass::StuckInProgress => "stuck in progress",
        }
    }
}

impl fmt::Display for ViolationClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One property violation found in a trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The property violated.
    pub property: Property,
    /// The anomaly class.
    pub class: ViolationClass,
    /// The timeline line (1-based) where the violation became visible.
    pub line: usize,
    /// The mark printed on that line (`!! second execution`).
    pub mark: String,
    /// The "because" chain, one sentence per entry.
    pub because: Vec<String>,
}
