//! RC018 `budget_too_generous`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC018",
        name: "budget_too_generous",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client's retry budget lets retries add more than 20% to its load",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Checks the `ratio` of a retrying client's `budget` (retries allowed as a share
of requests): above 0.2 it warns, above 1.0 (more retries than requests) it
is an error.

## Why it matters
A retry budget exists to cap the extra load retries put on a failing
dependency. The established defaults are 20% (Finagle, Linkerd, Envoy, tower,
reqwest) and the SRE book recommends 10%. A budget of 0.5 lets a total outage
grow the offered load by half; a budget above 1.0 allows more retries than
there are requests and caps nothing that `max_attempts` does not already cap.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
budget = { ratio = 0.5, min_per_sec = 10 }   # retries may add 50% load
```

## How to fix
Lower `ratio` to 0.1 (the SRE book) or at most 0.2 (the library defaults),
and keep `min_per_sec` small so that low-traffic clients can still retry.

## Source
Google SRE book, "Handling Overload" (per-client retry ratio below 10%);
Finagle `RetryBudget` (`percentCanRetry = 0.2`); Linkerd ServiceProfile
`retryRatio: 0.2`; Envoy `retry_budget.budget_percent` (20% by default);
tower `TpsBudget` and reqwest's retry budget (20%).
"#;

/// Above this, warn (the library defaults).
const GENEROUS: f64 = 0.2;
/// Above this, deny: more retries than requests.
const ABSURD: f64 = 1.0;

/// `0.35` as `35%`, without float noise.
fn percent(ratio: f64) -> String {
    let p = (ratio * 1000.0).round() / 10.0;
    format!("{p}%")
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let sends_more = client.retries()
            || client
                .hedging
                .as_ref()
                .is_some_and(|h| h.max_attempts.as_ref().is_none_or(|m| m.value > 1));
        if !sends_more {
            continue;
        }
        let Some(ratio) = client.budget.as_ref().and_then(|b| b.ratio.as_ref()) else {
            continue;
        };
        let r = ratio.value;
        if r.is_nan() || r <= GENEROUS {
            continue;
        }
        let extra = percent(r);
        let mut f = Finding::new(
            format!(
                "client `{}` has a retry budget of {} ({extra} of requests), above the 20% default",
                client.name.value, r
            ),
            ratio.span.clone(),
            format!("retries may add {extra} to the load"),
        );
        if r > ABSURD {
            f = f
                .note(format!(
                    "a ratio above 1.0 allows more retries than requests: in an outage the offered \
                     load may grow to {} of normal, and the budget caps nothing that `max_attempts` \
                     does not",
                    percent(1.0 + r)
                ))
                .raise();
        } else {
            f = f.note(format!(
                "in an outage retries may grow the load on the failing server by {extra}, where \
                 the common default allows 20% and the SRE book recommends 10%"
            ));
        }
        out.push(
            f.help(
                "lower `ratio` to 0.1 (Google SRE) or at most 0.2 (Finagle, Linkerd, Envoy, tower)",
            )
            .item(ItemId::Client(ci)),
        );
    }
}
