//! The rule catalog: one file per rule.
use crate::{Context, Finding, Rule};
mod rc001_key_ttl_shorter_than_retry_window;
mod rc002_retry_without_idempotency_key;
mod rc003_retry_on_permanent_code;
mod rc004_retry_on_doubtful_code;
mod rc005_retry_on_client_error;
mod rc006_too_many_attempts;
mod rc007_invalid_attempts;
mod rc008_no_backoff;
mod rc009_backoff_bounds_inverted;
mod rc010_no_backoff_cap;
mod rc011_bad_multiplier;
mod rc012_no_jitter;
mod rc013_unbounded_retries;
mod rc014_no_deadline;
mod rc015_per_attempt_timeout_ineffective;
mod rc016_unreachable_attempts;
mod rc017_no_retry_budget;
mod rc018_budget_too_generous;
mod rc019_retry_amplification;
mod rc020_ignores_retry_after;
mod rc021_no_in_progress_state;
mod rc022_lease_shorter_than_handler;
mod rc023_child_deadline_exceeds_parent;
mod rc024_no_fingerprint;
mod rc025_nonstandard_idempotency_status;
mod rc026_key_optional_for_unsafe_op;
mod rc027_volatile_key_store;
mod rc028_key_not_scoped;
mod rc029_no_exhausted_state;
mod rc030_hedging_non_idempotent;
mod rc031_unknown_reference;
mod rc032_breaker_counts_client_errors;
mod rc033_breaker_open_shorter_than_backoff;
mod rc034_storm_overload;
mod rc035_retry_herd;
mod rc036_unbounded_storm_amplification;
mod rc099_unused_suppression;

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &rc001_key_ttl_shorter_than_retry_window::RULE,
    &rc002_retry_without_idempotency_key::RULE,
    &rc003_retry_on_permanent_code::RULE,
    &rc004_retry_on_doubtful_code::RULE,
    &rc005_retry_on_client_error::RULE,
    &rc006_too_many_attempts::RULE,
    &rc007_invalid_attempts::RULE,
    &rc008_no_backoff::RULE,
    &rc009_backoff_bounds_inverted::RULE,
    &rc010_no_backoff_cap::RULE,
    &rc011_bad_multiplier::RULE,
    &rc012_no_jitter::RULE,
    &rc013_unbounded_retries::RULE,
    &rc014_no_deadline::RULE,
    &rc015_per_attempt_timeout_ineffective::RULE,
    &rc016_unreachable_attempts::RULE,
    &rc017_no_retry_budget::RULE,
    &rc018_budget_too_generous::RULE,
    &rc019_retry_amplification::RULE,
    &rc020_ignores_retry_after::RULE,
    &rc021_no_in_progress_state::RULE,
    &rc022_lease_shorter_than_handler::RULE,
    &rc023_child_deadline_exceeds_parent::RULE,
    &rc024_no_fingerprint::RULE,
    &rc025_nonstandard_idempotency_status::RULE,
    &rc026_key_optional_for_unsafe_op::RULE,
    &rc027_volatile_key_store::RULE,
    &rc028_key_not_scoped::RULE,
    &rc029_no_exhausted_state::RULE,
    &rc030_hedging_non_idempotent::RULE,
    &rc031_unknown_reference::RULE,
    &rc032_breaker_counts_client_errors::RULE,
    &rc033_breaker_open_shorter_than_backoff::RULE,
    &rc034_storm_overload::RULE,
    &rc035_retry_herd::RULE,
    &rc036_unbounded_storm_amplification::RULE,
    &rc099_unused_suppression::RULE,
];

/// Reported by the engine itself for `allow` entries that suppress nothing.
pub static UNUSED_SUPPRESSION: &Rule = &rc099_unused_suppression::RULE;

/// Rules only the storm simulation (`cargo retry-check storm`, crate
/// `retry-check-storm`) reports. They are listed here so that `rules`,
/// `explain`, SARIF and lint levels know them; `lint` never produces them.
pub static SIMULATED: &[&str] = &["RC034", "RC035", "RC036"];

/// The `check` of a simulated rule: static linting finds nothing.
pub(crate) fn simulated_only(_: &Context<'_>, _: &mut Vec<Finding>) {}
