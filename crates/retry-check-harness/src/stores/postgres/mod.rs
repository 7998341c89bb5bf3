//! [`PostgresStore`]: the async reference store on a real PostgreSQL server,
//! and (feature `zoo`) its broken variants.

#[cfg(feature = "zoo")]
mod broken;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use tokio_postgres::{Client, NoTls, Row};

#[cfg(feature = "zoo")]
use super::decide::Write;
use super::decide::{self, Record};
use crate::checkpoint;
use crate::store::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, FencingToken, Fingerprint, Outcome,
    StorageLocation, StoreError, VirtualTime,
};

/// The environment variable naming the PostgreSQL server the tests use
/// (`postgresql://user@host:port/db`); `.ci/run` starts one and sets it.
pub const PG_URL_ENV: &str = "RETRY_CHECK_PG_URL";

/// How `begin` claims a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// `INSERT ... ON CONFLICT DO NOTHING`, then `SELECT ... FOR UPDATE`, in
    /// one transaction, on a table whose key is the primary key.
    Reference,
    /// Broken on purpose: `SELECT`, then `INSERT`, no transaction, and no
    /// unique constraint on the key (two racing claims both insert).
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    CheckThenInsert,
    /// Broken on purpose: `SELECT`, then `INSERT` on a primary key; a
    /// unique violation is answered `Acquired`.
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    UniqueViolationAsClaim,
    /// Broken on purpose: a takeover reads the row without `FOR UPDATE` and
    /// updates it by key alone.
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    NoSelectForUpdate,
}

/// The async reference store on PostgreSQL (tokio-postgres), for
/// [`AsyncIdempotencyStore`]; check it with
/// [`Sim::new_async`](crate::Sim::new_async).
///
/// Layout: one schema per storage location (named by the factory's run
/// prefix and [`StorageLocation::namespace`]), holding
///
/// - `idempotency(key PRIMARY KEY, fingerprint, token, lease_until,
///   outcome, expires_at)`: one row per key, times in virtual milliseconds,
///   `u64`s stored as `bigint` by bit pattern;
/// - the sequence `fencing`: fencing tokens, increasing and never reused,
///   not even across restarts.
///
/// Every step is one atomic statement, so no lock is held across an
/// `.await`: `begin` claims a fresh key with `INSERT ... ON CONFLICT (key)
/// DO NOTHING RETURNING token` (the token comes from the sequence; a
/// conflicting insert burns a sequence value, which is harmless); else
/// takes over, with one conditional `UPDATE ... RETURNING token`, a record
/// past its key TTL or an in-progress one whose lease ended (same
/// fingerprint); else reads the record and answers `Mismatch`,
/// `Completed` or `InProgress` by the shared decision logic. `complete` and
/// `release` are one `UPDATE` / `DELETE` each of the row that carries the
/// caller's token and is still in progress. A restart is new connections
/// over the same schema: everything committed is still there. Times are
/// virtual milliseconds below 2^63.
///
/// Each store instance keeps a pool of connections, opened on demand and
/// never waited for: a call takes an idle connection or opens a new one,
/// so concurrent calls on one instance run on different connections, as a
/// server's request handlers do, and their statements really interleave in
/// the database. (A bounded pool made a call wait for a connection held by
/// a handler the harness had not scheduled, which looked to the harness
/// like a row lock and cost every such poll the full lock wait.)
pub struct PostgresStore {
    key_ttl: Duration,
    pool: Pool,
    variant: Variant,
    sql: Statements,
}

struct Statements {
    claim: String,
    select: String,
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    next_token: String,
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    update: String,
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    update_by_key: String,
    take_over: String,
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    insert: String,
    complete_row: String,
    delete_row: String,
}

fn to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

fn record(row: &Row) -> Result<Record, StoreError> {
    Ok(Record {
        fingerprint: from_sql(row.try_get(0)?),
        token: from_sql(row.try_get(1)?),
        lease_until: from_sql(row.try_get(2)?),
        outcome: row.try_get(3)?,
        expires_at: from_sql(row.try_get(4)?),
    })
}

/// The schema of a location: the factory's prefix and the namespace, both
/// `[a-z0-9_]`, quoted.
fn schema_name(prefix: &str, namespace: &str) -> Result<String, StoreError> {
    let name = format!("{prefix}{namespace}");
    let valid = !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(StoreError::new(format!(
            "postgres store: schema {name:?} must be 1 to 63 characters of [a-z0-9_]"
        )));
    }
    Ok(name)
}

