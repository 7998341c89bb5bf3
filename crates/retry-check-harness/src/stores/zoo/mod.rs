//! A zoo of deliberately broken idempotency stores (feature `zoo`).
//!
//! Each [`Bug`] is one classic mistake, documented with the property (and
//! the class of violation) the harness reports against it and the mode
//! that catches it. [`Bug::check`] runs the harness against it;
//! `tests/zoo.rs` and the benchmark check that every one of them is caught
//! with the default budget.
//!
//! Apart from their bug, the zoo stores are correct and durable: the
//! file-backed ones keep their records with [`DurableState`] in the case's
//! location, so a restart loses nothing but what the bug loses.
//!
//! ```
//! use retry_check_harness::stores::zoo::Bug;
//! use retry_check_harness::{Property, SimConfig};
//!
//! let config = SimConfig::default();
//! for bug in Bug::ALL {
//!     assert!(!bug.name().is_empty());
//!     let _: Property = bug.expected_property();
//! }
//! ```
//!
//! [`DurableState`]: crate::DurableState

mod file;
#[cfg(not(loom))]
pub mod redis_get_then_set;
mod sqlite_race;
#[cfg(test)]
mod tests;
mod write_behind;

use std::fmt;
use std::time::Duration;

use self::file::Broken;
use self::sqlite_race::{Db, RaceStore};
use self::write_behind::WriteBehind;
use super::{MemoryStore, SqliteStore};
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};
use crate::{Mode, Property, SimConfig, ViolationClass};

/// The outcome [`Bug::AbandonedIsFailed`] records for an abandoned key.
pub const ABANDONED_OUTCOME: &str = "failed: handler abandoned the key (lease expired)";

/// How a zoo store is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// A sync store ([`Bug::factory`]).
    Sync,
    /// An async store, in process ([`Bug::async_factory`]).
    Async,
    /// An async store on the PostgreSQL server of `RETRY_CHECK_PG_URL`.
    Postgres,
    /// An async store on the Redis server of `RETRY_CHECK_REDIS_URL`.
    Redis,
}

