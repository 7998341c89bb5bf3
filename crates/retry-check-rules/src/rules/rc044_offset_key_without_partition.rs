//! RC044 `offset_key_without_partition`.

use retry_check_contract::{DedupKey, DedupScope, ItemId};

use crate::consumer::source_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC044",
        name: "offset_key_without_partition",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary:
            "a consumer dedups by offset on a partitioned source without the partition in the key",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with `dedup.key = "offset"` whose `dedup.scope` does not
contain `"partition"`, on a partitioned source: `partitions` above 1, or a
Kafka topic or Kinesis stream with no `partitions` declared.

## Why it matters
Offsets are numbered per partition: every partition has an offset 42. A
consumer that keeps "the highest offset handled" without the partition
compares one partition's offsets with another's. With two partitions in
one instance, it skips partition 1's offset 40 because partition 0 already
reached 41: an event lost. After a rebalance moves a partition to an
instance that tracked a lower offset, that instance runs the events again
that the partition's previous owner had handled: effects doubled.

## Example
```toml
[consumer.ledger-projector]
source = "kafka:payments.events"
partitions = 12
dedup = { key = "offset", store = { durability = "durable" }, same_txn_as_effect = true }
```

## How to fix
Key the position by partition (and by topic when the consumer reads
several): `scope = ["topic", "partition"]`, i.e. one highest offset per
topic-partition, as Kafka's own committed offsets are.

## Source
Apache Kafka documentation, "Consumer Position" (a consumer's position is
one offset per partition); Kafka's `ConsumerRebalanceListener` javadoc
(storing offsets outside Kafka: save and restore them per partition on
assignment).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = c.dedup() else { continue };
        let Some(key) = &dedup.key else { continue };
        if key.value != DedupKey::Offset
            || dedup.has_scope(DedupScope::Partition)
            || !c.partitioned()
        {
            continue;
        }
        let how_many = match &c.partitions {
            Some(p) => format!("has {} partitions", p.value),
            None => "is partitioned".to_string(),
        };
        let mut f = Finding::new(
            format!(
                "consumer `{}` dedups by offset alone, but {} {how_many}",
                c.name.value,
                source_text(c)
            ),
            key.span.clone(),
            "offsets without their partition",
        );
        match (&c.partitions, &c.source) {
            (Some(p), _) => f = f.secondary(p.span.clone(), "offsets repeat in every partition"),
            (None, Some(s)) => {
                f = f.secondary(
                    s.span.clone(),
                    "a partitioned source: offsets repeat per partition",
                )
            }
            _ => {}
        }
        if let Some(scope) = &dedup.scope {
            f = f.secondary(scope.span.clone(), "no `partition` in the scope");
        }
        out.push(
            f.note(
                "every partition has its own offset 42: one partition's progress hides another's events \
                 (lost), and after a rebalance an instance runs again what the partition's previous owner handled",
            )
            .help("add the partition to the key: `scope = [\"partition\"]` (and `\"topic\"` when it reads several topics)")
            .item(ItemId::Consumer(ci)),
        );
    }
}
