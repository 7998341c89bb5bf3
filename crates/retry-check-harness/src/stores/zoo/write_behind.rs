//! [`Bug::VolatileCompletion`](super::Bug::VolatileCompletion): claims in
//! SQLite, completions in memory.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::store::{
    Claim, Fenced, Fingerprint, IdempotencyStore, Outcome, StoreError, VirtualTime,
};
use crate::stores::SqliteStore;

/// A completion kept in memory: fingerprint, outcome, expiry (virtual ms).
#[derive(Debug)]
struct Completion {
    fingerprint: u64,
    outcome: String,
    expires_at: u64,
}

/// The write-behind store: the claim is durable, the completion is not.
#[derive(Debug)]
pub(super) struct WriteBehind {
    pub(super) claims: SqliteStore,
    pub(super) key_ttl: Duration,
    /// Lost on restart.
    completed: Mutex<BTreeMap<String, Completion>>,
}

impl WriteBehind {
    pub(super) fn new(claims: SqliteStore, key_ttl: Duration) -> Self {
        WriteBehind {
            claims,
            key_ttl,
            completed: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, BTreeMap<String, Completion>>, StoreError> {
        self.completed
            .lock()
            .map_err(|_| StoreError::new("zoo store: lock poisoned"))
    }
}

impl IdempotencyStore for WriteBehind {
    type Token = crate::FencingToken;

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
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
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
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let _completed = self.lock()?;
        self.claims.release(key, held, now)
    }
}
