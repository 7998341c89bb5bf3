//! RC007 `invalid_attempts`.

use retry_check_contract::{Client, ItemId};
use retry_check_diagnostics::Span;

use crate::text::join_and;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC007",
        name: "invalid_attempts",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "an attempt count that is invalid, or that makes the other retry settings dead",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags three attempt counts that cannot mean what was intended:
- `max_attempts` below 1 (0 or negative);
- `max_attempts = 1` (no retries) together with `backoff`, `retry_on`,
  `retry_window`, `budget` or `honor_retry_after`, which can then never
  apply;
- `hedging` whose `max_attempts` is missing or below 2.

## Why it matters
Runtimes disagree on what 0 means: Temporal reads `maximum_attempts = 0` as
unlimited, Istio's `attempts: 0` disables retries, and gRPC rejects a
`maxAttempts` below 2 and drops the whole policy. A contract that says 0
therefore promises nothing. `max_attempts = 1` with a backoff and retry
codes is self-contradictory: either someone meant to retry and the client
does not, or the dead fields mislead every reader (and every rule that
reasons about the retry window). A hedging policy with fewer than 2 attempts
sends no hedge at all.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 1
backoff = { initial = "200ms", multiplier = 2.0, max = "2s", jitter = "full" }
retry_on = ["UNAVAILABLE"]
```

## How to fix
Write the number of attempts, first one included: 1 for no retries (and
remove the retry fields), 2 or 3 to retry. For hedging, set
`max_attempts` to 2 or more, or remove `hedging`.

## Source
gRFC A6 (`maxAttempts` "is required and must be two or greater", also for
`hedgingPolicy`); grpc-go `service_config.go` (drops or rejects a policy with
`MaxAttempts <= 1`); Istio `validateHTTPRetry` ("attempts cannot be
negative"; retry fields with `attempts` 0 are an error); Temporal retry
policies (`maximum_attempts` 0 = unlimited, negative = error).
"#;

/// The retry fields present on the client, with where they are written.
fn retry_fields(c: &Client) -> Vec<(&'static str, Span)> {
    let mut out = Vec::new();
    if let Some(b) = &c.backoff {
        out.push(("backoff", b.span.clone()));
    }
    if let Some(r) = &c.retry_on {
        out.push(("retry_on", r.span.clone()));
    }
    if let Some(w) = &c.retry_window {
        out.push(("retry_window", w.span.clone()));
    }
    if let Some(b) = &c.budget {
        out.push(("budget", b.span.clone()));
    }
    if let Some(h) = &c.honor_retry_after {
        out.push(("honor_retry_after", h.span.clone()));
    }
    out
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let name = &client.name.value;
        if let Some(attempts) = &client.max_attempts {
            let n = attempts.value;
            if n < 1 {
                out.push(
                    Finding::new(
                        format!("client `{name}` sets `max_attempts = {n}`; a call makes at least one attempt"),
                        attempts.span.clone(),
                        "must be 1 or more",
                    )
                    .note(
                        "runtimes read this differently: Temporal's 0 is unlimited, Istio's 0 \
                         disables retries, and gRPC rejects anything below 2",
                    )
                    .help("write the attempts including the first: 1 for no retries, 2 or 3 to retry")
                    .item(ItemId::Client(ci)),
                );
            } else if n == 1 {
                let fields = retry_fields(client);
                if !fields.is_empty() {
                    let names: Vec<String> = fields.iter().map(|(f, _)| format!("`{f}`")).collect();
                    let list = join_and(&names);
                    let mut f = Finding::new(
                        format!(
                            "client `{name}` never retries (`max_attempts = 1`) but sets {list}"
                        ),
                        attempts.span.clone(),
                        "one attempt: no retries",
                    );
                    for (field, span) in fields {
                        f = f.secondary(span, format!("`{field}` can never apply"));
                    }
                    out.push(
                        f.note(
                            "either the client was meant to retry and does not, or these fields \
                             mislead every reader about what happens on failure",
                        )
                        .help(format!(
                            "remove {list}, or set `max_attempts = 3` if the client should retry"
                        ))
                        .item(ItemId::Client(ci)),
                    );
                }
            }
        }
        if let Some(h) = &client.hedging {
            match &h.max_attempts {
                Some(m) if m.value < 2 => out.push(
                    Finding::new(
                        format!(
                            "client `{name}` hedges with `max_attempts = {}`, which sends no hedge",
                            m.value
                        ),
                        m.span.clone(),
                        "hedging needs 2 or more attempts",
                    )
                    .note("gRFC A6 requires the hedging `maxAttempts` to be 2 or more")
                    .help("set `max_attempts = 2` in `hedging`, or remove `hedging`")
                    .item(ItemId::Client(ci)),
                ),
                Some(_) => {}
                None => out.push(
                    Finding::new(
                        format!("client `{name}` hedges without `max_attempts`"),
                        h.span.clone(),
                        "no `max_attempts` in `hedging`",
                    )
                    .note("gRFC A6 requires the hedging `maxAttempts`, 2 or more")
                    .help("add `max_attempts = 2` to `hedging`, or remove `hedging`")
                    .item(ItemId::Client(ci)),
                ),
            }
        }
    }
}
