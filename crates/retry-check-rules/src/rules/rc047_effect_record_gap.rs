//! RC047 `effect_record_gap`.

use retry_check_contract::ItemId;

use crate::consumer::effect_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC047",
        name: "effect_record_gap",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a consumer writes its dedup record outside the effect's transaction and has no pending state",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with side effects and a `dedup` table that declares
neither `same_txn_as_effect = true` (the seen entry commits with the
effect, atomically) nor `pending = true` (a pending entry is written
before the effect and completed after it).

## Why it matters
When the effect and its dedup record are two separate writes, a crash can
fall between them. Record after the effect: the event is redelivered,
finds no entry and the effect runs twice. Record before the effect: the
redelivery finds the entry and skips the event, whose effect never
happened. Either way one crash breaks the contract, and crashes are what
the dedup is there for. A pending entry turns the gap into a state the
redelivery can see and resolve (look the effect up downstream by the
event id, or hand the event id to the downstream as its idempotency key).

## Example
```toml
[consumer.email-sender]
source = "sqs:emails"
side_effects = "foreign"
dedup = { key = "event_id", store = { kind = "redis", durability = "durable" }, window = "5d", same_txn_as_effect = false }
```

## How to fix
If the effect is a write to the same database, commit the seen entry in
its transaction and say `same_txn_as_effect = true`. If it is a call to
another system, write a pending entry first, pass the event id downstream
as its idempotency key, and on a redelivery that finds the entry pending
check the downstream before calling again; declare `pending = true`.

## Source
Chris Richardson, microservices.io, "Idempotent Consumer" and
"Transactional outbox" (record the message id in the transaction of the
update); Brandur Leach, "Implementing Stripe-like Idempotency Keys in
Postgres" (recovery points: every foreign call is preceded by a recorded
phase).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = &c.dedup else { continue };
        let d = &dedup.value;
        if d.same_txn() || d.pending() || !c.has_side_effects() {
            continue;
        }
        let (span, label) = match &d.same_txn_as_effect {
            Some(s) => (
                s.span.clone(),
                "the dedup record is written apart from the effect",
            ),
            None => (
                dedup.span.clone(),
                "neither `same_txn_as_effect` nor `pending`",
            ),
        };
        let mut f = Finding::new(
            format!(
                "consumer `{}` writes its dedup record apart from {} and keeps no pending state",
                c.name.value,
                effect_text(c)
            ),
            span,
            label,
        );
        if let Some(p) = &d.pending {
            f = f.secondary(p.span.clone(), "no pending entry before the effect");
        }
        out.push(
            f.note(
                "a crash between the effect and the record either runs the effect again on the redelivery \
                 (record written after) or skips an event whose effect never ran (record written before)",
            )
            .help(
                "commit the record in the effect's transaction (`same_txn_as_effect = true`), or write a pending \
                 entry before the effect, pass the event id downstream as its idempotency key and declare `pending = true`",
            )
            .item(ItemId::Consumer(ci)),
        );
    }
}
