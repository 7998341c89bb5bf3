//! RC046 `commit_before_effect`.

use retry_check_contract::{CommitOrder, ItemId};

use crate::consumer::source_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC046",
        name: "commit_before_effect",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a consumer promises at-least-once but commits before the effect, so a crash loses the event",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer with side effects that declares `commit =
"before_effect"` while promising at-least-once delivery (`delivery =
"at-least-once"`, the default when `delivery` is absent).

## Why it matters
Committing the position (the offset, the ack, the message delete) tells
the source the event is done. If the consumer crashes after the commit and
before the effect, the source will never deliver the event again: it is
lost. That is at-most-once processing, whatever the contract promises: a
payment that never reaches the ledger, an email never sent, and nothing
left to retry it.

## Example
```toml
[consumer.ledger-projector]
source = "kafka:payments.events"
delivery = "at-least-once"
commit = "before_effect"      # enable.auto.commit with a slow handler does this too
side_effects = "money"
```

## How to fix
Commit after the effect (`commit = "after_effect"`) and make the handling
idempotent with `dedup`, since the source will then redeliver what was not
committed. Or, if losing events on a crash is acceptable, say so:
`delivery = "at-most-once"`.

## Source
Apache Kafka documentation, "Message Delivery Semantics" (saving the
position before processing gives at-most-once; after gives
at-least-once); Kafka consumer configuration `enable.auto.commit` (offsets
committed in the background, whether or not processing finished).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(commit) = &c.commit else { continue };
        if commit.value != CommitOrder::BeforeEffect || !c.at_least_once() || !c.has_side_effects()
        {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "consumer `{}` commits {} before its effect, so a crash in between loses the event",
                c.name.value,
                source_text(c)
            ),
            commit.span.clone(),
            "the position is committed before the effect runs",
        );
        f = match &c.delivery {
            Some(d) => f.secondary(d.span.clone(), "promises at-least-once"),
            None => f.note("no `delivery` is declared, so at-least-once is promised"),
        };
        out.push(
            f.note(
                "after the commit the source never delivers the event again: a crash before the effect \
                 leaves it unhandled for good (at-most-once)",
            )
            .help(
                "commit after the effect (`commit = \"after_effect\"`) and dedup the redeliveries, \
                 or declare `delivery = \"at-most-once\"` if losing events is acceptable",
            )
            .item(ItemId::Consumer(ci)),
        );
    }
}