/// One broken store of the zoo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// **Claim by look-up, record only at completion.** `begin` looks the
    /// key up among *completed* records and, when absent, answers
    /// `Acquired` without writing anything; the record is written by
    /// `complete` (the first wins). Two duplicates in flight both acquire
    /// and both run the side effect, even with atomic store calls.
    ///
    /// Breaks: `at_most_once` (duplicate effect).
    NoInProgressRecord,
    /// **An in-process store used where restarts happen.** The correct
    /// [`MemoryStore`], under a configuration with store restarts: a
    /// restart forgets every record.
    ///
    /// Breaks: `at_most_once`, or `ttl_honoured` for a late duplicate
    /// (record lost on restart).
    InMemoryAcrossRestarts,
    /// **No fingerprint check.** A reused key with a different payload is
    /// answered with the first request's outcome (or "in progress") instead
    /// of `Mismatch`.
    ///
    /// Breaks: `mismatch_rejected`.
    NoFingerprintCheck,
    /// **A lease shorter than the handler, without fencing of the effect.**
    /// `begin` leases keys for half the configured handler time, whatever
    /// it is asked: a duplicate takes the key over while the first owner
    /// still works, and both run the side effect.
    ///
    /// Breaks: `at_most_once` (a duplicate effect: the key was handed over
    /// inside the lease the owner asked for).
    ShortLease,
    /// **Stale token accepted.** Leases and takeovers are right, but
    /// `complete` (and `release`) accept any token: an owner whose lease was
    /// taken over (it stalled, like a GC pause) still overwrites the key.
    ///
    /// Breaks: `stale_owner_fenced`.
    StaleTokenAccepted,
    /// **Records expire before the client's retry window ends.** Whatever
    /// key TTL it promises, the store keeps a record for an eighth of the
    /// time a client keeps retrying.
    ///
    /// Breaks: `at_most_once` (record expired inside the retry window), or
    /// `ttl_honoured`.
    ShortTtl,
    /// **Completion not durable.** The claim is committed to SQLite, the
    /// completion is kept in memory (a write-behind cache never flushed);
    /// on open the store ends the leases of the previous process's claims,
    /// so after a restart a retry takes the completed key over.
    ///
    /// Breaks: `at_most_once`, or `ttl_honoured` (record lost on restart).
    VolatileCompletion,
    /// **Failure recorded as final when the effect may have happened.** An
    /// in-progress key whose lease ended is answered, and recorded, as
    /// completed with a failure outcome.
    ///
    /// Breaks: `no_false_failure`.
    AbandonedIsFailed,
    /// **Check-then-insert on SQLite, sync.** `begin` reads the row under
    /// the connection's lock, releases it, and writes the claim under the
    /// lock again with `INSERT OR REPLACE`: each call is fine alone, two
    /// racing duplicates both acquire. Sim mode's atomic calls cannot see
    /// it; the threaded phase does.
    ///
    /// Breaks: `at_most_once` (duplicate effect), found by the threaded
    /// phase.
    CheckThenInsertSqlite,
    /// **Check-then-insert on SQLite, async.** The same claim, each
    /// statement awaited on tokio's blocking pool: two duplicates whose
    /// `SELECT`s run before either `INSERT` both acquire.
    ///
    /// Breaks: `at_most_once`, found at the await points.
    CheckThenInsertSqliteAsync,
    /// **Check-then-insert on PostgreSQL.** `SELECT`, then `INSERT`, no
    /// transaction, and no unique constraint on the key.
    ///
    /// Breaks: `at_most_once`, found at the await points.
    CheckThenInsertPostgres,
    /// **A unique violation taken for a fresh claim (PostgreSQL).** The key
    /// is the primary key, but when the `INSERT` of a claim fails on it the
    /// store answers `Acquired` ("someone inserted it: it must be ours").
    ///
    /// Breaks: `at_most_once`, found at the await points.
    UniqueViolationAsClaim,
    /// **`SELECT ... FOR UPDATE` missing (PostgreSQL).** A fresh claim is
    /// atomic, but a takeover reads the expired row without locking it and
    /// updates it unconditionally: two duplicates taking over a dead
    /// owner's key both acquire.
    ///
    /// Breaks: `at_most_once`, found at the await points.
    NoSelectForUpdate,
    /// **Fencing-token counter lost on store restart.** Records are
    /// durable, the token counter lives in memory: after a restart the
    /// store hands out `token#1` again, to the owner that takes over a key
    /// whose stalled owner still holds `token#1`.
    ///
    /// Breaks: `stale_owner_fenced` (fencing token issued twice).
    TokenCounterLost,
    /// **Acknowledged before durable.** Every write is acknowledged at
    /// once and made durable only with the next one (a replica one write
    /// behind): a store restart (failover) loses the last acknowledged
    /// write.
    ///
    /// Breaks: `at_most_once` or `ttl_honoured` (record lost on restart).
    AckBeforeDurable,
    /// **The key TTL counted from the claim.** The record keeps the expiry
    /// its claim set; completing does not extend it, so a duplicate inside
    /// the key TTL after the completion finds no record.
    ///
    /// Breaks: `ttl_honoured` (record expired before its key TTL).
    TtlFromClaim,
    /// **`GET` then `SET` on Redis.** The claim reads the record, decides
    /// in the client and writes with a plain `SET` (no `NX`, no script):
    /// two duplicates whose `GET`s both run before either `SET` both
    /// acquire.
    ///
    /// Breaks: `at_most_once`, found at the await points.
    RedisGetThenSet,
}

