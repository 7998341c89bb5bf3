//! RC001 `key_ttl_shorter_than_retry_window`.

use retry_check_contract::derive::{RetryWindow, WindowSource};
use retry_check_contract::ItemId;
use retry_check_diagnostics::fix::toml_string;
use retry_check_diagnostics::Span;

use crate::{Context, Finding, Fix, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC001",
        name: "key_ttl_shorter_than_retry_window",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a server forgets idempotency keys before a client stops retrying them",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Compares each keyed server's `key_ttl` with the retry window of every client
that calls it: the latest moment after the first attempt at which a retry
with the same key may arrive (the explicit `retry_window`, else the worst case
of the backoff schedule, jitter upper bound included, bounded by `deadline`).

## Why it matters
A key is only a promise while the server remembers it. A retry that arrives
after the record expired finds nothing, runs the operation again, and charges
the card twice. Reconcilers and queues retry for hours or days; servers often
keep keys for 24 hours (Stripe's minimum) or one hour (Powertools' default).

## Example
```toml
[server.payments]
key_ttl = "24h"

[client.checkout-reconciler]
calls = ["payments.Charge"]
retry_window = "72h"   # retries the same key for 3 days
```

## How to fix
Raise `key_ttl` to at least the longest retry window of any caller (with a
margin), or stop retrying the same key before the server forgets it (mark
the operation `payment_pending` and reconcile by looking it up instead).

## Autofix
`lint --fix` raises the server's `key_ttl` to the client's retry window
(for a client whose retries are bounded). Check that the store can keep
records that long.

## Source
IETF draft-ietf-httpapi-idempotency-key-header (expiry policy must be
published); Stripe idempotency docs (keys pruned after at least 24 h);
Powertools for AWS Lambda (1 h default vs 6 h Lambda async event age).
"#;

/// Where a client's retry window is written, for the secondary label.
fn window_span(cx: &Context<'_>, ci: usize, source: Option<WindowSource>) -> Span {
    let c = cx.client(ci);
    let explicit = c.retry_window.as_ref().map(|w| w.span.clone());
    let deadline = c.deadline.as_ref().map(|d| d.span.clone());
    match source {
        Some(WindowSource::Explicit) => explicit,
        Some(WindowSource::Deadline) => deadline,
        _ => None,
    }
    .unwrap_or_else(|| c.retry_span())
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        let Some(ttl) = &server.key_ttl else { continue };
        let mut seen: Vec<usize> = Vec::new();
        for (ci, target) in cx.callers(si) {
            if seen.contains(&ci) || !cx.target_unsafe(target) {
                continue;
            }
            let client = cx.client(ci);
            // `window_text` reads after "retries" ("for up to 72h" / "without end").
            let (window_text, source) = match cx.windows[ci] {
                RetryWindow::Finite(w, source) if w > ttl.value => {
                    (format!("for up to {w}"), Some(source))
                }
                RetryWindow::Unbounded => ("without end".to_string(), None),
                RetryWindow::Finite(..) => continue,
            };
            seen.push(ci);
            let how = match source {
                Some(WindowSource::Explicit) => "its `retry_window`",
                Some(WindowSource::Deadline) => "its deadline",
                Some(_) => "the worst case of its backoff schedule",
                None => "it has no attempt limit and no deadline",
            };
            let finding = Finding::new(
                    format!(
                        "server `{}` forgets keys after {} but client `{}` retries {}",
                        server.name.value, ttl.value, client.name.value, window_text
                    ),
                    ttl.span.clone(),
                    format!("keys are forgotten after {}", ttl.value),
                )
                .secondary(
                    window_span(cx, ci, source),
                    format!("retries the same key {window_text}"),
                )
                .note(format!(
                    "client `{}` retries {window_text} ({how})",
                    client.name.value
                ))
                .note(format!(
                    "a retry arriving after {} finds no record and runs the operation again",
                    ttl.value
                ))
                .help(match cx.windows[ci] {
                    RetryWindow::Finite(w, _) => format!(
                        "raise `key_ttl` to at least {w}, or stop retrying the same key after {}",
                        ttl.value
                    ),
                    RetryWindow::Unbounded => format!(
                        "bound the retries of `{}` (`max_attempts`, `deadline` or `retry_window`), then make `key_ttl` cover them",
                        client.name.value
                    ),
                })
                .item(ItemId::Server(si))
                .item(ItemId::Client(ci));
            let finding = match cx.windows[ci] {
                RetryWindow::Finite(w, _) => finding.fix(
                    Fix::new(format!(
                        "raise `key_ttl` of server `{}` from {} to {w}, the retry window of client `{}`",
                        server.name.value, ttl.value, client.name.value
                    ))
                    .set(
                        ttl.span.source,
                        &["server", &server.name.value],
                        "key_ttl",
                        &toml_string(&w.to_string()),
                    ),
                ),
                RetryWindow::Unbounded => finding,
            };
            out.push(finding);
        }
    }
}
