//! The zoo's Redis store: [`Bug::RedisGetThenSet`](super::Bug), the
//! reference [`RedisStore`] with its claim done as a plain `GET`, a
//! decision in the client, then an unconditional `SET`.

use std::time::Duration;

use crate::checkpoint;
use crate::store::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, Fingerprint, Outcome, StorageLocation,
    StoreError, VirtualTime,
};
use crate::stores::decide;
use crate::stores::{RedisStore, RedisStoreFactory, REDIS_URL_ENV};
use crate::{SimConfig, SimError, SimReport};

/// What the report calls it.
const NAME: &str = "zoo store `redis_get_then_set` (GET, then SET without NX)";

/// The broken Redis store: `begin` reads the record with `GET`, decides in
/// the client with the shared decision logic, and writes a claim with a
/// plain `SET` (no `NX`, no script around both). Each call alone answers
/// right; two duplicates whose `GET`s both run before either `SET` both
/// acquire. `complete` and `release` are the reference store's.
pub struct GetThenSetStore(RedisStore);

impl AsyncIdempotencyStore for GetThenSetStore {
    type Token = crate::FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        checkpoint("GET claim");
        let current = self.0.get_record(key).await?;
        let (claim, write) = decide::begin(
            self.0.key_ttl(),
            current.as_ref(),
            fingerprint,
            now,
            lease,
            || Ok(0),
        )?;
        let decide::Write::Put(record) = write else {
            return Ok(claim);
        };
        // The bug: nothing ties this write to what the GET saw.
        checkpoint("SET claim");
        let token = self.0.put_claim(key, &record, now).await?;
        Ok(Claim::Acquired(token))
    }

    async fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.complete(key, held, outcome, now).await
    }

    async fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.0.release(key, held, now).await
    }
}

/// Opens a [`GetThenSetStore`] per location (the reference factory's keys
/// and connection).
#[derive(Clone)]
pub struct GetThenSetFactory(pub RedisStoreFactory);

impl GetThenSetFactory {
    /// A factory connecting to `url`.
    pub fn new(url: impl Into<String>, key_ttl: Duration) -> Self {
        GetThenSetFactory(RedisStore::factory(url, key_ttl).named(NAME))
    }
}

impl AsyncStoreFactory for GetThenSetFactory {
    type Store = GetThenSetStore;

    async fn open(&self, location: &StorageLocation) -> Result<GetThenSetStore, StoreError> {
        Ok(GetThenSetStore(self.0.open(location).await?))
    }

    fn name(&self) -> String {
        NAME.to_string()
    }
}

/// Run the harness against the broken store on the server of
/// `RETRY_CHECK_REDIS_URL` (`None` when unset), dropping its keys after.
pub(super) fn check(config: SimConfig) -> Option<Result<SimReport, SimError>> {
    let url = std::env::var(REDIS_URL_ENV)
        .ok()
        .filter(|u| !u.is_empty())?;
    let key_ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
    let factory = GetThenSetFactory::new(url, key_ttl);
    let cleanup = factory.0.clone();
    let result = crate::Sim::new_async(factory).config(config).run();
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        let _ = rt.block_on(cleanup.drop_keys());
    }
    Some(result)
}
