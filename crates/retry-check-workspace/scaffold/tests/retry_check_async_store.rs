//! Model-check your async idempotency store against the retry contract,
//! with the retry-check harness (scaffolded by `cargo retry-check init
//! --async`).
//!
//! Needs, in Cargo.toml (`init` adds them: the harness as a dev-dependency,
//! or a normal one when your store lives in `src/`):
//!
//! ```toml
//! [dev-dependencies]
//! retry-check-harness = "0.1"
//! rusqlite = { version = "0.37", features = ["bundled"] }
//! tokio = { version = "1", features = ["rt"] }
//! ```
//!
//! `MyAsyncStore` below is a small, correct store on SQLite: every
//! statement is awaited, as with an async database driver, and the claim is
//! one transaction. Replace its body with your store (or make it call
//! yours), then `cargo test --test retry_check_store`. The harness runs
//! concurrent duplicate handlers and switches between them at every
//! `.await` their calls reach, in a seeded order that is part of each
//! generated case, with every fault (lost replies, node crashes, store
//! restarts, clock jumps, changed payloads). A violation fails the test
//! with a numbered timeline and writes a replay file under
//! `target/retry-check/`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_check_harness::{
    checkpoint, AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, FencingToken,
    Fingerprint, Held, Outcome, Sim, SimConfig, StorageLocation, StoreError, VirtualTime,
};
use rusqlite::{params, Connection, OptionalExtension};

/// SQLite integers are signed: `u64`s are kept by bit pattern.
fn sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

/// One key's row: fingerprint, token, lease end, outcome, expiry (virtual
/// milliseconds).
type Row = (u64, u64, u64, Option<String>, u64);

fn select(conn: &Connection, key: &str) -> rusqlite::Result<Option<Row>> {
    conn.query_row(
        "SELECT fingerprint, token, lease_until, outcome, expires_at FROM claims WHERE key = ?1",
        params![key],
        |r| {
            let n = |i| r.get::<_, i64>(i).map(|v| u64::from_ne_bytes(v.to_ne_bytes()));
            Ok((n(0)?, n(1)?, n(2)?, r.get(3)?, n(4)?))
        },
    )
    .optional()
}

/// The answer `begin` gives from the row it read, unless the key can be
/// claimed (`None`).
fn answer_from(row: Option<Row>, fingerprint: Fingerprint, now: VirtualTime) -> Option<Claim> {
    let (fp, _, lease_until, outcome, expires_at) = row?;
    let now = now.as_millis();
    if now >= expires_at && (outcome.is_some() || now >= lease_until) {
        return None; // past its key TTL: gone
    }
    if fp != fingerprint.0 {
        return Some(Claim::Mismatch);
    }
    if let Some(outcome) = outcome {
        return Some(Claim::Completed(Outcome(outcome)));
    }
    // In progress: wait while its lease is live, else take it over.
    (now < lease_until).then_some(Claim::InProgress)
}

/// Write a claim (a fresh one, or a takeover) with a new token.
fn insert(conn: &Connection, key: &str, row: Row) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO claims (key, fingerprint, token, lease_until, outcome, expires_at) \
         VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
        params![key, sql(row.0), sql(row.1), sql(row.2), sql(row.4)],
    )?;
    Ok(())
}

fn next_token(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row(
        "UPDATE tokens SET last = last + 1 RETURNING last",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(|v| u64::from_ne_bytes(v.to_ne_bytes()))
}

/// Your async store. Never read the system clock: use `now`.
pub struct MyAsyncStore {
    key_ttl: Duration,
    conn: Arc<Mutex<Connection>>,
}

impl MyAsyncStore {
    /// One statement (or transaction) on the connection, then an `.await`
    /// for its result, as an async driver's round trip. Replace it with your
    /// driver's calls.
    async fn query<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let out = {
            let conn = self
                .conn
                .lock()
                .map_err(|_| StoreError::new("my store: lock poisoned"))?;
            f(&conn).map_err(|e| StoreError::new(format!("sqlite: {e}")))?
        };
        tokio::task::yield_now().await;
        Ok(out)
    }
}

