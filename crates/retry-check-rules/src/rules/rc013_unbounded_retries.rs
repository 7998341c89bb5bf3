//! RC013 `unbounded_retries`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC013",
        name: "unbounded_retries",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client retries with no attempt limit, no deadline and no retry window",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client that declares retry fields (`retry_on` or `backoff`) but no
`max_attempts`, and neither a `deadline` nor a `retry_window`: nothing ever
stops it from retrying.

## Why it matters
A client without any limit keeps retrying for as long as the failure lasts,
and with capped backoff every such client ends up retrying at the capped rate
forever. During an outage these retries are the load that keeps the server
down, and the caller never gets an answer it could act on. The same key is
retried after the server has forgotten it, so even a keyed operation may run
twice. This is the default of several retry libraries (backon
`without_max_times`, tokio-retry without `.take`, Temporal
`maximum_attempts = 0` without Schedule-To-Close).

## Example
```toml
[client.sync]
calls = ["inventory.Reserve"]
backoff = { initial = "100ms", multiplier = 2.0, max = "30s", jitter = "full" }
retry_on = ["UNAVAILABLE"]
# no max_attempts, no deadline, no retry_window
```

## How to fix
Add an attempt limit (`max_attempts = 3` for a live call) and an overall
`deadline`; a background job that must keep trying declares its
`retry_window` instead, shorter than the server's `key_ttl`.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter" ("our
solution is to limit the number of times that the client retries"); Google
SRE book, "Handling Overload" (a per-request budget of up to three attempts);
Temporal retry-policy docs (`maximum_attempts = 0` means unlimited); gRFC A6
(`maxAttempts` is required).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if client.max_attempts.is_some()
            || client.deadline.is_some()
            || client.retry_window.is_some()
            || (client.retry_on.is_none() && client.backoff.is_none())
        {
            continue;
        }
        let field = if client.retry_on.is_some() {
            "`retry_on`"
        } else {
            "`backoff`"
        };
        out.push(
            Finding::new(
                format!(
                    "client `{}` retries with no attempt limit, no deadline and no retry window",
                    client.name.value
                ),
                client.retry_span(),
                "retries, and nothing stops them",
            )
            .secondary(
                client.name.span.clone(),
                "no `max_attempts`, `deadline` or `retry_window`",
            )
            .note(format!(
                "{field} turns retries on, and without `max_attempts` they go on for as long as \
                 the failure lasts"
            ))
            .note(
                "in an outage these endless retries are the load that keeps the server down, and \
                 the caller never gets an answer",
            )
            .help(format!(
                "add `max_attempts = 3` and a `deadline` to `{}`; a background job that must keep \
                 trying declares a `retry_window` shorter than the server's `key_ttl`",
                client.name.value
            ))
            .item(ItemId::Client(ci)),
        );
    }
}
