//! [`PostgresStore`]: the async reference store on a real PostgreSQL server.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_postgres::{Client, NoTls, Row};

use super::rules::{self, Record, Write};
use crate::store::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, FencingToken, Fingerprint, Outcome,
    StorageLocation, StoreError, VirtualTime,
};

/// The environment variable naming the PostgreSQL server the tests use
/// (`postgresql://user@host:port/db`); `.ci/run` starts one and sets it.
pub const PG_URL_ENV: &str = "RETRY_CHECK_PG_URL";

/// How `begin` claims a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    /// `INSERT ... ON CONFLICT DO NOTHING`, then `SELECT ... FOR UPDATE`, in
    /// one transaction, on a table whose key is the primary key.
    Reference,
    /// Broken on purpose: `SELECT`, then `INSERT`, no transaction, and no
    /// unique constraint on the key (two racing claims both insert).
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    CheckThenInsert,
}

/// The async reference store on PostgreSQL (tokio-postgres), for
/// [`AsyncIdempotencyStore`]; drive it in sim mode through
/// [`BlockOn`](crate::BlockOn).
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
/// `begin` is one transaction: `INSERT ... ON CONFLICT (key) DO NOTHING
/// RETURNING token` claims a fresh key (the token comes from the sequence;
/// a conflicting insert burns a sequence value, which is harmless); on a
/// conflict, `SELECT ... FOR UPDATE` locks the row and the same rules as
/// [`MemoryStore`](super::MemoryStore) decide (fingerprint check, lease
/// takeover with a fresh token, key TTL). `complete` and `release` lock the
/// row, check the token, and write in one transaction. A restart is a new
/// connection over the same schema: everything committed is still there.
///
/// Each store holds one connection; concurrent callers of one store take
/// turns on it (open one store per worker for real parallelism).
pub struct PostgresStore {
    key_ttl: Duration,
    client: Mutex<Client>,
    variant: Variant,
    sql: Statements,
}

struct Statements {
    claim: String,
    select: String,
    next_token: String,
    update: String,
    insert: String,
    complete_row: String,
    delete: String,
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
            insert: format!(
                "INSERT INTO {t} (key, fingerprint, token, lease_until, outcome, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            ),
            complete_row: format!(
                "UPDATE {t} SET outcome = $3, expires_at = $4 \
                 WHERE key = $1 AND token = $2 AND outcome IS NULL"
            ),
            delete: format!("DELETE FROM {t} WHERE key = $1"),
            delete_row: format!(
                "DELETE FROM {t} WHERE key = $1 AND token = $2 AND outcome IS NULL"
            ),
        }
    }
}

