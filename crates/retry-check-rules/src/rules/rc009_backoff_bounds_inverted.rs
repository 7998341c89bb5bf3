//! RC009 `backoff_bounds_inverted`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC009",
        name: "backoff_bounds_inverted",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "the backoff cap `max` is smaller than the `initial` delay",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a `backoff` whose `max` (the cap on any one delay) is smaller than its
`initial` delay.

## Why it matters
The two bounds contradict each other, and every runtime resolves the
contradiction differently: Envoy rejects a `max_interval` below
`base_interval`, tower returns `InvalidBackoff`, and retry-policies panics
on `retry_bounds(min, max)` with `min > max`. Read literally, the cap wins
and every delay is `max`, so the exponential schedule the contract
describes never happens. Usually one of the two values has a unit typo
(`"2m"` for `"2s"`, `"100ms"` for `"100s"`).

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
backoff = { initial = "1s", multiplier = 2.0, max = "500ms", jitter = "full" }
```

## How to fix
Make `max` at least `initial`; typically 10 to 20 times the initial delay,
and never more than the caller's deadline.

## Source
Envoy `RetryPolicy.RetryBackOff` (`max_interval` must be greater than or
equal to `base_interval`); tower `ExponentialBackoffMaker` (`InvalidBackoff`);
retry-policies `ExponentialBackoff::retry_bounds` (panics when min > max).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let Some(b) = &client.backoff else { continue };
        let (Some(initial), Some(max)) = (&b.initial, &b.max) else {
            continue;
        };
        if max.value >= initial.value {
            continue;
        }
        out.push(
            Finding::new(
                format!(
                    "the backoff of client `{}` caps delays at {}, below its initial delay of {}",
                    client.name.value, max.value, initial.value
                ),
                max.span.clone(),
                format!("`max` is {}", max.value),
            )
            .secondary(initial.span.clone(), format!("`initial` is {}", initial.value))
            .note(format!(
                "read literally, every delay is {}: the exponential schedule never happens; Envoy \
                 and tower reject such bounds and retry-policies panics on them",
                max.value
            ))
            .help(format!(
                "raise `max` to at least {} (typically 10 to 20 times `initial`), or lower `initial`",
                initial.value
            ))
            .item(ItemId::Client(ci)),
        );
    }
}
