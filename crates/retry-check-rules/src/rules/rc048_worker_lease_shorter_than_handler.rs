//! RC048 `worker_lease_shorter_than_handler`.

use retry_check_contract::{Duration, ItemId};

use crate::consumer::source_text;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC048",
        name: "worker_lease_shorter_than_handler",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a worker's lease on an event or task can run out while its handler still runs, and nothing fences the old worker",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer or task worker whose `lease` is shorter than its
`handler_timeout` while `fencing` is not enabled.

## Why it matters
The lease is how long the source waits before it gives the event or task
to someone else: an SQS visibility timeout, a task queue's lease, a
JetStream `AckWait`, Kafka's `max.poll.interval.ms` (after which the
consumer leaves the group and its partitions are reassigned). A handler
that may run longer than that is still working when a second worker
starts on the same event; both run the effect, and the slow one's commit
is accepted as if nothing happened. The same gap as RC022, on the
consumer side.

## Example
```toml
[consumer.invoice-worker]
source = "queue:invoices"
dedup = { key = "task_id", store = { durability = "durable" }, window = "14d", same_txn_as_effect = true }
lease = "30s"                 # the visibility timeout
handler_timeout = "2m"        # rendering and mailing a large invoice
```

## How to fix
Make the lease longer than the handler can run, with a margin, or extend
it while the handler works (a heartbeat, `ChangeMessageVisibility`); and
set `fencing = true`, with a token that the commit (and the effect's
store) checks, so that a worker whose lease was taken over cannot commit.

## Source
Amazon SQS Developer Guide, "Visibility timeout" (a message not deleted
within it becomes visible to other consumers again); Apache Kafka consumer
configuration, `max.poll.interval.ms`; Martin Kleppmann, "How to do
distributed locking" (fencing tokens: a lease alone cannot stop a paused
holder).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let (Some(lease), Some(handler)) = (&c.lease, &c.handler_timeout) else {
            continue;
        };
        if lease.value >= handler.value || c.fencing() {
            continue;
        }
        let gap = Duration(handler.value.as_millis() - lease.value.as_millis());
        let mut f = Finding::new(
            format!(
                "consumer `{}` loses its lease on an event of {} after {} while its handler may run for {}",
                c.name.value,
                source_text(c),
                lease.value,
                handler.value
            ),
            lease.span.clone(),
            format!("the lease ends after {}", lease.value),
        )
        .secondary(
            handler.span.clone(),
            format!("the handler may still run {gap} longer"),
        );
        if let Some(fencing) = &c.fencing {
            f = f.secondary(fencing.span.clone(), "a stale worker is not fenced");
        }
        out.push(
            f.note(format!(
                "after {} the source hands the event to another worker while the first still runs: \
                 both run the effect, and without `fencing` the first one's commit is accepted too",
                lease.value
            ))
            .help(format!(
                "make `lease` longer than {} (or extend it while the handler runs), and set `fencing = true` \
                 with a token the commit checks",
                handler.value
            ))
            .item(ItemId::Consumer(ci)),
        );
    }
}
