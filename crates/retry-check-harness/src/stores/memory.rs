//! [`MemoryStore`]: the in-process reference store.

use std::collections::BTreeMap;
use std::sync::PoisonError;
use std::time::Duration;

use super::decide::{self, Record, Write};
use crate::store::{
    Claim, Fenced, Fingerprint, IdempotencyStore, Outcome, StorageLocation, StoreError,
    StoreFactory, VirtualTime,
};
use crate::sync::{Mutex, MutexGuard};

/// The in-process reference store: correct under concurrency, **volatile
/// across restarts**.
///
/// One [`Mutex`] (from [`crate::sync`], so loom mode can check it) guards a [`BTreeMap`] of records and a token counter, so
/// every call is one atomic read-modify-write:
///
/// - `begin` creates the record (in progress, leased until `now + lease`),
///   or answers `Mismatch` / `Completed` / `InProgress` from a live record;
///   an in-progress record whose lease ended is taken over with a *fresh*
///   token from a monotonically increasing counter;
/// - `complete` and `release` are accepted only from the current owner's
///   token, and refused with [`Fenced::StaleToken`] otherwise;
/// - a record expires `key_ttl` after its last write (claim, takeover or
///   completion), except that an owner's live lease keeps it.
///
/// # Volatility
///
/// Everything lives in the process. Dropping the store, which is what a
/// store restart does, loses every record, and [`StoreFactory::open`]
/// returns an empty store: after a restart a duplicate of a completed
/// operation runs its side effect again. Check it with
/// `faults.store_restarts = false` (node crashes are fine: the store lives
/// on), use it where it never restarts during the retry window (or as the
/// model of "an in-process cache used as an idempotency store", which the
/// harness catches with store restarts on); use
/// [`SqliteStore`](super::SqliteStore) when records must survive a restart.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use retry_check_harness::stores::MemoryStore;
/// use retry_check_harness::{Claim, Fingerprint, IdempotencyStore, VirtualTime};
///
/// let store = MemoryStore::new(Duration::from_secs(3600));
/// let lease = Duration::from_secs(30);
/// let first = store.begin("k1", Fingerprint(1), VirtualTime::ZERO, lease)?;
/// assert!(matches!(first, Claim::Acquired(_)));
/// let second = store.begin("k1", Fingerprint(1), VirtualTime(10), lease)?;
/// assert_eq!(second, Claim::InProgress);
/// # Ok::<(), retry_check_harness::StoreError>(())
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    key_ttl: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    records: BTreeMap<String, Record>,
    last_token: u64,
}

impl MemoryStore {
    /// An empty store whose records expire `key_ttl` after their last write.
    pub fn new(key_ttl: Duration) -> Self {
        MemoryStore {
            key_ttl,
            state: Mutex::new(State::default()),
        }
    }

    /// A factory that opens a new, empty [`MemoryStore`] on every
    /// [`open`](StoreFactory::open), ignoring the storage location: the
    /// model of a restart of an in-process store.
    pub fn factory(key_ttl: Duration) -> MemoryStoreFactory {
        MemoryStoreFactory { key_ttl }
    }

    /// The key TTL this store honours.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    /// How many records the store holds, expired ones included (they are
    /// removed lazily, when their key is used again).
    pub fn len(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.records.len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::new("memory store: lock poisoned by a panicking caller"))
    }
}

impl State {
    fn apply(&mut self, key: &str, write: Write) {
        match write {
            Write::Keep => {}
            Write::Put(record) => {
                if let Some(slot) = self.records.get_mut(key) {
                    *slot = record;
                } else {
                    self.records.insert(key.to_owned(), record);
                }
            }
            Write::Delete => {
                self.records.remove(key);
            }
        }
    }
}

impl IdempotencyStore for MemoryStore {
    type Token = crate::FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut state = self.lock()?;
        let next = state.last_token + 1;
        let mut issued = false;
        let (claim, write) = decide::begin(
            self.key_ttl,
            state.records.get(key),
            fingerprint,
            now,
            lease,
            || {
                issued = true;
                Ok(next)
            },
        )?;
        if issued {
            state.last_token = next;
        }
        state.apply(key, write);
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
        let (fenced, write) =
            decide::complete(self.key_ttl, state.records.get(key), token, outcome, now);
        state.apply(key, write);
        Ok(fenced)
    }

    fn release(
        &self,
        key: &str,
        held: &crate::Held,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.lock()?;
        let (fenced, write) = decide::release(state.records.get(key), token);
        state.apply(key, write);
        Ok(fenced)
    }
}

/// Opens a fresh, empty [`MemoryStore`]; see [`MemoryStore::factory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryStoreFactory {
    key_ttl: Duration,
}

impl MemoryStoreFactory {
    /// The key TTL of the stores this factory opens.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }
}

impl StoreFactory for MemoryStoreFactory {
    type Store = MemoryStore;

    /// A new, empty store: an in-process store forgets everything on restart.
    fn open(&self, _location: &StorageLocation) -> Result<MemoryStore, StoreError> {
        Ok(MemoryStore::new(self.key_ttl))
    }

    fn name(&self) -> String {
        "in-memory reference store (volatile across restarts)".to_string()
    }
}
