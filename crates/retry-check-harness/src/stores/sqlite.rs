//! [`SqliteStore`]: the durable reference store.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::decide::{self, Record, Write};
use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};

/// The file a [`SqliteStore`] keeps under its location's directory.
pub const SQLITE_FILE_NAME: &str = "idempotency.sqlite3";

/// The durable reference store, on SQLite (rusqlite, bundled).
///
/// Layout: one file `<dir>/idempotency.sqlite3` per storage location, with
/// two tables prefixed by the location's namespace:
///
/// - `<ns>_idempotency(key PRIMARY KEY, fingerprint, token, lease_until,
///   outcome, expires_at)`: one row per key, times in virtual milliseconds;
/// - `<ns>_fencing(last_token)`: the durable fencing-token counter, so tokens
///   never repeat, not even across restarts.
///
/// Every call is one `BEGIN IMMEDIATE` transaction (the write lock is taken
/// before the row is read, so two concurrent claims of one key serialise):
/// read the key's row, apply the same rules as
/// [`MemoryStore`](super::MemoryStore) (fingerprint check, lease takeover
/// with a fresh token, fenced complete/release, key TTL measured in the
/// virtual time stored in the row), write, commit. The database runs with
/// `journal_mode=WAL` and `synchronous=FULL`: a committed claim or completion
/// survives a crash of the process, so reopening the location after a
/// restart sees every record.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use retry_check_harness::stores::SqliteStore;
/// use retry_check_harness::{Claim, Fingerprint, IdempotencyStore, StorageLocation, StoreFactory, VirtualTime};
///
/// let dir = std::env::temp_dir().join(format!("rc-sqlite-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let location = StorageLocation::new(&dir, "doc");
/// let factory = SqliteStore::factory(Duration::from_secs(3600));
/// let lease = Duration::from_secs(30);
/// let token = {
///     let store = factory.open(&location)?;
///     match store.begin("k1", Fingerprint(1), VirtualTime::ZERO, lease)? {
///         Claim::Acquired(token) => token,
///         other => panic!("fresh key: {other}"),
///     }
/// }; // dropped: the "process" crashed
/// let store = factory.open(&location)?; // restart: the claim is still there
/// assert_eq!(store.begin("k1", Fingerprint(1), VirtualTime(10), lease)?, Claim::InProgress);
/// # drop(store); let _ = token; std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    key_ttl: Duration,
    path: PathBuf,
    conn: Mutex<Connection>,
    sql: Statements,
}

#[derive(Debug)]
struct Statements {
    select: String,
    upsert: String,
    delete: String,
    next_token: String,
    end_leases: String,
}

/// Table names: the namespace (`[a-z0-9_]`, validated) quoted as an SQL
/// identifier, so a namespace starting with a digit is fine too.
fn table(namespace: &str, suffix: &str) -> Result<String, StoreError> {
    let valid = namespace
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(StoreError::new(format!(
            "sqlite store: namespace {namespace:?} must be made of [a-z0-9_]"
        )));
    }
    if namespace.is_empty() {
        Ok(format!("\"{suffix}\""))
    } else {
        Ok(format!("\"{namespace}_{suffix}\""))
    }
}

