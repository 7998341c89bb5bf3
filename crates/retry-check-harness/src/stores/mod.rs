//! Reference stores shipped with the harness, and (behind the `zoo` feature)
//! a zoo of deliberately broken ones.
//!
//! - [`MemoryStore`]: in-process, correct under concurrency, **volatile
//!   across restarts** (a reopen starts empty).
//! - [`SqliteStore`]: durable (SQLite, WAL, `synchronous=FULL`), passes every
//!   property including node crashes and store restarts.
//! - [`PostgresStore`]: async, on a PostgreSQL server, every step one atomic
//!   statement (no lock held across an `.await`).
//! - [`RedisStore`]: async, on a Redis server, every step one Lua script;
//!   its store restart models Redis's `appendfsync` setting
//!   ([`Persistence`]).
//! - `zoo` (feature `zoo`): one broken store per classic idempotency bug,
//!   each documented with the property the harness reports against it and
//!   the mode that catches it.
//!
//! The reference stores apply the same rules (one shared decision module):
//! a record lives for the key TTL after its last write (claim, takeover or
//! completion) unless an owner's lease is still live; a lease is live while
//! `now < lease_until`; a live record with another fingerprint answers
//! `Mismatch`; an in-progress record whose lease ended is taken over with a
//! fresh token from an increasing counter (durable in SQLite, so tokens never
//! repeat even across restarts); only the current owner's token may complete
//! or release.
//!
//! # Example
//!
//! Model-check the durable store under every fault (a store author's test
//! looks the same, with their own factory):
//!
//! ```
//! use std::time::Duration;
//! use retry_check_harness::stores::SqliteStore;
//! use retry_check_harness::{Sim, SimConfig};
//!
//! let day = Duration::from_secs(24 * 3600);
//! let report = Sim::new(SqliteStore::factory(day))
//!     .config(SimConfig::default())
//!     .cases(32)
//!     .seed(7)
//!     .run()
//!     .expect("the reference store is never reported");
//! assert_eq!(report.cases_run, 32);
//! ```

mod decide;
mod external;
mod memory;
#[cfg(not(loom))]
mod postgres;
#[cfg(not(loom))]
mod redis;
mod sqlite;
#[cfg(feature = "zoo")]
pub mod zoo;

#[cfg(not(loom))]
pub use self::redis::{Persistence, RedisStore, RedisStoreFactory, REDIS_URL_ENV};
pub use external::{External, ExternalAsync};
pub use memory::{MemoryStore, MemoryStoreFactory};
#[cfg(not(loom))]
pub use postgres::{PostgresStore, PostgresStoreFactory, PG_URL_ENV};
pub use sqlite::{SqliteStore, SqliteStoreFactory, SQLITE_FILE_NAME};
