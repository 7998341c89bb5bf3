//! The check-then-insert claim on SQLite, sync and async: `begin` reads the
//! key's row, decides, and writes with `INSERT OR REPLACE`, each statement
//! on its own (the sync store takes the connection's lock for each; the
//! async one runs each on the blocking pool and awaits it). Sequential
//! calls answer correctly; two duplicates whose `SELECT`s both run before
//! either `INSERT` both acquire, the second replacing the first's claim.
//! `complete` and `release` are correct (one lock section each).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use crate::checkpoint;
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, VirtualTime,
};
use crate::stores::decide::{self, Record, Write};

fn to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

/// The database: one connection, shared.
#[derive(Debug, Clone)]
pub(super) struct Db {
    conn: Arc<Mutex<Connection>>,
    key_ttl: Duration,
}

impl Db {
    pub(super) fn open(location: &StorageLocation, key_ttl: Duration) -> Result<Db, StoreError> {
        let path = location.dir().join("zoo-race.sqlite3");
        let conn = open_file(&path)?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            key_ttl,
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::new("zoo store: lock poisoned"))?;
        f(&conn)
    }
}

fn open_file(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS claims (
             key         TEXT    PRIMARY KEY NOT NULL,
             fingerprint INTEGER NOT NULL,
             token       INTEGER NOT NULL,
             lease_until INTEGER NOT NULL,
             outcome     TEXT,
             expires_at  INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS fencing (
             id         INTEGER PRIMARY KEY CHECK (id = 0),
             last_token INTEGER NOT NULL
         );
         INSERT OR IGNORE INTO fencing (id, last_token) VALUES (0, 0);",
    )?;
    Ok(conn)
}

fn select(conn: &Connection, key: &str) -> Result<Option<Record>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT fingerprint, token, lease_until, outcome, expires_at FROM claims WHERE key = ?1",
        )?
        .query_row(params![key], |row| {
            Ok(Record {
                fingerprint: from_sql(row.get(0)?),
                token: from_sql(row.get(1)?),
                lease_until: from_sql(row.get(2)?),
                outcome: row.get(3)?,
                expires_at: from_sql(row.get(4)?),
            })
        })
        .optional()?)
}

fn next_token(conn: &Connection) -> Result<u64, StoreError> {
    let t: i64 = conn
        .prepare_cached(
            "UPDATE fencing SET last_token = last_token + 1 WHERE id = 0 RETURNING last_token",
        )?
        .query_row([], |row| row.get(0))?;
    Ok(from_sql(t))
}

fn write(conn: &Connection, key: &str, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::Keep => {}
        Write::Put(r) => {
            // The bug's other half: a claim silently replaces another.
            conn.prepare_cached(
                "INSERT OR REPLACE INTO claims (key, fingerprint, token, lease_until, outcome, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                key,
                to_sql(r.fingerprint),
                to_sql(r.token),
                to_sql(r.lease_until),
                r.outcome,
                to_sql(r.expires_at)
            ])?;
        }
        Write::Delete => {
            conn.prepare_cached("DELETE FROM claims WHERE key = ?1")?
                .execute(params![key])?;
        }
    }
    Ok(())
}

/// `begin`'s decision on the row read, with the token drawn only if one is
/// issued (the placeholder is replaced).
fn decide_begin(
    db: &Db,
    current: Option<&Record>,
    fingerprint: Fingerprint,
    now: VirtualTime,
    lease: Duration,
) -> Result<(Claim, Write, bool), StoreError> {
    let mut issued = false;
    let (claim, write) = decide::begin(db.key_ttl, current, fingerprint, now, lease, || {
        issued = true;
        Ok(0)
    })?;
    Ok((claim, write, issued))
}

fn with_token(claim: Claim, write: Write, token: u64) -> (Claim, Write) {
    let claim = match claim {
        Claim::Acquired(_) => Claim::Acquired(FencingToken(token)),
        other => other,
    };
    let write = match write {
        Write::Put(r) => Write::Put(Record { token, ..r }),
        other => other,
    };
    (claim, write)
}

