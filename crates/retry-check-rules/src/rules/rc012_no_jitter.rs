//! RC012 `no_jitter`.

use retry_check_contract::{ItemId, Jitter};

use crate::{Context, Finding, Fix, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC012",
        name: "no_jitter",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client retries more than once on a fixed, unrandomised schedule",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client with a backoff delay whose `jitter` is `"none"` or missing,
when it makes more than one retry: `max_attempts` above 2, or no attempt
limit at all. (A client with no backoff delay at all is reported by
`no_backoff` instead.)

## Why it matters
Clients that fail together, because the same outage hit them all, retry on
the same fixed schedule and arrive at the server together, again and again:
"If all the failed calls back off to the same time, they cause contention or
overload again." Exponential backoff alone spreads the attempts of one
client over time but not the attempts of many clients. Brooker's
simulations show un-jittered backoff doing the most work of all variants.
Jitter is off by default in Polly, backon and Temporal, so it is easy to
forget.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
backoff = { initial = "200ms", multiplier = 2.0, max = "2s" }   # no jitter
```

## How to fix
Add `jitter = "full"` (a delay drawn from `[0, d]`, the least total work)
or `"decorrelated"`. `"equal"` also randomises but is not preferred.

## Autofix
`lint --fix` sets `jitter = "full"` in the client's `backoff` (replacing
`"none"`).

## Source
Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog,
2015; full jitter does the least work); AWS Builders' Library, "Timeouts,
retries, and backoff with jitter"; gRFC A6 (full jitter built into the
gRPC retry backoff).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() {
            continue;
        }
        // Exactly one retry (max_attempts <= 2) cannot synchronise a second time.
        let retries = match &client.max_attempts {
            Some(m) if m.value <= 2 => continue,
            Some(m) => format!("{} retries", m.value - 1),
            None => "retries with no attempt limit".to_string(),
        };
        // No delay at all is RC008's finding; there is nothing to randomise.
        let Some(b) = &client.backoff else { continue };
        if b.initial.as_ref().is_none_or(|i| i.value.as_millis() == 0) {
            continue;
        }
        let name = &client.name.value;
        let (span, label, how) = match &b.jitter {
            Some(j) if j.value == Jitter::None => (
                j.span.clone(),
                "no jitter".to_string(),
                "`jitter = \"none\"`",
            ),
            Some(_) => continue,
            None => (
                b.span.clone(),
                "no `jitter` in this `backoff`".to_string(),
                "no `jitter`",
            ),
        };
        out.push(
            Finding::new(
                format!("client `{name}` makes {retries} on a fixed schedule ({how})"),
                span,
                label,
            )
            .note(
                "clients that failed together retry together: every retry wave reaches the server \
                 at the same moment, and the overload repeats",
            )
            .help("add `jitter = \"full\"` to `backoff` (or `\"decorrelated\"`)")
            .fix(
                Fix::new(format!(
                    "set `jitter = \"full\"` in the `backoff` of client `{name}`"
                ))
                .set(
                    b.span.source,
                    &["client", name, "backoff"],
                    "jitter",
                    "\"full\"",
                ),
            )
            .item(ItemId::Client(ci)),
        );
    }
}
