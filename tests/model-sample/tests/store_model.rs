//! The harness tests `cargo retry-check model` runs (seed, cases, partition
//! and the replay directory come from the environment it sets). Sim mode
//! is not for `--cfg loom` builds (`tests/store_loom.rs` is).
#![cfg(not(loom))]

use retry_check_harness::stores::MemoryStore;
use retry_check_harness::{Faults, Sim, SimConfig, StorageLocation};

use model_sample::CheckThenInsertStore;

fn config() -> SimConfig {
    SimConfig {
        // Both stores are in memory: a restart of the store would forget
        // every record (node crashes are fine: the store lives on).
        faults: Faults {
            store_restarts: false,
            ..Faults::all()
        },
        ..SimConfig::default()
    }
}

#[test]
fn check_then_insert_store_keeps_at_most_once() {
    Sim::new(|at: &StorageLocation| CheckThenInsertStore::open(at))
        .config(config())
        .check();
}

#[test]
fn memory_store_keeps_at_most_once() {
    let ttl = config().key_ttl.unwrap_or_default();
    Sim::new(MemoryStore::factory(ttl)).config(config()).check();
}
