//! Model-check your idempotency store against the retry contract, with the
//! retry-check harness (scaffolded by `cargo retry-check init`; `init
//! --async` scaffolds the async flavour, on SQLite).
//!
//! Needs, in Cargo.toml (`init` adds them: the harness as a dev-dependency,
//! or a normal one when your store lives in `src/`):
//!
//! ```toml
//! [dev-dependencies]
//! retry-check-harness = "0.1"
//! serde = { version = "1", features = ["derive"] }
//! ```
//!
//! `MyStore` below is a small, correct store: its records live in memory
//! and are made durable in the case's storage location, so a restart of the
//! store keeps them. Replace its body with your store (or make it call
//! yours), then `cargo test --test retry_check_store`. One test runs every
//! mode that applies: the generated fault scenarios (duplicates, lost
//! replies, node crashes, store restarts, clock jumps, changed payloads)
//! and the threaded phase, where duplicate handlers race inside `begin` on
//! real threads. A violation fails the test with a numbered timeline and
//! writes a replay file under `target/retry-check/` that `cargo retry-check
//! replay FILE` re-runs step by step.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use retry_check_harness::{
    checkpoint, Claim, DurableState, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore,
    Outcome, Sim, SimConfig, StorageLocation, StoreError, VirtualTime,
};
use serde::{Deserialize, Serialize};

/// One key's record; times are the harness's virtual milliseconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Record {
    fingerprint: u64,
    /// The fencing token of the current (or last) owner.
    token: u64,
    lease_until: u64,
    /// Set once completed: replayed to every duplicate.
    outcome: Option<String>,
    expires_at: u64,
}

impl Record {
    /// Still there at `now`: inside its key TTL, or held by a live lease.
    fn live(&self, now: VirtualTime) -> bool {
        now.as_millis() < self.expires_at
            || (self.outcome.is_none() && now.as_millis() < self.lease_until)
    }
}

/// Everything the store keeps, committed after every write.
#[derive(Default, Serialize, Deserialize)]
struct State {
    records: BTreeMap<String, Record>,
    last_token: u64,
}

/// The answer `begin` gives from the record it found, unless the key can be
/// claimed (`None`).
fn answer_from(found: Option<Record>, fingerprint: Fingerprint, now: VirtualTime) -> Option<Claim> {
    let record = found?;
    if record.fingerprint != fingerprint.0 {
        return Some(Claim::Mismatch);
    }
    if let Some(outcome) = record.outcome {
        return Some(Claim::Completed(Outcome(outcome)));
    }
    // In progress: wait while its lease is live, else take it over.
    (now.as_millis() < record.lease_until).then_some(Claim::InProgress)
}

/// Your store. Never read the system clock: use `now`.
pub struct MyStore {
    key_ttl: Duration,
    durable: DurableState<State>,
    state: Mutex<State>,
}

impl MyStore {
    /// Open (or reopen after a store restart) over `location`: keep your
    /// data under `location.dir()`, or in a schema or key prefix named
    /// `location.namespace()` on a shared database.
    pub fn open(location: &StorageLocation, key_ttl: Duration) -> Result<MyStore, StoreError> {
        let (durable, state) = DurableState::open(location, "records")?;
        Ok(MyStore {
            key_ttl,
            durable,
            state: Mutex::new(state),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state
            .lock()
            .map_err(|_| StoreError::new("my store: lock poisoned"))
    }
}

impl IdempotencyStore for MyStore {
    type Token = FencingToken;

    /// One atomic create-or-read: `Acquired(token)`, `InProgress`,
    /// `Completed(outcome)` or `Mismatch`.
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        // Look the key up and claim it in ONE critical section: a claim split
        // in two (look up, unlock, lock again, insert) lets two duplicates
        // both claim the key.
        checkpoint("look up key");
        let mut state = self.lock()?;
        let found = state.records.get(key).filter(|r| r.live(now)).cloned();
        if let Some(answer) = answer_from(found, fingerprint, now) {
            return Ok(answer);
        }
        checkpoint("claim key");
        state.last_token += 1;
        let token = state.last_token;
        let expires_at = (now + self.key_ttl).as_millis();
        state.records.insert(
            key.to_string(),
            Record {
                fingerprint: fingerprint.0,
                token,
                lease_until: (now + lease).as_millis(),
                outcome: None,
                expires_at,
            },
        );
        self.durable.commit(&state)?;
        Ok(Claim::Acquired(FencingToken(token)))
    }

    /// Record the outcome; refuse a stale token (and a key with no record).
    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.lock()?;
        let Some(record) = state
            .records
            .get_mut(key)
            .filter(|r| r.token == token.0 && r.outcome.is_none())
        else {
            return Ok(Fenced::StaleToken);
        };
        record.outcome = Some(outcome.0.clone());
        // The key TTL counts from the completion.
        record.expires_at = (now + self.key_ttl).as_millis();
        self.durable.commit(&state)?;
        Ok(Fenced::Accepted)
    }

    /// Give the claim up; refuse a stale token (and a key with no record).
    fn release(
        &self,
        key: &str,
        held: &Held,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.lock()?;
        let owned = state
            .records
            .get(key)
            .is_some_and(|r| r.token == token.0 && r.outcome.is_none());
        if !owned {
            return Ok(Fenced::StaleToken);
        }
        state.records.remove(key);
        self.durable.commit(&state)?;
        Ok(Fenced::Accepted)
    }
}

#[test]
fn my_store_keeps_at_most_once() {
    // The contract the store must honour (its key TTL, lease, handler time
    // and the client's retry schedule): the workspace's contracts, as
    // `cargo retry-check` reads them; errors are printed as the CLI's.
    let set = retry_check_harness::contracts::load(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = SimConfig::from_contract(&set, "checkout", "payments")
        .expect("`checkout` calls `payments` in the contract");
    let ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
    Sim::new(move |location: &StorageLocation| MyStore::open(location, ttl))
        .config(config)
        .contract("checkout -> payments")
        .seed(2024)
        .check();
}
