//! The seven properties, the classes of their violations, and the judges
//! that decide them.
//!
//! A judge works on a [`KeyHistory`]: what happened to one key (the grants
//! `begin` made, the side effects the ledger counted, the outcomes recorded).
//! Sim mode feeds it online, as answers arrive ([`online`]); stress mode and
//! loom mode build one per key from their logs and ask the same judges, so
//! the three modes cannot disagree about what `at_most_once` or
//! `stale_owner_fenced` means.

pub(crate) mod online;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::{FencingToken, Fingerprint, Outcome, VirtualTime};

/// A property the harness checks; each is named in reports.
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
    /// After a lease takeover, the old owner can neither complete nor
    /// release, and its token is never issued again.
    StaleOwnerFenced,
    /// Once faults stop, a retry inside the window gets a final outcome.
    EventualOutcome,
    /// A duplicate arriving within the key TTL after the key was completed
    /// gets the recorded outcome (the TTL counts from completion).
    TtlHonoured,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 7] = [
        Property::AtMostOnce,
        Property::MismatchRejected,
        Property::ReplayConsistent,
        Property::NoFalseFailure,
        Property::StaleOwnerFenced,
        Property::EventualOutcome,
        Property::TtlHonoured,
    ];

    /// Which property a case reports when it violates several (lower
    /// first): the most specific diagnosis wins. A stale-token completion
    /// usually precedes a duplicate effect (the new owner runs it again), a
    /// key reused after a lost record is also executed twice, a false
    /// failure is also an unrecorded replay, and a record lost inside the
    /// retry window also breaks the TTL.
    pub fn rank(self) -> u8 {
        match self {
            Property::StaleOwnerFenced => 0,
            Property::AtMostOnce => 1,
            Property::MismatchRejected => 2,
            Property::NoFalseFailure => 3,
            Property::TtlHonoured => 4,
            Property::ReplayConsistent => 5,
            Property::EventualOutcome => 6,
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
            Property::TtlHonoured => "ttl_honoured",
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
    /// A completed record vanished across a restart of the store.
    RecordLostOnCrash,
    /// A record expired while a client could still retry.
    RecordExpiredInWindow,
    /// A live owner's lease ran out and another handler took over.
    LeaseExpiredInFlight,
    /// A replayed outcome differs from the recorded one.
    DivergentReplay,
    /// A stale token was accepted by `complete`.
    StaleTokenCompletion,
    /// A stale token was accepted by `release`.
    StaleTokenRelease,
    /// A token still held by a taken-over owner was issued again.
    TokenReissued,
    /// A request with another payload was executed or replayed.
    MismatchAccepted,
    /// A client was told "failed" although the effect happened.
    FalseFailure,
    /// A key stayed in progress (or erroring) once faults stopped.
    StuckInProgress,
    /// A completed record was gone (or not answered) before its key TTL.
    RecordExpiredEarly,
}

impl ViolationClass {
    /// The human name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ViolationClass::DuplicateEffect => "duplicate effect",
            ViolationClass::RecordLostOnCrash => "record lost on restart",
            ViolationClass::RecordExpiredInWindow => "record expired inside the retry window",
            ViolationClass::LeaseExpiredInFlight => "lease expired in flight",
            ViolationClass::DivergentReplay => "divergent replay",
            ViolationClass::StaleTokenCompletion => "stale-token completion",
            ViolationClass::StaleTokenRelease => "stale-token release",
            ViolationClass::TokenReissued => "fencing token issued twice",
            ViolationClass::MismatchAccepted => "mismatch accepted",
            ViolationClass::FalseFailure => "false failure",
            ViolationClass::StuckInProgress => "stuck in progress",
            ViolationClass::RecordExpiredEarly => "record expired before its key TTL",
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

/// How a grant ended, when `complete` or `release` accepted its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Finish {
    /// The line of the accepted call.
    pub(crate) line: usize,
    /// When.
    pub(crate) at: VirtualTime,
    /// `release` (true) or `complete` (false).
    pub(crate) released: bool,
}

/// One `Acquired` answer: a key handed to an owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    /// The owner's name in reports (`h3`, `worker 2`).
    pub(crate) owner: String,
    /// The token issued.
    pub(crate) token: FencingToken,
    /// The payload the owner carries.
    pub(crate) fp: Fingerprint,
    /// When it was granted.
    pub(crate) at: VirtualTime,
    /// The line of the `Acquired` answer.
    pub(crate) line: usize,
    /// The line its `begin` started on, when known.
    pub(crate) started: Option<usize>,
    /// The environment paused the owner (a GC pause, or loom's clock
    /// jump) meaning to take it past its lease, which ends at this time: a
    /// grant of the key from then on is a takeover, and the stalled
    /// owner's late effect is excused. (The pause may have been held back
    /// short of the lease end; a grant before it is a double grant.)
    pub(crate) stalled: Option<VirtualTime>,
    /// The line of the crash that killed the owner, and whether it died in
    /// the effect-record gap (after its side effect, before `complete`).
    pub(crate) crashed: Option<(usize, bool)>,
    /// Its accepted `complete` or `release`.
    pub(crate) finished: Option<Finish>,
    /// The line of a `complete` or `release` of it the store refused.
    pub(crate) refused: Option<usize>,
    /// The line where its owner stopped: replied, or died with its node.
    pub(crate) gone: Option<usize>,
    /// The line where its `complete` failed (a store error, or the store
    /// restarted during the call) after its side effect: the effect-record
    /// gap, as when the owner crashes there.
    pub(crate) complete_failed: Option<usize>,
    /// The line where its `release` was cut off (the store restarted, the
    /// node died or the store failed during the call): it may have taken
    /// effect, so the claim no longer binds a duplicate.
    pub(crate) release_failed: Option<usize>,
}

