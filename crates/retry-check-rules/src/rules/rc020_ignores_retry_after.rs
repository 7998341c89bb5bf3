//! RC020 `ignores_retry_after`.

use retry_check_contract::{GrpcCode, ItemId, Status};

use crate::text::join_and;
use crate::{Context, Finding, Fix, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC020",
        name: "ignores_retry_after",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client retries overload answers (429, 503, RESOURCE_EXHAUSTED) without honouring Retry-After",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retrying client whose `retry_on` covers 429, 503 or
`RESOURCE_EXHAUSTED` (including a class such as `"5xx"` or `"4xx"`) while
`honor_retry_after` is not `true`.

## Why it matters
These are the answers of a server that is overloaded, rate-limiting or down
for maintenance, and they often say when to come back: `Retry-After` in HTTP,
`grpc-retry-pushback-ms` in gRPC, `x-amz-retry-after` in AWS. A client that
retries on its own short backoff instead comes back while the server is still
rejecting it, spends its attempts for nothing, and adds load to the very
server that asked for less.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
retry_on = ["UNAVAILABLE", 503, 429]
# honor_retry_after is not set
```

## How to fix
Set `honor_retry_after = true`, and make sure the retry library waits at
least the server's hint (capped, for example Envoy's 300 s maximum) and
stops retrying when the hint exceeds the deadline.

## Autofix
`lint --fix` sets `honor_retry_after = true` on the client (the contract
then promises what its retry library must do: check that it does).

## Source
RFC 9110 section 10.2.3 (`Retry-After`, with 503); RFC 6585 section 4 (429 MAY
include `Retry-After`); gRFC A6 (server pushback, `grpc-retry-pushback-ms`);
Envoy `rate_limited_retry_back_off` (300 s default cap); botocore standard
retries 2.1 (`x-amz-retry-after`).
"#;

/// The overload answers that carry a "come back later" hint.
const PUSHBACK: &[Status] = &[
    Status::Http(429),
    Status::Http(503),
    Status::Grpc(GrpcCode::ResourceExhausted),
];

/// What an entry covers, for its label: "`5xx` includes 503".
fn label(entry: Status) -> String {
    use std::fmt::Write;
    // No string per pushback status: the label is written once.
    let mut covered = PUSHBACK.iter().filter(|p| entry.covers(**p));
    let first = covered.clone().next();
    let only = covered.clone().nth(1).is_none();
    if let (Some(p), true) = (first, only) {
        if *p == entry {
            return format!("`{entry}` is an overload answer");
        }
    }
    let mut out = format!("`{entry}` includes ");
    if let Some(p) = covered.next() {
        let _ = write!(out, "{p}");
    }
    for p in covered {
        let _ = write!(out, " and {p}");
    }
    out
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() || client.honor_retry_after.as_ref().is_some_and(|h| h.value) {
            continue;
        }
        let hits: Vec<_> = client
            .retry_on()
            .iter()
            .filter(|e| PUSHBACK.iter().any(|p| e.value.covers(*p)))
            .collect();
        let Some((first, rest)) = hits.split_first() else {
            continue;
        };
        let names: Vec<String> = hits.iter().map(|e| format!("`{}`", e.value)).collect();
        let how = match &client.honor_retry_after {
            Some(_) => "with `honor_retry_after = false`",
            None => "without `honor_retry_after`",
        };
        let mut f = Finding::new(
            format!(
                "client `{}` retries on {} {how}, ignoring the server's `Retry-After`",
                client.name.value,
                join_and(&names)
            ),
            first.span.clone(),
            label(first.value),
        );
        for e in rest {
            f = f.secondary(e.span.clone(), label(e.value));
        }
        if let Some(h) = &client.honor_retry_after {
            f = f.secondary(h.span.clone(), "the server's hint is ignored");
        }
        out.push(
            f.note(
                "429, 503 and `RESOURCE_EXHAUSTED` come from a server that is overloaded or \
                 rate-limiting, often with `Retry-After` (or `grpc-retry-pushback-ms`) saying \
                 when to come back",
            )
            .note(
                "retrying on the client's own backoff comes back while the server still rejects \
                 requests: the attempts are wasted and add load to the server that asked for less",
            )
            .help(format!(
                "set `honor_retry_after = true` on `{}`, with a cap on the wait (Envoy uses 300s)",
                client.name.value
            ))
            .fix(
                Fix::new(format!(
                    "set `honor_retry_after = true` on client `{}`",
                    client.name.value
                ))
                .set(
                    client.name.span.source,
                    &["client", &client.name.value],
                    "honor_retry_after",
                    "true",
                ),
            )
            .item(ItemId::Client(ci)),
        );
    }
}
