//! A zoo of deliberately broken idempotency stores (feature `zoo`).
//!
//! Each [`Bug`] is one classic mistake, documented with the property the
//! harness reports against it. [`Bug::factory`] opens a store with that bug;
//! the zoo's tests (`tests/zoo.rs`) and the benchmark check that sim mode
//! catches every one of them with its default budget.
//!
//! Apart from their bug, the zoo stores are correct and — except
//! [`Bug::InMemoryAcrossRestarts`] and the completions of
//! [`Bug::VolatileCompletion`] — durable: their records live in a JSON file
//! under the storage location (rewritten after every change), so a simulated
//! crash and restart loses nothing, and the property that breaks is the one
//! the bug is about.
//!
//! ```
//! use retry_check_harness::stores::zoo::Bug;
//! use retry_check_harness::{Property, SimConfig};
//!
//! let config = SimConfig::default();
//! for bug in Bug::ALL {
//!     let factory = bug.factory(&config);
//!     assert!(!bug.name().is_empty());
//!     let _: Property = bug.expected_property();
//!     let _ = factory;
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::rules::{self, Record, Write};
use super::{MemoryStore, SqliteStore};
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};
use crate::{Property, SimConfig};

/// The outcome [`Bug::AbandonedIsFailed`] records for an abandoned key.
pub const ABANDONED_OUTCOME: &str = "failed: handler abandoned the key (lease expired)";

/// One broken store of the zoo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// **Claim by look-up, record only at completion** (the check-then-insert
    /// race). `begin` looks the key up among *completed* records and, when
    /// absent, answers `Acquired` without writing anything; the record is
    /// written by `complete`. It is the handler `get(key)` → side effect →
    /// `put(key, outcome)` with the lock released between the look-up and
    /// the insert, made visible at the granularity the simulator interleaves
    /// (store calls): two duplicates in flight both look the key up before
    /// either inserts, and both run the side effect. With no claim recorded
    /// there is no ownership to fence, so the "token" it hands out is the
    /// same for every claimant of a payload (it only carries the payload's
    /// fingerprint to `complete`), and the first `complete` wins.
    ///
    /// Breaks: `at_most_once`.
    NoInProgressRecord,
    /// **An in-process store used where restarts happen.** The correct
    /// [`MemoryStore`], under a configuration with crashes: a restart forgets
    /// every record, so a retry after the restart runs the side effect again.
    ///
    /// Breaks: `at_most_once`.
    InMemoryAcrossRestarts,
    /// **No fingerprint check.** A reused key with a different payload is
    /// treated as a duplicate: it is answered with the first request's
    /// outcome (or "in progress") instead of `Mismatch`.
    ///
    /// Breaks: `mismatch_rejected`.
    NoFingerprintCheck,
    /// **A lease shorter than the handler, without fencing of the effect.**
    /// `begin` ignores the `lease` argument and leases keys for half the
    /// configured handler time, so a duplicate takes the key over while the
    /// first owner is still working, and both run the side effect. The store
    /// does fence `complete` (a stale token is refused), which cannot help:
    /// the side effect itself (the card provider) takes no token.
    ///
    /// Breaks: `at_most_once` (a lease expired in flight).
    ShortLease,
    /// **Stale token accepted.** Leases and takeovers are right, but
    /// `complete` (and `release`) accept any token: an owner whose lease was
    /// taken over still overwrites the key's outcome.
    ///
    /// Fencing matters when a lease runs out while its owner still works:
    /// the harness stalls an owner (a GC pause) past its lease, lets a
    /// duplicate take the key over, then lets the stalled owner finish.
    ///
    /// Breaks: `stale_owner_fenced`.
    StaleTokenAccepted,
    /// **Records expire before the client's retry window ends.** Whatever
    /// key TTL it promises, the store keeps a record for only an eighth of
    /// the time a client keeps retrying, so a late retry finds no record and
    /// runs the side effect again.
    ///
    /// Breaks: `at_most_once`.
    ShortTtl,
    /// **Completion not durable.** The claim is committed to SQLite (WAL,
    /// `synchronous=NORMAL`: durable against a process crash), but the
    /// completion is kept in memory (a write-behind cache never flushed):
    /// after a restart the key is in progress again. Like a single-process
    /// server, the store ends the leases of the previous process's claims
    /// when it opens (correct by itself: a restart kills every in-flight
    /// handler), so a retry takes the completed key over and runs the side
    /// effect again. (Without that recovery the first symptom is a retry
    /// answered "in progress" for a completed operation: `eventual_outcome`.)
    ///
    /// Breaks: `at_most_once`.
    VolatileCompletion,
    /// **Failure recorded as final when the effect may have happened.** An
    /// in-progress key whose lease ended is answered — and recorded — as
    /// completed with a failure outcome ("the handler must have failed"),
    /// although its owner may have run the side effect before dying.
    ///
    /// Breaks: `no_false_failure`.
    AbandonedIsFailed,
}

