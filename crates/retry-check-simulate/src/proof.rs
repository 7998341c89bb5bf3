//! Which rule a counterexample proves, and the finding that shows it.

use retry_check_diagnostics::{Lint, Span};
use retry_check_harness::stores::SqliteStore;
use retry_check_harness::{Counterexample, ReferenceStore, ReplayFile, ViolationClass};
use retry_check_rules::rules::{
    rc001_key_ttl_shorter_than_retry_window, rc022_lease_shorter_than_handler,
    rc027_volatile_key_store,
};
use retry_check_rules::Finding;

use crate::pairs::Pair;
use crate::SIMULATED_VIOLATION;

/// Is a counterexample found on the volatile store the RC027 gap: a record
/// lost on a crash? Either the oracle says so, or the durable store passes
/// the same shrunk scenario (a lost record also lets a changed payload in,
/// so the property reported may be another one).
pub(crate) fn volatile_gap(
    cx: &Counterexample,
    replay: &ReplayFile,
    store: ReferenceStore,
) -> Result<bool, String> {
    if cx.violation.class == ViolationClass::RecordLostOnCrash {
        return Ok(true);
    }
    if matches!(
        cx.violation.class,
        ViolationClass::RecordExpiredInWindow | ViolationClass::LeaseExpiredInFlight
    ) {
        return Ok(false);
    }
    let durable = retry_check_harness::replay(SqliteStore::sim_factory(store.key_ttl), replay)
        .map_err(|e| format!("re-running a counterexample on the durable store failed: {e}"))?;
    Ok(durable.violation.is_none())
}

/// The lint rule a counterexample proves, with the span the gap comes from.
fn classify(
    pair: &Pair<'_>,
    volatile_gap: bool,
    class: ViolationClass,
) -> (&'static Lint, Span, String) {
    let server = pair.server;
    match class {
        ViolationClass::RecordExpiredInWindow => {
            if let Some(ttl) = &server.key_ttl {
                return (
                    rc001_key_ttl_shorter_than_retry_window::RULE.lint,
                    ttl.span.clone(),
                    format!("records expire after {}", ttl.value),
                );
            }
        }
        ViolationClass::LeaseExpiredInFlight => {
            if let Some(lease) = &server.in_progress_lease {
                return (
                    rc022_lease_shorter_than_handler::RULE.lint,
                    lease.span.clone(),
                    format!("the lease ends after {}", lease.value),
                );
            }
        }
        _ if volatile_gap => {
            let span = server
                .store
                .as_ref()
                .map_or_else(|| server.name.span.clone(), |s| s.span.clone());
            return (
                rc027_volatile_key_store::RULE.lint,
                span,
                "records live in volatile memory".to_string(),
            );
        }
        _ => {}
    }
    (
        &SIMULATED_VIOLATION,
        pair.client.name.span.clone(),
        "the simulated client".to_string(),
    )
}

/// A counterexample as a finding of the rule it proves.
pub(crate) fn finding(
    pair: &Pair<'_>,
    volatile_gap: bool,
    cx: &Counterexample,
    replay_path: &str,
) -> (&'static Lint, Finding) {
    let (lint, span, label) = classify(pair, volatile_gap, cx.violation.class);
    let mut f = Finding::new(
        format!(
            "simulating `{}` -> `{}` violates `{}`: {}",
            pair.client_name(),
            pair.server_name(),
            cx.property,
            cx.violation.class
        ),
        span.clone(),
        label,
    );
    if span != pair.client.name.span {
        f = f.secondary(pair.client.name.span.clone(), "the simulated client");
    }
    let mut timeline = format!(
        "counterexample (seed {}, {}):\n{}",
        cx.seed,
        cx.store,
        cx.timeline.render().trim_end()
    );
    if !cx.violation.because.is_empty() {
        timeline.push_str("\nbecause:");
        for b in &cx.violation.because {
            timeline.push_str("\n  - ");
            timeline.push_str(b);
        }
    }
    let [client_item, server_item] = pair.items;
    let f = f
        .note(timeline)
        .help(format!(
            "re-run it step by step: cargo retry-check replay {replay_path}"
        ))
        // The markdown report draws it, as `replay --format markdown` does.
        .diagram(cx.timeline.to_mermaid())
        .item(client_item)
        .item(server_item);
    (lint, f)
}
