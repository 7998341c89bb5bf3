//! The file-backed zoo stores: correct but for one bug each, their records
//! kept durable in the case's location with [`DurableState`].

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Bug, ABANDONED_OUTCOME};
use crate::durable::DurableState;
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, VirtualTime,
};
use crate::stores::decide::{self, Record, Write};

/// The state of a [`Broken`] store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Disk {
    records: BTreeMap<String, Record>,
    last_token: u64,
    /// For [`Bug::NoInProgressRecord`]: the payload each token was handed
    /// out for (nothing else records the claim).
    payloads: BTreeMap<u64, u64>,
}

/// The in-memory state and what of it is durable.
#[derive(Debug)]
struct State {
    /// What the store answers from.
    live: Disk,
    /// [`Bug::AckBeforeDurable`]: the state as of the previous write, the
    /// one the next write makes durable.
    lagging: Disk,
}

/// A file-backed store with one bug.
#[derive(Debug)]
pub(super) struct Broken {
    bug: Bug,
    key_ttl: Duration,
    short_lease: Duration,
    durable: DurableState<Disk>,
    state: Mutex<State>,
}

impl Broken {
    pub(super) fn open(
        bug: Bug,
        key_ttl: Duration,
        short_lease: Duration,
        location: &StorageLocation,
    ) -> Result<Self, StoreError> {
        let (durable, mut disk): (DurableState<Disk>, Disk) =
            DurableState::open(location, &format!("zoo-{}", bug.name()))?;
        if bug == Bug::TokenCounterLost {
            // The counter lives in the process, not with the records.
            disk.last_token = 0;
        }
        Ok(Broken {
            bug,
            key_ttl,
            short_lease,
            durable,
            state: Mutex::new(State {
                lagging: disk.clone(),
                live: disk,
            }),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::new("zoo store: lock poisoned"))
    }

    /// Apply `write` (and an issued token, a new payload) and persist the
    /// state before answering; [`Bug::AckBeforeDurable`] persists only the
    /// state before this write (a replica one write behind).
    fn commit(
        &self,
        state: &mut State,
        key: &str,
        write: Write,
        issued: Option<u64>,
        payload: Option<(u64, u64)>,
    ) -> Result<(), StoreError> {
        if write == Write::Keep && issued.is_none() && payload.is_none() {
            return Ok(());
        }
        let disk = &mut state.live;
        if let Some(token) = issued {
            disk.last_token = token;
        }
        if let Some((token, fp)) = payload {
            disk.payloads.insert(token, fp);
        }
        match write {
            Write::Keep => {}
            Write::Put(r) => {
                disk.records.insert(key.to_owned(), r);
            }
            Write::Delete => {
                disk.records.remove(key);
            }
        }
        if self.bug == Bug::AckBeforeDurable {
            let previous = std::mem::replace(&mut state.lagging, state.live.clone());
            return self.durable.commit(&previous);
        }
        self.durable.commit(&state.live)
    }
}

impl IdempotencyStore for Broken {
    type Token = crate::FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut state = self.lock()?;
        let disk = &state.live;
        let next = disk.last_token + 1;
        let current = disk.records.get(key).cloned();
        let live = current.as_ref().filter(|r| !r.expired(now));
        let mut issued = None;
        let mut payload = None;
        let fresh = || {
            issued = Some(next);
            Ok(next)
        };
        let (claim, write) = match self.bug {
            Bug::NoInProgressRecord => match live {
                // Look the key up among completed records; if there is none,
                // go ahead without writing anything: only the payload the
                // token was handed out for is remembered, for `complete`.
                Some(r) if r.fingerprint != fingerprint.0 => (Claim::Mismatch, Write::Keep),
                Some(Record {
                    outcome: Some(o), ..
                }) => (Claim::Completed(Outcome(o.clone())), Write::Keep),
                _ => {
                    issued = Some(next);
                    payload = Some((next, fingerprint.0));
                    (Claim::Acquired(FencingToken(next)), Write::Keep)
                }
            },
            Bug::NoFingerprintCheck => {
                // Compares the record's fingerprint with itself.
                let seen = live.map_or(fingerprint, |r| Fingerprint(r.fingerprint));
                decide::begin(self.key_ttl, current.as_ref(), seen, now, lease, fresh)?
            }
            Bug::ShortLease => decide::begin(
                self.key_ttl,
                current.as_ref(),
                fingerprint,
                now,
                self.short_lease,
                fresh,
            )?,
            Bug::AbandonedIsFailed => match live {
                Some(r)
                    if r.fingerprint == fingerprint.0
                        && r.outcome.is_none()
                        && now.as_millis() >= r.lease_until =>
                {
                    // "Its owner must have failed": record the failure as
                    // final, although the side effect may have happened.
                    let failed = Record {
                        outcome: Some(ABANDONED_OUTCOME.to_owned()),
                        expires_at: (now + self.key_ttl).as_millis(),
                        ..r.clone()
                    };
                    (
                        Claim::Completed(Outcome(ABANDONED_OUTCOME.to_owned())),
                        Write::Put(failed),
                    )
                }
                _ => decide::begin(
                    self.key_ttl,
                    current.as_ref(),
                    fingerprint,
                    now,
                    lease,
                    fresh,
                )?,
            },
            _ => decide::begin(
                self.key_ttl,
                current.as_ref(),
                fingerprint,
                now,
                lease,
                fresh,
            )?,
        };
        self.commit(&mut state, key, write, issued, payload)?;
        Ok(claim)
    }

    fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.lock()?;
        let disk = &state.live;
        let current = disk.records.get(key).cloned();
        let (fenced, write) = match (self.bug, current) {
            (Bug::NoInProgressRecord, current) => {
                // The deferred insert, `INSERT .. ON CONFLICT DO NOTHING`:
                // the first completion wins, a later one is refused.
                let taken = current.is_some_and(|r| !r.expired(now));
                match disk.payloads.get(&token.0) {
                    Some(&fingerprint) if !taken => {
                        let record = Record {
                            fingerprint,
                            token: token.0,
                            lease_until: now.as_millis(),
                            outcome: Some(outcome.0.clone()),
                            expires_at: (now + self.key_ttl).as_millis(),
                        };
                        (Fenced::Accepted, Write::Put(record))
                    }
                    _ => (Fenced::StaleToken, Write::Keep),
                }
            }
            (Bug::StaleTokenAccepted, Some(record)) => {
                // Whoever calls, the outcome is overwritten.
                let done = Record {
                    token: token.0,
                    outcome: Some(outcome.0.clone()),
                    expires_at: (now + self.key_ttl).as_millis(),
                    ..record
                };
                (Fenced::Accepted, Write::Put(done))
            }
            (Bug::TtlFromClaim, Some(record)) if record.owned_by(token) => {
                // The expiry set at the claim is kept: the TTL counts from
                // the claim, not from the completion.
                let done = Record {
                    outcome: Some(outcome.0.clone()),
                    ..record
                };
                (Fenced::Accepted, Write::Put(done))
            }
            (_, current) => decide::complete(self.key_ttl, current.as_ref(), token, outcome, now),
        };
        self.commit(&mut state, key, write, None, None)?;
        Ok(fenced)
    }

    fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.lock()?;
        let current = state.live.records.get(key).cloned();
        let (fenced, write) = match (self.bug, current) {
            (Bug::NoInProgressRecord, current) => {
                // Nothing was claimed, so nothing to forget, unless the key
                // was completed meanwhile.
                let done = current.is_some_and(|r| !r.expired(now));
                if done {
                    (Fenced::StaleToken, Write::Keep)
                } else {
                    (Fenced::Accepted, Write::Keep)
                }
            }
            (Bug::StaleTokenAccepted, Some(record)) if record.outcome.is_none() => {
                (Fenced::Accepted, Write::Delete)
            }
            (_, current) => decide::release(current.as_ref(), token),
        };
        self.commit(&mut state, key, write, None, None)?;
        Ok(fenced)
    }
}