/// SQLite integers are signed 64-bit; store `u64`s by bit pattern (lossless,
/// and every comparison happens in Rust after reading).
fn to_sql(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

fn from_sql(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

impl SqliteStore {
    /// Open (creating if needed) the store of `location`:
    /// `<location.dir()>/idempotency.sqlite3`, tables prefixed with the
    /// location's namespace.
    pub fn open(location: &StorageLocation, key_ttl: Duration) -> Result<Self, StoreError> {
        Self::open_file(
            &location.dir().join(SQLITE_FILE_NAME),
            location.namespace(),
            key_ttl,
        )
    }

    /// Open (creating if needed) a store in the database file `path`, with
    /// tables prefixed by `namespace` (`[a-z0-9_]`, may be empty).
    pub fn open_file(path: &Path, namespace: &str, key_ttl: Duration) -> Result<Self, StoreError> {
        Self::open_with(path, namespace, key_ttl, "FULL")
    }

    /// Open with `synchronous` set to `FULL` (the reference store), `OFF`
    /// (simulation, see [`SqliteStore::sim_factory`]) or `NORMAL` (the zoo: in WAL mode still durable against a process crash,
    /// which is all the harness simulates, and much cheaper per commit).
    pub(crate) fn open_with(
        path: &Path,
        namespace: &str,
        key_ttl: Duration,
        synchronous: &str,
    ) -> Result<Self, StoreError> {
        let records = table(namespace, "idempotency")?;
        let fencing = table(namespace, "fencing")?;
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(30))?;
        // Before the switch to WAL, so that the switch itself syncs (or
        // not) as the rest will.
        conn.pragma_update(None, "synchronous", synchronous)?;
        if synchronous == "OFF" {
            // Simulation ([`SqliteStore::sim_factory`]): the harness never
            // has two connections to a case's file open (a restart drops the
            // store before reopening it), so the connection may hold the
            // file lock for its lifetime; in WAL mode that also keeps the
            // WAL index in its own memory instead of a shared-memory file,
            // which spares the file locking and checks of every transaction.
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        }
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::new(format!(
                "sqlite store: {} refused journal_mode=WAL (got {mode})",
                path.display()
            )));
        }
        // Every commit is already durable in the WAL; skipping the checkpoint
        // on close saves a sync of the main file at every restart (the next
        // open replays the WAL).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS {records} (
                 key         TEXT    PRIMARY KEY NOT NULL,
                 fingerprint INTEGER NOT NULL,
                 token       INTEGER NOT NULL,
                 lease_until INTEGER NOT NULL,
                 outcome     TEXT,
                 expires_at  INTEGER NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS {fencing} (
                 id         INTEGER PRIMARY KEY CHECK (id = 0),
                 last_token INTEGER NOT NULL
             );
             INSERT OR IGNORE INTO {fencing} (id, last_token) VALUES (0, 0);
             COMMIT;"
        ))?;
        let sql = Statements {
            select: format!(
                "SELECT fingerprint, token, lease_until, outcome, expires_at \
                 FROM {records} WHERE key = ?1"
            ),
            upsert: format!(
                "INSERT INTO {records} (key, fingerprint, token, lease_until, outcome, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, \
                 token = excluded.token, lease_until = excluded.lease_until, \
                 outcome = excluded.outcome, expires_at = excluded.expires_at"
            ),
            delete: format!("DELETE FROM {records} WHERE key = ?1"),
            end_leases: format!("UPDATE {records} SET lease_until = 0 WHERE outcome IS NULL"),
            next_token: format!(
                "UPDATE {fencing} SET last_token = last_token + 1 WHERE id = 0 RETURNING last_token"
            ),
        };
        Ok(SqliteStore {
            key_ttl,
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            sql,
        })
    }

    /// A factory opening `<dir>/idempotency.sqlite3` of each location.
    pub fn factory(key_ttl: Duration) -> SqliteStoreFactory {
        SqliteStoreFactory {
            key_ttl,
            synchronous: Synchronous::Full,
        }
    }

    /// The factory for simulation (`cargo retry-check simulate`): the same
    /// store with `synchronous=OFF`. Every record it answers with is the
    /// same; only the fsyncs go. That is sound for the harness because the
    /// restart it simulates is a *process* restart (the store is dropped and
    /// reopened in the same process, over the same files): a committed
    /// transaction has been written to the WAL file, i.e. handed to the
    /// operating system, when the commit returns, and SQLite documents that
    /// with `synchronous=OFF` "if the application running SQLite crashes,
    /// the data will be safe"; only an operating-system crash or power loss
    /// can lose it, which the harness never simulates. `synchronous=FULL`
    /// (the reference store, [`SqliteStore::factory`]) survives those too,
    /// at the cost of fsyncs that made a simulation of the bundled contracts
    /// take minutes on a loaded machine (about 15,000 of them). The
    /// connection also takes the file lock for its lifetime
    /// (`locking_mode=EXCLUSIVE`): open one store per location at a time.
    pub fn sim_factory(key_ttl: Duration) -> SqliteStoreFactory {
        SqliteStoreFactory {
            key_ttl,
            synchronous: Synchronous::Off,
        }
    }

    /// The key TTL this store honours.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError::new("sqlite store: lock poisoned by a panicking caller"))
    }

    /// One `BEGIN IMMEDIATE` transaction: read the key's row, decide, write,
    /// commit. A failure anywhere rolls back (the transaction is dropped).
    fn transact<T>(
        &self,
        key: &str,
        decide: impl FnOnce(
            Option<&Record>,
            &rusqlite::Transaction<'_>,
        ) -> Result<(T, Write), StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = read(&tx, &self.sql.select, key)?;
        let (answer, write) = decide(current.as_ref(), &tx)?;
        match write {
            Write::Keep => {}
            Write::Put(r) => {
                tx.prepare_cached(&self.sql.upsert)?.execute(params![
                    key,
                    to_sql(r.fingerprint),
                    to_sql(r.token),
                    to_sql(r.lease_until),
                    r.outcome,
                    to_sql(r.expires_at),
                ])?;
            }
            Write::Delete => {
                tx.prepare_cached(&self.sql.delete)?.execute(params![key])?;
            }
        }
        tx.commit()?;
        Ok(answer)
    }

    /// The fingerprint of `key`'s in-progress record if `token` is its
    /// current owner, `None` otherwise (used by the zoo's write-behind store,
    /// which validates tokens here but keeps completions elsewhere).
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    pub(crate) fn owned_fingerprint(
        &self,
        key: &str,
        token: FencingToken,
    ) -> Result<Option<u64>, StoreError> {
        let conn = self.lock()?;
        let current = read(&conn, &self.sql.select, key)?;
        Ok(current.filter(|r| r.owned_by(token)).map(|r| r.fingerprint))
    }
}

