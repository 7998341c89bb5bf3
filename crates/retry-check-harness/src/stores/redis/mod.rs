//! [`RedisStore`]: the async reference store on a real Redis server, with a
//! model of Redis's persistence setting across the harness's store
//! restarts.

mod scripts;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::AsyncConnectionConfig;

use self::scripts::Scripts;
#[cfg(feature = "zoo")]
use super::decide::Record;
use crate::checkpoint;
use crate::store::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, FencingToken, Fingerprint, Outcome,
    StorageLocation, StoreError, VirtualTime,
};

/// The environment variable naming the Redis server the tests use
/// (`redis://127.0.0.1:PORT/`); `.ci/run` starts one (`.ci/redis.sh`) and
/// sets it.
pub const REDIS_URL_ENV: &str = "RETRY_CHECK_REDIS_URL";

/// The largest virtual time the store accepts: Lua numbers are doubles.
const MAX_MILLIS: u64 = 1 << 53;

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        StoreError(format!("redis: {e}"))
    }
}

/// Redis's `appendfsync` setting, as the harness's store restart models
/// it. The Redis server itself keeps running: a restart of the store is
/// "drop the connection, connect again", and the reopen applies what the
/// setting loses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Persistence {
    /// `appendfsync always`: every acknowledged write is on disk before
    /// the reply; a restart loses nothing.
    #[default]
    Always,
    /// `appendfsync everysec`: the log is flushed once a second, so a
    /// crash may lose up to the last second of acknowledged writes. The
    /// model takes the worst case, deterministically: a reopen undoes every
    /// write made within the last virtual second before the latest `now`
    /// the store served (newest first, from the before-images the scripts
    /// journal next to the records).
    EverySec,
}

impl Persistence {
    /// The window of acknowledged writes a restart loses.
    pub fn loss_window(self) -> Duration {
        match self {
            Persistence::Always => Duration::ZERO,
            Persistence::EverySec => Duration::from_secs(1),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Persistence::Always => "appendfsync always",
            Persistence::EverySec => "appendfsync everysec",
        }
    }
}

/// The names of one location's keys: `<prefix>k:<key>` per record, and
/// `<prefix>fencing`, `<prefix>journal`, `<prefix>clock`.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    /// The four keys every script takes, for `key`.
    pub(crate) fn of(&self, key: &str) -> [String; 4] {
        let p = &self.prefix;
        [
            format!("{p}k:{key}"),
            format!("{p}fencing"),
            format!("{p}journal"),
            format!("{p}clock"),
        ]
    }
}

/// The async reference store on Redis (the `redis` crate's multiplexed
/// tokio connection), for [`AsyncIdempotencyStore`]; check it with
/// [`Sim::new_async`](crate::Sim::new_async).
///
/// Each location is a key prefix (the factory's run prefix and
/// [`StorageLocation::namespace`]). A record is one string key; fencing
/// tokens come from `INCR` of a counter key, increasing and never reused.
/// Every step is one Lua script (`EVALSHA`), atomic on the server:
///
/// - `begin` first claims a fresh key with `SET key record NX PX`; when
///   the key exists, a second script claims it if it is past its virtual
///   expiry, takes it over if its owner's lease ended (same fingerprint,
///   fresh token), or answers `Mismatch`, `Completed` or `InProgress`;
/// - `complete` and `release` check the caller's token against the
///   record's and write (or delete) only when it is the current owner's;
///   a completed record's TTL counts from the completion.
///
/// Time: the answers follow the virtual deadlines kept in the record
/// (lease end, expiry), never the server's clock; the key's `PX` is that
/// deadline plus a margin ([`RedisStoreFactory::expiry_margin`], default
/// one hour), so Redis only ever removes a key once no case can need it,
/// however long a case runs on the wall clock.
///
/// One multiplexed connection per store instance: concurrent calls are
/// pipelined on it and the server runs their scripts one after another.
/// Times are virtual milliseconds below 2^53.
pub struct RedisStore {
    conn: MultiplexedConnection,
    keys: Keys,
    key_ttl: Duration,
    margin_ms: u64,
    persistence: Persistence,
    scripts: Arc<Scripts>,
}

