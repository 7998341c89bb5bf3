//! `[consumer.NAME]`: what parses, and every error located with a hint.

use crate::model::*;
use crate::parse::tests::errors_of;
use crate::Duration;

#[test]
fn a_full_consumer_parses() {
    let (set, errors) = crate::load_str(
        "t.toml",
        r#"
version = 1
[consumer.ledger-projector]
source = "kafka:payments.events"
delivery = "at-least-once"
redelivery_window = "7d"
ordering = "per-partition"
partitions = 12
rate_per_sec = 400
dedup = { key = "offset", scope = ["partition", "topic"], store = { kind = "postgres", durability = "durable" }, window = "8d", max_entries = 5_000_000, same_txn_as_effect = true, pending = false }
commit = "after_effect"
side_effects = "money"
lease = "5m"
fencing = true
handler_timeout = "30s"
allow = ["RC043"]
"#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let c = &set.consumers[0];
    assert_eq!(c.name.value, "ledger-projector");
    let source = c.source.as_ref().map(|s| s.value.clone());
    assert_eq!(
        source,
        Some(SourceRef {
            kind: SourceKind::Kafka,
            name: "payments.events".into()
        })
    );
    assert!(c.at_least_once());
    assert_eq!(
        c.redelivery_window.as_ref().map(|d| d.value),
        Some(Duration(7 * 24 * 3_600_000))
    );
    assert_eq!(c.partitions.as_ref().map(|p| p.value), Some(12));
    assert_eq!(c.rate_per_sec.as_ref().map(|r| r.value), Some(400.0));
    let d = c.dedup().cloned().unwrap_or_default();
    assert_eq!(d.key(), Some(DedupKey::Offset));
    assert!(d.has_scope(DedupScope::Partition) && d.has_scope(DedupScope::Topic));
    assert!(!d.has_scope(DedupScope::Tenant));
    let store = d
        .store
        .as_ref()
        .map(|s| s.value.clone())
        .unwrap_or_default();
    assert_eq!(
        store.kind.as_ref().map(|k| k.value),
        Some(StoreKind::Postgres)
    );
    assert!(store.volatile().is_none());
    assert_eq!(
        d.window.as_ref().map(|w| w.value),
        Some(Duration(8 * 24 * 3_600_000))
    );
    assert_eq!(d.max_entries.as_ref().map(|m| m.value), Some(5_000_000));
    assert!(d.same_txn() && !d.pending());
    assert_eq!(
        c.commit.as_ref().map(|x| x.value),
        Some(CommitOrder::AfterEffect)
    );
    assert!(c.has_side_effects() && c.fencing());
    assert_eq!(c.lease.as_ref().map(|l| l.value), Some(Duration(300_000)));
    assert_eq!(c.allow.len(), 1);
    assert_eq!(set.items().last(), Some(&ItemId::Consumer(0)));
}

#[test]
fn defaults_come_from_the_source() {
    let (set, errors) = crate::load_str(
        "t.toml",
        r#"version = 1
[consumer.a]
source = "kafka:t"
[consumer.b]
source = "sqs:orders.fifo"
[consumer.c]
source = "sqs:orders"
side_effects = "none"
[consumer.d]
source = "queue:emails"
delivery = "at-most-once"
partitions = 1
"#,
    );
    assert!(errors.is_empty(), "{errors:?}");
    let ordering = |i: usize| set.consumers[i].ordering().map(|o| o.0);
    assert_eq!(ordering(0), Some(Ordering::PerPartition));
    assert_eq!(ordering(1), Some(Ordering::PerPartition));
    assert_eq!(ordering(2), Some(Ordering::None));
    assert_eq!(ordering(3), Some(Ordering::None));
    assert!(set.consumers[0].partitioned());
    assert!(!set.consumers[2].partitioned());
    assert!(!set.consumers[2].has_side_effects());
    assert!(!set.consumers[3].at_least_once());
    assert!(!set.consumers[3].partitioned());
    let window = |k: SourceKind| k.default_redelivery_window().map(|w| w.0.to_string());
    assert_eq!(window(SourceKind::Kafka).as_deref(), Some("168h"));
    assert_eq!(window(SourceKind::Sqs).as_deref(), Some("96h"));
    assert_eq!(window(SourceKind::Kinesis).as_deref(), Some("24h"));
    assert_eq!(window(SourceKind::Queue), None);
}

#[test]
fn every_error_is_located_with_a_hint() {
    let errors = errors_of(
        r#"version = 1
[consumer.a]
source = "kafak:payments"
delivery = "exactly-once"
redelivery_windw = "7d"
dedup = { key = "event-id", scope = ["partiton"], store = { kind = "redis", same_txn_as_effect = true }, window = "0s", max_entries = 0 }
[consumer.b]
source = "payments.events"
partitions = 0
rate_per_sec = -1
commit = "after"
[consumer.c]
side_effects = "money"
[consumer.d]
source = "queue:"
lease = 30
"#,
    );
    let expected = [
        "invalid_value `kafak` is not a known source kind @3:10",
        "invalid_value `exactly-once` is not a delivery a consumer can declare @4:12",
        "unknown_field unknown field `redelivery_windw` in consumer `a` @5:1",
        "invalid_value `event-id` is not a valid `key` @6:17",
        "invalid_value `partiton` is not a valid `scope` @6:38",
        "unknown_field unknown field `same_txn_as_effect` in `dedup.store` @6:77",
        "invalid_value `window` must be longer than zero @6:115",
        "invalid_value `max_entries` must be between 1 and 1000000000000, found 0 @6:135",
        "invalid_value `source` must be `kind:name`, found `payments.events` @8:10",
        "invalid_value `partitions` must be between 1 and 1000000, found 0 @9:14",
        "invalid_value `rate_per_sec` must be greater than zero, found -1 @10:16",
        "invalid_value `after` is not a valid `commit` @11:10",
        "missing_field consumer `c` has no `source` @12:11",
        "invalid_value `source` names no queue topic, queue or stream @15:10",
        "invalid_value `lease` needs a unit @16:9",
    ];
    assert_eq!(errors, expected);
}

#[test]
fn suggestions_name_the_nearest_value() {
    let (_, errors) = crate::load_str(
        "t.toml",
        "version = 1\n[consumer.a]\nsource = \"kafak:t\"\ncomit = \"after_effect\"\n\
         dedup = { key = \"event-id\", store = { durability = \"volatile\", same_txn_as_effect = true } }\n",
    );
    let labels: Vec<String> = errors
        .iter()
        .filter_map(|d| d.primary.as_ref().map(|p| p.message.clone()))
        .collect();
    assert_eq!(
        labels,
        [
            "did you mean `kafka`?",
            "did you mean `commit`?",
            "did you mean `event_id`?",
            "a key of `dedup`, not of its store",
        ]
    );
    assert_eq!(
        errors[3].help,
        ["move it up a level: `dedup = { ..., same_txn_as_effect = true }`"]
    );
}

#[test]
fn consumer_names_are_unique_across_files() {
    let mut sources = retry_check_diagnostics::SourceMap::new();
    sources.add(
        "a.toml",
        "version = 1\n[consumer.x]\nsource = \"kafka:t\"\n",
    );
    sources.add("b.toml", "version = 1\n[consumer.x]\nsource = \"sqs:q\"\n");
    let (_, errors) = crate::load(&sources);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].name, "duplicate_name");
    assert_eq!(errors[0].message, "consumer `x` is defined more than once");
}
