//! RC014 `no_deadline`.

use retry_check_contract::derive::schedule_span;
use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC014",
        name: "no_deadline",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a retrying client has no overall deadline across its attempts",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client that retries (`max_attempts` > 1) but declares neither a
`deadline` (the overall time across all attempts) nor a `retry_window`.
A client without `max_attempts` is reported by `unbounded_retries` (RC013)
instead.

## Why it matters
Without a deadline the time a caller waits is the sum of every attempt and
every backoff delay, and without a `per_attempt_timeout` each attempt may
hang indefinitely. Callers above give up long before, yet the retries go on
and add load for an answer nobody is waiting for. It also leaves the retry
window (how long the same key may arrive at the server) to chance.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
backoff = { initial = "200ms", multiplier = 2.0, max = "2s", jitter = "full" }
retry_on = ["UNAVAILABLE"]
# no deadline
```

## How to fix
Add `deadline = "3s"` (what the caller can wait, all attempts included),
and a `per_attempt_timeout` well below it. A background reconciler declares
its `retry_window` instead.

## Source
gRFC A6 ("gRPC's call deadline applies across all attempts"); Envoy router
docs (the route timeout, 15 s by default, includes all retries, "to avoid an
exponential retry/timeout explosion"); Temporal retry-policy docs
(Schedule-To-Close bounds all attempts); Google AIP-194 (a deadline the
application set must be honored).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        // Without `max_attempts` this is RC013's finding.
        let Some(attempts) = &client.max_attempts else {
            continue;
        };
        if !client.retries() || client.deadline.is_some() || client.retry_window.is_some() {
            continue;
        }
        let worst = match (&client.per_attempt_timeout, schedule_span(client)) {
            (Some(t), Some(span)) => format!(
                "in the worst case a caller waits {span} ({} attempts of up to {} each, plus backoff)",
                attempts.value, t.value
            ),
            _ => "without a `per_attempt_timeout` either, a single hanging attempt keeps the \
                  caller waiting indefinitely"
                .to_string(),
        };
        out.push(
            Finding::new(
                format!(
                    "client `{}` retries up to {} attempts with no overall deadline",
                    client.name.value, attempts.value
                ),
                attempts.span.clone(),
                format!("{} attempts, and no `deadline` across them", attempts.value),
            )
            .note(worst)
            .note(
                "callers above give up on their own deadline, but the retries go on and add load \
                 for an answer nobody waits for",
            )
            .help(format!(
                "add `deadline = \"...\"` to `{}`: how long its caller can wait, all attempts \
                 included (or a `retry_window` for a background job)",
                client.name.value
            ))
            .item(ItemId::Client(ci)),
        );
    }
}
