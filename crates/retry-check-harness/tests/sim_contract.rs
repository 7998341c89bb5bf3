//! Contract simulation: a configuration read from a contract file, run
//! against the reference stores. A clean contract passes; a contract gap
//! (a key TTL shorter than a retry window, a lease shorter than the
//! handler) is proven with a concrete trace even though the store is
//! correct.

use std::path::PathBuf;
use std::time::Duration;

use retry_check_contract::load_str;
use retry_check_harness::stores::{MemoryStore, SqliteStore};
use retry_check_harness::{Property, Sim, SimConfig, ViolationClass};

fn contract(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config(text: &str, client: &str, server: &str) -> SimConfig {
    let (set, errors) = load_str("contract.toml", text);
    assert!(errors.is_empty(), "{errors:?}");
    SimConfig::from_contract(&set, client, server).expect("the pair maps")
}

fn ttl(config: &SimConfig) -> Duration {
    config.key_ttl.unwrap_or(Duration::from_secs(24 * 3600))
}

#[test]
fn the_clean_payments_contract_passes_on_the_reference_stores() {
    let c = config(&contract("payments.toml"), "checkout", "payments");
    assert!(c.reconciler.is_some(), "the reconciler is simulated");
    let sqlite = Sim::new(SqliteStore::factory(ttl(&c)))
        .config(c.clone())
        .cases(100)
        .seed(1)
        .run();
    if let Err(cx) = sqlite {
        panic!("false alarm:\n{cx}");
    }
    let mut volatile = c.clone();
    volatile.faults.store_restarts = false;
    let memory = Sim::new(MemoryStore::factory(ttl(&c)))
        .config(volatile)
        .cases(500)
        .seed(2)
        .run();
    if let Err(cx) = memory {
        panic!("false alarm:\n{cx}");
    }
}

/// RC001: the ledger keeps keys 1 h, the reconciler retries for 72 h. The
/// correct reference store, honouring that TTL, runs the charge twice.
#[test]
fn a_key_ttl_shorter_than_the_retry_window_is_proven_with_a_trace() {
    let text = contract("broken/rc001_key_ttl_shorter_than_retry_window.toml");
    let mut c = config(&text, "rc001-settlement-reconciler", "rc001-ledger");
    assert_eq!(c.key_ttl, Some(Duration::from_secs(3600)));
    assert_eq!(
        c.schedule.retry_window,
        Some(Duration::from_secs(72 * 3600))
    );
    c.faults.store_restarts = false;
    let sim = Sim::new(MemoryStore::factory(ttl(&c)))
        .config(c)
        .contract("rc001: rc001-settlement-reconciler -> rc001-ledger");
    let cx = match sim.seed(3).run() {
        Ok(report) => panic!("the gap was not found: {report}"),
        Err(e) => e.expect_violation(),
    };
    assert_eq!(cx.property, Property::AtMostOnce, "{cx}");
    assert_eq!(
        cx.violation.class,
        ViolationClass::RecordExpiredInWindow,
        "{cx}"
    );
    let text = cx.to_string();
    assert!(text.contains("key TTL"), "the jump is named:\n{text}");
    assert!(
        text.contains("contract:  rc001: rc001-settlement-reconciler -> rc001-ledger"),
        "{text}"
    );
}

/// RC022: a 5 s lease for a handler that may take 30 s. A duplicate takes
/// the key over from a live owner: the effect runs twice.
#[test]
fn a_lease_shorter_than_the_handler_is_proven_with_a_trace() {
    let text = contract("broken/rc022_lease_shorter_than_handler.toml")
        + r#"
[client.web]
calls = ["rc022-payments.Charge"]
max_attempts = 3
deadline = "60s"
per_attempt_timeout = "20s"
backoff = { initial = "1s", multiplier = 2.0, jitter = "full" }
idempotency_key = { reused_across_retries = true }
"#;
    let c = config(&text, "web", "rc022-payments");
    assert!(c.lease < c.handler_time);
    let cx = match Sim::new(SqliteStore::factory(ttl(&c)))
        .config(c)
        .seed(4)
        .run()
    {
        Ok(report) => panic!("the gap was not found: {report}"),
        Err(e) => e.expect_violation(),
    };
    assert_eq!(cx.property, Property::AtMostOnce, "{cx}");
    assert_eq!(
        cx.violation.class,
        ViolationClass::LeaseExpiredInFlight,
        "{cx}"
    );
}