fn millis(t: VirtualTime) -> Result<u64, StoreError> {
    let ms = t.as_millis();
    if ms >= MAX_MILLIS {
        return Err(StoreError::new(format!(
            "redis store: virtual time {ms} ms is past 2^53 ms"
        )));
    }
    Ok(ms)
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn token_of(text: &str) -> Result<FencingToken, StoreError> {
    text.parse()
        .map(FencingToken)
        .map_err(|_| StoreError::new(format!("redis store: token {text:?} is not a number")))
}

impl RedisStore {
    /// A factory connecting to `url` (`redis://host:port/db`), one key
    /// prefix per location, [`Persistence::Always`].
    pub fn factory(url: impl Into<String>, key_ttl: Duration) -> RedisStoreFactory {
        RedisStoreFactory::new(url.into(), key_ttl)
    }

    /// The key TTL this store honours.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    /// A script invocation with the common arguments: the four keys of
    /// `key`, `now`, whether the journal is kept, the expiry margin.
    pub(crate) fn invocation<'a>(
        &self,
        script: &'a redis::Script,
        key: &str,
        now: VirtualTime,
    ) -> Result<redis::ScriptInvocation<'a>, StoreError> {
        let mut inv = script.prepare_invoke();
        for k in self.keys.of(key) {
            inv.key(k);
        }
        inv.arg(millis(now)?)
            .arg(u8::from(self.persistence == Persistence::EverySec))
            .arg(self.margin_ms);
        Ok(inv)
    }

    /// The claim arguments after the common ones: fingerprint, lease end,
    /// expiry.
    fn claim_args(
        &self,
        inv: &mut redis::ScriptInvocation<'_>,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<(), StoreError> {
        inv.arg(fingerprint.0.to_string())
            .arg(millis(now + lease)?)
            .arg(millis(now + self.key_ttl)?);
        Ok(())
    }

    /// An unconditional claim of `key` (the zoo's broken variants): write
    /// `record`'s fingerprint, lease end and expiry with a fresh token.
    #[cfg(feature = "zoo")]
    pub(crate) async fn put_claim(
        &self,
        key: &str,
        record: &Record,
        now: VirtualTime,
    ) -> Result<FencingToken, StoreError> {
        let mut inv = self.invocation(&self.scripts.put_claim, key, now)?;
        inv.arg(record.fingerprint.to_string())
            .arg(record.lease_until)
            .arg(record.expires_at);
        let token: String = inv.invoke_async(&mut self.conn.clone()).await?;
        token_of(&token)
    }

    /// A plain `GET` of `key`'s record, parsed (the zoo's broken variants).
    #[cfg(feature = "zoo")]
    pub(crate) async fn get_record(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let [record_key, ..] = self.keys.of(key);
        let raw: Option<String> = redis::cmd("GET")
            .arg(record_key)
            .query_async(&mut self.conn.clone())
            .await?;
        raw.map(|v| parse_record(&v)).transpose()
    }
}

/// A record string (see the scripts' module docs) as the shared decision
/// logic's [`Record`].
#[cfg(feature = "zoo")]
fn parse_record(v: &str) -> Result<Record, StoreError> {
    let bad = || StoreError::new(format!("redis store: not an idempotency record: {v:?}"));
    let mut parts = v.splitn(6, '|');
    let mut next = || parts.next().ok_or_else(bad);
    let state = next()?;
    let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let fingerprint = num(next()?)?;
    let token = num(next()?)?;
    let lease_until = num(next()?)?;
    let expires_at = num(next()?)?;
    let rest = next()?;
    let outcome = match state {
        "P" => None,
        "C" => Some(rest.to_string()),
        _ => return Err(bad()),
    };
    Ok(Record {
        fingerprint,
        token,
        lease_until,
        outcome,
        expires_at,
    })
}

impl AsyncIdempotencyStore for RedisStore {
    type Token = crate::FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut conn = self.conn.clone();
        checkpoint("SET NX PX claim");
        let mut fresh = self.invocation(&self.scripts.claim_fresh, key, now)?;
        self.claim_args(&mut fresh, fingerprint, now, lease)?;
        let token: Option<String> = fresh.invoke_async(&mut conn).await?;
        if let Some(t) = token {
            return Ok(Claim::Acquired(token_of(&t)?));
        }
        checkpoint("EVAL claim or answer");
        let mut second = self.invocation(&self.scripts.claim_or_answer, key, now)?;
        self.claim_args(&mut second, fingerprint, now, lease)?;
        let answer: String = second.invoke_async(&mut conn).await?;
        match answer.split_at_checked(1) {
            Some(("A", t)) => Ok(Claim::Acquired(token_of(t)?)),
            Some(("P", _)) => Ok(Claim::InProgress),
            Some(("C", o)) => Ok(Claim::Completed(Outcome(o.to_string()))),
            Some(("M", _)) => Ok(Claim::Mismatch),
            _ => Err(StoreError::new(format!(
                "redis store: unexpected claim answer {answer:?}"
            ))),
        }
    }

    async fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        checkpoint("EVAL fenced complete");
        let mut inv = self.invocation(&self.scripts.complete, key, now)?;
        inv.arg(token.0.to_string())
            .arg(&outcome.0)
            .arg(millis(now + self.key_ttl)?);
        let n: i64 = inv.invoke_async(&mut self.conn.clone()).await?;
        Ok(fenced(n))
    }

    async fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        checkpoint("EVAL fenced release");
        let mut inv = self.invocation(&self.scripts.release, key, now)?;
        inv.arg(token.0.to_string());
        let n: i64 = inv.invoke_async(&mut self.conn.clone()).await?;
        Ok(fenced(n))
    }
}