impl Grant {
    /// A grant of `token` to `owner` (carrying `fp`) at `at`, answered on
    /// `line`; nothing happened to it yet.
    pub(crate) fn new(
        owner: impl Into<String>,
        token: FencingToken,
        fp: Fingerprint,
        at: VirtualTime,
        line: usize,
    ) -> Grant {
        Grant {
            owner: owner.into(),
            token,
            fp,
            at,
            line,
            stalled: None,
            crashed: None,
            finished: None,
            refused: None,
            gone: None,
            complete_failed: None,
            release_failed: None,
            started: None,
        }
    }
}

/// One execution of the side effect, counted by the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Execution {
    /// The grant under which it ran (index into [`KeyHistory::grants`]).
    pub(crate) grant: usize,
    /// Its line.
    pub(crate) line: usize,
    /// Its number among the key's executions (1-based).
    pub(crate) n: usize,
}

/// Why a repeated execution is nobody's fault but the environment's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Excuse {
    /// Its owner crashed between the side effect and `complete`, or its
    /// `complete` failed: no store can tell whether the effect ran (the
    /// effect-record gap).
    CrashInGap,
    /// Its owner stalled past its lease and the key was handed over before
    /// it completed: only fencing downstream of the store can stop it.
    StalledTakeover,
}

/// Everything that happened to one key.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyHistory {
    /// Every grant, in order.
    pub(crate) grants: Vec<Grant>,
    /// Every execution of the side effect, in order.
    pub(crate) executions: Vec<Execution>,
    /// The first outcome an accepted `complete` recorded: outcome, line,
    /// when.
    pub(crate) first_outcome: Option<(Outcome, usize, VirtualTime)>,
    /// When the current record was created (reset by an accepted release).
    pub(crate) record_created_at: Option<VirtualTime>,
    /// The grant whose payload binds the key (reset by an accepted release).
    pub(crate) owner: Option<usize>,
    /// The operation's first attempt.
    pub(crate) op_start: Option<VirtualTime>,
}

impl KeyHistory {
    /// Record a grant; returns its index.
    pub(crate) fn grant(&mut self, grant: Grant) -> usize {
        if self.owner.is_none() || self.record_created_at.is_none() {
            self.record_created_at = Some(grant.at);
        }
        self.grants.push(grant);
        let g = self.grants.len() - 1;
        self.owner = Some(g);
        g
    }

    /// Record an execution under grant `g`; returns it.
    pub(crate) fn execute(&mut self, g: usize, line: usize) -> Execution {
        let e = Execution {
            grant: g,
            line,
            n: self.executions.len() + 1,
        };
        self.executions.push(e);
        e
    }

    /// Why execution `e` may repeat an earlier one, if it may.
    pub(crate) fn excuse(&self, e: &Execution) -> Option<Excuse> {
        let g = &self.grants[e.grant];
        if matches!(g.crashed, Some((_, true)))
            || (g.complete_failed.is_some() && g.finished.is_none())
        {
            return Some(Excuse::CrashInGap);
        }
        let taken_over = g.stalled.is_some_and(|lease_end| {
            self.grants[e.grant + 1..]
                .iter()
                .any(|later| later.token != g.token && later.at >= lease_end)
        });
        (taken_over && g.finished.is_none()).then_some(Excuse::StalledTakeover)
    }

    /// The at-most-once judge, shared by sim, stress and loom mode: the
    /// first pair of executions `(earlier, later)` (indices into
    /// [`KeyHistory::executions`]) of which neither is excused.
    pub(crate) fn repeated_execution(&self) -> Option<(usize, usize)> {
        let mut first = None;
        for (i, e) in self.executions.iter().enumerate() {
            if self.excuse(e).is_some() {
                continue;
            }
            match first {
                None => first = Some(i),
                Some(f) => return Some((f, i)),
            }
        }
        None
    }