impl Bug {
    /// Every bug of the zoo, in a fixed order.
    pub const ALL: [Bug; 17] = [
        Bug::NoInProgressRecord,
        Bug::InMemoryAcrossRestarts,
        Bug::NoFingerprintCheck,
        Bug::ShortLease,
        Bug::StaleTokenAccepted,
        Bug::ShortTtl,
        Bug::VolatileCompletion,
        Bug::AbandonedIsFailed,
        Bug::CheckThenInsertSqlite,
        Bug::CheckThenInsertSqliteAsync,
        Bug::CheckThenInsertPostgres,
        Bug::UniqueViolationAsClaim,
        Bug::NoSelectForUpdate,
        Bug::TokenCounterLost,
        Bug::AckBeforeDurable,
        Bug::TtlFromClaim,
        Bug::RedisGetThenSet,
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
            Bug::CheckThenInsertSqlite => "check_then_insert_sqlite",
            Bug::CheckThenInsertSqliteAsync => "check_then_insert_sqlite_async",
            Bug::CheckThenInsertPostgres => "check_then_insert_postgres",
            Bug::UniqueViolationAsClaim => "unique_violation_as_claim",
            Bug::NoSelectForUpdate => "no_select_for_update",
            Bug::TokenCounterLost => "token_counter_lost",
            Bug::AckBeforeDurable => "ack_before_durable",
            Bug::TtlFromClaim => "ttl_from_claim",
            Bug::RedisGetThenSet => "redis_get_then_set",
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
            Bug::CheckThenInsertSqlite => "SELECT then INSERT OR REPLACE on SQLite, sync",
            Bug::CheckThenInsertSqliteAsync => "SELECT then INSERT OR REPLACE on SQLite, async",
            Bug::CheckThenInsertPostgres => "SELECT then INSERT on PostgreSQL, no unique key",
            Bug::UniqueViolationAsClaim => "unique violation taken for a fresh claim",
            Bug::NoSelectForUpdate => "takeover without SELECT ... FOR UPDATE",
            Bug::TokenCounterLost => "fencing-token counter lost on store restart",
            Bug::AckBeforeDurable => "writes acknowledged before they are durable",
            Bug::TtlFromClaim => "key TTL counted from the claim",
            Bug::RedisGetThenSet => "GET then SET on Redis, no NX",
        }
    }

    /// How the store is driven.
    pub fn flavour(self) -> Flavour {
        match self {
            Bug::CheckThenInsertSqliteAsync => Flavour::Async,
            Bug::CheckThenInsertPostgres | Bug::UniqueViolationAsClaim | Bug::NoSelectForUpdate => {
                Flavour::Postgres
            }
            Bug::RedisGetThenSet => Flavour::Redis,
            _ => Flavour::Sync,
        }
    }

    /// The mode that catches it.
    pub fn caught_by(self) -> Mode {
        match (self, self.flavour()) {
            (Bug::CheckThenInsertSqlite, _) => Mode::Threads,
            (_, Flavour::Sync) => Mode::Scenarios,
            _ => Mode::AwaitPoints,
        }
    }

    /// The property the harness reports against this store (most often:
    /// [`Bug::symptoms`] lists the others a case may show first).
    pub fn expected_property(self) -> Property {
        match self {
            Bug::NoFingerprintCheck => Property::MismatchRejected,
            Bug::StaleTokenAccepted | Bug::TokenCounterLost => Property::StaleOwnerFenced,
            Bug::AbandonedIsFailed => Property::NoFalseFailure,
            Bug::TtlFromClaim => Property::TtlHonoured,
            _ => Property::AtMostOnce,
        }
    }

    /// Every property a case of this bug may be reported against: a store
    /// that loses records also lets a late duplicate or a changed payload
    /// in, and one that records nothing in flight lets a changed payload in.
    pub fn symptoms(self) -> &'static [Property] {
        match self {
            Bug::InMemoryAcrossRestarts | Bug::VolatileCompletion | Bug::AckBeforeDurable => &[
                Property::AtMostOnce,
                Property::TtlHonoured,
                Property::MismatchRejected,
                Property::StaleOwnerFenced,
            ],
            Bug::ShortTtl => &[
                Property::AtMostOnce,
                Property::TtlHonoured,
                Property::MismatchRejected,
            ],
            // With nothing recorded in flight, a changed payload gets in
            // too, and a late owner's complete lands on another's claim.
            Bug::NoInProgressRecord => &[
                Property::AtMostOnce,
                Property::MismatchRejected,
                Property::StaleOwnerFenced,
            ],
            // A claim that replaces another can replace a completed record
            // too, which a late duplicate then misses.
            Bug::CheckThenInsertSqliteAsync
            | Bug::CheckThenInsertPostgres
            | Bug::UniqueViolationAsClaim
            | Bug::NoSelectForUpdate
            | Bug::RedisGetThenSet => &[
                Property::AtMostOnce,
                Property::MismatchRejected,
                Property::TtlHonoured,
            ],
            Bug::NoFingerprintCheck => &[Property::MismatchRejected],
            Bug::ShortLease => &[Property::AtMostOnce],
            Bug::StaleTokenAccepted => &[Property::StaleOwnerFenced],
            Bug::AbandonedIsFailed => &[Property::NoFalseFailure],
            Bug::CheckThenInsertSqlite => &[Property::AtMostOnce],
            Bug::TokenCounterLost => &[Property::StaleOwnerFenced],
            Bug::TtlFromClaim => &[Property::TtlHonoured],
        }
    }

    /// The classes of violation that name this bug's cause.
    pub fn expected_classes(self) -> &'static [ViolationClass] {
        use ViolationClass as C;
        match self {
            // A store that loses its records on a restart may lose its
            // token counter with them.
            Bug::InMemoryAcrossRestarts | Bug::VolatileCompletion | Bug::AckBeforeDurable => {
                &[C::RecordLostOnCrash, C::MismatchAccepted, C::TokenReissued]
            }
            Bug::ShortTtl => &[
                C::RecordExpiredInWindow,
                C::RecordExpiredEarly,
                C::MismatchAccepted,
            ],
            Bug::ShortLease => &[C::DuplicateEffect],
            Bug::NoFingerprintCheck => &[C::MismatchAccepted],
            Bug::StaleTokenAccepted => &[C::StaleTokenCompletion, C::StaleTokenRelease],
            Bug::TokenCounterLost => &[C::TokenReissued],
            Bug::AbandonedIsFailed => &[C::FalseFailure],
            Bug::TtlFromClaim => &[C::RecordExpiredEarly],
            Bug::NoInProgressRecord => &[
                C::DuplicateEffect,
                C::MismatchAccepted,
                C::StaleTokenCompletion,
            ],
            _ => &[
                C::DuplicateEffect,
                C::MismatchAccepted,
                C::RecordExpiredEarly,
            ],
        }
    }

    /// The simulation configuration this bug is checked under: the default
    /// one (default budget, seed and faults), for every bug.
    pub fn sim_config(self) -> SimConfig {
        SimConfig::default()
    }

    /// A factory for this bug's sync store, with its parameters derived from
    /// the simulation `config`: the promised key TTL (`config.key_ttl`, one
    /// day when unset), the short lease of [`Bug::ShortLease`] (half of
    /// `config.handler_time`) and the short TTL of [`Bug::ShortTtl`] (an
    /// eighth of the time a client keeps retrying). For an async bug the
    /// factory's `open` fails: use [`Bug::async_factory`] or [`Bug::check`].
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

    /// Run the harness against this bug's store (the default modes,
    /// `config`'s budget and seed). `None` for a PostgreSQL (Redis) bug
    /// when `RETRY_CHECK_PG_URL` (`RETRY_CHECK_REDIS_URL`) names no server.
    #[cfg(not(loom))]
    pub fn check(self, config: SimConfig) -> Option<Result<crate::SimReport, crate::SimError>> {
        use crate::Sim;
        let key_ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
        match self.flavour() {
            Flavour::Sync => Some(Sim::new(self.factory(&config)).config(config).run()),
            Flavour::Async => Some(
                Sim::new_async(ZooAsyncFactory { bug: self, key_ttl })
                    .config(config)
                    .run(),
            ),
            Flavour::Redis => redis_get_then_set::check(config),
            Flavour::Postgres => {
                let url = std::env::var(super::PG_URL_ENV)
                    .ok()
                    .filter(|u| !u.is_empty())?;
                let variant = match self {
                    Bug::CheckThenInsertPostgres => super::postgres::Variant::CheckThenInsert,
                    Bug::UniqueViolationAsClaim => super::postgres::Variant::UniqueViolationAsClaim,
                    _ => super::postgres::Variant::NoSelectForUpdate,
                };
                let factory = super::PostgresStore::zoo_factory(url, key_ttl, variant);
                let cleanup = factory.clone();
                let result = Sim::new_async(factory).config(config).run();
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    let _ = rt.block_on(cleanup.drop_schemas());
                }
                Some(result)
            }
        }
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Opens the store of one sync [`Bug`]; see [`Bug::factory`].
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
        let inner = match self.bug {
            Bug::InMemoryAcrossRestarts => Inner::Memory(MemoryStore::new(self.key_ttl)),
            Bug::VolatileCompletion => {
                let file = location.dir().join(super::SQLITE_FILE_NAME);
                let claims =
                    SqliteStore::open_with(&file, location.namespace(), self.key_ttl, "NORMAL")?;
                // Startup recovery: the claims of the previous process died
                // with it.
                claims.end_all_leases()?;
                Inner::WriteBehind(WriteBehind::new(claims, self.key_ttl))
            }
            Bug::CheckThenInsertSqlite => Inner::Race(RaceStore {
                db: Db::open(location, self.key_ttl)?,
            }),
            bug if bug.flavour() != Flavour::Sync => {
                return Err(StoreError::new(format!(
                    "zoo store `{bug}` is async: open it with Bug::check or Bug::async_factory"
                )))
            }
            bug => {
                let key_ttl = match bug {
                    Bug::ShortTtl => self.short_ttl,
                    _ => self.key_ttl,
                };
                Inner::Broken(Broken::open(bug, key_ttl, self.short_lease, location)?)
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

/// A sync store of the zoo, opened by [`ZooFactory`].
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

    fn store(&self) -> &dyn IdempotencyStore<Token = FencingToken> {
        match &self.inner {
            Inner::Memory(s) => s,
            Inner::WriteBehind(s) => s,
            Inner::Broken(s) => s,
            Inner::Race(s) => s,
        }
    }
}

#[derive(Debug)]
enum Inner {
    Memory(MemoryStore),
    WriteBehind(WriteBehind),
    Broken(Broken),
    Race(RaceStore),
}

impl IdempotencyStore for ZooStore {
    type Token = crate::FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.store().begin(key, fingerprint, now, lease)
    }

    fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.store().complete(key, held, outcome, now)
    }

    fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.store().release(key, held, now)
    }
}

