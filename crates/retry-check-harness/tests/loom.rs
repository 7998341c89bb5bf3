//! Loom mode: `RUSTFLAGS="--cfg loom" cargo test --release -p
//! retry-check-harness --test loom` (CI runs it in its own target dir).
#![cfg(loom)]

use std::time::Duration;

use retry_check_harness::loom_mode::{check, CheckThenInsertStore, LoomConfig};
use retry_check_harness::stores::MemoryStore;

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
