//! No-false-alarm budget for the reference stores, run by hand, not by CI
//! (`cargo bench -p retry-check-harness --bench reference`): each store
//! through the five configurations of `tests/reference_stores.rs` (the
//! default and four boundary variants), `REFERENCE_BENCH_CASES` cases each
//! (default 4,000: 20,000 per store), with the default threaded phase.
//! `MemoryStore` runs with store restarts off (it is volatile by design),
//! `SqliteStore::factory` (WAL, `synchronous=FULL`) with every fault.
//! With `RETRY_CHECK_PG_URL` set, the PostgreSQL reference store runs the
//! same five configurations at its await points, every fault,
//! `REFERENCE_BENCH_PG_CASES` cases each (default 400: 2,000 in all).
//! A report is a false alarm: it is printed and the run exits non-zero.

use std::time::{Duration, Instant};

use retry_check_harness::stores::{MemoryStore, PostgresStore, SqliteStore};
use retry_check_harness::{Mode, Sim, StoreFactory};
use retry_check_test_support::pg_url;

#[path = "../tests/support/reference.rs"]
mod reference;

use reference::{simulate, variants};

/// Every variant in turn; returns (cases, threaded rounds).
fn run<F, M>(label: &str, make: M, store_restarts: bool, cases: u32, seed_base: u64) -> (u64, u64)
where
    F: StoreFactory,
    F::Store: Send + Sync,
    M: Fn(Duration) -> F,
{
    let (mut total, mut rounds) = (0u64, 0u64);
    let all = Instant::now();
    for (i, (name, config, ttl)) in variants().into_iter().enumerate() {
        let start = Instant::now();
        match simulate(
            &make,
            (config, ttl),
            store_restarts,
            cases,
            seed_base + i as u64,
        ) {
            Ok(report) => {
                let threaded: u64 = report
                    .modes
                    .iter()
                    .filter(|m| m.mode == Mode::Threads)
                    .map(|m| u64::from(m.cases))
                    .sum();
                println!(
                    "| {label} | {name} | {} cases + {threaded} threaded rounds | {:.2?} | pass |",
                    report.cases_run,
                    start.elapsed()
                );
                total += u64::from(report.cases_run);
                rounds += threaded;
            }
            Err(e) => {
                println!("FALSE ALARM on {label} ({name}):\n{e}");
                std::process::exit(1);
            }
        }
    }
    println!(
        "| {label} | all | {total} cases + {rounds} threaded rounds | {:.2?} | no false alarm |",
        all.elapsed()
    );
    (total, rounds)
}

/// The PostgreSQL reference store through every variant, at its await
/// points; its schemas are dropped afterwards.
fn postgres(url: &str, cases: u32, seed_base: u64) {
    let label = "`PostgresStore::factory` (await points, every fault)";
    let (mut total, all) = (0u64, Instant::now());
    let mut factories = Vec::new();
    for (i, (name, config, ttl)) in variants().into_iter().enumerate() {
        let factory = PostgresStore::factory(url, ttl);
        factories.push(factory.clone());
        let start = Instant::now();
        match Sim::new_async(factory)
            .config(config)
            .cases(cases)
            .seed(seed_base + i as u64)
            .run()
        {
            Ok(report) => {
                println!(
                    "| {label} | {name} | {} cases | {:.2?} | pass |",
                    report.cases_run,
                    start.elapsed()
                );
                total += u64::from(report.cases_run);
            }
            Err(e) => {
                println!("FALSE ALARM on {label} ({name}):\n{e}");
                std::process::exit(1);
            }
        }
    }
    println!(
        "| {label} | all | {total} cases | {:.2?} | no false alarm |",
        all.elapsed()
    );
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        for factory in factories {
            let _ = rt.block_on(factory.drop_schemas());
        }
    }
}

fn main() {
    let cases: u32 = std::env::var("REFERENCE_BENCH_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4_000);
    println!("| store | configuration | work | time | result |");
    println!("|---|---|---|---|---|");
    run(
        "`MemoryStore` (store restarts off)",
        MemoryStore::factory,
        false,
        cases,
        1_000,
    );
    run(
        "`SqliteStore::factory` (every fault)",
        SqliteStore::factory,
        true,
        cases,
        2_000,
    );
    if let Some(url) = pg_url() {
        let pg_cases: u32 = std::env::var("REFERENCE_BENCH_PG_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(400);
        postgres(&url, pg_cases, 3_000);
    }
}
