//! Model-check your idempotency store against the retry contract, with the
//! retry-check harness (scaffolded by `cargo retry-check init`).
//!
//! Needs `retry-check-harness` in Cargo.toml (`init` adds it: a
//! dev-dependency, or a normal one when your store lives in `src/`). The
//! contracts are the workspace's, as `cargo retry-check` reads them (the
//! `contracts` globs of `[workspace.metadata.retry-check]`).
//!
//! Replace the body of `MyStore` with your store (it delegates to the
//! harness's SQLite reference store until you do), then `cargo test --test
//! retry_check_store`. A violation fails the test with a numbered timeline
//! and writes a replay file under `target/retry-check/` that `cargo
//! retry-check replay FILE` re-runs step by step.

use std::time::Duration;

use retry_check_harness::stores::SqliteStore;
use retry_check_harness::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, Sim, SimConfig,
    StorageLocation, StoreError, VirtualTime,
};

/// Your store. Never read the system clock: use `now`.
pub struct MyStore {
    inner: SqliteStore,
}

impl MyStore {
    /// Open (or reopen after a simulated crash) over `location`: keep your
    /// data under `location.dir()`, or in a schema or key prefix named
    /// `location.namespace()` on a shared database.
    pub fn open(location: &StorageLocation, key_ttl: Duration) -> Result<MyStore, StoreError> {
        Ok(MyStore {
            inner: SqliteStore::open(location, key_ttl)?,
        })
    }
}

impl IdempotencyStore for MyStore {
    /// One atomic create-or-read: `Acquired(token)`, `InProgress`,
    /// `Completed(outcome)` or `Mismatch`.
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.inner.begin(key, fingerprint, now, lease)
    }

    /// Record the outcome; refuse a stale token.
    fn complete(
        &self,
        key: &str,
        token: FencingToken,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.inner.complete(key, token, outcome, now)
    }

    /// Give the claim up; refuse a stale token.
    fn release(
        &self,
        key: &str,
        token: FencingToken,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.inner.release(key, token, now)
    }
}

#[test]
fn my_store_keeps_at_most_once() {
    // The contract the store must honour (its key TTL, lease, handler time
    // and the client's retry schedule); errors are printed as the CLI's.
    let set = retry_check_harness::contracts::load(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = SimConfig::from_contract(&set, "checkout", "payments")
        .expect("`checkout` calls `payments` in the contract");
    let ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
    Sim::new(move |location: &StorageLocation| MyStore::open(location, ttl))
        .config(config)
        .contract("checkout -> payments")
        .cases(64)
        .seed(2024)
        .check();
}