impl Bug {
    /// Every bug of the zoo, in a fixed order.
    pub const ALL: [Bug; 8] = [
        Bug::NoInProgressRecord,
        Bug::InMemoryAcrossRestarts,
        Bug::NoFingerprintCheck,
        Bug::ShortLease,
        Bug::StaleTokenAccepted,
        Bug::ShortTtl,
        Bug::VolatileCompletion,
        Bug::AbandonedIsFailed,
    ];

    /// A short, stable `snake_case` name.
    pub fn name(self) -> &'static str {
        match self {
            Bug::NoInProgressRecord => "no_in_progress_record",
            Bug::InMemoryAcrossRestarts => "in_memory_across_restarts",
            Bug::NoFingerprintCheck => "no_fingerprint_check",
            Bug::ShortLease => "short_lease",
            Bug::StaleTokenAccepted => "stale_token_accepted",
            Bug::ShortTtl => "short_ttl",
            Bug::VolatileCompletion => "volatile_completion",
            Bug::AbandonedIsFailed => "abandoned_is_failed",
        }
    }

    /// One line describing the bug, for reports.
    pub fn description(self) -> &'static str {
        match self {
            Bug::NoInProgressRecord => "claim by look-up, record only at completion",
            Bug::InMemoryAcrossRestarts => "in-process store used across restarts",
            Bug::NoFingerprintCheck => "no fingerprint check",
            Bug::ShortLease => "lease shorter than the handler, effect not fenced",
            Bug::StaleTokenAccepted => "complete accepts a stale token",
            Bug::ShortTtl => "records expire before the retry window ends",
            Bug::VolatileCompletion => "durable claim, completion kept in memory",
            Bug::AbandonedIsFailed => "expired lease answered as a final failure",
        }
    }

    /// The property the harness must report against this store.
    pub fn expected_property(self) -> Property {
        match self {
            Bug::NoInProgressRecord
            | Bug::InMemoryAcrossRestarts
            | Bug::ShortLease
            | Bug::ShortTtl
            | Bug::VolatileCompletion => Property::AtMostOnce,
            Bug::NoFingerprintCheck => Property::MismatchRejected,
            Bug::StaleTokenAccepted => Property::StaleOwnerFenced,
            Bug::AbandonedIsFailed => Property::NoFalseFailure,
        }
    }

    /// The simulation configuration this bug is checked under: the default
    /// one (default budget, seed and faults), for every bug.
    pub fn sim_config(self) -> SimConfig {
        SimConfig::default()
    }

    /// A factory for this bug's store, with its parameters derived from the
    /// simulation `config`: the promised key TTL (`config.key_ttl`, one day
    /// when unset), the short lease of [`Bug::ShortLease`] (half of
    /// `config.handler_time`) and the short TTL of [`Bug::ShortTtl`] (an
    /// eighth of the time a client keeps retrying: the tighter of its
    /// deadline and retry window, 60 s when neither is set).
    pub fn factory(self, config: &SimConfig) -> ZooFactory {
        let key_ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
        let horizon = config
            .schedule
            .send_horizon()
            .unwrap_or(Duration::from_secs(60));
        ZooFactory {
            bug: self,
            key_ttl,
            short_lease: config.handler_time / 2,
            short_ttl: horizon / 8,
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Opens the store of one [`Bug`]; see [`Bug::factory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZooFactory {
    bug: Bug,
    key_ttl: Duration,
    short_lease: Duration,
    short_ttl: Duration,
}

impl ZooFactory {
    /// The bug of the stores this factory opens.
    pub fn bug(&self) -> Bug {
        self.bug
    }

    /// The lease [`Bug::ShortLease`] uses instead of the caller's.
    pub fn short_lease(&self) -> Duration {
        self.short_lease
    }

    /// The key TTL [`Bug::ShortTtl`] really keeps records for.
    pub fn short_ttl(&self) -> Duration {
        self.short_ttl
    }
}

impl StoreFactory for ZooFactory {
    type Store = ZooStore;

    fn open(&self, location: &StorageLocation) -> Result<ZooStore, StoreError> {
        let file = || {
            location.dir().join(format!(
                "zoo-{}-{}.json",
                self.bug.name(),
                location.namespace()
            ))
        };
        let inner = match self.bug {
            Bug::InMemoryAcrossRestarts => Inner::Memory(MemoryStore::new(self.key_ttl)),
            Bug::VolatileCompletion => {
                let file = location.dir().join(super::SQLITE_FILE_NAME);
                let claims =
                    SqliteStore::open_with(&file, location.namespace(), self.key_ttl, "NORMAL")?;
                // Startup recovery: the claims of the previous process died
                // with it.
                claims.end_all_leases()?;
                Inner::WriteBehind(WriteBehind {
                    claims,
                    key_ttl: self.key_ttl,
                    completed: Mutex::new(BTreeMap::new()),
                })
            }
            bug => {
                let key_ttl = match bug {
                    Bug::ShortTtl => self.short_ttl,
                    _ => self.key_ttl,
                };
                Inner::Broken(Broken::open(bug, key_ttl, self.short_lease, file())?)
            }
        };
        Ok(ZooStore {
            bug: self.bug,
            inner,
        })
    }

    fn name(&self) -> String {
        format!(
            "zoo store `{}` ({})",
            self.bug.name(),
            self.bug.description()
        )
    }
}

/// A store of the zoo, opened by [`ZooFactory`].
#[derive(Debug)]
pub struct ZooStore {
    bug: Bug,
    inner: Inner,
}

impl ZooStore {
    /// The bug of this store.
    pub fn bug(&self) -> Bug {
        self.bug
    }
}

#[derive(Debug)]
enum Inner {
    Memory(MemoryStore),
    WriteBehind(WriteBehind),
    Broken(Broken),
}

impl IdempotencyStore for ZooStore {
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        match &self.inner {
            Inner::Memory(s) => s.begin(key, fingerprint, now, lease),
            Inner::WriteBehind(s) => s.begin(key, fingerprint, now, lease),
            Inner::Broken(s) => s.begin(key, fingerprint, now, lease),
        }
    }

    fn complete(
        &self,
        key: &str,
        token: FencingToken,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        match &self.inner {
            Inner::Memory(s) => s.complete(key, token, outcome, now),
            Inner::WriteBehind(s) => s.complete(key, token, outcome, now),
            Inner::Broken(s) => s.complete(key, token, outcome, now),
        }
    }

    fn release(
        &self,
        key: &str,
        token: FencingToken,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        match &self.inner {
            Inner::Memory(s) => s.release(key, token, now),
            Inner::WriteBehind(s) => s.release(key, token, now),
            Inner::Broken(s) => s.release(key, token, now),
        }
    }
}

/// The durable state of a [`Broken`] store, kept in a JSON file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Disk {
    records: BTreeMap<String, Record>,
    last_token: u64,
    /// For [`Bug::NoInProgressRecord`]: the fingerprints handed out as
    /// "tokens" (token `n` carries `payloads[n - 1]` to `complete`).
    payloads: Vec<u64>,
}

/// The file-backed store with one bug (all bugs but the in-memory and the
/// write-behind ones).
#[derive(Debug)]
struct Broken {
    bug: Bug,
    key_ttl: Duration,
    short_lease: Duration,
    file: PathBuf,
    disk: Mutex<Disk>,
}

impl Broken {
    fn open(
        bug: Bug,
        key_ttl: Duration,
        short_lease: Duration,
        file: PathBuf,
    ) -> Result<Self, StoreError> {
        let disk = match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StoreError::new(format!("zoo store {}: {e}", file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Disk::default(),
            Err(e) => return Err(e.into()),
        };
        Ok(Broken {
            bug,
            key_ttl,
            short_lease,
            file,
            disk: Mutex::new(disk),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Disk>, StoreError> {
        self.disk
            .lock()
            .map_err(|_| StoreError::new("zoo store: lock poisoned"))
    }

    /// Apply `write` and persist the whole state (the store is durable: a
    /// change is on disk before the call returns).
    fn commit(
        &self,
        disk: &mut Disk,
        key: &str,
        write: Write,
        issued: Option<u64>,
        changed: bool,
    ) -> Result<(), StoreError> {
        if write == Write::Keep && issued.is_none() && !changed {
            return Ok(());
        }
        if let Some(token) = issued {
            disk.last_token = token;
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
        let bytes =
            serde_json::to_vec(&*disk).map_err(|e| StoreError::new(format!("zoo store: {e}")))?;
        std::fs::write(&self.file, bytes)?;
        Ok(())
    }

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut disk = self.lock()?;
        let next = disk.last_token + 1;
        let current = disk.records.get(key).cloned();
        let live = current.as_ref().filter(|r| !r.expired(now));
        let mut issued = None;
        let mut new_payload = false;
        let fresh = || {
            issued = Some(next);
            Ok(next)
        };
        let (claim, write) = match self.bug {
            Bug::NoInProgressRecord => match live {
                // Look the key up among completed records; if there is none,
                // go ahead without writing anything. With no claim recorded
                // there is no ownership to fence: the "token" only carries
                // the payload's fingerprint to `complete`.
                Some(r) if r.fingerprint != fingerprint.0 => (Claim::Mismatch, Write::Keep),
                Some(Record {
                    outcome: Some(o), ..
                }) => (Claim::Completed(Outcome(o.clone())), Write::Keep),
                _ => {
                    let known = disk.payloads.iter().position(|&p| p == fingerprint.0);
                    let index = known.unwrap_or_else(|| {
                        disk.payloads.push(fingerprint.0);
                        disk.payloads.len() - 1
                    });
                    new_payload = known.is_none();
                    let token = u64::try_from(index).map_or(u64::MAX, |i| i + 1);
                    (Claim::Acquired(FencingToken(token)), Write::Keep)
                }
            },
            Bug::NoFingerprintCheck => {
                // Compares the record's fingerprint with itself.
                let seen = live.map_or(fingerprint, |r| Fingerprint(r.fingerprint));
                rules::begin(self.key_ttl, current.as_ref(), seen, now, lease, fresh)?
            }
            Bug::ShortLease => rules::begin(
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
                _ => rules::begin(
                    self.key_ttl,
                    current.as_ref(),
                    fingerprint,
                    now,
                    lease,
                    fresh,
                )?,
            },
            _ => rules::begin(
                self.key_ttl,
                current.as_ref(),
                fingerprint,
                now,
                lease,
                fresh,
            )?,
        };
        self.commit(&mut disk, key, write, issued, new_payload)?;
        Ok(claim)
    }

    fn complete(
        &self,
        key: &str,
        token: FencingToken,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let mut disk = self.lock()?;
        let current = disk.records.get(key).cloned();
        let (fenced, write) = match (self.bug, current) {
            (Bug::NoInProgressRecord, current) => {
                // The deferred insert, `INSERT .. ON CONFLICT DO NOTHING`:
                // the first completion wins, a later one is refused.
                let payload = usize::try_from(token.0.wrapping_sub(1))
                    .ok()
                    .and_then(|i| disk.payloads.get(i).copied());
                let taken = current.is_some_and(|r| !r.expired(now));
                match payload {
                    Some(fingerprint) if !taken => {
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
            (_, current) => rules::complete(self.key_ttl, current.as_ref(), token, outcome, now),
        };
        self.commit(&mut disk, key, write, None, false)?;
        Ok(fenced)
    }

    fn release(
        &self,
        key: &str,
        token: FencingToken,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let mut disk = self.lock()?;
        let current = disk.records.get(key).cloned();
        let (fenced, write) = match (self.bug, current) {
            (Bug::NoInProgressRecord, current) => {
                // Nothing was claimed, so nothing to forget — unless the key
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
            (_, current) => rules::release(current.as_ref(), token),
        };
        self.commit(&mut disk, key, write, None, false)?;
        Ok(fenced)
    }
}

/// A completion kept in memory: fingerprint, outcome, expiry (virtual ms).
#[derive(Debug)]
struct Completion {
    fingerprint: u64,
    outcome: String,
    expires_at: u64,
}

/// [`Bug::VolatileCompletion`]: claims in SQLite, completions in memory.
#[derive(Debug)]
struct WriteBehind {
    claims: SqliteStore,
    key_ttl: Duration,
    /// Lost on restart.
    completed: Mutex<BTreeMap<String, Completion>>,
}

impl WriteBehind {
    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<String, Completion>>, StoreError> {
        self.completed
            .lock()
            .map_err(|_| StoreError::new("zoo store: lock poisoned"))
    }

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let completed = self.lock()?;
        match completed.get(key) {
            Some(c) if now.as_millis() < c.expires_at => {
                if c.fingerprint == fingerprint.0 {
                    Ok(Claim::Completed(Outcome(c.outcome.clone())))
                } else {
                    Ok(Claim::Mismatch)
                }
            }
            _ => self.claims.begin(key, fingerprint, now, lease),
        }
    }

    fn complete(
        &self,
        key: &str,
        token: FencingToken,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let mut completed = self.lock()?;
        let Some(fingerprint) = self.claims.owned_fingerprint(key, token)? else {
            return Ok(Fenced::StaleToken);
        };
        let expires_at = (now + self.key_ttl).as_millis();
        completed.insert(
            key.to_owned(),
            Completion {
                fingerprint,
                outcome: outcome.0.clone(),
                expires_at,
            },
        );
        Ok(Fenced::Accepted)
    }

    fn release(
        &self,
        key: &str,
        token: FencingToken,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let _completed = self.lock()?;
        self.claims.release(key, token, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(5);
    const FP: Fingerprint = Fingerprint(42);

    fn t(ms: u64) -> VirtualTime {
        VirtualTime(ms)
    }

    fn ok() -> Outcome {
        Outcome("ok".to_string())
    }

    fn token(claim: Result<Claim, StoreError>) -> FencingToken {
        match claim {
            Ok(Claim::Acquired(token)) => token,
            other => panic!("expected Acquired, got {other:?}"),
        }
    }

    struct Case {
        _dir: tempfile::TempDir,
        location: StorageLocation,
        factory: ZooFactory,
    }

    fn case(bug: Bug) -> Case {
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = StorageLocation::new(dir.path(), "case_1");
        Case {
            _dir: dir,
            location,
            factory: bug.factory(&SimConfig::default()),
        }
    }

    impl Case {
        fn open(&self) -> ZooStore {
            self.factory.open(&self.location).expect("open zoo store")
        }
    }

    #[test]
    fn no_in_progress_record_lets_duplicates_in_flight_both_acquire() {
        let c = case(Bug::NoInProgressRecord);
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        let b = token(s.begin("k", FP, t(1), LEASE));
        // No ownership to fence: both claimants carry the same token.
        assert_eq!(a, b);
        assert_eq!(a, FencingToken(1));
        let changed = token(s.begin("k", Fingerprint(1), t(1), LEASE));
        assert_eq!(changed, FencingToken(2));
        assert_eq!(s.complete("k", a, &ok(), t(2)), Ok(Fenced::Accepted));
        // Once completed, the look-up finds the record.
        assert_eq!(s.begin("k", FP, t(3), LEASE), Ok(Claim::Completed(ok())));
        assert_eq!(
            s.begin("k", Fingerprint(1), t(3), LEASE),
            Ok(Claim::Mismatch)
        );
        // First writer wins.
        let late = Outcome("late".to_string());
        assert_eq!(s.complete("k", b, &late, t(4)), Ok(Fenced::StaleToken));
        assert_eq!(s.release("k", b, t(4)), Ok(Fenced::StaleToken));
        assert_eq!(
            s.complete("k", FencingToken(99), &late, t(4)),
            Ok(Fenced::StaleToken)
        );
        // The completed record survives a restart (only the claim is missing),
        // and so do the payload tokens.
        drop(s);
        let s = c.open();
        assert_eq!(s.begin("k", FP, t(5), LEASE), Ok(Claim::Completed(ok())));
        let other = token(s.begin("k2", Fingerprint(1), t(5), LEASE));
        assert_eq!(other, FencingToken(2));
        assert_eq!(s.release("k2", other, t(6)), Ok(Fenced::Accepted));
        // Past the key TTL the key is free again.
        token(s.begin("k", FP, t(2 + 86_400_000), LEASE));
    }

    #[test]
    fn in_memory_across_restarts_forgets_completions() {
        let c = case(Bug::InMemoryAcrossRestarts);
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.begin("k", FP, t(1), LEASE), Ok(Claim::InProgress));
        assert_eq!(s.complete("k", a, &ok(), t(2)), Ok(Fenced::Accepted));
        drop(s);
        let s = c.open();
        token(s.begin("k", FP, t(3), LEASE));
    }

    #[test]
    fn no_fingerprint_check_replays_for_another_payload() {
        let c = case(Bug::NoFingerprintCheck);
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.begin("k", Fingerprint(1), t(1), LEASE),
            Ok(Claim::InProgress)
        );
        assert_eq!(s.complete("k", a, &ok(), t(2)), Ok(Fenced::Accepted));
        assert_eq!(
            s.begin("k", Fingerprint(1), t(3), LEASE),
            Ok(Claim::Completed(ok()))
        );
    }

    #[test]
    fn short_lease_ignores_the_lease_and_the_token() {
        let c = case(Bug::ShortLease);
        assert_eq!(c.factory.short_lease(), Duration::from_millis(500));
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.begin("k", FP, t(499), LEASE), Ok(Claim::InProgress));
        let b = token(s.begin("k", FP, t(500), LEASE));
        assert_ne!(a, b);
        // complete() is fenced; the damage (two owners) is done already.
        assert_eq!(s.complete("k", a, &ok(), t(600)), Ok(Fenced::StaleToken));
        assert_eq!(s.complete("k", b, &ok(), t(601)), Ok(Fenced::Accepted));
    }

    #[test]
    fn stale_token_accepted_takes_over_correctly_but_accepts_any_token() {
        let c = case(Bug::StaleTokenAccepted);
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.begin("k", FP, t(4_999), LEASE), Ok(Claim::InProgress));
        let b = token(s.begin("k", FP, t(5_000), LEASE));
        assert_ne!(a, b);
        let stale = Outcome("stale".to_string());
        assert_eq!(s.complete("k", a, &stale, t(5_001)), Ok(Fenced::Accepted));
        assert_eq!(
            s.begin("k", FP, t(5_002), LEASE),
            Ok(Claim::Completed(stale))
        );
    }

    #[test]
    fn short_ttl_forgets_inside_the_window() {
        let c = case(Bug::ShortTtl);
        assert_eq!(c.factory.short_ttl(), Duration::from_millis(1_250));
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.complete("k", a, &ok(), t(100)), Ok(Fenced::Accepted));
        assert_eq!(
            s.begin("k", FP, t(1_349), LEASE),
            Ok(Claim::Completed(ok()))
        );
        token(s.begin("k", FP, t(1_350), LEASE));
    }

    #[test]
    fn volatile_completion_keeps_the_claim_but_loses_the_outcome() {
        let c = case(Bug::VolatileCompletion);
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.complete("k", FencingToken(a.0 + 7), &ok(), t(1)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(s.complete("k", a, &ok(), t(1)), Ok(Fenced::Accepted));
        assert_eq!(s.begin("k", FP, t(2), LEASE), Ok(Claim::Completed(ok())));
        assert_eq!(
            s.begin("k", Fingerprint(1), t(2), LEASE),
            Ok(Claim::Mismatch)
        );
        drop(s);
        let s = c.open();
        // In progress again after the restart, its lease ended by the
        // startup recovery: taken over at once.
        let b = token(s.begin("k", FP, t(3), LEASE));
        assert!(b > a, "the durable counter never repeats a token");
        assert_eq!(s.begin("k", FP, t(4), LEASE), Ok(Claim::InProgress));
    }

    #[test]
    fn abandoned_is_failed_records_a_final_failure() {
        let c = case(Bug::AbandonedIsFailed);
        let s = c.open();
        token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.begin("k", FP, t(4_999), LEASE), Ok(Claim::InProgress));
        let failed = Claim::Completed(Outcome(ABANDONED_OUTCOME.to_string()));
        assert_eq!(s.begin("k", FP, t(5_000), LEASE), Ok(failed.clone()));
        drop(s);
        let s = c.open();
        assert_eq!(s.begin("k", FP, t(5_001), LEASE), Ok(failed));
    }

    #[test]
    fn durable_zoo_stores_survive_restart() {
        for bug in [
            Bug::NoFingerprintCheck,
            Bug::ShortLease,
            Bug::StaleTokenAccepted,
            Bug::ShortTtl,
            Bug::AbandonedIsFailed,
        ] {
            let c = case(bug);
            let s = c.open();
            let a = token(s.begin("k", FP, t(0), LEASE));
            assert_eq!(
                s.complete("k", a, &ok(), t(1)),
                Ok(Fenced::Accepted),
                "{bug}"
            );
            drop(s);
            let s = c.open();
            assert_eq!(
                s.begin("k", FP, t(2), LEASE),
                Ok(Claim::Completed(ok())),
                "{bug}"
            );
            // Tokens never repeat across the restart.
            let b = token(s.begin("other", FP, t(2), LEASE));
            assert!(b > a, "{bug}");
        }
    }

    #[test]
    fn names_are_unique_and_properties_as_documented() {
        let mut names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Bug::ALL.len());
        assert_eq!(Bug::ShortTtl.expected_property(), Property::AtMostOnce);
        assert_eq!(
            Bug::NoFingerprintCheck.expected_property(),
            Property::MismatchRejected
        );
        assert_eq!(
            Bug::StaleTokenAccepted.expected_property(),
            Property::StaleOwnerFenced
        );
        assert_eq!(
            Bug::AbandonedIsFailed.expected_property(),
            Property::NoFalseFailure
        );
        let f = Bug::ShortTtl.factory(&SimConfig::default());
        assert!(f.name().contains("short_ttl"));
        for bug in Bug::ALL {
            assert_eq!(bug.sim_config(), SimConfig::default(), "{bug}");
        }
    }
}
