//! RC045 `offset_dedup_on_unordered_source`.

use retry_check_contract::{DedupKey, ItemId, Ordering};

use crate::consumer::source_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC045",
        name: "offset_dedup_on_unordered_source",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a consumer tracks the highest offset handled on a source that does not deliver in offset order",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with `dedup.key = "offset"` (the highest offset handled,
per scope; anything at or below it counts as seen) whose source does not
deliver in order: `ordering = "none"`, or, when `ordering` is absent, a
source that does not order by default (a standard SQS queue, JetStream
redeliveries, Pub/Sub without ordering keys, RabbitMQ requeues, task
queues).

## Why it matters
A high-water mark is only a seen-set when events arrive in offset order.
On an unordered source a redelivery of event 41 arrives after event 42
was handled; the mark says 42, so 41 is skipped although it never ran.
The event is lost, silently, exactly when something already went wrong
(the redelivery).

## Example
```toml
[consumer.shipping]
source = "nats:orders"            # redelivers after AckWait, behind newer messages
dedup = { key = "offset", store = { durability = "durable" }, same_txn_as_effect = true }
```

## How to fix
Dedup by the event's own id in a seen-set (`key = "event_id"` with a
`window`), or make the source ordered and declare it (`ordering =
"per-partition"`: one event in flight per partition, e.g. JetStream
`max_ack_pending = 1`, an SQS FIFO queue).

## Source
NATS JetStream documentation, consumer `AckWait` and `MaxAckPending`
(unacknowledged messages are redelivered while later ones are
delivered); Amazon SQS Developer Guide (standard queues: best-effort
ordering; FIFO queues: ordered per message group).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = c.dedup() else { continue };
        let Some(key) = &dedup.key else { continue };
        if key.value != DedupKey::Offset {
            continue;
        }
        let Some((Ordering::None, origin)) = c.ordering() else {
            continue;
        };
        let mut f = Finding::new(
            format!(
                "consumer `{}` skips every offset at or below the highest one handled, but {} does not deliver in order",
                c.name.value,
                source_text(c)
            ),
            key.span.clone(),
            "a high-water mark, not a seen-set",
        );
        match (&c.ordering, &c.source) {
            (Some(o), _) => f = f.secondary(o.span.clone(), "declared unordered"),
            (None, Some(s)) => {
                f = f
                    .secondary(s.span.clone(), "delivers out of order")
                    .note(format!("no `ordering` is declared: {origin}"))
            }
            _ => {}
        }
        out.push(
            f.note(
                "a redelivery of an earlier event arrives after a later one was handled; it is at or below \
                 the mark, so it is skipped although it never ran: the event is lost",
            )
            .help(
                "dedup by the event's id (`key = \"event_id\"` with a `window`), or deliver one event at a time \
                 per partition and declare `ordering = \"per-partition\"`",
            )
            .item(ItemId::Consumer(ci)),
        );
    }
}