impl AsyncIdempotencyStore for MyAsyncStore {
    type Token = FencingToken;

    /// One atomic create-or-read: `Acquired(token)`, `InProgress`,
    /// `Completed(outcome)` or `Mismatch`.
    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let lease_until = (now + lease).as_millis();
        let expires_at = (now + self.key_ttl).as_millis();
        // SELECT and INSERT in ONE transaction: as two statements with an
        // `.await` between them, two duplicates can both claim the key.
        checkpoint("claim: SELECT and INSERT in one transaction");
        self.query(|conn| {
            let tx = conn.unchecked_transaction()?;
            let found = select(&tx, key)?;
            if let Some(answer) = answer_from(found, fingerprint, now) {
                return Ok(answer);
            }
            let token = next_token(&tx)?;
            insert(&tx, key, (fingerprint.0, token, lease_until, None, expires_at))?;
            tx.commit()?;
            Ok(Claim::Acquired(FencingToken(token)))
        })
        .await
    }

    /// Record the outcome; refuse a stale token (and a key with no record).
    async fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let expires_at = sql((now + self.key_ttl).as_millis());
        checkpoint("UPDATE claim");
        let n = self
            .query(|conn| {
                conn.execute(
                    "UPDATE claims SET outcome = ?3, expires_at = ?4 \
                     WHERE key = ?1 AND token = ?2 AND outcome IS NULL",
                    params![key, sql(token.0), outcome.0, expires_at],
                )
            })
            .await?;
        Ok(if n == 1 { Fenced::Accepted } else { Fenced::StaleToken })
    }

    /// Give the claim up; refuse a stale token (and a key with no record).
    async fn release(
        &self,
        key: &str,
        held: &Held,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        checkpoint("DELETE claim");
        let n = self
            .query(|conn| {
                conn.execute(
                    "DELETE FROM claims WHERE key = ?1 AND token = ?2 AND outcome IS NULL",
                    params![key, sql(token.0)],
                )
            })
            .await?;
        Ok(if n == 1 { Fenced::Accepted } else { Fenced::StaleToken })
    }
}

/// Opens a [`MyAsyncStore`] over each location (again after every store
/// restart: SQLite keeps what it committed).
pub struct MyAsyncStoreFactory {
    key_ttl: Duration,
}

impl AsyncStoreFactory for MyAsyncStoreFactory {
    type Store = MyAsyncStore;

    async fn open(&self, location: &StorageLocation) -> Result<MyAsyncStore, StoreError> {
        let conn = Connection::open(location.dir().join("my-store.sqlite3"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS claims (
                 key TEXT PRIMARY KEY, fingerprint INTEGER, token INTEGER,
                 lease_until INTEGER, outcome TEXT, expires_at INTEGER);
             CREATE TABLE IF NOT EXISTS tokens (last INTEGER NOT NULL);
             INSERT INTO tokens SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM tokens);",
        )?;
        Ok(MyAsyncStore {
            key_ttl: self.key_ttl,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    fn name(&self) -> String {
        "my async store (SQLite)".to_string()
    }
}

#[test]
fn my_async_store_keeps_at_most_once() {
    // The contract the store must honour (its key TTL, lease, handler time
    // and the client's retry schedule): the workspace's contracts, as
    // `cargo retry-check` reads them; errors are printed as the CLI's.
    let set = retry_check_harness::contracts::load(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or_else(|e| panic!("{e}"));
    let config = SimConfig::from_contract(&set, "checkout", "payments")
        .expect("`checkout` calls `payments` in the contract");
    let key_ttl = config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600));
    Sim::new_async(MyAsyncStoreFactory { key_ttl })
        .config(config)
        .contract("checkout -> payments")
        .seed(2024)
        .check();
}
