//! Stress mode: real threads (and tokio tasks) against real stores. The
//! reference stores pass; the check-then-insert and stale-token stores of the
//! zoo, and the broken Postgres store, are caught.

#![cfg(not(loom))]

use std::time::Duration;

use retry_check_harness::stores::zoo::Bug;
use retry_check_harness::stores::{MemoryStore, PostgresStore, SqliteStore};
use retry_check_harness::{Property, SimConfig, Stress};
use retry_check_test_support::postgres_url;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn pg_url(test: &str) -> Option<String> {
    postgres_url(test, "cargo test -p retry-check-harness --test stress")
}

#[test]
fn memory_store_passes_stress_without_restarts() {
    let report = Stress::new()
        .rounds(30)
        .restarts(false)
        .seed(1)
        .run_shared(&MemoryStore::factory(DAY))
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(report.rounds, 30);
    // Every key of every round is charged exactly once (some rounds draw
    // only one of the two keys).
    assert!(report.effects >= 30 + 30, "effects: {}", report.effects);
}

#[test]
fn memory_store_is_caught_across_restarts() {
    let failure = Stress::new()
        .rounds(5)
        .seed(1)
        .run_shared(&MemoryStore::factory(DAY))
        .expect_err("a volatile store forgets its records on restart");
    assert_eq!(failure.property, Property::AtMostOnce);
    assert_eq!(failure.round, 1);
    let text = failure.to_string();
    assert!(
        text.starts_with("stress mode: at_most_once broken in round 1 (seed 1)"),
        "{text}"
    );
    assert!(text.contains("the side effect ran 2 times"), "{text}");
}

#[test]
fn sqlite_store_passes_stress_shared_and_per_thread() {
    let factory = SqliteStore::factory(DAY);
    let shared = Stress::new()
        .rounds(8)
        .seed(2)
        .run_shared(&factory)
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(shared.rounds, 8);
    let per_thread = Stress::new()
        .rounds(8)
        .seed(3)
        .run_per_worker(&factory)
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(per_thread.effects >= 8);
}

#[test]
fn zoo_check_then_insert_is_caught() {
    let factory = Bug::NoInProgressRecord.factory(&SimConfig::default());
    let failure = Stress::new()
        .rounds(20)
        .seed(4)
        .run_shared(&factory)
        .expect_err("duplicates racing on a look-up both run the effect");
    assert_eq!(failure.property, Property::AtMostOnce, "{failure}");
}

#[test]
fn zoo_stale_token_store_is_caught() {
    let factory = Bug::StaleTokenAccepted.factory(&SimConfig::default());
    let failure = Stress::new()
        .rounds(3)
        .seed(5)
        .run_shared(&factory)
        .expect_err("the late owner's complete is accepted");
    assert_eq!(failure.property, Property::StaleOwnerFenced, "{failure}");
    assert_eq!(failure.round, 1);
    assert!(failure.detail.contains("late complete"), "{failure}");
}

#[test]
fn postgres_reference_store_passes_stress() {
    let Some(url) = pg_url("postgres_reference_store_passes_stress") else {
        return;
    };
    let factory = PostgresStore::factory(url, DAY);
    let report = Stress::new()
        .rounds(10)
        .seed(6)
        .run_async(&factory)
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(report.rounds, 10);
    assert!(report.effects >= 10);
    cleanup(&factory);
}

#[test]
fn broken_postgres_store_is_caught_by_stress() {
    let Some(url) = pg_url("broken_postgres_store_is_caught_by_stress") else {
        return;
    };
    // Five seeds, each caught within the budget; the figures are printed
    // (`-- --nocapture`) for BENCHMARKS.md.
    let mut rounds = Vec::new();
    for seed in 7..12 {
        let factory = PostgresStore::check_then_insert_factory(url.clone(), DAY);
        let result = Stress::new()
            .rounds(50)
            .keys(1)
            .seed(seed)
            .run_async(&factory);
        cleanup(&factory);
        let failure = result.expect_err("two racing claims both insert");
        assert_eq!(failure.property, Property::AtMostOnce, "{failure}");
        eprintln!(
            "broken postgres store, seed {seed}: caught in round {} of 50 after {:.2?}",
            failure.round, failure.elapsed
        );
        assert!(failure.elapsed > Duration::ZERO);
        rounds.push(failure.round);
    }
    eprintln!("broken postgres store: rounds to catch over 5 seeds: {rounds:?}");
}

fn cleanup(factory: &retry_check_harness::stores::PostgresStoreFactory) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(factory.drop_schemas()).expect("drop schemas");
}
