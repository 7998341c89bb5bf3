//! What a store author implements: the idempotency-store traits, the factory
//! that (re)opens a store over its storage, and the value types they exchange.
//!
//! The shape mirrors what the Rust idempotency crates converge on: an atomic
//! *claim* (`begin`), a *complete* guarded by a fencing token, and a
//! *release* when the attempt failed safely. The side effect itself is never
//! the store's business; the harness runs it against its own ledger.
//!
//! Time is virtual. Every call receives the harness's `now`; a store must
//! never read the system clock, or the harness cannot jump the clock past a
//! TTL or a lease.
//!
//! # What survives a restart
//!
//! Each case gets a fresh [`StorageLocation`] (a new directory and a
//! namespace unique to the run; never reused by another case). The factory
//! opens the store over it when the case starts, and again after every
//! *store restart*: the harness drops the instance (calls in flight fail)
//! and opens a new one over the same location, so what survives is exactly
//! what the store made durable there, in files under
//! [`StorageLocation::dir`] or rows under [`StorageLocation::namespace`] on
//! a database server. A *node crash* does not touch the store: the server
//! nodes share one instance, and only the crashed node's handlers die. An
//! in-process store that models its own persistence can keep its state
//! with [`DurableState`](crate::DurableState).

use std::fmt;
use std::future::Future;
use std::ops::{Add, Sub};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use crate::location::StorageLocation;

/// An instant on the harness's virtual clock: milliseconds since the start of
/// the case. It only moves forward when the harness says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VirtualTime(pub u64);

impl VirtualTime {
    /// The start of every case.
    pub const ZERO: VirtualTime = VirtualTime(0);

    /// Milliseconds since the start of the case.
    pub fn as_millis(self) -> u64 {
        self.0
    }

    /// `self - earlier`, or zero when `earlier` is later.
    pub fn saturating_since(self, earlier: VirtualTime) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }

    /// The wall-clock instant the start of every case maps to in
    /// [`to_system_time`](Self::to_system_time): 2000-01-01T00:00:00Z, a
    /// fixed epoch, so that a store that keeps `SystemTime`s sees the same
    /// times in every run.
    pub const SYSTEM_EPOCH_SECS: u64 = 946_684_800;

    /// This instant as an [`Instant`], `self` after `start` (the `Instant`
    /// a store took for the start of the case), for a store that keeps
    /// `Instant`s. Saturates at `start` plus what `Instant` can hold.
    pub fn to_instant(self, start: Instant) -> Instant {
        let since = Duration::from_millis(self.0);
        start.checked_add(since).unwrap_or(start)
    }

    /// The virtual time of `instant`, measured from `start` (zero before
    /// it).
    pub fn from_instant(instant: Instant, start: Instant) -> VirtualTime {
        VirtualTime(duration_millis(instant.saturating_duration_since(start)))
    }

    /// This instant as a [`SystemTime`]: [`SYSTEM_EPOCH_SECS`] after the
    /// Unix epoch, plus `self`.
    ///
    /// [`SYSTEM_EPOCH_SECS`]: Self::SYSTEM_EPOCH_SECS
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(Self::SYSTEM_EPOCH_SECS) + Duration::from_millis(self.0)
    }

    /// The virtual time of a [`SystemTime`] (zero before the fixed epoch).
    pub fn from_system_time(time: SystemTime) -> VirtualTime {
        let epoch = UNIX_EPOCH + Duration::from_secs(Self::SYSTEM_EPOCH_SECS);
        VirtualTime(time.duration_since(epoch).map_or(0, duration_millis))
    }
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Add<Duration> for VirtualTime {
    type Output = VirtualTime;
    fn add(self, d: Duration) -> VirtualTime {
        VirtualTime(self.0.saturating_add(duration_millis(d)))
    }
}

impl Sub<Duration> for VirtualTime {
    type Output = VirtualTime;
    fn sub(self, d: Duration) -> VirtualTime {
        VirtualTime(self.0.saturating_sub(duration_millis(d)))
    }
}

impl fmt::Display for VirtualTime {
    /// `t=1.250s`: fixed width of the fractional part so timelines line up.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// A digest of the request payload. The harness computes it; the store only
/// stores and compares it, so that a reused key with a different payload is
/// answered with [`Claim::Mismatch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fp:{:04x}", self.0 & 0xffff)
    }
}

/// A counter as proof of ownership: the token type of every store in this
/// crate, and of any store whose token is a number. A store whose proof is
/// something else (a run id and a sequence, a lease with a UUID, a
/// generation per key) declares that as its [`IdempotencyStore::Token`].
///
/// A store must issue a *new* token whenever it hands a key to a new owner
/// (for example after the previous owner's lease expired), and must refuse
/// `complete`/`release` with any token but the current one. That refusal is
/// the fencing that keeps a slow, lease-expired handler from overwriting the
/// outcome of the one that took over.
///
/// The harness's timelines name tokens `token#N`: the Nth distinct token
/// the store issued in the case, whatever its type (for a counter that
/// starts at 1, its own value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FencingToken(pub u64);

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token#{}", self.0)
    }
}

