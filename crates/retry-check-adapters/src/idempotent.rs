//! [`idempotent`](https://docs.rs/idempotent/0.3.0) 0.3.0 behind the
//! harness: any of its `IdempotencyStore`s (its in-memory `MemoryStore`,
//! its Valkey store) as an [`AsyncIdempotencyStore`].
//!
//! Where the crate's contract differs from the harness's, the adapter
//! decides, and says so here:
//!
//! - **Time.** The crate stamps records with `std::time::Instant::now()`
//!   and takes no time from the caller, so the harness's `now` is dropped;
//!   a run of its stores gets the harness's clock warning.
//! - **Lease.** A claim is an entry whose `ttl` is the lease; a completed
//!   entry's `ttl` is the key TTL (counted from completion, as the harness
//!   counts it).
//! - **Tokens.** The crate's own `FencingToken` is the store's token; the
//!   fingerprint `complete` needs comes back with it in the [`Held`].
//! - **Fenced writes return `()`.** `complete` never says whether the token
//!   was current (a stale one is silently ignored), so the adapter answers
//!   `Accepted`; `remove` takes no token at all, so a release is
//!   unconditional and answered `Accepted`.
//! - **Mismatch.** The crate returns the existing entry; the adapter
//!   answers `Mismatch` when its fingerprint differs from the request's.

use std::time::Duration;

use ::idempotent::entry::{ExistingEntry, FencingToken as CrateToken};
use ::idempotent::fingerprint::{DefaultFingerprintStrategy, FingerprintStrategy};
use ::idempotent::store::{IdempotencyStore as CrateStore, InsertResult};
use ::idempotent::{CachedResponse, IdempotencyEntry, IdempotencyKey, Metadata};
use retry_check_harness::{
    AsyncIdempotencyStore, Claim, Fenced, Fingerprint, Held, Outcome, StoreError, VirtualTime,
};

/// A store of the `idempotent` crate as the harness's store.
pub struct IdempotentAdapter<S> {
    inner: S,
    key_ttl: Duration,
}

impl<S: CrateStore> IdempotentAdapter<S> {
    /// `inner`, keeping completed records for `key_ttl`.
    pub fn new(inner: S, key_ttl: Duration) -> Self {
        IdempotentAdapter { inner, key_ttl }
    }
}

fn key(key: &str) -> Result<IdempotencyKey, StoreError> {
    IdempotencyKey::new(key).map_err(failed)
}

fn fingerprint(fp: Fingerprint) -> ::idempotent::Fingerprint {
    DefaultFingerprintStrategy.compute("retry-check", &fp.0.to_le_bytes())
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError::new(format!("idempotent: {e}"))
}

impl<S: CrateStore> AsyncIdempotencyStore for IdempotentAdapter<S> {
    type Token = CrateToken;

    async fn begin(
        &self,
        k: &str,
        fp: Fingerprint,
        _now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim<CrateToken>, StoreError> {
        let entry = IdempotencyEntry::new(fingerprint(fp), lease);
        let answer = self.inner.try_insert(&key(k)?, entry).await;
        Ok(match answer.map_err(failed)? {
            InsertResult::Claimed { fencing_token } => Claim::Acquired(fencing_token),
            InsertResult::Exists(existing) => {
                let matches = match &existing {
                    ExistingEntry::Processing(e) => e.fingerprint_matches(fingerprint(fp)),
                    ExistingEntry::Completed(e) => e.fingerprint_matches(fingerprint(fp)),
                };
                match existing {
                    _ if !matches => Claim::Mismatch,
                    ExistingEntry::Processing(_) => Claim::InProgress,
                    ExistingEntry::Completed(e) => {
                        let body = e.into_response().body;
                        Claim::Completed(Outcome(String::from_utf8_lossy(&body).into_owned()))
                    }
                }
            }
        })
    }

    async fn complete(
        &self,
        k: &str,
        held: &Held<CrateToken>,
        outcome: &Outcome,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let response = CachedResponse {
            status_code: 200,
            metadata: Metadata::default(),
            body: outcome.0.clone().into_bytes().into(),
        };
        let entry = IdempotencyEntry::new(fingerprint(held.fingerprint), self.key_ttl);
        let (k, entry) = (key(k)?, entry.complete(response));
        self.inner
            .complete(&k, entry, held.token)
            .await
            .map_err(failed)?;
        // The crate does not say whether the token was current.
        Ok(Fenced::Accepted)
    }

    async fn release(
        &self,
        k: &str,
        _held: &Held<CrateToken>,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        // `remove` takes no token: whoever asks deletes the record.
        self.inner.remove(&key(k)?).await.map_err(failed)?;
        Ok(Fenced::Accepted)
    }
}
