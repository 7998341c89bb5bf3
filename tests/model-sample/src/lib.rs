//! A deliberately broken idempotency store: check-then-insert.
//!
//! `begin` looks the key up among *completed* records and, when it finds
//! none, answers `Acquired` without recording the claim; the record is only
//! written by `complete`. Two duplicates in flight both find no record and
//! both run the side effect: `at_most_once` breaks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use retry_check_harness::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, StorageLocation,
    StoreError, VirtualTime,
};

/// In memory: use it with crashes off (a restart would forget everything).
#[derive(Default)]
pub struct CheckThenInsertStore {
    completed: Mutex<HashMap<String, (Fingerprint, Outcome)>>,
}

impl CheckThenInsertStore {
    /// A fresh store (the location is unused: nothing is kept on disk).
    pub fn open(_location: &StorageLocation) -> Result<Self, StoreError> {
        Ok(Self::default())
    }
}

impl IdempotencyStore for CheckThenInsertStore {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        _now: VirtualTime,
        _lease: Duration,
    ) -> Result<Claim, StoreError> {
        let completed = self
            .completed
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?;
        Ok(match completed.get(key) {
            Some((fp, _)) if *fp != fingerprint => Claim::Mismatch,
            Some((_, outcome)) => Claim::Completed(outcome.clone()),
            // The bug: nothing is recorded between this look-up and
            // `complete`, so a duplicate is let in too.
            None => Claim::Acquired(FencingToken(fingerprint.0)),
        })
    }

    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut completed = self
            .completed
            .lock()
            .map_err(|_| StoreError::new("poisoned"))?;
        completed
            .entry(key.to_string())
            .or_insert_with(|| (Fingerprint(token.0), outcome.clone()));
        Ok(Fenced::Accepted)
    }

    fn release(&self, _key: &str, _held: &Held, _now: VirtualTime) -> Result<Fenced, StoreError> {
        Ok(Fenced::Accepted)
    }
}