/// The final answer recorded for a key, replayed verbatim to every duplicate.
/// Opaque to the store: persist it and return it byte for byte.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outcome(pub String);

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// The answer of [`IdempotencyStore::begin`]: one atomic create-or-read.
/// `T` is the store's [`Token`](IdempotencyStore::Token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim<T = FencingToken> {
    /// No live record existed; the caller now owns the key until `now +
    /// lease` and may run the side effect. The token is the proof of that
    /// ownership, handed back to `complete` or `release` in a [`Held`].
    Acquired(T),
    /// Another owner holds a live lease on the key. The caller must not run
    /// the side effect (the server answers "in progress, retry later").
    InProgress,
    /// The key has a final outcome; replay it.
    Completed(Outcome),
    /// The key exists with a different fingerprint: the client reused a key
    /// for a different request. Answer 422 / `FAILED_PRECONDITION`.
    Mismatch,
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Acquired(t) => write!(f, "Acquired({t})"),
            Claim::InProgress => f.write_str("InProgress"),
            Claim::Completed(o) => write!(f, "Completed({o})"),
            Claim::Mismatch => f.write_str("Mismatch"),
        }
    }
}

impl<T> Claim<T> {
    /// The same answer with its token mapped (the harness numbers a
    /// store's tokens for its timelines this way).
    pub fn map_token<U>(self, f: impl FnOnce(T) -> U) -> Claim<U> {
        match self {
            Claim::Acquired(t) => Claim::Acquired(f(t)),
            Claim::InProgress => Claim::InProgress,
            Claim::Completed(o) => Claim::Completed(o),
            Claim::Mismatch => Claim::Mismatch,
        }
    }
}

/// What the owner of a key hands back to [`IdempotencyStore::complete`]
/// and [`IdempotencyStore::release`]: the token its [`Claim::Acquired`]
/// returned, and the fingerprint of the request it claimed for (a store
/// that keys or checks its records by fingerprint needs it there too).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Held<T = FencingToken> {
    /// What `begin` returned in [`Claim::Acquired`].
    pub token: T,
    /// The fingerprint `begin` was called with.
    pub fingerprint: Fingerprint,
}

impl<T> Held<T> {
    /// The claim of `token`, made with `fingerprint`.
    pub fn new(token: T, fingerprint: Fingerprint) -> Self {
        Held { token, fingerprint }
    }
}

/// The answer of [`IdempotencyStore::complete`] and
/// [`IdempotencyStore::release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fenced {
    /// The token was current; the write took effect.
    Accepted,
    /// The token is not (or no longer) the key's current owner; nothing was
    /// written.
    StaleToken,
}

impl fmt::Display for Fenced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fenced::Accepted => f.write_str("Accepted"),
            Fenced::StaleToken => f.write_str("StaleToken"),
        }
    }
}

/// A store failure (I/O, database error). The harness treats it as a failed
/// call: the server answers with a retryable error and the client may retry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl StoreError {
    /// A store error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError(message.into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("sqlite: {e}"))
    }
}

#[cfg(not(loom))]
impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError(format!("postgres: {e}"))
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError(format!("io: {e}"))
    }
}

/// An idempotency store, sync flavour.
///
/// Methods take `&self`: one instance is shared by concurrent handlers (in
/// sim mode's threaded phase, on real threads), so a store under
/// [`Sim`](crate::Sim) is `Send + Sync` with interior mutability.
pub trait IdempotencyStore {
    /// The store's proof of ownership, returned by [`Claim::Acquired`] and
    /// handed back in a [`Held`]: [`FencingToken`] for a counter, or the
    /// store's own type (a lease struct, a run id and a sequence, bytes).
    /// The harness only compares tokens: two owners must never be given
    /// equal ones.
    type Token: Clone + Eq + fmt::Debug + Send + Sync + 'static;

    /// Atomically create-or-read the record of `key`.
    ///
    /// - no record, or an expired one (past the store's key TTL), or an
    ///   in-progress one whose lease ended: take it, return
    ///   [`Claim::Acquired`] with a fresh token, lease until `now + lease`;
    /// - a record with a different fingerprint: [`Claim::Mismatch`];
    /// - a completed record: [`Claim::Completed`] with its outcome;
    /// - an in-progress record with a live lease: [`Claim::InProgress`].
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim<Self::Token>, StoreError>;