fn fenced(n: i64) -> Fenced {
    if n == 1 {
        Fenced::Accepted
    } else {
        Fenced::StaleToken
    }
}

/// Opens a [`RedisStore`] per location; see [`RedisStore::factory`].
///
/// Key prefixes are `<prefix><namespace>:`; the default prefix
/// (`rc<pid>_<nanos>_<n>_`) is unique to the factory, so a case always
/// starts empty, while a reopen (a restart) sees what the persistence
/// setting kept. [`drop_keys`](Self::drop_keys) removes every key at the
/// end.
#[derive(Clone)]
pub struct RedisStoreFactory {
    client: Result<redis::Client, String>,
    key_ttl: Duration,
    margin: Duration,
    persistence: Persistence,
    prefix: String,
    scripts: Arc<Scripts>,
    loaded: Arc<AtomicBool>,
    opened: Arc<Mutex<BTreeSet<String>>>,
    lost: Arc<AtomicU64>,
    name: Option<String>,
}

static FACTORIES: AtomicU64 = AtomicU64::new(0);

impl RedisStoreFactory {
    fn new(url: String, key_ttl: Duration) -> Self {
        let n = FACTORIES.fetch_add(1, Ordering::Relaxed);
        // Only names keys: a process reusing a pid never meets old keys.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        RedisStoreFactory {
            client: redis::Client::open(url.as_str()).map_err(|e| format!("redis: {e}")),
            key_ttl,
            margin: Duration::from_secs(3600),
            persistence: Persistence::Always,
            prefix: format!("rc{}_{nanos}_{n}_", std::process::id()),
            scripts: Arc::new(Scripts::new()),
            loaded: Arc::default(),
            opened: Arc::default(),
            lost: Arc::default(),
            name: None,
        }
    }

    /// The persistence setting whose restart loss is modelled.
    pub fn persistence(mut self, persistence: Persistence) -> Self {
        self.persistence = persistence;
        self
    }

    /// How long after a record's virtual deadline Redis's own expiry
    /// (`PX`) may remove the key (default one hour).
    pub fn expiry_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The key prefix (`[a-z0-9_]`, 1 to 40 characters).
    pub fn prefix(mut self, prefix: &str) -> Result<Self, StoreError> {
        let valid = !prefix.is_empty()
            && prefix.len() <= 40
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(StoreError::new(
                "redis store: a prefix is 1 to 40 characters of [a-z0-9_]",
            ));
        }
        self.prefix = prefix.to_string();
        Ok(self)
    }

    /// The key TTL of the stores this factory opens.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    /// Acknowledged writes the persistence model undid on restarts so far.
    pub fn writes_lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Name the stores in reports (the zoo's variants).
    #[cfg(feature = "zoo")]
    pub(crate) fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    async fn connect(&self) -> Result<MultiplexedConnection, StoreError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| StoreError::new(e.clone()))?;
        let config = AsyncConnectionConfig::new()
            .set_response_timeout(None)
            .set_connection_timeout(Some(Duration::from_secs(10)));
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        if !self.loaded.load(Ordering::Relaxed) {
            // Loaded up front, so that each step is one round trip.
            for script in self.scripts.all() {
                script.load_async(&mut conn).await?;
            }
            self.loaded.store(true, Ordering::Relaxed);
        }
        Ok(conn)
    }

    /// Delete every key this factory's stores wrote; returns how many.
    pub async fn drop_keys(&self) -> Result<usize, StoreError> {
        let mut conn = self.connect().await?;
        let pattern = format!("{}*", self.prefix);
        let mut cursor: u64 = 0;
        let mut dropped = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                let n: usize = redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async(&mut conn)
                    .await?;
                dropped += n;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(dropped)
    }
}

impl AsyncStoreFactory for RedisStoreFactory {
    type Store = RedisStore;

    async fn open(&self, location: &StorageLocation) -> Result<RedisStore, StoreError> {
        let prefix = format!("{}{}:", self.prefix, location.namespace());
        let reopen = !self
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(prefix.clone());
        let conn = self.connect().await?;
        let store = RedisStore {
            conn,
            keys: Keys { prefix },
            key_ttl: self.key_ttl,
            margin_ms: duration_ms(self.margin),
            persistence: self.persistence,
            scripts: Arc::clone(&self.scripts),
        };
        if reopen && self.persistence == Persistence::EverySec {
            let mut inv =
                store.invocation(&self.scripts.lose_last_writes, "", VirtualTime::ZERO)?;
            inv.arg(duration_ms(self.persistence.loss_window()));
            let lost: u64 = inv.invoke_async(&mut store.conn.clone()).await?;
            self.lost.fetch_add(lost, Ordering::Relaxed);
        }
        Ok(store)
    }

    fn name(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!(
                "redis reference store (SET NX PX claim, fenced Lua scripts, {})",
                self.persistence.name()
            ),
        }
    }
}