impl SqliteStore {
    /// End the lease of every in-progress record now (startup recovery of a
    /// single-process server: the previous process, and every claim it
    /// held, is dead). Used by the zoo's write-behind store.
    #[cfg_attr(not(feature = "zoo"), allow(dead_code))]
    pub(crate) fn end_all_leases(&self) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        Ok(conn.execute(&self.sql.end_leases, [])?)
    }
}

fn read(conn: &Connection, select: &str, key: &str) -> Result<Option<Record>, StoreError> {
    let row = conn
        .prepare_cached(select)?
        .query_row(params![key], |row| {
            Ok(Record {
                fingerprint: from_sql(row.get(0)?),
                token: from_sql(row.get(1)?),
                lease_until: from_sql(row.get(2)?),
                outcome: row.get(3)?,
                expires_at: from_sql(row.get(4)?),
            })
        })
        .optional()?;
    Ok(row)
}

impl IdempotencyStore for SqliteStore {
    type Token = crate::FencingToken;

    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.transact(key, |current, tx| {
            decide::begin(self.key_ttl, current, fingerprint, now, lease, || {
                let token: i64 = tx
                    .prepare_cached(&self.sql.next_token)?
                    .query_row([], |row| row.get(0))?;
                Ok(from_sql(token))
            })
        })
    }

    fn complete(
        &self,
        key: &str,
        held: &crate::Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        self.transact(key, |current, _| {
            Ok(decide::complete(self.key_ttl, current, token, outcome, now))
        })
    }

    fn release(
        &self,
        key: &str,
        held: &crate::Held,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        self.transact(key, |current, _| Ok(decide::release(current, token)))
    }
}

/// Opens a [`SqliteStore`] over each location; see [`SqliteStore::factory`]
/// and [`SqliteStore::sim_factory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SqliteStoreFactory {
    key_ttl: Duration,
    synchronous: Synchronous,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Synchronous {
    Full,
    Off,
}

impl SqliteStoreFactory {
    /// The key TTL of the stores this factory opens.
    pub fn key_ttl(&self) -> Duration {
        self.key_ttl
    }
}

impl StoreFactory for SqliteStoreFactory {
    type Store = SqliteStore;

    fn open(&self, location: &StorageLocation) -> Result<SqliteStore, StoreError> {
        match self.synchronous {
            Synchronous::Full => SqliteStore::open(location, self.key_ttl),
            Synchronous::Off => SqliteStore::open_with(
                &location.dir().join(SQLITE_FILE_NAME),
                location.namespace(),
                self.key_ttl,
                "OFF",
            ),
        }
    }

