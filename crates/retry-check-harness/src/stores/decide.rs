//! Store decision logic: what a correct store answers and writes, written
//! once as pure functions over one record so the in-memory store, the SQLite
//! and PostgreSQL stores and the zoo share it. A store loads the record of a
//! key (under its lock or inside its transaction), asks these functions what
//! to answer and what to write, and writes it.
//!
//! Semantics (the contract of [`IdempotencyStore`](crate::IdempotencyStore)):
//!
//! - a record lives for `key_ttl` after its last write (claim, takeover or
//!   completion): at `expires_at` it is gone, unless it is in progress with a
//!   live lease (an owner still holds it);
//! - a lease is live while `now < lease_until`;
//! - fingerprints are checked before anything else on a live record;
//! - only the current owner's token may complete or release an in-progress
//!   record; once completed or released, no token is current.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::{Claim, Fenced, FencingToken, Fingerprint, Outcome, StoreError, VirtualTime};

/// The stored state of one key. Plain integers so it maps onto SQL columns
/// and JSON without conversion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    /// The fingerprint of the request that created the record.
    pub(crate) fingerprint: u64,
    /// The token of the current (or last) owner.
    pub(crate) token: u64,
    /// Virtual millisecond at which the owner's lease ends.
    pub(crate) lease_until: u64,
    /// `Some` once completed: the final outcome, replayed verbatim.
    pub(crate) outcome: Option<String>,
    /// Virtual millisecond at which the record expires (key TTL).
    pub(crate) expires_at: u64,
}

impl Record {
    /// Whether the record is gone at `now`: past its key TTL, and not held by
    /// an owner with a live lease.
    pub(crate) fn expired(&self, now: VirtualTime) -> bool {
        let past_ttl = now.as_millis() >= self.expires_at;
        let lease_over = self.outcome.is_some() || now.as_millis() >= self.lease_until;
        past_ttl && lease_over
    }

    /// Whether `token` is the current owner of this in-progress record.
    pub(crate) fn owned_by(&self, token: FencingToken) -> bool {
        self.outcome.is_none() && self.token == token.0
    }
}

/// What a store must do to its copy of the record after a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    /// Nothing changes.
    Keep,
    /// Store this record under the key (insert or replace).
    Put(Record),
    /// Delete the key's record.
    Delete,
}

fn at(t: VirtualTime, d: Duration) -> u64 {
    (t + d).as_millis()
}

/// Decide [`begin`](crate::IdempotencyStore::begin) for the record currently
/// stored under the key (`None` when absent). `fresh_token` is called only
/// when a token is issued, so a durable counter advances only then.
pub(crate) fn begin(
    key_ttl: Duration,
    current: Option<&Record>,
    fingerprint: Fingerprint,
    now: VirtualTime,
    lease: Duration,
    fresh_token: impl FnOnce() -> Result<u64, StoreError>,
) -> Result<(Claim, Write), StoreError> {
    let live = current.filter(|r| !r.expired(now));
    let Some(record) = live else {
        let token = fresh_token()?;
        let record = Record {
            fingerprint: fingerprint.0,
            token,
            lease_until: at(now, lease),
            outcome: None,
            expires_at: at(now, key_ttl),
        };
        return Ok((Claim::Acquired(FencingToken(token)), Write::Put(record)));
    };
    if record.fingerprint != fingerprint.0 {
        return Ok((Claim::Mismatch, Write::Keep));
    }
    if let Some(outcome) = &record.outcome {
        return Ok((Claim::Completed(Outcome(outcome.clone())), Write::Keep));
    }
    if now.as_millis() < record.lease_until {
        return Ok((Claim::InProgress, Write::Keep));
    }
    // The owner's lease ended without a completion: take the key over with a
    // fresh token, so the old owner is fenced off.
    let token = fresh_token()?;
    let taken = Record {
        fingerprint: record.fingerprint,
        token,
        lease_until: at(now, lease),
        outcome: None,
        expires_at: record.expires_at.max(at(now, key_ttl)),
    };
    Ok((Claim::Acquired(FencingToken(token)), Write::Put(taken)))
}

/// Decide [`complete`](crate::IdempotencyStore::complete).
pub(crate) fn complete(
    key_ttl: Duration,
    current: Option<&Record>,
    token: FencingToken,
    outcome: &Outcome,
    now: VirtualTime,
) -> (Fenced, Write) {
    match current {
        Some(record) if record.owned_by(token) => {
            let done = Record {
                outcome: Some(outcome.0.clone()),
                expires_at: at(now, key_ttl),
                ..record.clone()
            };
            (Fenced::Accepted, Write::Put(done))
        }
        _ => (Fenced::StaleToken, Write::Keep),
    }
}

