//! RC043 `unbounded_seen_set`.

use retry_check_contract::derive::consumer::redelivery_window;
use retry_check_contract::{DedupKey, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC043",
        name: "unbounded_seen_set",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a consumer's seen-set has neither a window nor a maximum size, so it grows with the stream",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer whose `dedup` keeps event or task ids (`key = "event_id"`,
`"task_id"`, or no key) with neither `window` nor `max_entries`. An offset
key (`key = "offset"`, the highest offset handled per partition) is
bounded by the number of partitions and is not flagged.

## Why it matters
A seen-set that never forgets grows with every event the stream ever
carried. In memory it ends in an out-of-memory restart, which then empties
it (see RC042); in a table, lookups and the index grow without end and
someone eventually adds a cleanup job whose horizon nobody compared with
the redelivery window. Beyond the redelivery window an entry protects
nothing: no redelivery can arrive that late.

## Example
```toml
[consumer.email-sender]
source = "sqs:emails"
redelivery_window = "4d"
dedup = { key = "event_id", store = { kind = "redis", durability = "durable" } }
```

## How to fix
Bound the seen-set by time, covering the redelivery window:
`window = "5d"` above (or `max_entries` sized for the peak rate over that
window, see RC049).

## Source
Amazon SQS Developer Guide (messages are deleted after
`MessageRetentionPeriod`, so no redelivery is older); Redis documentation,
`EXPIRE` (keys of a seen-set kept with a time to live).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = &c.dedup else { continue };
        let d = &dedup.value;
        if d.key() == Some(DedupKey::Offset) || d.window.is_some() || d.max_entries.is_some() {
            continue;
        }
        let help = match redelivery_window(c).duration() {
            Some(w) => format!(
                "add `window = \"{w}\"` (the redelivery window; no redelivery arrives later), with a margin"
            ),
            None => "add a `window` that covers the redelivery window (declare `redelivery_window` too)"
                .to_string(),
        };
        out.push(
            Finding::new(
                format!(
                    "consumer `{}` keeps every event id it ever saw: its seen-set has no `window` and no `max_entries`",
                    c.name.value
                ),
                dedup.span.clone(),
                "grows with the stream, without bound",
            )
            .note("entries older than the redelivery window protect nothing; without a bound they are kept forever")
            .help(help)
            .item(ItemId::Consumer(ci)),
        );
    }
}
