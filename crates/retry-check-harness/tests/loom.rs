//! Loom mode: `RUSTFLAGS="--cfg loom" cargo test --release -p
//! retry-check-harness --test loom` (CI runs it in its own target dir).
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use retry_check_harness::loom_mode::{check, CheckThenInsertStore, LoomConfig};
use retry_check_harness::stores::zoo::{Bug, ZooStore};
use retry_check_harness::stores::MemoryStore;
use retry_check_harness::{SimConfig, StorageLocation, StoreFactory};

const DAY: Duration = Duration::from_secs(24 * 3600);

#[test]
fn memory_store_two_duplicates_exhaustive() {
    let config = LoomConfig {
        preemption_bound: None,
        ..LoomConfig::default()
    };
    let report = check(config, || MemoryStore::new(DAY));
    eprintln!(
        "memory store, 2 duplicates, exhaustive: {} interleavings in {:?}",
        report.interleavings, report.elapsed
    );
    assert!(report.interleavings > 1);
}

#[test]
fn memory_store_two_duplicates_with_crash() {
    let config = LoomConfig {
        crash: true,
        ..LoomConfig::default()
    };
    let report = check(config, || MemoryStore::new(DAY));
    assert!(report.interleavings > 1);
}

#[test]
fn memory_store_three_duplicates_bound_two() {
    let config = LoomConfig {
        duplicates: 3,
        ..LoomConfig::default()
    };
    let report = check(config, || MemoryStore::new(DAY));
    eprintln!(
        "memory store, 3 duplicates, preemption bound 2: {} interleavings in {:?}",
        report.interleavings, report.elapsed
    );
    assert!(report.interleavings > 1);
}

#[test]
fn check_then_insert_store_fails_under_loom() {
    let result =
        std::panic::catch_unwind(|| check(LoomConfig::default(), CheckThenInsertStore::default));
    let panic = result.expect_err("two duplicates both find no record");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.starts_with("loom mode: at_most_once broken"),
        "{message}"
    );
    assert!(message.contains("h1  begin(op1) -> Acquired"), "{message}");
    assert!(message.contains("h2  begin(op1) -> Acquired"), "{message}");
}

/// A fresh store of one zoo bug per interleaving (its own namespace in one
/// temporary directory, so every interleaving starts empty).
fn zoo(bug: Bug) -> impl Fn() -> ZooStore + Send + Sync + 'static {
    let dir = Arc::new(tempfile::tempdir().expect("temporary directory"));
    let factory = bug.factory(&SimConfig::default());
    let next = AtomicUsize::new(0);
    move || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let location = StorageLocation::new(dir.path(), format!("loom_{n:06}"));
        factory.open(&location).expect("open a zoo store")
    }
}

fn takeover() -> LoomConfig {
    LoomConfig {
        takeover: true,
        ..LoomConfig::default()
    }
}

/// The clock jumps past the lease at every possible point: the reference
/// store hands the key over and refuses the stale owner's `complete`.
#[test]
fn memory_store_fences_stale_owners_under_takeover() {
    let report = check(takeover(), || MemoryStore::new(DAY));
    eprintln!(
        "memory store, 2 duplicates + clock, takeover, preemption bound 2: \
         {} interleavings in {:?}",
        report.interleavings, report.elapsed
    );
    assert!(report.interleavings > 1);
    // Unbounded, three threads do not finish in minutes; bound 3 does.
    let deeper = check(
        LoomConfig {
            preemption_bound: Some(3),
            ..takeover()
        },
        || MemoryStore::new(DAY),
    );
    eprintln!(
        "memory store, 2 duplicates + clock, takeover, preemption bound 3: \
         {} interleavings in {:?}",
        deeper.interleavings, deeper.elapsed
    );
    assert!(deeper.interleavings > report.interleavings);
}

#[test]
fn memory_store_with_crash_and_takeover() {
    let config = LoomConfig {
        crash: true,
        ..takeover()
    };
    let report = check(config, || MemoryStore::new(DAY));
    assert!(report.interleavings > 1);
}

/// The zoo's stale-token store (leases and takeovers right, `complete`
/// accepts any token) passes without a takeover and fails with one.
#[test]
fn zoo_stale_token_store_fails_under_loom() {
    let calm = check(LoomConfig::default(), zoo(Bug::StaleTokenAccepted));
    assert!(calm.interleavings > 1, "no lease ends: nothing to fence");

    let start = Instant::now();
    let result = std::panic::catch_unwind(|| check(takeover(), zoo(Bug::StaleTokenAccepted)));
    let elapsed = start.elapsed();
    let panic = result.expect_err("the stalled owner's complete is accepted");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    let found_in = message
        .split("(interleaving #")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or("?");
    eprintln!("zoo stale-token store caught in interleaving #{found_in} after {elapsed:?}");
    assert!(
        message.starts_with("loom mode: stale_owner_fenced broken: h1's complete with token#1"),
        "{message}"
    );
    assert!(
        message.contains("h1  begin(op1) at t=0.000s -> Acquired(token#1)"),
        "{message}"
    );
    assert!(message.contains("env  clock -> t=30.001s"), "{message}");
    assert!(
        message.contains("h2  begin(op1) at t=30.001s -> Acquired(token#2)"),
        "{message}"
    );
    // h1 may have read the clock before the jump: its `complete` then says
    // t=0.000s, and is no less stale.
    let stale = message
        .lines()
        .find(|l| l.contains("h1  complete(op1, token#1) at t="))
        .unwrap_or_default();
    assert!(stale.ends_with("-> Accepted"), "{message}");
}