/// Decide [`release`](crate::IdempotencyStore::release).
pub(crate) fn release(current: Option<&Record>, token: FencingToken) -> (Fenced, Write) {
    match current {
        Some(record) if record.owned_by(token) => (Fenced::Accepted, Write::Delete),
        _ => (Fenced::StaleToken, Write::Keep),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(100);
    const LEASE: Duration = Duration::from_secs(10);
    const FP: Fingerprint = Fingerprint(7);

    fn t(ms: u64) -> VirtualTime {
        VirtualTime(ms)
    }

    fn acquire(now: u64, token: u64) -> Record {
        match begin(TTL, None, FP, t(now), LEASE, || Ok(token)) {
            Ok((Claim::Acquired(FencingToken(got)), Write::Put(r))) => {
                assert_eq!(got, token);
                r
            }
            other => panic!("expected a fresh claim, got {other:?}"),
        }
    }

    #[test]
    fn fresh_claim_sets_lease_and_ttl() {
        let r = acquire(1_000, 1);
        assert_eq!(r.lease_until, 11_000);
        assert_eq!(r.expires_at, 101_000);
        assert_eq!(r.outcome, None);
    }

    #[test]
    fn lease_boundary_is_exclusive() {
        let r = acquire(0, 1);
        let (c, w) = begin(TTL, Some(&r), FP, t(9_999), LEASE, || Ok(2)).expect("begin");
        assert_eq!((c, w), (Claim::InProgress, Write::Keep));
        let (c, _) = begin(TTL, Some(&r), FP, t(10_000), LEASE, || Ok(2)).expect("begin");
        assert_eq!(c, Claim::Acquired(FencingToken(2)));
    }

    #[test]
    fn mismatch_beats_in_progress_and_takeover() {
        let r = acquire(0, 1);
        let other = Fingerprint(8);
        for now in [5_000, 50_000] {
            let (c, w) = begin(TTL, Some(&r), other, t(now), LEASE, || Ok(2)).expect("begin");
            assert_eq!((c, w), (Claim::Mismatch, Write::Keep));
        }
    }

    #[test]
    fn in_progress_record_outlives_ttl_while_leased() {
        let long = Duration::from_secs(1_000);
        let r = match begin(TTL, None, FP, t(0), long, || Ok(1)) {
            Ok((_, Write::Put(r))) => r,
            other => panic!("{other:?}"),
        };
        assert!(!r.expired(t(200_000)));
        assert!(r.expired(t(1_000_000)));
    }

    #[test]
    fn complete_then_expire() {
        let r = acquire(0, 1);
        let (f, w) = complete(
            TTL,
            Some(&r),
            FencingToken(1),
            &Outcome("ok".into()),
            t(5_000),
        );
        assert_eq!(f, Fenced::Accepted);
        let Write::Put(done) = w else {
            panic!("complete must write")
        };
        assert_eq!(done.expires_at, 105_000);
        let (c, _) = begin(TTL, Some(&done), FP, t(104_999), LEASE, || Ok(2)).expect("begin");
        assert_eq!(c, Claim::Completed(Outcome("ok".into())));
        let (c, _) = begin(TTL, Some(&done), FP, t(105_000), LEASE, || Ok(2)).expect("begin");
        assert_eq!(c, Claim::Acquired(FencingToken(2)));
    }

    #[test]
    fn stale_and_finished_tokens_are_refused() {
        let r = acquire(0, 1);
        let out = Outcome("ok".into());
        assert_eq!(
            complete(TTL, Some(&r), FencingToken(2), &out, t(1)),
            (Fenced::StaleToken, Write::Keep)
        );
        assert_eq!(
            release(Some(&r), FencingToken(2)),
            (Fenced::StaleToken, Write::Keep)
        );
        assert_eq!(
            complete(TTL, None, FencingToken(1), &out, t(1)),
            (Fenced::StaleToken, Write::Keep)
        );
        let (_, w) = complete(TTL, Some(&r), FencingToken(1), &out, t(1));
        let Write::Put(done) = w else {
            panic!("complete must write")
        };
        assert_eq!(
            complete(TTL, Some(&done), FencingToken(1), &out, t(2)),
            (Fenced::StaleToken, Write::Keep)
        );
        assert_eq!(
            release(Some(&done), FencingToken(1)),
            (Fenced::StaleToken, Write::Keep)
        );
        assert_eq!(
            release(Some(&r), FencingToken(1)),
            (Fenced::Accepted, Write::Delete)
        );
    }

    #[test]
    fn token_counter_only_advances_when_issuing() {
        let r = acquire(0, 1);
        let issued = std::cell::Cell::new(false);
        let _ = begin(TTL, Some(&r), FP, t(1), LEASE, || {
            issued.set(true);
            Ok(9)
        })
        .expect("begin");
        assert!(!issued.get());
    }
}
