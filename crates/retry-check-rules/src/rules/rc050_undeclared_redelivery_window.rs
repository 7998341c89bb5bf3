//! RC050 `undeclared_redelivery_window`.

use retry_check_contract::derive::consumer::{redelivery_window, RedeliveryWindow};
use retry_check_contract::{DedupKey, ItemId};

use crate::consumer::source_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC050",
        name: "undeclared_redelivery_window",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Lint,
        summary:
            "a consumer bounds its seen-set, but nothing says how late its source can redeliver",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with side effects whose seen-set is bounded (a
`dedup.window` or `max_entries`) while its redelivery window is unknown:
no `redelivery_window` is declared and the source has no time-limited
default retention (JetStream streams, RabbitMQ queues and task queues
keep messages until they are acknowledged).

## Why it matters
The seen-set must outlive every redelivery (RC041), and without the
redelivery window nobody can check that it does: not this tool, not a
reviewer. Task queues are the common case: a task can come back after
every visibility timeout until its last receive, then from a dead-letter
queue when someone redrives it, days later.

## Example
```toml
[consumer.invoice-worker]
source = "queue:invoices"
dedup = { key = "task_id", store = { durability = "durable" }, window = "1h", same_txn_as_effect = true }
```

## How to fix
Declare how late a task or event can come back: `redelivery_window =
"14d"` (the lease x the maximum receives, plus how long a dead-lettered
task may be redriven), and make the seen-set's window cover it.

## Source
Amazon SQS Developer Guide, dead-letter queues and "redrive" (messages
moved back to the source queue, up to the retention period); NATS
JetStream documentation (`MaxAge` of a stream is unlimited by default).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = &c.dedup else { continue };
        let d = &dedup.value;
        if d.key() == Some(DedupKey::Offset) || !c.has_side_effects() {
            continue;
        }
        let (span, bound) = match (&d.window, &d.max_entries) {
            (Some(w), _) => (w.span.clone(), format!("entries are kept {}", w.value)),
            (None, Some(m)) => (
                m.span.clone(),
                format!("at most {} entries are kept", m.value),
            ),
            (None, None) => continue,
        };
        if redelivery_window(c) != RedeliveryWindow::Unknown {
            continue;
        }
        out.push(
            Finding::new(
                format!(
                    "consumer `{}` bounds its seen-set, but nothing says how late {} can redeliver",
                    c.name.value,
                    source_text(c)
                ),
                span,
                bound,
            )
            .note("without a redelivery window nobody can check that the seen-set outlives every redelivery")
            .help(
                "declare `redelivery_window` (the lease x the maximum receives, plus how long a dead-lettered \
                 event may be redriven), and keep entries at least that long",
            )
            .item(ItemId::Consumer(ci)),
        );
    }
}