    /// The fencing judge: the first grant after `g`, answered before line
    /// `before` (when the judged call started), that was issued once `g`'s
    /// lease had ended (a takeover), if any. A `complete` or `release` from
    /// `g` that started after it and was accepted is a stale-token
    /// acceptance. (A newer grant made while `g`'s lease was live is a double
    /// grant, which `at_most_once` reports once both owners run the side
    /// effect; a call that started before the takeover was answered may
    /// have taken effect before it.)
    pub(crate) fn takeover_of(&self, g: usize, lease: Duration, before: usize) -> Option<usize> {
        let mine = &self.grants[g];
        let end = mine.at + lease;
        (g + 1..self.grants.len()).find(|&j| {
            let later = &self.grants[j];
            later.token != mine.token && later.at >= end && later.line < before
        })
    }

    /// The reissue judge: an earlier grant holding `token` whose owner can
    /// still use it (alive, neither completed nor released) although its
    /// lease ended by `now`. Issuing that token again makes the old owner's
    /// late `complete` indistinguishable from the new owner's.
    pub(crate) fn reissued(
        &self,
        token: FencingToken,
        now: VirtualTime,
        lease: Duration,
    ) -> Option<usize> {
        self.grants.iter().position(|g| {
            g.token == token && g.gone.is_none() && g.finished.is_none() && now >= g.at + lease
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(5);

    fn grant(owner: &str, token: u64, at: u64) -> Grant {
        Grant::new(
            owner,
            FencingToken(token),
            Fingerprint(1),
            VirtualTime(at),
            0,
        )
    }

    #[test]
    fn two_plain_executions_repeat() {
        let mut k = KeyHistory::default();
        let a = k.grant(grant("h1", 1, 0));
        let b = k.grant(grant("h2", 2, 10));
        k.execute(a, 3);
        assert_eq!(k.repeated_execution(), None);
        k.execute(b, 5);
        assert_eq!(k.repeated_execution(), Some((0, 1)));

        // A stall held back short of the lease end: a grant before it is a
        // double grant, not a takeover, and excuses nothing.
        let mut k = KeyHistory::default();
        let a = k.grant(grant("h1", 1, 0));
        k.grants[a].stalled = Some(VirtualTime(5_000));
        let b = k.grant(grant("h2", 2, 1_000));
        k.execute(a, 4);
        k.execute(b, 5);
        assert_eq!(k.excuse(&k.executions[0]), None);
        assert_eq!(k.repeated_execution(), Some((0, 1)));
    }

    #[test]
    fn a_crash_in_the_gap_or_a_stalled_takeover_excuses() {
        let mut k = KeyHistory::default();
        let a = k.grant(grant("h1", 1, 0));
        k.execute(a, 3);
        k.grants[a].crashed = Some((4, true));
        let b = k.grant(grant("h2", 2, 6_000));
        k.execute(b, 7);
        assert_eq!(k.repeated_execution(), None);

        let mut k = KeyHistory::default();
        let a = k.grant(grant("h1", 1, 0));
        k.grants[a].stalled = Some(VirtualTime(5_000));
        let b = k.grant(grant("h2", 2, 5_001));
        k.execute(b, 4);
        k.execute(a, 5);
        assert_eq!(k.excuse(&k.executions[1]), Some(Excuse::StalledTakeover));
        assert_eq!(k.repeated_execution(), None);
        // Once the stalled owner's complete was accepted, nothing excuses it.
        k.grants[a].finished = Some(Finish {
            line: 6,
            at: VirtualTime(5_002),
            released: false,
        });
        assert_eq!(k.repeated_execution(), Some((0, 1)));
    }

    #[test]
    fn takeovers_and_reissues_are_told_by_time() {
        let mut k = KeyHistory::default();
        let a = k.grant(grant("h1", 1, 0));
        k.grant(grant("h2", 2, 4_999));
        assert_eq!(
            k.takeover_of(a, LEASE, usize::MAX),
            None,
            "a double grant, not a takeover"
        );
        k.grant(grant("h3", 3, 5_000));
        assert_eq!(k.takeover_of(a, LEASE, usize::MAX), Some(2));
        assert_eq!(
            k.takeover_of(a, LEASE, 0),
            None,
            "a call made before the takeover"
        );
        assert_eq!(k.reissued(FencingToken(1), VirtualTime(4_000), LEASE), None);
        assert_eq!(
            k.reissued(FencingToken(1), VirtualTime(5_000), LEASE),
            Some(0)
        );
        k.grants[a].finished = Some(Finish {
            line: 1,
            at: VirtualTime(1),
            released: true,
        });
        assert_eq!(k.reissued(FencingToken(1), VirtualTime(5_000), LEASE), None);
    }
}
