//! The contract rules, one file per rule (`rcNNN_<name>.rs`, each a
//! `pub static RULE: Rule`). The list below is generated from the files of
//! this directory: `cargo test` rewrites it when a file is added or removed
//! (`registry_lists_every_rule_file`), so a new rule is one new file.

use crate::Rule;

// @generated registry: begin
pub mod rc001_key_ttl_shorter_than_retry_window;
pub mod rc002_retry_without_idempotency_key;
pub mod rc003_retry_on_permanent_code;
pub mod rc004_retry_on_doubtful_code;
pub mod rc005_retry_on_client_error;
pub mod rc006_too_many_attempts;
pub mod rc007_invalid_attempts;
pub mod rc008_no_backoff;
pub mod rc009_backoff_bounds_inverted;
pub mod rc010_no_backoff_cap;
pub mod rc011_bad_multiplier;
pub mod rc012_no_jitter;
pub mod rc013_unbounded_retries;
pub mod rc014_no_deadline;
pub mod rc015_per_attempt_timeout_ineffective;
pub mod rc016_unreachable_attempts;
pub mod rc017_no_retry_budget;
pub mod rc018_budget_too_generous;
pub mod rc019_retry_amplification;
pub mod rc020_ignores_retry_after;
pub mod rc021_no_in_progress_state;
pub mod rc022_lease_shorter_than_handler;
pub mod rc023_child_deadline_exceeds_parent;
pub mod rc024_no_fingerprint;
pub mod rc025_nonstandard_idempotency_status;
pub mod rc026_key_optional_for_unsafe_op;
pub mod rc027_volatile_key_store;
pub mod rc028_key_not_scoped;
pub mod rc029_no_exhausted_state;
pub mod rc030_hedging_non_idempotent;
pub mod rc031_unknown_reference;
pub mod rc032_breaker_counts_client_errors;
pub mod rc033_breaker_open_shorter_than_backoff;
pub mod rc037_runs_in_cycle;
pub mod rc038_attempt_timeout_below_handler;
pub mod rc040_consumer_without_dedup;
pub mod rc041_dedup_window_shorter_than_redelivery;
pub mod rc042_volatile_seen_set;
pub mod rc043_unbounded_seen_set;
pub mod rc044_offset_key_without_partition;
pub mod rc045_offset_dedup_on_unordered_source;
pub mod rc046_commit_before_effect;
pub mod rc047_effect_record_gap;
pub mod rc048_worker_lease_shorter_than_handler;
pub mod rc049_seen_set_fills_before_window;
pub mod rc050_undeclared_redelivery_window;
pub mod rc099_unused_suppression;

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
    &rc037_runs_in_cycle::RULE,
    &rc038_attempt_timeout_below_handler::RULE,
    &rc040_consumer_without_dedup::RULE,
    &rc041_dedup_window_shorter_than_redelivery::RULE,
    &rc042_volatile_seen_set::RULE,
    &rc043_unbounded_seen_set::RULE,
    &rc044_offset_key_without_partition::RULE,
    &rc045_offset_dedup_on_unordered_source::RULE,
    &rc046_commit_before_effect::RULE,
    &rc047_effect_record_gap::RULE,
    &rc048_worker_lease_shorter_than_handler::RULE,
    &rc049_seen_set_fills_before_window::RULE,
    &rc050_undeclared_redelivery_window::RULE,
    &rc099_unused_suppression::RULE,
];
// @generated registry: end

/// Reported by the engine itself for `allow` entries that suppress nothing.
pub static UNUSED_SUPPRESSION: &Rule = &rc099_unused_suppression::RULE;
