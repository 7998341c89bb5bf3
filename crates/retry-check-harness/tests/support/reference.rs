//! What `tests/reference_stores.rs` and `benches/reference.rs` share
//! (each includes this file as a module): the configurations the
//! reference stores are simulated under, and one store's run through one
//! of them.

use std::time::Duration;

use retry_check_harness::{Jitter, Reconciler, Sim, SimConfig, SimReport, StoreFactory};

/// One day: the key TTL the reference stores are run with by default.
pub const DAY: Duration = Duration::from_secs(24 * 3600);

/// The configurations the reference stores are simulated under: the
/// default, and variants aimed at the boundaries a correct store must get
/// exactly right. Each with its name and the key TTL the store is opened
/// with.
pub fn variants() -> Vec<(&'static str, SimConfig, Duration)> {
    let base = SimConfig::default();
    let window = base.schedule.retry_window.unwrap_or(DAY);
    let mut out = vec![("default", base.clone(), DAY)];

    // A key TTL exactly as long as the retry window (the tightest TTL that
    // is still correct), with the clock jumping at it.
    let mut tight_ttl = base.clone();
    tight_ttl.key_ttl = Some(window);
    out.push(("ttl_equals_window", tight_ttl, window));

    // A lease one millisecond longer than the handler: the tightest lease
    // that still never expires in flight.
    let mut tight_lease = base.clone();
    tight_lease.lease = base.handler_time + Duration::from_millis(1);
    out.push(("lease_just_over_handler", tight_lease, DAY));

    // A reconciler re-driving the key for the whole window, more duplicates
    // and operations, decorrelated jitter, no deadline.
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

    // No jitter and long schedules: retries land exactly on boundaries.
    let mut exact = base;
    exact.schedule.jitter = Jitter::None;
    exact.schedule.initial_backoff = Duration::from_secs(1);
    exact.max_steps = 60;
    out.push(("no_jitter_long_schedule", exact, DAY));
    out
}

/// The store `make` opens (with the variant's key TTL) through `config`:
/// `cases` cases from `seed`, store restarts on or off; the counterexample
/// as text when there is one.
pub fn simulate<F, M>(
    make: &M,
    (mut config, ttl): (SimConfig, Duration),
    store_restarts: bool,
    cases: u32,
    seed: u64,
) -> Result<SimReport, String>
where
    F: StoreFactory,
    F::Store: Send + Sync,
    M: Fn(Duration) -> F,
{
    config.faults.store_restarts = store_restarts;
    Sim::new(make(ttl))
        .config(config)
        .cases(cases)
        .seed(seed)
        .run()
        .map_err(|cx| cx.to_string())
}
