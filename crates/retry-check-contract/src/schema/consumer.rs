//! The mirror types of `[consumer.NAME]` and its `dedup` table.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::{
    names_schema, AllowEntry, DurabilityName, DurationString, SideEffectsName, StoreKindName,
};
use crate::model::{CommitOrder, DedupKey, DedupScope, Delivery, Ordering, SourceKind};

name_type!(
    /// What the consumer promises: each event handled at least once (the default) or at most once.
    DeliveryName => Delivery::NAMES
);
name_type!(
    /// The order events and their redeliveries arrive in (default: the source's).
    OrderingName => Ordering::NAMES
);
name_type!(
    /// What identifies an event in the seen-set.
    DedupKeyName => DedupKey::NAMES
);
name_type!(
    /// A component of the seen-set's key besides the event's id.
    DedupScopeName => DedupScope::NAMES
);
name_type!(
    /// When the consumer commits its position (offset, ack, delete).
    CommitOrderName => CommitOrder::NAMES
);

/// `source = "kafka:payments.events"`.
pub struct SourceString;

impl JsonSchema for SourceString {
    fn schema_name() -> Cow<'static, str> {
        "Source".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let pattern = format!("^\\s*({})\\s*:\\s*\\S.*$", SourceKind::NAMES.join("|"));
        let examples: Vec<String> = ["kafka:payments.events", "sqs:invoices", "queue:emails"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        json_schema!({
            "description": format!(
                "What the consumer reads: `kind:name`, the kind one of {}; `queue` is a task queue.",
                SourceKind::NAMES.join(", ")
            ),
            "type": "string",
            "pattern": pattern,
            "examples": examples,
        })
    }
}

/// `[consumer.NAME]`: a consumer of an at-least-once stream, or a task
/// worker (a consumer of a task queue).
#[derive(JsonSchema)]
#[schemars(rename = "Consumer")]
#[serde(deny_unknown_fields)]
pub struct ConsumerTable {
    /// What it reads, like "kafka:payments.events", "sqs:invoices" or "queue:emails" (required).
    pub source: Option<SourceString>,
    /// "at-least-once" (never lose an event; the default) or "at-most-once".
    pub delivery: Option<DeliveryName>,
    /// How late a redelivered event can still arrive: retention, visibility timeout x max receives, replay horizon (default: the source's default retention).
    pub redelivery_window: Option<DurationString>,
    /// "per-partition" or "none" (default: what the source guarantees).
    pub ordering: Option<OrderingName>,
    /// Partitions (shards) of the source.
    pub partitions: Option<i64>,
    /// Events per second all instances handle at peak (sizes the seen-set).
    pub rate_per_sec: Option<f64>,
    /// The seen-set that makes handling idempotent.
    pub dedup: Option<DedupTable>,
    /// "after_effect" (at-least-once) or "before_effect" (a crash loses the event).
    pub commit: Option<CommitOrderName>,
    /// What handling an event changes: none, local, foreign or money.
    pub side_effects: Option<SideEffectsName>,
    /// How long a worker holds an event or task (visibility timeout, task lease, poll interval) before the source hands it to another.
    pub lease: Option<DurationString>,
    /// A worker whose lease was taken over cannot commit: fencing tokens.
    pub fencing: Option<bool>,
    /// The longest run of the handler (compare with `lease`).
    pub handler_timeout: Option<DurationString>,
    /// Rules suppressed on this consumer.
    pub allow: Option<Vec<AllowEntry>>,
}

/// `dedup = { key, scope, store, window, max_entries, same_txn_as_effect, pending }`.
#[derive(JsonSchema)]
#[schemars(rename = "Dedup")]
#[serde(deny_unknown_fields)]
pub struct DedupTable {
    /// "event_id", "offset" (with its partition) or "task_id".
    pub key: Option<DedupKeyName>,
    /// Components of the key besides the id, like ["partition"].
    pub scope: Option<Vec<DedupScopeName>>,
    /// Where the seen-set lives.
    pub store: Option<DedupStoreTable>,
    /// How long a seen entry is kept; must cover the redelivery window.
    pub window: Option<DurationString>,
    /// Entries kept at most (the oldest are evicted).
    pub max_entries: Option<i64>,
    /// The seen entry is written in the same transaction as the effect.
    pub same_txn_as_effect: Option<bool>,
    /// A pending entry is written before the effect and completed after it; a redelivery that finds it checks the effect's own record before running it again.
    pub pending: Option<bool>,
}

/// `dedup.store = { kind, durability }`.
#[derive(JsonSchema)]
#[schemars(rename = "DedupStore")]
#[serde(deny_unknown_fields)]
pub struct DedupStoreTable {
    /// The storage technology.
    pub kind: Option<StoreKindName>,
    /// `durable` entries survive a restart; `volatile` ones do not.
    pub durability: Option<DurabilityName>,
}
