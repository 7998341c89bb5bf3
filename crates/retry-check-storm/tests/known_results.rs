//! The known results of PRODUCT.md section 10: the ordering of the jitter
//! variants in Brooker's comparison, and 3 layers x 3 attempts = 27x.

use retry_check_storm::{simulate, Incident, Scenario};

fn load(text: &str) -> retry_check_contract::ContractSet {
    let (set, errors) = retry_check_contract::load_str("t.toml", text);
    assert!(errors.is_empty(), "{errors:?}");
    set
}

/// Brooker's experiment: a fleet that fails at the same instant, then
/// contends for a small capacity until every request gets through. Returns
/// (attempts, second at which the last retry arrived).
fn contention(jitter: &str) -> (u64, usize) {
    let set = load(&format!(
        r#"version = 1
[server.db]
capacity_per_sec = 200
[client.writers]
calls = ["db"]
fleet = {{ clients = 1000, rate_per_sec = 0.000001 }}
max_attempts = 100
backoff = {{ initial = "10ms", multiplier = 2.0, max = "60s", jitter = "{jitter}" }}
"#
    ));
    let scenario = Scenario {
        duration_ms: 300_000,
        incident: Incident::Outage,
        incident_start_ms: 1_000,
        incident_len_ms: 1,
        seed: 7,
        target: None,
    };
    let report = simulate(&set, &scenario).unwrap();
    let s = &report.runs.0.servers[0];
    let last = s.offered.iter().rposition(|&n| n > 0).unwrap_or(0);
    let total = &report.runs.0.roots[0];
    assert_eq!(total.exhausted, 0, "{jitter}: every writer gets through");
    (s.attempts(), last)
}

#[test]
fn jitter_ordering_matches_brookers_comparison() {
    let none = contention("none");
    let equal = contention("equal");
    let full = contention("full");
    let decorrelated = contention("decorrelated");
    eprintln!("none {none:?} equal {equal:?} full {full:?} decorrelated {decorrelated:?}");
    let jittered = [equal, full, decorrelated];
    // No jitter is the clear loser: the most work and the longest time.
    for j in jittered {
        assert!(none.0 > j.0, "work: {none:?} vs {j:?}");
        assert!(none.1 > 2 * j.1, "time: {none:?} vs {j:?}");
    }
    // "Full Jitter uses less work [than Decorrelated], but slightly more time."
    assert!(full.0 < decorrelated.0, "{full:?} vs {decorrelated:?}");
    assert!(decorrelated.1 <= full.1, "{full:?} vs {decorrelated:?}");
    // Known deviation: against a rate-limited server (a token bucket, not
    // Brooker's optimistic-concurrency contention) equal jitter does not
    // do more work than full jitter; the two stay within 10%.
    assert!(
        equal.0.abs_diff(full.0) * 10 < full.0,
        "{equal:?} vs {full:?}"
    );
}

#[test]
fn three_layers_of_three_attempts_are_27_at_the_bottom() {
    let set = load(
        r#"version = 1
[server.api]
capacity_per_sec = 1000000
[server.mid]
capacity_per_sec = 1000000
[server.bank]
capacity_per_sec = 1000000
[client.edge]
calls = ["api"]
fleet = { clients = 100, rate_per_sec = 1.0 }
max_attempts = 3
backoff = { initial = "10ms", jitter = "full" }
[client.api-mid]
runs_in = "api"
calls = ["mid"]
max_attempts = 3
backoff = { initial = "10ms", jitter = "full" }
[client.mid-bank]
runs_in = "mid"
calls = ["bank"]
max_attempts = 3
backoff = { initial = "10ms", jitter = "full" }
"#,
    );
    let scenario = Scenario {
        duration_ms: 60_000,
        incident_start_ms: 10_000,
        incident_len_ms: 40_000,
        ..Scenario::default()
    };
    let report = simulate(&set, &scenario).unwrap();
    let bank = report.servers.iter().find(|s| s.name == "bank").unwrap();
    let amp = bank.without.incident_amplification;
    assert!((26.0..=27.5).contains(&amp), "{amp}");
    // The fix (a budget at every layer) brings it down.
    assert!(
        bank.with_fix.incident_amplification < 3.0,
        "{:?}",
        bank.with_fix
    );
}

#[test]
fn same_seed_same_report_other_seed_other_numbers() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../contracts/broken/storm.toml"
    ))
    .unwrap();
    let set = load(&text);
    let run = |seed| {
        let sc = Scenario {
            seed,
            duration_ms: 60_000,
            ..Scenario::default()
        };
        let r = simulate(&set, &sc).unwrap();
        (
            retry_check_storm::json_summary(&r).to_string(),
            retry_check_storm::chart::svg(&r, &r.servers[0]).unwrap(),
        )
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3).0, run(4).0);
}
