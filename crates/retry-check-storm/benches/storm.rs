//! `cargo bench -p retry-check-storm`: 10,000 clients through a 10-minute
//! scenario (a 60-second outage), both runs (as written and with the fix).

use std::time::Instant;

use retry_check_storm::{simulate, Scenario};

const CONTRACT: &str = r#"version = 1
[server.api]
capacity_per_sec = 30000
max_load_factor = 2.0
[client.fleet]
calls = ["api"]
fleet = { clients = 10000, rate_per_sec = 2.0 }
max_attempts = 4
deadline = "10s"
backoff = { initial = "200ms", multiplier = 2.0, max = "2s", jitter = "none" }
retry_on = ["UNAVAILABLE"]
"#;

fn main() {
    let (set, errors) = retry_check_contract::load_str("bench.toml", CONTRACT);
    assert!(errors.is_empty(), "{errors:?}");
    let scenario = Scenario {
        duration_ms: 600_000,
        incident_start_ms: 120_000,
        incident_len_ms: 60_000,
        ..Scenario::default()
    };
    let mut best = f64::MAX;
    let mut events = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let report = simulate(&set, &scenario).expect("simulates");
        best = best.min(t.elapsed().as_secs_f64());
        events = report.runs.0.events + report.runs.1.events;
        std::hint::black_box(&report);
    }
    println!(
        "storm: 10,000 clients x 10 min (2 runs, {events} events): best of 3 {best:.2}s ({:.1} M events/s)",
        events as f64 / best / 1e6
    );
}
