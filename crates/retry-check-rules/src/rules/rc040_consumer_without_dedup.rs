//! RC040 `consumer_without_dedup`.

use retry_check_contract::derive::consumer::redelivery_window;
use retry_check_contract::ItemId;

use crate::consumer::{effect_text, source_text};
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC040",
        name: "consumer_without_dedup",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "an at-least-once consumer with side effects declares no dedup, so every redelivery runs its effect again",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a `[consumer.NAME]` that handles its source at least once (the
default `delivery`), has side effects (anything but `side_effects =
"none"`; undeclared counts as some) and has no `dedup` table.

## Why it matters
An at-least-once source delivers an event again whenever the consumer did
not commit it in time: after a reconnect, a consumer-group rebalance, a
crash between the effect and the commit, a visibility timeout that ran
out, or an operator rewinding offsets. Without a seen-set keyed by the
event (or its offset), each of those redeliveries runs the effect again: a
second ledger entry, a second email, a second charge. Redeliveries are not
rare; they come in bursts during deploys and incidents.

## Example
```toml
[consumer.ledger-projector]
source = "kafka:payments.events"
side_effects = "money"
commit = "after_effect"          # at-least-once, but no dedup
```

## How to fix
Record each handled event in a durable seen-set, ideally in the same
transaction as the effect, and keep entries for the whole redelivery
window:
`dedup = { key = "event_id", store = { kind = "postgres", durability =
"durable" }, window = "7d", same_txn_as_effect = true }`. If losing events
is acceptable instead, declare `delivery = "at-most-once"`.

## Source
Apache Kafka documentation, "Message Delivery Semantics" (committing after
processing gives at-least-once: a crash before the commit reprocesses);
Amazon SQS Developer Guide, "At-least-once delivery" (a standard queue may
deliver a message more than once; consumers must be idempotent); Chris
Richardson, microservices.io, "Idempotent Consumer" pattern.
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        if c.dedup.is_some() || !c.at_least_once() || !c.has_side_effects() {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "consumer `{}` handles {} at least once with {} but declares no dedup",
                c.name.value,
                source_text(c),
                effect_text(c)
            ),
            c.name.span.clone(),
            "no `dedup`: every redelivery runs the effect again",
        );
        if let Some(s) = &c.side_effects {
            f = f.secondary(s.span.clone(), format!("`{}` side effects", s.value));
        }
        let window = redelivery_window(c).duration().map_or_else(
            || "the redelivery window".to_string(),
            |w| format!("\"{w}\""),
        );
        out.push(
            f.note(
                "the source delivers an event again after a reconnect, a rebalance or a crash before \
                 the commit; without a seen-set each redelivery repeats the effect",
            )
            .help(format!(
                "add `dedup = {{ key = \"event_id\", store = {{ durability = \"durable\" }}, window = {window}, \
                 same_txn_as_effect = true }}`, or declare `delivery = \"at-most-once\"` if losing events is acceptable"
            ))
            .item(ItemId::Consumer(ci)),
        );
    }
}