    fn name(&self) -> String {
        match self.synchronous {
            Synchronous::Full => "sqlite reference store (durable, WAL, synchronous=FULL)",
            Synchronous::Off => "sqlite reference store (durable, WAL, synchronous=OFF)",
        }
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pragma(store: &SqliteStore, name: &str) -> String {
        let conn = store.lock().expect("lock");
        conn.query_row(&format!("PRAGMA {name}"), [], |row| {
            row.get::<_, rusqlite::types::Value>(0)
        })
        .map(|v| match v {
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Text(t) => t,
            other => format!("{other:?}"),
        })
        .expect("pragma")
    }

    #[test]
    fn reference_store_is_wal_and_synchronous_full() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = StorageLocation::new(dir.path(), "p");
        let store = SqliteStore::open(&location, Duration::from_secs(1)).expect("open");
        assert_eq!(pragma(&store, "journal_mode"), "wal");
        // 2 = FULL.
        assert_eq!(pragma(&store, "synchronous"), "2");
        let zoo = SqliteStore::open_with(store.path(), "z", Duration::from_secs(1), "NORMAL")
            .expect("open normal");
        // 1 = NORMAL.
        assert_eq!(pragma(&zoo, "synchronous"), "1");
        // The simulation store holds its file's lock: a file of its own.
        let sim_dir = tempfile::tempdir().expect("temporary directory");
        let sim_location = StorageLocation::new(sim_dir.path(), "s");
        let factory = SqliteStore::sim_factory(Duration::from_secs(1));
        let sim = factory.open(&sim_location).expect("open for simulation");
        assert_eq!(pragma(&sim, "journal_mode"), "wal");
        // 0 = OFF.
        assert_eq!(pragma(&sim, "synchronous"), "0");
        assert_eq!(pragma(&sim, "locking_mode"), "exclusive");
        let lease = Duration::from_secs(30);
        assert!(matches!(
            sim.begin("k", Fingerprint(1), VirtualTime(0), lease),
            Ok(Claim::Acquired(_))
        ));
        drop(sim);
        // A restart: dropped, reopened over the same file, the claim is kept.
        let sim = factory.open(&sim_location).expect("reopen");
        assert_eq!(
            sim.begin("k", Fingerprint(1), VirtualTime(1), lease),
            Ok(Claim::InProgress)
        );
        assert_ne!(
            SqliteStore::sim_factory(Duration::from_secs(1)).name(),
            SqliteStore::factory(Duration::from_secs(1)).name()
        );
    }

    #[test]
    fn end_all_leases_frees_only_in_progress_keys() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = StorageLocation::new(dir.path(), "p");
        let store = SqliteStore::open(&location, Duration::from_secs(100)).expect("open");
        let lease = Duration::from_secs(10);
        let fp = Fingerprint(1);
        let Ok(Claim::Acquired(done)) = store.begin("done", fp, VirtualTime(0), lease) else {
            panic!("fresh key")
        };
        let outcome = Outcome("ok".into());
        assert_eq!(
            store.complete(
                "done",
                &crate::Held::new(done, fp),
                &outcome,
                VirtualTime(1)
            ),
            Ok(Fenced::Accepted)
        );
        let Ok(Claim::Acquired(busy)) = store.begin("busy", fp, VirtualTime(0), lease) else {
            panic!("fresh key")
        };
        assert_eq!(store.end_all_leases(), Ok(1));
        let Ok(Claim::Acquired(taken)) = store.begin("busy", fp, VirtualTime(2), lease) else {
            panic!("the lease was ended")
        };
        assert!(taken > busy);
        assert_eq!(
            store.begin("done", fp, VirtualTime(2), lease),
            Ok(Claim::Completed(outcome))
        );
        assert_eq!(store.owned_fingerprint("busy", taken), Ok(Some(1)));
        assert_eq!(store.owned_fingerprint("busy", busy), Ok(None));
        assert_eq!(store.owned_fingerprint("done", done), Ok(None));
    }
}
