//! The reference in-memory store behind an async API, for the tests of
//! `tests/sim_external.rs` and `tests/sim_clock.rs` (each includes this
//! file as a module): timed by the harness's `now`, or, as an async store
//! that calls `tokio::time::Instant::now()` would be, by tokio's clock
//! since it opened.

use std::time::Duration;

use retry_check_harness::stores::MemoryStore;
use retry_check_harness::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, FencingToken, Fingerprint, Held,
    IdempotencyStore, Outcome, StorageLocation, StoreError, VirtualTime,
};

pub const DAY: Duration = Duration::from_secs(24 * 3600);

pub struct AsyncMemory {
    inner: MemoryStore,
    /// Set: the store reads tokio's clock, not the `now` it is given.
    tokio_since: Option<tokio::time::Instant>,
}

impl AsyncMemory {
    fn now(&self, given: VirtualTime) -> VirtualTime {
        match self.tokio_since {
            Some(opened) => {
                VirtualTime::from_instant(tokio::time::Instant::now().into_std(), opened.into_std())
            }
            None => given,
        }
    }
}

impl AsyncIdempotencyStore for AsyncMemory {
    type Token = FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        // A step on the runtime, as a real async store takes.
        tokio::task::yield_now().await;
        self.inner.begin(key, fingerprint, self.now(now), lease)
    }

    async fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.inner.complete(key, held, outcome, self.now(now))
    }

    async fn release(
        &self,
        key: &str,
        held: &Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.inner.release(key, held, self.now(now))
    }
}

/// Opens an [`AsyncMemory`]; `tokio_clock`: one that reads tokio's clock.
pub struct AsyncMemoryFactory {
    pub tokio_clock: bool,
}

impl AsyncStoreFactory for AsyncMemoryFactory {
    type Store = AsyncMemory;

    async fn open(&self, _: &StorageLocation) -> Result<AsyncMemory, StoreError> {
        Ok(AsyncMemory {
            inner: MemoryStore::new(DAY),
            tokio_since: self.tokio_clock.then(tokio::time::Instant::now),
        })
    }
}