impl Statements {
    fn new(schema: &str) -> Self {
        let t = format!("\"{schema}\".idempotency");
        let seq = format!("\"{schema}\".fencing");
        Statements {
            claim: format!(
                "INSERT INTO {t} (key, fingerprint, token, lease_until, outcome, expires_at) \
                 VALUES ($1, $2, nextval('{seq}'), $3, NULL, $4) \
                 ON CONFLICT (key) DO NOTHING RETURNING token"
            ),
            select: format!(
                "SELECT fingerprint, token, lease_until, outcome, expires_at FROM {t} \
                 WHERE key = $1 ORDER BY token DESC LIMIT 1"
            ),
            next_token: format!("SELECT nextval('{seq}')"),
            update: format!(
                "UPDATE {t} SET fingerprint = $2, token = $3, lease_until = $4, outcome = $5, \
                 expires_at = $6 WHERE key = $1 AND token = $7"
            ),
            update_by_key: format!(
                "UPDATE {t} SET fingerprint = $2, token = $3, lease_until = $4, outcome = $5, \
                 expires_at = $6 WHERE key = $1"
            ),
            take_over: format!(
                "UPDATE {t} SET fingerprint = $2, token = nextval('{seq}'), lease_until = $4, \
                 outcome = NULL, expires_at = GREATEST(expires_at, $5) \
                 WHERE key = $1 AND (($3 >= expires_at AND (outcome IS NOT NULL OR $3 >= lease_until)) \
                 OR (outcome IS NULL AND $3 >= lease_until AND fingerprint = $2)) \
                 RETURNING token"
            ),
            insert: format!(
                "INSERT INTO {t} (key, fingerprint, token, lease_until, outcome, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            ),
            complete_row: format!(
                "UPDATE {t} SET outcome = $3, expires_at = $4 \
                 WHERE key = $1 AND token = $2 AND outcome IS NULL"
            ),
            delete_row: format!(
                "DELETE FROM {t} WHERE key = $1 AND token = $2 AND outcome IS NULL"
            ),
        }
    }
}

async fn connect_client(url: &str) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        // Ends when the client is dropped (a restart).
        let _ = connection.await;
    });
    Ok(client)
}

impl PostgresStore {
    /// Connect to `url` and open (creating if needed) the store in `schema`
    /// (`[a-z0-9_]`). Must run inside a tokio runtime: connections are
    /// driven by spawned tasks.
    pub async fn connect(url: &str, schema: &str, key_ttl: Duration) -> Result<Self, StoreError> {
        Self::connect_with(
            url,
            &schema_name("", schema)?,
            key_ttl,
            Variant::Reference,
            false,
        )
        .await
    }