    /// Record the final outcome of `key`, if `held.token` is still the
    /// current owner; otherwise refuse with [`Fenced::StaleToken`]. A key
    /// with no record (never claimed, released, or expired) has no current
    /// owner: refuse.
    fn complete(
        &self,
        key: &str,
        held: &Held<Self::Token>,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError>;

    /// The attempt failed *before* any side effect: forget the claim so a
    /// retry may run. Refuse a stale token like `complete` does, and a key
    /// with no record or a completed one.
    fn release(
        &self,
        key: &str,
        held: &Held<Self::Token>,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError>;
}

impl<S: IdempotencyStore + ?Sized> IdempotencyStore for Arc<S> {
    type Token = S::Token;
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim<S::Token>, StoreError> {
        (**self).begin(key, fingerprint, now, lease)
    }
    fn complete(
        &self,
        key: &str,
        held: &Held<S::Token>,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        (**self).complete(key, held, outcome, now)
    }
    fn release(
        &self,
        key: &str,
        held: &Held<S::Token>,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        (**self).release(key, held, now)
    }
}

/// Opens a store over a storage location. Called at the start of a case and
/// again after every store restart (see the [module docs](self)).
pub trait StoreFactory {
    /// The store this factory opens.
    type Store: IdempotencyStore;

    /// Open (or reopen) the store over `location`. A durable store must see
    /// everything it committed before the previous instance was dropped. A
    /// factory that cannot open is reported as what it is, never as a
    /// property violation.
    fn open(&self, location: &StorageLocation) -> Result<Self::Store, StoreError>;

    /// Open the store again over `location` after a restart of the store
    /// in the case (the previous instance was dropped). By default
    /// [`open`](Self::open): what the store made durable there is what
    /// survives. A factory that can tell the two apart overrides it;
    /// [`External`](crate::stores::External) keeps the instance itself, for
    /// a store whose data lives outside the process.
    fn reopen(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
        self.open(location)
    }

    /// A short name for reports ("sqlite reference store").
    fn name(&self) -> String {
        std::any::type_name::<Self::Store>().to_string()
    }
}

/// Any `Fn(&StorageLocation) -> Result<S, StoreError>` is a factory.
impl<S, F> StoreFactory for F
where
    S: IdempotencyStore,
    F: Fn(&StorageLocation) -> Result<S, StoreError>,
{
    type Store = S;
    fn open(&self, location: &StorageLocation) -> Result<S, StoreError> {
        self(location)
    }
}

/// An idempotency store, async flavour, for stores that talk to a database
/// over an async client. Same contract as [`IdempotencyStore`]; check it
/// with [`Sim::new_async`](crate::Sim::new_async), which interleaves the
/// concurrent calls at their `.await`s.
pub trait AsyncIdempotencyStore: Send + Sync {
    /// See [`IdempotencyStore::Token`].
    type Token: Clone + Eq + fmt::Debug + Send + Sync + 'static;

    /// See [`IdempotencyStore::begin`].
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim<Self::Token>, StoreError>> + Send;

    /// See [`IdempotencyStore::complete`].
    fn complete(
        &self,
        key: &str,
        held: &Held<Self::Token>,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send;

    /// See [`IdempotencyStore::release`].
    fn release(
        &self,
        key: &str,
        held: &Held<Self::Token>,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send;
}

impl<S: AsyncIdempotencyStore + ?Sized> AsyncIdempotencyStore for Arc<S> {
    type Token = S::Token;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim<S::Token>, StoreError>> + Send {
        (**self).begin(key, fingerprint, now, lease)
    }

    fn complete(
        &self,
        key: &str,
        held: &Held<S::Token>,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send {
        (**self).complete(key, held, outcome, now)
    }

    fn release(
        &self,
        key: &str,
        held: &Held<S::Token>,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send {
        (**self).release(key, held, now)
    }
}

/// Opens an async store; see [`StoreFactory`].
pub trait AsyncStoreFactory: Send + Sync {
    /// The store this factory opens.
    type Store: AsyncIdempotencyStore;

    /// Open (or reopen) the store over `location`.
    fn open(
        &self,
        location: &StorageLocation,
    ) -> impl Future<Output = Result<Self::Store, StoreError>> + Send;

    /// Open the store again after a restart of the store in the case; by
    /// default [`open`](Self::open) (see [`StoreFactory::reopen`]).
    fn reopen(
        &self,
        location: &StorageLocation,
    ) -> impl Future<Output = Result<Self::Store, StoreError>> + Send {
        self.open(location)
    }

    /// A short name for reports.
    fn name(&self) -> String {
        std::any::type_name::<Self::Store>().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_converts_to_instants_and_system_times_and_back() {
        let t = VirtualTime(90_061_001);
        let start = Instant::now();
        let at = t.to_instant(start);
        assert_eq!(at.duration_since(start), Duration::from_millis(90_061_001));
        assert_eq!(VirtualTime::from_instant(at, start), t);
        assert_eq!(VirtualTime::from_instant(start, at), VirtualTime::ZERO);
        let wall = t.to_system_time();
        let since_unix = wall.duration_since(UNIX_EPOCH).expect("after 1970");
        // 2000-01-02T01:01:01.001Z.
        assert_eq!(since_unix.as_millis(), 946_774_861_001);
        assert_eq!(VirtualTime::from_system_time(wall), t);
        assert_eq!(VirtualTime::from_system_time(UNIX_EPOCH), VirtualTime::ZERO);
        assert!(VirtualTime(1).to_system_time() > VirtualTime::ZERO.to_system_time());
    }
}
