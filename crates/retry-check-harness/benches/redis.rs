//! The Redis stores, run by hand (`bash .ci/redis.sh cargo bench -p
//! retry-check-harness --bench redis`; needs `RETRY_CHECK_REDIS_URL`):
//!
//! 1. no false alarm: the reference store (`appendfsync always`, every
//!    fault, at its await points) through `REDIS_BENCH_CASES` sim cases
//!    (default 20,000) in runs of 2,000 on consecutive seeds;
//! 2. the zoo's `redis_get_then_set` with the default configuration and
//!    budget on seeds 1..=`REDIS_BENCH_SEEDS` (default 20): cases to the
//!    first counterexample per seed;
//! 3. the reference store under `appendfsync everysec` on the same seeds:
//!    cases to the first counterexample (what losing the last second of
//!    acknowledged writes on a restart does to at-most-once).
//!
//! A report on the reference store under `always` is a false alarm: it is
//! printed and the run exits non-zero.

use std::time::Instant;

use retry_check_harness::stores::zoo::Bug;
use retry_check_harness::stores::{Persistence, RedisStore, REDIS_URL_ENV};
use retry_check_harness::{Sim, SimConfig, SimError, SimReport};

const RUN: u32 = 2_000;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn drop_keys(factory: &retry_check_harness::stores::RedisStoreFactory) {
    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        let _ = rt.block_on(factory.drop_keys());
    }
}

fn no_false_alarm(url: &str, cases: u64) {
    let day = std::time::Duration::from_secs(24 * 3600);
    println!("| run | seed | cases | time | result |");
    println!("|---|---|---|---|---|");
    let (all, mut total) = (Instant::now(), 0u64);
    let mut seed = 1u64;
    while total < cases {
        let n = u32::try_from((cases - total).min(u64::from(RUN))).unwrap_or(RUN);
        let factory = RedisStore::factory(url, day);
        let start = Instant::now();
        let result = Sim::new_async(factory.clone())
            .config(SimConfig::default())
            .cases(n)
            .seed(seed)
            .run();
        drop_keys(&factory);
        match result {
            Ok(report) => {
                println!(
                    "| reference, appendfsync always | {seed} | {} | {:.2?} | pass |",
                    report.cases_run,
                    start.elapsed()
                );
                eprintln!("{report}");
                total += u64::from(report.cases_run);
            }
            Err(e) => {
                println!("FALSE ALARM on the redis reference store (seed {seed}):\n{e}");
                std::process::exit(1);
            }
        }
        seed += 1;
    }
    println!(
        "| reference, appendfsync always | all | {total} | {:.2?} | no false alarm |",
        all.elapsed()
    );
}

/// Cases to the first counterexample per seed, with what was found.
fn to_first_failure(
    label: &str,
    seeds: u64,
    run: impl Fn(SimConfig) -> Result<SimReport, SimError>,
) {
    println!();
    println!("{label}, default configuration and budget:");
    println!("| seed | cases to 1st failure | found as | shrunk timeline lines | time |");
    println!("|---|---|---|---|---|");
    let mut cases = Vec::new();
    for seed in 1..=seeds {
        let start = Instant::now();
        match run(SimConfig {
            seed,
            ..SimConfig::default()
        }) {
            Err(SimError::Violation(cx)) => {
                println!(
                    "| {seed} | {} | {} / {} | {} | {:.2?} |",
                    cx.cases_explored,
                    cx.property,
                    cx.violation.class,
                    cx.timeline.len(),
                    start.elapsed()
                );
                cases.push(cx.cases_explored);
            }
            Err(SimError::Harness(e)) => println!("| {seed} | harness error: {e} | | | |"),
            Ok(r) => println!("| {seed} | not caught in {} cases | | | |", r.cases_run),
        }
    }
    cases.sort_unstable();
    if let (Some(max), false) = (cases.last(), cases.is_empty()) {
        println!(
            "caught on {}/{seeds} seeds; cases to the first failure: median {}, max {max}",
            cases.len(),
            cases[cases.len() / 2]
        );
    }
}

fn main() {
    let Some(url) = std::env::var(REDIS_URL_ENV).ok().filter(|u| !u.is_empty()) else {
        println!("skipped: {REDIS_URL_ENV} is not set (bash .ci/redis.sh cargo bench -p retry-check-harness --bench redis)");
        return;
    };
    let cases = env_number("REDIS_BENCH_CASES", 20_000);
    let seeds = env_number("REDIS_BENCH_SEEDS", 20);
    no_false_alarm(&url, cases);
    to_first_failure("zoo `redis_get_then_set`", seeds, |config| {
        Bug::RedisGetThenSet
            .check(config)
            .unwrap_or_else(|| Ok(SimReport::default()))
    });
    to_first_failure("reference store, appendfsync everysec", seeds, |config| {
        let day = std::time::Duration::from_secs(24 * 3600);
        let factory = RedisStore::factory(url.as_str(), day).persistence(Persistence::EverySec);
        let result = Sim::new_async(factory.clone()).config(config).run();
        drop_keys(&factory);
        result
    });
}
