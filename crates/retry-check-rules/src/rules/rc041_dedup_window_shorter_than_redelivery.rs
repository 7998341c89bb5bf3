//! RC041 `dedup_window_shorter_than_redelivery`.

use retry_check_contract::derive::consumer::{redelivery_window, RedeliveryWindow};
use retry_check_contract::ItemId;

use crate::consumer::source_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC041",
        name: "dedup_window_shorter_than_redelivery",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a consumer's seen-set forgets events before its source stops redelivering them",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with side effects whose `dedup.window` is shorter than its
redelivery window: the declared `redelivery_window`, or when it is absent
the default retention of the source (Kafka 7 days, Kinesis 24 hours, SQS 4
days, Pub/Sub 7 days).

## Why it matters
The redelivery window is how late the same event can arrive again: a
consumer that rewinds to an old offset, a message that sat in a queue
until its last receive, a replay after an outage. An entry evicted from the
seen-set before then is as good as never written: the late redelivery finds
nothing and runs the effect a second time. It is the consumer's version of
RC001 (a key TTL shorter than the retry window).

## Example
```toml
[consumer.ledger-projector]
source = "kafka:payments.events"
redelivery_window = "7d"              # replays from offsets up to a week old
side_effects = "money"
dedup = { key = "event_id", store = { durability = "durable" }, window = "24h" }
```

## How to fix
Keep seen entries at least as long as the redelivery window, with a
margin: `window = "8d"` above. If the source really keeps events for less
time than its default, say so with `redelivery_window`.

## Source
Apache Kafka documentation (`log.retention.hours = 168`: a consumer can
seek to any retained offset); Amazon SQS Developer Guide
(`MessageRetentionPeriod`, default 4 days; visibility timeout and
`maxReceiveCount` decide how often a message comes back); Martin
Kleppmann, Designing Data-Intensive Applications, chapter 11 (replaying a
log requires idempotent consumers for as long as the log is replayable).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = c.dedup() else { continue };
        let Some(window) = &dedup.window else {
            continue;
        };
        if !c.has_side_effects() {
            continue;
        }
        let redelivery = redelivery_window(c);
        let Some(late) = redelivery.duration() else {
            continue;
        };
        if window.value >= late {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "consumer `{}` forgets events after {} but {} can redeliver them for up to {late}",
                c.name.value,
                window.value,
                source_text(c)
            ),
            window.span.clone(),
            format!("seen entries are evicted after {}", window.value),
        );
        match redelivery {
            RedeliveryWindow::Declared(_) => {
                if let Some(w) = &c.redelivery_window {
                    f = f.secondary(
                        w.span.clone(),
                        format!("redeliveries arrive up to {late} late"),
                    );
                }
            }
            RedeliveryWindow::SourceDefault(_, origin) => {
                if let Some(s) = &c.source {
                    f = f.secondary(
                        s.span.clone(),
                        format!("keeps events for {late} by default"),
                    );
                }
                f = f.note(format!(
                    "no `redelivery_window` is declared, so it is {origin}"
                ));
            }
            RedeliveryWindow::Unknown => {}
        }
        out.push(
            f.note(format!(
                "a redelivery arriving more than {} after the first delivery finds no entry and runs the effect again",
                window.value
            ))
            .help(format!(
                "raise `dedup.window` to at least {late} (with a margin), or declare the real `redelivery_window` \
                 if the source keeps events for less"
            ))
            .item(ItemId::Consumer(ci)),
        );
    }
}
