//! RC017 `no_retry_budget`.

use retry_check_contract::{Client, ItemId};
use retry_check_diagnostics::Span;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC017",
        name: "no_retry_budget",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client retries (or hedges) with no retry budget limiting the extra load",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client that sends more than one attempt (it retries, or it hedges)
and declares no `budget`: no client-wide limit on retries as a share of its
requests.

## Why it matters
`max_attempts` limits each request, not the client. When a dependency is
overloaded every request fails, so every request is retried: the load on the
struggling server is multiplied by `max_attempts` exactly when it can least
take it, and recovery is delayed. A budget lets occasional failures retry
freely but caps the extra load in an outage, for example retries at most 10%
of requests plus a few per second.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
deadline = "3s"
retry_on = ["UNAVAILABLE"]
# no budget: in an outage payments gets 3x the traffic
```

## How to fix
Add `budget = { ratio = 0.1, min_per_sec = 10 }`: retries may add at most 10%
to the request rate, with 10 retries per second always allowed. Configure the
same in the retry library (tower `TpsBudget`, reqwest's retry budget, gRPC
`retryThrottling`, the AWS SDK retry quota).

## Source
Google SRE book, "Handling Overload" (per-client retry budget: retry only
while retries are below 10% of requests); AWS Builders' Library, "Timeouts,
retries, and backoff with jitter" (local token bucket, in the AWS SDK since
2016); gRFC A6 `retryThrottling` (disables retries and hedges when failures
accumulate); Finagle `RetryBudget`, Linkerd, tower `TpsBudget` (20% plus 10
per second by default).
"#;

/// The span and label of whatever makes this client send extra attempts.
fn extra_attempts(client: &Client) -> Option<(Span, String)> {
    if client.retries() {
        let label = match &client.max_attempts {
            Some(m) => format!("up to {} attempts per request", m.value),
            None => "retries with no attempt limit".to_string(),
        };
        return Some((client.retry_span(), label));
    }
    let h = client.hedging.as_ref()?;
    match &h.max_attempts {
        Some(m) if m.value > 1 => Some((
            m.span.clone(),
            format!("up to {} hedged attempts per request", m.value),
        )),
        Some(_) => None,
        None => Some((h.span.clone(), "hedges every request".to_string())),
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if client.budget.is_some() {
            continue;
        }
        let Some((span, label)) = extra_attempts(client) else {
            continue;
        };
        let hedges = !client.retries();
        let (verb, times) = if hedges {
            (
                "hedges",
                "every request may be sent several times at once".to_string(),
            )
        } else {
            match &client.max_attempts {
                Some(m) => (
                    "retries",
                    format!(
                        "when every request fails, every request is sent {} times",
                        m.value
                    ),
                ),
                None => (
                    "retries",
                    "when every request fails, every request is retried again and again"
                        .to_string(),
                ),
            }
        };
        out.push(
            Finding::new(
                format!("client `{}` {verb} with no retry budget", client.name.value),
                span,
                label,
            )
            .note(format!(
                "{times}: the load on the server multiplies exactly when it is overloaded, and \
                 delays its recovery"
            ))
            .help(format!(
                "add `budget = {{ ratio = 0.1, min_per_sec = 10 }}` to `{}`: extra attempts add at \
                 most 10% to its request rate (Google SRE), with 10 per second always allowed",
                client.name.value
            ))
            .item(ItemId::Client(ci)),
        );
    }
}