/// Opens the store of an in-process async [`Bug`]
/// ([`Bug::CheckThenInsertSqliteAsync`]).
#[cfg(not(loom))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZooAsyncFactory {
    bug: Bug,
    key_ttl: Duration,
}

#[cfg(not(loom))]
impl Bug {
    /// A factory for this bug's in-process async store; see [`Bug::factory`].
    pub fn async_factory(self, config: &SimConfig) -> ZooAsyncFactory {
        ZooAsyncFactory {
            bug: self,
            key_ttl: config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600)),
        }
    }
}

/// An async store of the zoo, opened by [`ZooAsyncFactory`].
#[cfg(not(loom))]
#[derive(Debug)]
pub struct ZooAsyncStore(sqlite_race::AsyncRaceStore);

#[cfg(not(loom))]
impl crate::store::AsyncIdempotencyStore for ZooAsyncStore {
    type Token = crate::FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.0.begin(key, fingerprint, now, lease).await
    }
    async fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.complete(key, held, outcome, now).await
    }
    async fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.release(key, held, now).await
    }
}

#[cfg(not(loom))]
impl crate::store::AsyncStoreFactory for ZooAsyncFactory {
    type Store = ZooAsyncStore;

    async fn open(&self, location: &StorageLocation) -> Result<ZooAsyncStore, StoreError> {
        if self.bug != Bug::CheckThenInsertSqliteAsync {
            return Err(StoreError::new(format!(
                "zoo store `{}` has no in-process async flavour",
                self.bug
            )));
        }
        Ok(ZooAsyncStore(sqlite_race::AsyncRaceStore {
            db: Db::open(location, self.key_ttl)?,
        }))
    }

    fn name(&self) -> String {
        format!(
            "zoo store `{}` ({})",
            self.bug.name(),
            self.bug.description()
        )
    }
}
