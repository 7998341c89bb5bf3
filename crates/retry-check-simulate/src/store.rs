//! The reference stores contract simulation runs against, all in process:
//! a case costs no database file, only memory.
//!
//! - A server whose contract declares a durable store runs against
//!   [`DurableModel`]: the harness's [`MemoryStore`] decisions (the same
//!   rules as the SQLite reference store), kept across a simulated restart.
//!   A simulated crash is a process crash; a durable store loses nothing
//!   committed in one, so reopening a location gives back the same records
//!   and the same token counter.
//! - A volatile store (`durability = "volatile"`, `kind = "memory"`) runs
//!   against [`MemoryStore`] itself, which starts empty after a restart.
//!
//! Replay files still name the durable store `sqlite`: `replay` re-runs
//! them on the SQLite reference store, and `tests/contracts.rs` checks
//! that both give the same trace for every counterexample of `contracts/`.

use std::sync::Arc;

use retry_check_harness::stores::{External, MemoryStore, MemoryStoreFactory, SqliteStore};
use retry_check_harness::{
    Partition, ReferenceStore, ReferenceStoreKind, Sim, SimConfig, SimError, SimReport,
    StorageLocation, StoreError, StoreFactory,
};

/// Opens the durable in-process store of a location: the harness's
/// [`External`] over [`MemoryStore`], so a restart of the store in a case
/// gets the same records (and token counter) back, and every case starts
/// empty.
pub struct DurableModel(External<MemoryStoreFactory, MemoryStore>);

impl DurableModel {
    /// A factory of stores whose records expire `key_ttl` after their last
    /// write.
    pub fn factory(key_ttl: std::time::Duration) -> Self {
        DurableModel(External::new(MemoryStore::factory(key_ttl)).named(DURABLE_MODEL_NAME))
    }
}

/// The name the durable model reports, in timelines and summaries.
pub const DURABLE_MODEL_NAME: &str = "in-process reference store (durable across restarts)";

impl StoreFactory for DurableModel {
    type Store = Arc<MemoryStore>;

    fn open(&self, location: &StorageLocation) -> Result<Arc<MemoryStore>, StoreError> {
        self.0.open(location)
    }

    fn reopen(&self, location: &StorageLocation) -> Result<Arc<MemoryStore>, StoreError> {
        self.0.reopen(location)
    }

    fn name(&self) -> String {
        self.0.name()
    }
}

/// The reference store a server's contract describes.
pub fn reference_kind(server: &retry_check_contract::Server) -> ReferenceStoreKind {
    use retry_check_contract::{Durability, StoreKind};
    let store = server.store.as_ref();
    let volatile = store
        .and_then(|s| s.durability.as_ref())
        .is_some_and(|d| d.value == Durability::Volatile)
        || store
            .and_then(|s| s.kind.as_ref())
            .is_some_and(|k| k.value == StoreKind::Memory);
    if volatile {
        ReferenceStoreKind::Memory
    } else {
        ReferenceStoreKind::Sqlite
    }
}

/// Run `config` (the cases of `partition`) against the in-process store
/// `store` describes.
pub fn run_sim(
    store: ReferenceStore,
    config: SimConfig,
    contract: Option<String>,
    partition: Partition,
) -> Result<SimReport, SimError> {
    fn go<F>(
        factory: F,
        config: SimConfig,
        contract: Option<String>,
        partition: Partition,
    ) -> Result<SimReport, SimError>
    where
        F: StoreFactory,
        F::Store: Send + Sync,
    {
        // The reference stores' claims are atomic: no threaded race hunt.
        let sim = Sim::new(factory)
            .config(config)
            .partition(partition)
            .threaded_rounds(0);
        match contract {
            Some(c) => sim.contract(c).run(),
            None => sim.run(),
        }
    }
    match store.kind {
        ReferenceStoreKind::Memory => go(
            MemoryStore::factory(store.key_ttl),
            config,
            contract,
            partition,
        ),
        ReferenceStoreKind::Sqlite => go(
            DurableModel::factory(store.key_ttl),
            config,
            contract,
            partition,
        ),
    }
}

/// Which durable store a replay of a durable server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurableReplay {
    /// [`DurableModel`], as the simulation ran it.
    InProcess,
    /// The SQLite reference store, which replay files name (`sqlite`) and
    /// a user can inspect; the in-process model answers exactly as it does.
    Sqlite,
}

/// Re-run one replay file on the store `store` describes: the volatile
/// in-memory store, or the durable one `durable` picks.
pub fn replay_on(
    store: ReferenceStore,
    durable: DurableReplay,
    file: &retry_check_harness::ReplayFile,
) -> Result<retry_check_harness::Trace, StoreError> {
    let ttl = store.key_ttl;
    match (store.kind, durable) {
        (ReferenceStoreKind::Memory, _) => {
            retry_check_harness::replay(MemoryStore::factory(ttl), file)
        }
        (ReferenceStoreKind::Sqlite, DurableReplay::InProcess) => {
            retry_check_harness::replay(DurableModel::factory(ttl), file)
        }
        (ReferenceStoreKind::Sqlite, DurableReplay::Sqlite) => {
            retry_check_harness::replay(SqliteStore::sim_factory(ttl), file)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retry_check_harness::{Claim, Fingerprint, IdempotencyStore, Outcome, VirtualTime};
    use std::time::Duration;

    #[test]
    fn a_reopened_location_keeps_its_records_and_a_new_one_starts_empty() {
        let factory = DurableModel::factory(Duration::from_secs(60));
        let lease = Duration::from_secs(5);
        let case1 = StorageLocation::new("/nonexistent/case_1", "case_1");
        let store = factory.open(&case1).expect("opens");
        let Claim::Acquired(token) = store
            .begin("k", Fingerprint(1), VirtualTime::ZERO, lease)
            .expect("begin")
        else {
            panic!("a fresh key is acquired");
        };
        store
            .complete(
                "k",
                &retry_check_harness::Held::new(token, Fingerprint(1)),
                &Outcome("done".into()),
                VirtualTime(10),
            )
            .expect("complete");
        drop(store); // the simulated crash
        let again = factory.reopen(&case1).expect("reopens");
        assert_eq!(
            again
                .begin("k", Fingerprint(1), VirtualTime(20), lease)
                .expect("begin"),
            Claim::Completed(Outcome("done".into())),
            "a durable store keeps a completed record across a restart"
        );
        drop(again);
        let case2 = StorageLocation::new("/nonexistent/case_2", "case_2");
        let fresh = factory.open(&case2).expect("opens");
        assert!(fresh.is_empty(), "another case starts empty");
        let restarted = factory.open(&case1).expect("opens");
        assert!(restarted.is_empty(), "a case opened anew starts empty");
    }
}