    async fn connect_with(
        url: &str,
        schema: &str,
        key_ttl: Duration,
        variant: Variant,
        fresh: bool,
    ) -> Result<Self, StoreError> {
        let client = connect_client(url).await?;
        let key = match variant {
            Variant::CheckThenInsert => "",
            _ => "PRIMARY KEY",
        };
        let drop = if fresh {
            format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;")
        } else {
            String::new()
        };
        client
            .batch_execute(&format!(
                "SET client_min_messages = warning;
                 {drop}
                 CREATE SCHEMA IF NOT EXISTS \"{schema}\";
                 CREATE TABLE IF NOT EXISTS \"{schema}\".idempotency (
                     key         text   NOT NULL {key},
                     fingerprint bigint NOT NULL,
                     token       bigint NOT NULL,
                     lease_until bigint NOT NULL,
                     outcome     text,
                     expires_at  bigint NOT NULL
                 );
                 CREATE SEQUENCE IF NOT EXISTS \"{schema}\".fencing;"
            ))
            .await?;
        Ok(PostgresStore {
            key_ttl,
            pool: Pool {
                url: url.to_string(),
                idle: StdMutex::new(vec![client]),
            },
            variant,
            sql: Statements::new(schema),
        })
    }

    /// A factory connecting to `url`, with one schema per location.
    pub fn factory(url: impl Into<String>, key_ttl: Duration) -> PostgresStoreFactory {
        PostgresStoreFactory::new(url.into(), key_ttl, Variant::Reference)
    }

    /// The zoo's check-then-insert store: `SELECT`, then `INSERT`, on a
    /// table without a unique key. Sequential calls answer correctly; two
    /// duplicates whose `SELECT`s both run before either `INSERT` both
    /// insert, so both run the side effect.
    #[cfg(feature = "zoo")]
    pub fn check_then_insert_factory(
        url: impl Into<String>,
        key_ttl: Duration,
    ) -> PostgresStoreFactory {
        PostgresStoreFactory::new(url.into(), key_ttl, Variant::CheckThenInsert)
    }

    /// A factory for a broken variant of the zoo.
    #[cfg(feature = "zoo")]
    pub(crate) fn zoo_factory(
        url: impl Into<String>,
        key_ttl: Duration,
        variant: Variant,
    ) -> PostgresStoreFactory {
        PostgresStoreFactory::new(url.into(), key_ttl, variant)
    }

    /// The key TTL this store honours.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    /// A connection of the pool: an idle one, else a new one.
    async fn client(&self) -> Result<Pooled<'_>, StoreError> {
        self.pool.get().await
    }

    /// One statement per step, each atomic on its own (autocommit), so no
    /// lock is held across an `.await`: claim a fresh key; else take over
    /// an expired record or an ended lease; else read the record and answer
    /// from it. A record that changes between two steps makes it start
    /// over.
    async fn begin_reference(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let client = self.client().await?;
        let lease_until = to_sql((now + lease).as_millis());
        let expires_at = to_sql((now + self.key_ttl).as_millis());
        let fp = to_sql(fingerprint.0);
        let at = to_sql(now.as_millis());
        for _ in 0..16 {
            checkpoint("INSERT claim ON CONFLICT DO NOTHING");
            let inserted = client
                .query_opt(&self.sql.claim, &[&key, &fp, &lease_until, &expires_at])
                .await?;
            if let Some(row) = inserted {
                let token: i64 = row.try_get(0)?;
                return Ok(Claim::Acquired(FencingToken(from_sql(token))));
            }
            checkpoint("UPDATE claim if expired or its lease ended");
            let taken = client
                .query_opt(
                    &self.sql.take_over,
                    &[&key, &fp, &at, &lease_until, &expires_at],
                )
                .await?;
            if let Some(row) = taken {
                let token: i64 = row.try_get(0)?;
                return Ok(Claim::Acquired(FencingToken(from_sql(token))));
            }
            checkpoint("SELECT claim");
            let Some(row) = client.query_opt(&self.sql.select, &[&key]).await? else {
                continue;
            };
            let current = record(&row)?;
            let (claim, _) = decide::begin(
                self.key_ttl,
                Some(&current),
                fingerprint,
                now,
                lease,
                || Ok(0),
            )?;
            if !matches!(claim, Claim::Acquired(_)) {
                return Ok(claim);
            }
            // Claimable now: it changed since the update; try again.
        }
        Err(StoreError::new(format!(
            "postgres store: key {key:?} kept changing while being claimed"
        )))
    }

    async fn finish(
        &self,
        key: &str,
        token: FencingToken,
        outcome: Option<&Outcome>,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let client = self.client().await?;
        finish_by_row(&client, &self.sql, self.key_ttl, key, token, outcome, now).await
    }
}

/// The connections of one store instance: idle ones wait in `idle`; a
/// taken one comes back when its [`Pooled`] guard drops (also when a
/// crash drops the call that held it: the connection's task discards the
/// late answer).
struct Pool {
    url: String,
    idle: StdMutex<Vec<Client>>,
}

impl Pool {
    async fn get(&self) -> Result<Pooled<'_>, StoreError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let client = match idle {
            Some(client) if !client.is_closed() => client,
            _ => connect_client(&self.url).await?,
        };
        Ok(Pooled {
            pool: self,
            client: Some(client),
        })
    }
}

/// A connection taken from a [`Pool`], handed back on drop.
struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Client;

    fn deref(&self) -> &Client {
        // Only `drop` takes it out.
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled connection is there until dropped"))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(client);
        }
    }
}

/// `complete` and `release` as one fenced statement each: the row carrying
/// the caller's token, still in progress, is completed or deleted.
async fn finish_by_row(
    client: &Client,
    sql: &Statements,
    key_ttl: Duration,
    key: &str,
    token: FencingToken,
    outcome: Option<&Outcome>,
    now: VirtualTime,
) -> Result<Fenced, StoreError> {
    let n = match outcome {
        Some(o) => {
            let expires_at = to_sql((now + key_ttl).as_millis());
            checkpoint("UPDATE claim");
            client
                .execute(
                    &sql.complete_row,
                    &[&key, &to_sql(token.0), &o.0, &expires_at],
                )
                .await?
        }
        None => {
            checkpoint("DELETE claim");
            client
                .execute(&sql.delete_row, &[&key, &to_sql(token.0)])
                .await?
        }
    };
    Ok(if n == 1 {
        Fenced::Accepted
    } else {
        Fenced::StaleToken
    })
}

