//! RC038 `attempt_timeout_below_handler`.

use retry_check_contract::derive::schedule_span;
use retry_check_contract::{Duration, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC038",
        name: "attempt_timeout_below_handler",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client abandons attempts so long before the handler may finish that every retry of a slow request lands on \"in progress\"",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
For a client that retries a keyed server, compares its
`per_attempt_timeout` with the server's `handler_timeout` (how long the
handler may run). It flags the pair when the attempt timeout is at most
half the handler's time and the client's last attempt starts, at the
latest (every backoff at its upper bound, bounded by the deadline), before
the handler's time is up.

## Why it matters
The client abandons an attempt after `per_attempt_timeout` and retries
with the same key, but the first attempt is still running on the server,
which holds the key "in progress". For a request as slow as the server
allows, every retry arrives while the first attempt still runs: each gets
`on_in_progress` (a 409), none can get the result, and the client gives up
and reports a failure while the operation may still succeed. The retries
add load and decide nothing.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
handler_timeout = "10s"
on_in_progress = 409

[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
deadline = "3s"
per_attempt_timeout = "800ms"   # a 10s charge: all 3 attempts see 409
```

## How to fix
Make the two agree: raise `per_attempt_timeout` (and the deadline) towards
the handler's time, or lower `handler_timeout` to what the client waits
for. If slow requests are expected, let the client look the outcome up
later with the same key (a reconciler) instead of retrying into the lock.

## Source
IETF draft-ietf-httpapi-idempotency-key-header (409 Conflict while the
original request is still being processed); AWS Builders' Library,
"Timeouts, retries, and backoff with jitter" (a timeout shorter than the
work it waits for turns slowness into retries).
"#;

/// The latest moment the client's last attempt starts: every backoff at
/// its upper bound and every earlier attempt timed out, bounded by the
/// deadline. `None` when neither bounds it.
fn last_attempt_start(
    client: &retry_check_contract::Client,
    per_attempt: Duration,
) -> Option<Duration> {
    let schedule = schedule_span(client).map(|s| Duration(s.0.saturating_sub(per_attempt.0)));
    let deadline = client.deadline.as_ref().map(|d| d.value);
    match (schedule, deadline) {
        (Some(s), Some(d)) => Some(s.min(d)),
        (s, d) => s.or(d),
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() {
            continue;
        }
        let Some(per_attempt) = &client.per_attempt_timeout else {
            continue;
        };
        let Some(last_start) = last_attempt_start(client, per_attempt.value) else {
            continue;
        };
        let mut seen: Vec<usize> = Vec::new();
        for t in cx.targets(ci) {
            let server = cx.server(*t);
            if seen.contains(&t.server) || !server.is_keyed() {
                continue;
            }
            let Some(handler) = &server.handler_timeout else {
                continue;
            };
            let far_below = per_attempt.value.0.saturating_mul(2) <= handler.value.0;
            if !far_below || last_start >= handler.value {
                continue;
            }
            seen.push(t.server);
            let status = server
                .on_in_progress
                .as_ref()
                .map_or("\"in progress\"".to_string(), |s| {
                    format!("{} (\"in progress\")", s.value)
                });
            out.push(
                Finding::new(
                    format!(
                        "client `{}` abandons an attempt after {}, but `{}` may run its handler \
                         for {}: every retry of a request that slow lands on \"in progress\"",
                        client.name.value, per_attempt.value, server.name.value, handler.value
                    ),
                    per_attempt.span.clone(),
                    format!("gives up on an attempt after {}", per_attempt.value),
                )
                .secondary(
                    handler.span.clone(),
                    format!("the handler may run for {}", handler.value),
                )
                .note(format!(
                    "its last attempt starts by {last_start} at the latest, before the first \
                     attempt's handler time is up: each retry gets {status}, none can get the \
                     result, and the client reports a failure while the operation may still \
                     succeed"
                ))
                .help(format!(
                    "raise `per_attempt_timeout` (and the deadline) towards {}, or lower \
                     `handler_timeout` on `{}`; or look the outcome up later with the same key",
                    handler.value, server.name.value
                ))
                .item(ItemId::Client(ci))
                .item(ItemId::Server(t.server)),
            );
        }
    }
}