impl PostgresStore {
    /// Connect to `url` and open (creating if needed) the store in `schema`
    /// (`[a-z0-9_]`). Must run inside a tokio runtime: the connection is
    /// driven by a spawned task.
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
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        tokio::spawn(async move {
            // Ends when the client is dropped (a simulated crash).
            let _ = connection.await;
        });
        let key = match variant {
            Variant::Reference => "PRIMARY KEY",
            Variant::CheckThenInsert => "",
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
            client: Mutex::new(client),
            variant,
            sql: Statements::new(schema),
        })
    }

    /// A factory connecting to `url`, with one schema per location.
    pub fn factory(url: impl Into<String>, key_ttl: Duration) -> PostgresStoreFactory {
        PostgresStoreFactory::new(url.into(), key_ttl, Variant::Reference)
    }

    /// The broken store of the zoo: `SELECT`, then `INSERT`, on a table
    /// without a unique key. Sequential calls answer correctly (sim mode
    /// interleaves only between calls and cannot see it); two duplicates
    /// racing on real connections both find no row and both insert, so both
    /// run the side effect. Stress mode catches it (`at_most_once`).
    #[cfg(feature = "zoo")]
    pub fn check_then_insert_factory(
        url: impl Into<String>,
        key_ttl: Duration,
    ) -> PostgresStoreFactory {
        PostgresStoreFactory::new(url.into(), key_ttl, Variant::CheckThenInsert)
    }

    /// The key TTL this store honours.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    async fn begin_reference(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut client = self.client.lock().await;
        let lease_until = to_sql((now + lease).as_millis());
        let expires_at = to_sql((now + self.key_ttl).as_millis());
        let fp = to_sql(fingerprint.0);
        // A row deleted (released) between the conflict and the lock makes
        // the transaction start over; a handful of rounds is plenty.
        for _ in 0..16 {
            let tx = client.transaction().await?;
            let inserted = tx
                .query_opt(&self.sql.claim, &[&key, &fp, &lease_until, &expires_at])
                .await?;
            if let Some(row) = inserted {
                let token: i64 = row.try_get(0)?;
                tx.commit().await?;
                return Ok(Claim::Acquired(FencingToken(from_sql(token))));
            }
            let select = format!("{} FOR UPDATE", self.sql.select);
            let Some(row) = tx.query_opt(&select, &[&key]).await? else {
                tx.rollback().await?;
                continue;
            };
            let current = record(&row)?;
            let (claim, write) = decide_begin(
                &tx,
                &self.sql,
                self.key_ttl,
                &current,
                fingerprint,
                now,
                lease,
            )
            .await?;
            if let Write::Put(r) = write {
                put(&tx, &self.sql.update, key, &r, current.token).await?;
            }
            tx.commit().await?;
            return Ok(claim);
        }
        Err(StoreError::new(format!(
            "postgres store: key {key:?} kept vanishing while being claimed"
        )))
    }

    async fn begin_check_then_insert(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let client = self.client.lock().await;
        let current = match client.query_opt(&self.sql.select, &[&key]).await? {
            Some(row) => Some(record(&row)?),
            None => None,
        };
        let Some(current) = current else {
            // The bug: nothing stops a concurrent caller between this
            // look-up and the insert below.
            let token = from_sql(
                client
                    .query_one(&self.sql.next_token, &[])
                    .await?
                    .try_get(0)?,
            );
            let r = Record {
                fingerprint: fingerprint.0,
                token,
                lease_until: (now + lease).as_millis(),
                outcome: None,
                expires_at: (now + self.key_ttl).as_millis(),
            };
            client
                .execute(
                    &self.sql.insert,
                    &[
                        &key,
                        &to_sql(r.fingerprint),
                        &to_sql(r.token),
                        &to_sql(r.lease_until),
                        &r.outcome,
                        &to_sql(r.expires_at),
                    ],
                )
                .await?;
            return Ok(Claim::Acquired(FencingToken(token)));
        };
        let (claim, write) = decide_begin(
            &*client,
            &self.sql,
            self.key_ttl,
            &current,
            fingerprint,
            now,
            lease,
        )
        .await?;
        if let Write::Put(r) = write {
            put(&*client, &self.sql.update, key, &r, current.token).await?;
        }
        Ok(claim)
    }

    async fn finish(
        &self,
        key: &str,
        token: FencingToken,
        outcome: Option<&Outcome>,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let mut client = self.client.lock().await;
        if self.variant == Variant::CheckThenInsert {
            // Row-level fencing: each claimant's row carries its token.
            let n = match outcome {
                Some(o) => {
                    let expires_at = to_sql((now + self.key_ttl).as_millis());
                    client
                        .execute(
                            &self.sql.complete_row,
                            &[&key, &to_sql(token.0), &o.0, &expires_at],
                        )
                        .await?
                }
                None => {
                    client
                        .execute(&self.sql.delete_row, &[&key, &to_sql(token.0)])
                        .await?
                }
            };
            return Ok(if n == 1 {
                Fenced::Accepted
            } else {
                Fenced::StaleToken
            });
        }
        let tx = client.transaction().await?;
        let select = format!("{} FOR UPDATE", self.sql.select);
        let current = match tx.query_opt(&select, &[&key]).await? {
            Some(row) => Some(record(&row)?),
            None => None,
        };
        let (fenced, write) = match outcome {
            Some(o) => rules::complete(self.key_ttl, current.as_ref(), token, o, now),
            None => rules::release(current.as_ref(), token),
        };
        match (write, &current) {
            (Write::Put(r), Some(old)) => put(&tx, &self.sql.update, key, &r, old.token).await?,
            (Write::Delete, _) => {
                tx.execute(&self.sql.delete, &[&key]).await?;
            }
            _ => {}
        }
        tx.commit().await?;
        Ok(fenced)
    }
}

/// Apply [`rules::begin`] to a locked (or, for the broken store, merely
/// read) row; a fresh token comes from the sequence only when one is issued.
async fn decide_begin<C: tokio_postgres::GenericClient>(
    client: &C,
    sql: &Statements,
    key_ttl: Duration,
    current: &Record,
    fingerprint: Fingerprint,
    now: VirtualTime,
    lease: Duration,
) -> Result<(Claim, Write), StoreError> {
    // The rules call `fresh_token` synchronously: decide with a placeholder,
    // then draw the real token from the sequence if one was issued.
    let mut issued = false;
    let (claim, write) = rules::begin(key_ttl, Some(current), fingerprint, now, lease, || {
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
    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        match self.variant {
            Variant::Reference => self.begin_reference(key, fingerprint, now, lease).await,
            Variant::CheckThenInsert => {
                self.begin_check_then_insert(key, fingerprint, now, lease)
                    .await
            }
        }
    }

    async fn complete(
        &self,
        key: &str,
        token: FencingToken,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        self.finish(key, token, Some(outcome), now).await
    }

    async fn release(
        &self,
        key: &str,
        token: FencingToken,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
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
        let (client, connection) = tokio_postgres::connect(&self.url, NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
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
            Variant::Reference => {
                "postgres reference store (INSERT ON CONFLICT claim, fenced)".to_string()
            }
            Variant::CheckThenInsert => {
                "broken postgres store (SELECT then INSERT, no unique key)".to_string()
            }
        }
    }
}
