//! Sim-mode benchmark (`cargo bench -p retry-check-harness --bench sim`):
//!
//! 1. cost per case of each mode: the in-process reference store (store
//!    restarts off: it is volatile by design) and the durable SQLite
//!    reference store (every fault) in the scenario mode, their threaded
//!    phase per round, and an async store at its await points (the
//!    PostgreSQL reference store too, when `RETRY_CHECK_PG_URL` is set);
//! 2. every store of the zoo, over `SIM_BENCH_SEEDS` seeds (default 100)
//!    with the default configuration and budget: cases (or threaded rounds)
//!    to the first counterexample, median and max, against a quarter of
//!    the default budget; the property and class reported; the shrunk
//!    trace (events, timeline lines).
//!
//! `SIM_BENCH_SEEDS=n` changes the number of seeds, `SIM_BENCH_BUGS=a,b`
//! runs only those zoo bugs, `SIM_BENCH_SEED_FROM=k` starts at seed `k`
//! (default 1), `SIM_BENCH_SKIP_COST=1` skips part 1,
//! `SIM_BENCH_SHOW=text` prints every counterexample whose property or
//! class contains `text` (to read the traces behind a row). Each seed's figures
//! are printed to stderr as it ends.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use retry_check_harness::stores::zoo::{Bug, Flavour};
use retry_check_harness::stores::{MemoryStore, PostgresStore, SqliteStore, REDIS_URL_ENV};
use retry_check_harness::{
    Mode, Sim, SimConfig, SimError, SimReport, DEFAULT_CASES, DEFAULT_THREAD_ROUNDS,
};
use retry_check_test_support::{pg_url, PG_URL_ENV};

fn median<T: Copy + Ord>(v: &mut [T]) -> T {
    v.sort();
    v[v.len() / 2]
}

fn per_case(
    label: &str,
    elapsed: Duration,
    n: u32,
    unit: &str,
    result: Result<SimReport, SimError>,
) {
    match result {
        Ok(r) => {
            let each = elapsed.as_secs_f64() * 1000.0 / f64::from(n.max(1));
            println!("| {label} | {n} {unit} | {elapsed:.2?} | {each:.2} ms |");
            for m in &r.modes {
                eprintln!("    {m}");
            }
        }
        Err(e) => {
            println!("FALSE ALARM on {label}:\n{e}");
            std::process::exit(1);
        }
    }
}

fn cost() {
    let ttl = Duration::from_secs(24 * 3600);
    println!("| mode, store | work | time | per case or round |");
    println!("|---|---|---|---|");
    let mut config = SimConfig::default();
    config.faults.store_restarts = false;
    let start = Instant::now();
    let r = Sim::new(MemoryStore::factory(ttl))
        .config(config.clone())
        .cases(2000)
        .seed(1)
        .threaded_rounds(0)
        .run();
    per_case(
        "scenarios, `MemoryStore` (store restarts off)",
        start.elapsed(),
        2000,
        "cases",
        r,
    );
    let start = Instant::now();
    let r = Sim::new(SqliteStore::sim_factory(ttl))
        .cases(500)
        .seed(1)
        .threaded_rounds(0)
        .run();
    per_case(
        "scenarios, `SqliteStore::sim_factory` (every fault)",
        start.elapsed(),
        500,
        "cases",
        r,
    );
    let start = Instant::now();
    let r = Sim::new(SqliteStore::factory(ttl))
        .cases(200)
        .seed(1)
        .threaded_rounds(0)
        .run();
    per_case(
        "scenarios, `SqliteStore::factory` (synchronous=FULL)",
        start.elapsed(),
        200,
        "cases",
        r,
    );
    let rounds = DEFAULT_THREAD_ROUNDS;
    let start = Instant::now();
    let r = Sim::new(MemoryStore::factory(ttl))
        .config(config)
        .cases(1)
        .seed(1)
        .threaded_rounds(rounds)
        .run();
    per_case(
        "threaded duplicates, `MemoryStore`",
        start.elapsed(),
        rounds,
        "rounds",
        r,
    );
    let start = Instant::now();
    let r = Sim::new(SqliteStore::sim_factory(ttl))
        .cases(1)
        .seed(1)
        .threaded_rounds(rounds)
        .run();
    per_case(
        "threaded duplicates, `SqliteStore::sim_factory`",
        start.elapsed(),
        rounds,
        "rounds",
        r,
    );
    if let Some(url) = pg_url() {
        let factory = PostgresStore::factory(url, ttl);
        let cleanup = factory.clone();
        let start = Instant::now();
        let r = Sim::new_async(factory).cases(200).seed(1).run();
        per_case(
            "await points, `PostgresStore` (every fault)",
            start.elapsed(),
            200,
            "cases",
            r,
        );
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            let _ = rt.block_on(cleanup.drop_schemas());
        }
    }
}