fn finish(
    db: &Db,
    conn: &Connection,
    key: &str,
    token: FencingToken,
    outcome: Option<&Outcome>,
    now: VirtualTime,
) -> Result<Fenced, StoreError> {
    let current = select(conn, key)?;
    let (fenced, w) = match outcome {
        Some(o) => decide::complete(db.key_ttl, current.as_ref(), token, o, now),
        None => decide::release(current.as_ref(), token),
    };
    write(conn, key, &w)?;
    Ok(fenced)
}

/// [`Bug::CheckThenInsertSqlite`](super::Bug::CheckThenInsertSqlite).
#[derive(Debug)]
pub(super) struct RaceStore {
    pub(super) db: Db,
}

impl IdempotencyStore for RaceStore {
    type Token = crate::FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        checkpoint("SELECT claim");
        let current = self.db.with(|c| select(c, key))?;
        let (claim, w, issued) = decide_begin(&self.db, current.as_ref(), fingerprint, now, lease)?;
        if !issued {
            return Ok(claim);
        }
        let token = self.db.with(next_token)?;
        let (claim, w) = with_token(claim, w, token);
        checkpoint("INSERT OR REPLACE claim");
        self.db.with(|c| write(c, key, &w))?;
        Ok(claim)
    }

    fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        self.db
            .with(|c| finish(&self.db, c, key, token, Some(outcome), now))
    }

    fn release(
        &self,
        key: &str,
        held: &crate::Held,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        self.db.with(|c| finish(&self.db, c, key, token, None, now))
    }
}

#[cfg(not(loom))]
pub(super) use self::asynchronous::AsyncRaceStore;

#[cfg(not(loom))]
mod asynchronous {
    use super::*;
    use crate::store::AsyncIdempotencyStore;

    /// [`Bug::CheckThenInsertSqliteAsync`](crate::stores::zoo::Bug::CheckThenInsertSqliteAsync):
    /// every statement is an await point: it runs on the shared connection,
    /// then the store yields to the runtime before it goes on, as an async
    /// driver's round trip does (the statement runs while its result is
    /// awaited).
    ///
    /// It yields rather than hand the statement to `spawn_blocking`: a
    /// statement run on another thread may finish before the harness polls
    /// again or after, and that race would decide where the await points
    /// fall, so a schedule would not replay byte for byte.
    #[derive(Debug)]
    pub(in crate::stores::zoo) struct AsyncRaceStore {
        pub(in crate::stores::zoo) db: Db,
    }

    impl AsyncRaceStore {
        async fn run<T: Send + 'static>(
            &self,
            f: impl FnOnce(&Db, &Connection) -> Result<T, StoreError> + Send + 'static,
        ) -> Result<T, StoreError> {
            let out = self.db.with(|c| f(&self.db, c));
            tokio::task::yield_now().await;
            out
        }
    }

    impl AsyncIdempotencyStore for AsyncRaceStore {
        type Token = crate::FencingToken;

        async fn begin(
            &self,
            key: &str,
            fingerprint: Fingerprint,
            now: VirtualTime,
            lease: Duration,
        ) -> Result<Claim, StoreError> {
            checkpoint("SELECT claim");
            let k = key.to_string();
            let current = self.run(move |_, c| select(c, &k)).await?;
            let (claim, w, issued) =
                decide_begin(&self.db, current.as_ref(), fingerprint, now, lease)?;
            if !issued {
                return Ok(claim);
            }
            let token = self.run(|_, c| next_token(c)).await?;
            let (claim, w) = with_token(claim, w, token);
            checkpoint("INSERT OR REPLACE claim");
            let k = key.to_string();
            self.run(move |_, c| write(c, &k, &w)).await?;
            Ok(claim)
        }

        async fn complete(
            &self,
            key: &str,
            held: &crate::Held,
            outcome: &Outcome,
            now: VirtualTime,
        ) -> Result<Fenced, StoreError> {
            let token = held.token;
            let (k, o) = (key.to_string(), outcome.clone());
            self.run(move |db, c| finish(db, c, &k, token, Some(&o), now))
                .await
        }

        async fn release(
            &self,
            key: &str,
            held: &crate::Held,
            now: VirtualTime,
        ) -> Result<Fenced, StoreError> {
            let token = held.token;
            let k = key.to_string();
            self.run(move |db, c| finish(db, c, &k, token, None, now))
                .await
        }
    }
}
