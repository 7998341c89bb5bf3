//! RC033 `breaker_open_shorter_than_backoff`.

use retry_check_contract::derive::nominal_delay;
use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC033",
        name: "breaker_open_shorter_than_backoff",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary:
            "a circuit breaker reopens for traffic before the client's first retry is even due",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retrying client whose `breaker.open_for` is shorter than the delay
before its first retry (`backoff.initial`, the upper bound of the jitter).

## Why it matters
An open breaker is there to give the dependency a pause. If it is open for
less time than the client already waits before retrying, it never stops a
retry: by the time the retry is due the breaker is half-open again, and the
probes plus the retries arrive together. The breaker adds modal behaviour
("difficult to test", as the Builders' Library puts it) without shedding
any load.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
backoff = { initial = "2s", multiplier = 2.0, max = "10s", jitter = "full" }
breaker = { failure_ratio = 0.5, open_for = "500ms" }
```

## How to fix
Keep the breaker open for longer than the backoff it is meant to reinforce
(several times `backoff.initial`, typically seconds to tens of seconds), or
drop the breaker and rely on a retry budget.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter" (circuit
breakers and their modal behaviour); resilience4j CircuitBreaker
(`waitDurationInOpenState`, default 60s).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() {
            continue;
        }
        let Some(open_for) = client.breaker.as_ref().and_then(|b| b.open_for.as_ref()) else {
            continue;
        };
        let first = nominal_delay(client, 1);
        if open_for.value >= first {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "client `{}`'s breaker is open for {}, less than the {} it waits before its first retry",
                client.name.value, open_for.value, first
            ),
            open_for.span.clone(),
            format!("open for {}", open_for.value),
        );
        if let Some(initial) = client.backoff.as_ref().and_then(|b| b.initial.as_ref()) {
            f = f.secondary(
                initial.span.clone(),
                format!("first retry after up to {first}"),
            );
        }
        out.push(
            f.note("the breaker is half-open again before any retry is due, so it never holds one back")
                .help(format!("keep the breaker open longer than {first}, e.g. `open_for = \"{}\"`", retry_check_contract::Duration(first.as_millis().saturating_mul(5).max(5_000))))
                .item(ItemId::Client(ci)),
        );
    }
}
