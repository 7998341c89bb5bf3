//! The keys each table of a contract accepts. The JSON Schema
//! ([`crate::schema`]) is tested against [`KNOWN_KEYS`], and the parser
//! suggests the nearest of them for an unknown key.

pub(crate) const ROOT_FIELDS: &[&str] = &[
    "version", "$schema", "server", "client", "consumer", "source",
];
pub(crate) const SERVER_FIELDS: &[&str] = &[
    "key_source",
    "key_required",
    "key_ttl",
    "key_scope",
    "fingerprint",
    "in_progress_lease",
    "handler_timeout",
    "store",
    "fencing",
    "on_mismatch",
    "on_in_progress",
    "on_missing_key",
    "capacity_per_sec",
    "max_load_factor",
    "operations",
    "allow",
];
pub(crate) const OPERATION_FIELDS: &[&str] = &["method", "idempotency", "side_effects", "allow"];
pub(crate) const STORE_FIELDS: &[&str] = &["kind", "durability", "same_txn_as_effect"];
pub(crate) const CLIENT_FIELDS: &[&str] = &[
    "calls",
    "runs_in",
    "layer",
    "max_attempts",
    "deadline",
    "per_attempt_timeout",
    "retry_window",
    "backoff",
    "retry_on",
    "honor_retry_after",
    "budget",
    "hedging",
    "idempotency_key",
    "on_exhausted",
    "fleet",
    "breaker",
    "allow",
];
pub(crate) const BACKOFF_FIELDS: &[&str] = &["initial", "multiplier", "max", "jitter"];
pub(crate) const BUDGET_FIELDS: &[&str] = &["ratio", "min_per_sec"];
pub(crate) const HEDGING_FIELDS: &[&str] = &["max_attempts", "delay", "non_fatal_codes"];
pub(crate) const IDEMPOTENCY_KEY_FIELDS: &[&str] = &["header", "reused_across_retries"];
pub(crate) const FLEET_FIELDS: &[&str] = &["clients", "rate_per_sec"];
pub(crate) const BREAKER_FIELDS: &[&str] = &[
    "failure_ratio",
    "min_requests",
    "open_for",
    "half_open_probes",
    "counts",
];
pub(crate) const CONSUMER_FIELDS: &[&str] = &[
    "source",
    "delivery",
    "redelivery_window",
    "ordering",
    "partitions",
    "rate_per_sec",
    "dedup",
    "commit",
    "side_effects",
    "lease",
    "fencing",
    "handler_timeout",
    "allow",
];
pub(crate) const DEDUP_FIELDS: &[&str] = &[
    "key",
    "scope",
    "store",
    "window",
    "max_entries",
    "same_txn_as_effect",
    "pending",
];
pub(crate) const DEDUP_STORE_FIELDS: &[&str] = &["kind", "durability"];
pub(crate) const ALLOW_FIELDS: &[&str] = &["rule", "reason"];
pub(crate) const SOURCE_FIELDS: &[&str] = &[
    "path",
    "format",
    "layer",
    "runs_in",
    "server",
    "servers",
    "key_header",
    "allow",
];

/// The keys every table of the format accepts, by table: `root` (the top
/// level), `server`, `operation`, `store`, `client`, `backoff`, `budget`,
/// `hedging`, `idempotency_key`, `fleet`, `breaker`, `consumer`, `dedup`,
/// `dedup_store` (`dedup.store`), `allow` (a table entry of an `allow`
/// list) and `source` (a `[source.NAME]` mapping). Any other key is an
/// `unknown_field` error with a "did you mean".
/// The JSON Schema ([`crate::schema`]) is tested against this list.
pub const KNOWN_KEYS: &[(&str, &[&str])] = &[
    ("root", ROOT_FIELDS),
    ("server", SERVER_FIELDS),
    ("operation", OPERATION_FIELDS),
    ("store", STORE_FIELDS),
    ("client", CLIENT_FIELDS),
    ("backoff", BACKOFF_FIELDS),
    ("budget", BUDGET_FIELDS),
    ("hedging", HEDGING_FIELDS),
    ("idempotency_key", IDEMPOTENCY_KEY_FIELDS),
    ("fleet", FLEET_FIELDS),
    ("breaker", BREAKER_FIELDS),
    ("consumer", CONSUMER_FIELDS),
    ("dedup", DEDUP_FIELDS),
    ("dedup_store", DEDUP_STORE_FIELDS),
    ("allow", ALLOW_FIELDS),
    ("source", SOURCE_FIELDS),
];
