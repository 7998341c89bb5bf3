//! What a store author copies: their store behind the harness's trait, a
//! factory that reopens it over the per-case storage, and one `#[test]`
//! driven by the contract that declares the TTL, lease, handler timeout and
//! retry schedule.
//!
//! `cargo test -p retry-check-harness --example store_author` runs the test;
//! `cargo run -p retry-check-harness --example store_author` prints the
//! report of a passing run (or the counterexample of a failing one).

use std::time::Duration;

use retry_check_harness::stores::SqliteStore;
use retry_check_harness::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, Sim, SimConfig,
    StorageLocation, StoreError, VirtualTime,
};

/// Your store. (Here it delegates to the shipped SQLite store; yours talks
/// to your database. Never read the system clock: use `now`.)
pub struct MyStore {
    inner: SqliteStore,
}

impl MyStore {
    /// Open (or reopen after a store restart) over `location`: keep your
    /// data under `location.dir()`, or in a schema or key prefix named
    /// `location.namespace()` on a shared database.
    pub fn open(location: &StorageLocation, key_ttl: Duration) -> Result<MyStore, StoreError> {
        Ok(MyStore {
            inner: SqliteStore::open(location, key_ttl)?,
        })
    }
}

impl IdempotencyStore for MyStore {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.inner.begin(key, fingerprint, now, lease)
    }

    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.inner.complete(key, held, outcome, now)
    }

    fn release(&self, key: &str, held: &Held, now: VirtualTime) -> Result<Fenced, StoreError> {
        self.inner.release(key, held, now)
    }
}

/// The contract of the service the store protects.
const CONTRACT: &str = include_str!("contracts/payments.toml");

/// The simulation the contract describes: `checkout` calling `payments`.
fn config() -> SimConfig {
    let (set, errors) = retry_check_contract::load_str("payments.toml", CONTRACT);
    assert!(errors.is_empty(), "the contract parses: {errors:?}");
    SimConfig::from_contract(&set, "checkout", "payments").expect("checkout calls payments")
}

fn main() {
    let config = config();
    let ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
    let factory = move |location: &StorageLocation| MyStore::open(location, ttl);
    let sim = Sim::new(factory)
        .config(config)
        .contract("payments.toml: checkout -> payments");
    match sim.cases(128).seed(1).run() {
        Ok(report) => println!("{report}"),
        Err(counterexample) => println!("{counterexample}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one test a store author adds: it runs every mode that applies
    /// (the fault scenarios, and for a sync store the threaded duplicates).
    /// On a violation it panics with the numbered timeline, prints the seed
    /// and writes a replay file under `target/retry-check/`.
    #[test]
    fn my_store_keeps_at_most_once() {
        let config = config();
        let ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
        Sim::new(move |location: &StorageLocation| MyStore::open(location, ttl))
            .config(config)
            .contract("payments.toml: checkout -> payments")
            .cases(64)
            .seed(2024)
            .check();
    }
}
