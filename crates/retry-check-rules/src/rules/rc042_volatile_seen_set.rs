//! RC042 `volatile_seen_set`.

use retry_check_contract::ItemId;

use crate::consumer::{effect_text, source_text};
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC042",
        name: "volatile_seen_set",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary:
            "a consumer with side effects keeps its seen-set in a store that forgets it on restart",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with side effects whose `dedup.store` is declared
`durability = "volatile"`, or is `kind = "memory"` with no durability
declared.

## Why it matters
Redeliveries come precisely after the events that empty an in-process
seen-set: a crash before the commit, a restart during a deploy, a
rebalance that hands the partition to another instance (which never had
the entries at all). The redelivered events find nothing in the fresh set
and run their effect again. A seen-set that does not survive what causes
redeliveries deduplicates only the duplicates that did not need it.

## Example
```toml
[consumer.ledger-projector]
source = "kafka:payments.events"
side_effects = "money"
dedup = { key = "event_id", store = { kind = "memory" }, window = "7d" }
```

## How to fix
Keep the seen-set in a durable store that every instance of the consumer
shares, written in the same transaction as the effect when the effect is
local: `store = { kind = "postgres", durability = "durable" }` with
`same_txn_as_effect = true`.

## Source
Chris Richardson, microservices.io, "Idempotent Consumer" (processed
message ids are recorded in the database the handler updates); Apache
Kafka documentation, consumer group rebalancing (a partition moves to
another member, which resumes from the last committed offset).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(store) = c.dedup().and_then(|d| d.store.as_ref()) else {
            continue;
        };
        let Some((span, label)) = store.value.volatile() else {
            continue;
        };
        if !c.has_side_effects() {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "consumer `{}` keeps its seen-set of {} in a store that forgets it on restart",
                c.name.value,
                source_text(c)
            ),
            span,
            label,
        );
        if let Some(s) = &c.side_effects {
            f = f.secondary(s.span.clone(), format!("`{}` side effects", s.value));
        }
        out.push(
            f.note(format!(
                "after a crash, a restart or a rebalance the source redelivers what was not committed; \
                 the redelivered events find an empty seen-set and repeat {}",
                effect_text(c)
            ))
            .help(
                "keep the seen-set in a durable store shared by every instance, e.g. \
                 `store = { kind = \"postgres\", durability = \"durable\" }` with `same_txn_as_effect = true`",
            )
            .item(ItemId::Consumer(ci)),
        );
    }
}
