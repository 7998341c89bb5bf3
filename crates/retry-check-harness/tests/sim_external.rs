//! A store whose data lives outside the process keeps everything across a
//! restart of the store: `External` (and `ExternalAsync`) give the harness
//! that picture without a registry of instances in the test.

use retry_check_harness::stores::{External, ExternalAsync, MemoryStore};
use retry_check_harness::{Sim, SimConfig, SimError};

#[path = "support/async_memory.rs"]
mod async_memory;
use async_memory::{AsyncMemoryFactory, DAY};

/// The default configuration: store restarts on.
fn config() -> SimConfig {
    let config = SimConfig::default();
    assert!(config.faults.store_restarts);
    config
}

#[test]
fn an_in_memory_store_forgets_on_a_restart_unless_it_is_external() {
    let forgets = Sim::new(MemoryStore::factory(DAY))
        .config(config())
        .seed(2)
        .threaded_rounds(0)
        .run();
    match forgets {
        // Whichever property breaks first: a lost record, a token issued
        // twice, a second execution.
        Err(SimError::Violation(cx)) => assert!(
            cx.timeline.render().contains("STORE RESTART"),
            "caught through a restart: {cx}"
        ),
        other => panic!("a restart that forgets every key must be caught: {other:?}"),
    }
    let report = Sim::new(External::new(MemoryStore::factory(DAY)))
        .config(config())
        .seed(2)
        .threaded_rounds(0)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(report.cases_run > 0);
}

#[test]
fn an_async_in_memory_store_forgets_on_a_restart_unless_it_is_external() {
    let forgets = Sim::new_async(AsyncMemoryFactory { tokio_clock: false })
        .config(config())
        .seed(2)
        .run();
    match forgets {
        // Whichever property breaks first: a lost record, a token issued
        // twice, a second execution.
        Err(SimError::Violation(cx)) => assert!(
            cx.timeline.render().contains("STORE RESTART"),
            "caught through a restart: {cx}"
        ),
        other => panic!("a restart that forgets every key must be caught: {other:?}"),
    }
    let report = Sim::new_async(
        ExternalAsync::new(AsyncMemoryFactory { tokio_clock: false }).named("async memory"),
    )
    .config(config())
    .seed(2)
    .run()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.store, "async memory");
}
