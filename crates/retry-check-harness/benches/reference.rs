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

use retry_check_harness::stores::{MemoryStore, PostgresStore, SqliteStore, PG_URL_ENV};
use retry_check_harness::{Jitter, Mode, Reconciler, Sim, SimConfig, StoreFactory};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// The configurations of `tests/reference_stores.rs::variants`, each with
/// the key TTL the store is opened with.
fn variants() -> Vec<(&'static str, SimConfig, Duration)> {
    let base = SimConfig::default();
    let window = base.schedule.retry_window.unwrap_or(DAY);
    let mut out = vec![("default", base.clone(), DAY)];
    let mut tight_ttl = base.clone();
    tight_ttl.key_ttl = Some(window);
    out.push(("ttl_equals_window", tight_ttl, window));
    let mut tight_lease = base.clone();
    tight_lease.lease = base.handler_time + Duration::from_millis(1);
    out.push(("lease_just_over_handler", tight_lease, DAY));
    let mut busy = base.clone();
    busy.reconciler = Some(Reconciler {
        every: Duration::from_secs(2),
        until: window,
    });
    busy.duplicates = 4;
    busy.operations = 3;
    busy.schedule.jitter = Jitter::Decorrelated;
    busy.schedule.deadline = None;
    busy.schedule.max_attempts = 6;
    out.push(("reconciler_and_crowd", busy, DAY));
    let mut exact = base;
    exact.schedule.jitter = Jitter::None;
    exact.schedule.initial_backoff = Duration::from_secs(1);
    exact.max_steps = 60;
    out.push(("no_jitter_long_schedule", exact, DAY));
    out
}

/// Every variant in turn; returns (cases, threaded rounds).
fn run<F, M>(label: &str, make: M, store_restarts: bool, cases: u32, seed_base: u64) -> (u64, u64)
where
    F: StoreFactory,
    F::Store: Send + Sync,
    M: Fn(Duration) -> F,
{
    let (mut total, mut rounds) = (0u64, 0u64);
    let all = Instant::now();
    for (i, (name, mut config, ttl)) in variants().into_iter().enumerate() {
        config.faults.store_restarts = store_restarts;
        let start = Instant::now();
        let result = Sim::new(make(ttl))
            .config(config)
            .cases(cases)
            .seed(seed_base + i as u64)
            .run();
        match result {
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
    if let Some(url) = std::env::var(PG_URL_ENV).ok().filter(|u| !u.is_empty()) {
        let pg_cases: u32 = std::env::var("REFERENCE_BENCH_PG_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(400);
        postgres(&url, pg_cases, 3_000);
    }
}