/// Apply [`decide::begin`] to a row the broken stores read (without a
/// lock); a fresh token comes from the sequence only when one is issued.
#[cfg(feature = "zoo")]
async fn decide_begin<C: tokio_postgres::GenericClient>(
    client: &C,
    sql: &Statements,
    key_ttl: Duration,
    current: &Record,
    fingerprint: Fingerprint,
    now: VirtualTime,
    lease: Duration,
) -> Result<(Claim, Write), StoreError> {
    // `decide::begin` calls `fresh_token` synchronously: decide with a
    // placeholder, then draw the real token from the sequence if one was
    // issued.
    let mut issued = false;
    let (claim, write) = decide::begin(key_ttl, Some(current), fingerprint, now, lease, || {
        issued = true;
        Ok(0)
    })?;
    if !issued {
        return Ok((claim, write));
    }
    let token: i64 = client.query_one(&sql.next_token, &[]).await?.try_get(0)?;
    let token = from_sql(token);
    let write = match write {
        Write::Put(r) => Write::Put(Record { token, ..r }),
        other => other,
    };
    Ok((Claim::Acquired(FencingToken(token)), write))
}

#[cfg(feature = "zoo")]
async fn put<C: tokio_postgres::GenericClient>(
    client: &C,
    update: &str,
    key: &str,
    r: &Record,
    old_token: u64,
) -> Result<(), StoreError> {
    client
        .execute(
            update,
            &[
                &key,
                &to_sql(r.fingerprint),
                &to_sql(r.token),
                &to_sql(r.lease_until),
                &r.outcome,
                &to_sql(r.expires_at),
                &to_sql(old_token),
            ],
        )
        .await?;
    Ok(())
}

impl AsyncIdempotencyStore for PostgresStore {
    type Token = crate::FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        match self.variant {
            Variant::Reference => self.begin_reference(key, fingerprint, now, lease).await,
            #[cfg(feature = "zoo")]
            _ => self.begin_broken(key, fingerprint, now, lease).await,
            #[cfg(not(feature = "zoo"))]
            _ => Err(StoreError::new(
                "postgres store: broken variants need feature `zoo`",
            )),
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
        self.finish(key, token, Some(outcome), now).await
    }

    async fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        self.finish(key, token, None, now).await
    }
}

/// Opens a [`PostgresStore`] per location; see [`PostgresStore::factory`].
///
/// Schemas are named `<prefix><namespace>`; the default prefix
/// (`rc<pid>_<n>_`) is unique to the factory within the process, and the
/// first open of a location drops any schema of that name left by an
/// earlier run, so a case always starts empty while a restart (a later
/// open) sees everything committed. [`drop_schemas`](Self::drop_schemas)
/// removes them at the end.
#[derive(Clone)]
pub struct PostgresStoreFactory {
    url: String,
    key_ttl: Duration,
    variant: Variant,
    prefix: String,
    opened: Arc<StdMutex<BTreeSet<String>>>,
}

static FACTORIES: AtomicU64 = AtomicU64::new(0);

impl PostgresStoreFactory {
    fn new(url: String, key_ttl: Duration, variant: Variant) -> Self {
        let n = FACTORIES.fetch_add(1, Ordering::Relaxed);
        PostgresStoreFactory {
            url,
            key_ttl,
            variant,
            prefix: format!("rc{}_{n}_", std::process::id()),
            opened: Arc::default(),
        }
    }

    /// The schema prefix (`[a-z0-9_]`, at most 40 characters).
    pub fn prefix(mut self, prefix: &str) -> Result<Self, StoreError> {
        if prefix.len() > 40 {
            return Err(StoreError::new(
                "postgres store: prefix longer than 40 characters",
            ));
        }
        schema_name(prefix, "x")?;
        self.prefix = prefix.to_string();
        Ok(self)
    }

    /// The key TTL of the stores this factory opens.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    /// Drop every schema this factory created.
    pub async fn drop_schemas(&self) -> Result<usize, StoreError> {
        let schemas: Vec<String> = {
            let opened = self.opened.lock().unwrap_or_else(PoisonError::into_inner);
            opened.iter().cloned().collect()
        };
        if schemas.is_empty() {
            return Ok(0);
        }
        let client = connect_client(&self.url).await?;
        for schema in &schemas {
            client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                .await?;
        }
        self.opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(schemas.len())
    }
}

impl AsyncStoreFactory for PostgresStoreFactory {
    type Store = PostgresStore;

    async fn open(&self, location: &StorageLocation) -> Result<PostgresStore, StoreError> {
        let schema = schema_name(&self.prefix, location.namespace())?;
        let fresh = self
            .opened
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(schema.clone());
        PostgresStore::connect_with(&self.url, &schema, self.key_ttl, self.variant, fresh).await
    }

    fn name(&self) -> String {
        match self.variant {
            Variant::Reference => "postgres reference store (INSERT ON CONFLICT claim, fenced)",
            Variant::CheckThenInsert => "broken postgres store (SELECT then INSERT, no unique key)",
            Variant::UniqueViolationAsClaim => {
                "broken postgres store (a unique violation taken for a fresh claim)"
            }
            Variant::NoSelectForUpdate => {
                "broken postgres store (takeover without SELECT ... FOR UPDATE)"
            }
        }
        .to_string()
    }
}