#[derive(Default)]
struct Row {
    cases: Vec<u32>,
    times: Vec<Duration>,
    events: Vec<usize>,
    lines: Vec<usize>,
    found: BTreeMap<String, u32>,
    missed: Vec<u64>,
    skipped: bool,
}

fn main() {
    let seeds: u64 = std::env::var("SIM_BENCH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    // The first seed (default 1): a run split over processes covers
    // `SIM_BENCH_SEED_FROM..SIM_BENCH_SEED_FROM + SIM_BENCH_SEEDS`.
    let from: u64 = std::env::var("SIM_BENCH_SEED_FROM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let only: Option<Vec<String>> = std::env::var("SIM_BENCH_BUGS")
        .ok()
        .map(|s| s.split(',').map(str::to_string).collect());
    let show: Option<String> = std::env::var("SIM_BENCH_SHOW").ok();
    if std::env::var_os("SIM_BENCH_SKIP_COST").is_none() {
        cost();
        println!();
    }
    println!(
        "zoo, default configuration, {seeds} seeds; quarter budget: {} cases, {} threaded rounds (time includes shrinking):",
        DEFAULT_CASES / 4,
        DEFAULT_THREAD_ROUNDS / 4
    );
    println!("| bug | mode | caught within 1/4 | found as (count) | cases to 1st: median / max | time: median / max | shrunk events: median / max | timeline lines: median / max |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut all = true;
    for bug in Bug::ALL {
        if only
            .as_ref()
            .is_some_and(|o| !o.iter().any(|b| b == bug.name()))
        {
            continue;
        }
        let mut row = Row::default();
        for seed in from..from + seeds {
            let config = SimConfig {
                seed,
                ..bug.sim_config()
            };
            let start = Instant::now();
            let Some(result) = bug.check(config) else {
                row.skipped = true;
                break;
            };
            let t = start.elapsed();
            match result {
                Err(SimError::Violation(cx)) => {
                    let quarter = match cx.mode {
                        Mode::Threads => DEFAULT_THREAD_ROUNDS / 4,
                        _ => DEFAULT_CASES / 4,
                    };
                    if cx.cases_explored > quarter {
                        row.missed.push(seed);
                    }
                    // Progress, per seed (a partial run still gives figures).
                    eprintln!(
                        "{bug} seed {seed}: {} cases, {t:.2?}, {} / {}, {} events, {} lines",
                        cx.cases_explored,
                        cx.property,
                        cx.violation.class,
                        cx.shrink.shrunk_events,
                        cx.timeline.len()
                    );
                    let found_as = format!("{} / {}", cx.property, cx.violation.class);
                    if show.as_ref().is_some_and(|s| found_as.contains(s.as_str())) {
                        eprintln!("{cx}");
                    }
                    row.cases.push(cx.cases_explored);
                    row.times.push(t);
                    row.events.push(cx.shrink.shrunk_events);
                    row.lines.push(cx.timeline.len());
                    *row.found
                        .entry(format!("{} / {}", cx.property, cx.violation.class))
                        .or_default() += 1;
                }
                Err(SimError::Harness(e)) => {
                    eprintln!("{bug} seed {seed}: {e}");
                    row.missed.push(seed);
                }
                Ok(_) => {
                    eprintln!("{bug} seed {seed}: passed the whole budget");
                    row.missed.push(seed)
                }
            }
        }
        if row.skipped {
            println!(
                "| {} | {} | skipped: no `{}` | | | | | |",
                bug.name(),
                bug.caught_by(),
                match bug.flavour() {
                    Flavour::Redis => REDIS_URL_ENV,
                    _ => PG_URL_ENV,
                }
            );
            continue;
        }
        all &= row.missed.is_empty();
        let caught = seeds as usize - row.missed.len();
        let found: Vec<String> = row
            .found
            .iter()
            .map(|(p, n)| format!("{p} ({n})"))
            .collect();
        if row.cases.is_empty() {
            println!(
                "| {} | {} | 0/{seeds} | - | - | - | - | - |",
                bug.name(),
                bug.caught_by()
            );
            continue;
        }
        let (mc, mt, me, ml) = (
            *row.cases.iter().max().unwrap_or(&0),
            *row.times.iter().max().unwrap_or(&Duration::ZERO),
            *row.events.iter().max().unwrap_or(&0),
            *row.lines.iter().max().unwrap_or(&0),
        );
        println!(
            "| {} | {} | {caught}/{seeds} | {} | {} / {mc} | {:.0?} / {mt:.0?} | {} / {me} | {} / {ml} |",
            bug.name(),
            bug.caught_by(),
            found.join(", "),
            median(&mut row.cases),
            median(&mut row.times),
            median(&mut row.events),
            median(&mut row.lines),
        );
        if !row.missed.is_empty() {
            eprintln!(
                "{bug}: not caught within a quarter of the budget on seeds {:?}",
                row.missed
            );
        }
    }
    if !all {
        println!("NOT every zoo bug was caught within a quarter of the budget on every seed");
    }
}
