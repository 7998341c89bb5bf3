//! The `sync` facade's locks are yield points in the threaded phase: a
//! claim split into two lock sections (look up, unlock, lock, insert) is
//! caught with no `checkpoint` in the store.

use std::collections::BTreeMap;
use std::time::Duration;

use retry_check_harness::sync::Mutex;
use retry_check_harness::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, Sim, SimConfig,
    SimError, StorageLocation, StoreError, VirtualTime,
};

const TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
struct Record {
    fingerprint: u64,
    token: u64,
    lease_until: u64,
    outcome: Option<String>,
    expires_at: u64,
}

#[derive(Default)]
struct State {
    records: BTreeMap<String, Record>,
    last_token: u64,
}

/// Looks the key up under the lock, lets go of it, then claims the key under
/// the lock again: two duplicates can both claim it.
#[derive(Default)]
struct TwoLockStore {
    state: Mutex<State>,
}

impl IdempotencyStore for TwoLockStore {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let now_ms = now.as_millis();
        let found = self.state.lock().unwrap().records.get(key).cloned();
        let live = found
            .filter(|r| now_ms < r.expires_at || (r.outcome.is_none() && now_ms < r.lease_until));
        if let Some(record) = live {
            if record.fingerprint != fingerprint.0 {
                return Ok(Claim::Mismatch);
            }
            if let Some(outcome) = record.outcome {
                return Ok(Claim::Completed(Outcome(outcome)));
            }
            if now_ms < record.lease_until {
                return Ok(Claim::InProgress);
            }
        }
        let mut state = self.state.lock().unwrap();
        state.last_token += 1;
        let token = state.last_token;
        let record = Record {
            fingerprint: fingerprint.0,
            token,
            lease_until: (now + lease).as_millis(),
            outcome: None,
            expires_at: (now + TTL).as_millis(),
        };
        state.records.insert(key.to_string(), record);
        Ok(Claim::Acquired(FencingToken(token)))
    }

    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.state.lock().unwrap();
        let owned = state
            .records
            .get_mut(key)
            .filter(|r| r.token == token.0 && r.outcome.is_none());
        let Some(record) = owned else {
            return Ok(Fenced::StaleToken);
        };
        record.outcome = Some(outcome.0.clone());
        record.expires_at = (now + TTL).as_millis();
        Ok(Fenced::Accepted)
    }

    fn release(&self, key: &str, held: &Held, _now: VirtualTime) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut state = self.state.lock().unwrap();
        let owned = state
            .records
            .get(key)
            .is_some_and(|r| r.token == token.0 && r.outcome.is_none());
        if !owned {
            return Ok(Fenced::StaleToken);
        }
        state.records.remove(key);
        Ok(Fenced::Accepted)
    }
}

#[test]
fn a_claim_split_over_two_facade_locks_is_caught_in_the_threaded_phase() {
    let mut config = SimConfig::default();
    config.faults.store_restarts = false;
    for seed in 0..3 {
        let result = Sim::new(|_: &StorageLocation| Ok::<_, StoreError>(TwoLockStore::default()))
            .config(config.clone())
            .cases(1)
            .threaded_rounds(16)
            .seed(seed)
            .run();
        match result {
            Err(SimError::Violation(failure)) => {
                let text = failure.to_string();
                assert!(text.contains("duplicate effect"), "seed {seed}:\n{text}");
                assert!(text.contains("threaded"), "seed {seed}:\n{text}");
            }
            Err(other) => panic!("seed {seed}: not a violation: {other}"),
            Ok(report) => panic!("seed {seed}: the split claim passed:\n{report}"),
        }
    }
}
