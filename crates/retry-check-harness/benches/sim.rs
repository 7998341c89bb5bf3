//! Sim-mode benchmark (`cargo bench -p retry-check-harness --bench sim`):
//!
//! 1. cases per second on the in-process reference store, crashes disabled
//!    (it is volatile across restarts by design), and on the durable SQLite
//!    reference store with every fault;
//! 2. for each store of the zoo, over 20 seeds with the default
//!    configuration and budget: cases and wall time to the first
//!    counterexample (time includes shrinking), the property reported, and
//!    the shrunk trace length (events and timeline lines).
//!
//! `SIM_BENCH_SEEDS=n` changes the number of seeds.

use std::time::{Duration, Instant};

use retry_check_harness::stores::zoo::Bug;
use retry_check_harness::stores::{MemoryStore, SqliteStore};
use retry_check_harness::{Sim, SimConfig, DEFAULT_CASES};

fn median<T: Copy + Ord>(v: &mut [T]) -> T {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let seeds: u64 = std::env::var("SIM_BENCH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);

    // 1. Throughput on the in-process reference store.
    let mut config = SimConfig::default();
    config.faults.crashes = false;
    let cases = 5000;
    let ttl = Duration::from_secs(24 * 3600);
    let start = Instant::now();
    let report = Sim::new(MemoryStore::factory(ttl))
        .config(config)
        .cases(cases)
        .seed(1)
        .run();
    let elapsed = start.elapsed();
    match report {
        Ok(r) => println!(
            "memory reference store, crashes off: {} cases, {} steps in {:.2?} = {:.0} cases/s, {:.0} steps/s",
            r.cases_run,
            r.steps_total,
            elapsed,
            f64::from(r.cases_run) / elapsed.as_secs_f64(),
            r.steps_total as f64 / elapsed.as_secs_f64()
        ),
        Err(cx) => {
            println!("FALSE ALARM on the memory reference store:\n{cx}");
            std::process::exit(1);
        }
    }

    // The durable reference store, every fault on (fsync-bound).
    let start = Instant::now();
    let report = Sim::new(SqliteStore::factory(ttl)).cases(300).seed(1).run();
    let elapsed = start.elapsed();
    match report {
        Ok(r) => println!(
            "sqlite reference store, all faults: {} cases in {:.2?} = {:.0} cases/s",
            r.cases_run,
            elapsed,
            f64::from(r.cases_run) / elapsed.as_secs_f64()
        ),
        Err(cx) => {
            println!("FALSE ALARM on the sqlite reference store:\n{cx}");
            std::process::exit(1);
        }
    }

    // 2. The zoo.
    println!();
    println!(
        "zoo, default config, budget {DEFAULT_CASES} cases, {seeds} seeds (time includes shrinking):"
    );
    println!(
        "| bug | caught | property (count) | cases to 1st: median / max | time: median / max | shrunk events: median / max | timeline lines: median / max |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut all_caught = true;
    for bug in Bug::ALL {
        let mut cases = Vec::new();
        let mut times = Vec::new();
        let mut events = Vec::new();
        let mut lines = Vec::new();
        let mut properties = std::collections::BTreeMap::<String, u32>::new();
        let mut caught = 0;
        for seed in 1..=seeds {
            let config = SimConfig {
                seed,
                ..SimConfig::default()
            };
            let factory = bug.factory(&config);
            let start = Instant::now();
            let result = Sim::new(factory).config(config).run();
            let t = start.elapsed();
            if let Err(cx) = result {
                caught += 1;
                cases.push(cx.cases_explored);
                times.push(t);
                events.push(cx.shrink.shrunk_events);
                lines.push(cx.timeline.len());
                *properties.entry(cx.property.to_string()).or_default() += 1;
            }
        }
        all_caught &= caught == seeds;
        let props: Vec<String> = properties
            .iter()
            .map(|(p, n)| format!("{p} ({n})"))
            .collect();
        if caught == 0 {
            println!("| {} | 0/{seeds} | - | - | - | - | - |", bug.name());
            continue;
        }
        let max_cases = *cases.iter().max().unwrap_or(&0);
        let max_time = *times.iter().max().unwrap_or(&Duration::ZERO);
        let max_events = *events.iter().max().unwrap_or(&0);
        let max_lines = *lines.iter().max().unwrap_or(&0);
        println!(
            "| {} | {caught}/{seeds} | {} | {} / {max_cases} | {:.0?} / {max_time:.0?} | {} / {max_events} | {} / {max_lines} |",
            bug.name(),
            props.join(", "),
            median(&mut cases),
            median(&mut times),
            median(&mut events),
            median(&mut lines),
        );
    }
    if !all_caught {
        println!("NOT every zoo bug was caught on every seed");
    }
}
