//! RC010 `no_backoff_cap`.

use retry_check_contract::derive::{attempts, backoff_upper_bounds};
use retry_check_contract::{Duration, ItemId, Jitter};
use retry_check_diagnostics::fix::toml_string;

use crate::{Context, Finding, Fix, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC010",
        name: "no_backoff_cap",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "exponential backoff with no `max`: delays grow without a cap",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retrying client whose backoff grows exponentially (`multiplier`
above 1, or `jitter = "decorrelated"`, which grows by up to 3 times per
retry) and has no `max`.

## Why it matters
Uncapped exponential delays double on every retry: starting at 100 ms, the
tenth delay is 51 s and the twentieth is 14 hours. Without a cap the
schedule outgrows any deadline, the retry window that servers must
remember keys for becomes enormous, and a request that could have succeeded
seconds after the fault cleared sleeps for hours instead. Several libraries
default to no cap (Polly `MaxDelay = null`, tower's `u64::MAX`, tokio-retry
without `.max_delay`), so the missing cap is easy to carry over.

## Example
```toml
[client.sync]
calls = ["inventory.Reserve"]
max_attempts = 10
backoff = { initial = "100ms", multiplier = 2.0, jitter = "full" }
```

## How to fix
Add `max`: a few seconds for live calls (AWS SDKs cap at 20 s), minutes to
hours for background reconcilers, and never more than the deadline.

## Autofix
`lint --fix` adds `max = "20s"` (the AWS SDKs' cap) to a schedule that
starts below 20 s, and 32 times `initial` (five doublings) to one that
starts higher (a background reconciler); never more than the client's
`deadline`.

## Source
Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog,
2015: `min(cap, base * 2^n)`); AWS Builders' Library, "Timeouts, retries, and
backoff with jitter" (capped exponential backoff); aws-sdk-js-v3
`MAXIMUM_RETRY_DELAY` and botocore `_MAX_BACKOFF` (20 s).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() {
            continue;
        }
        let Some(b) = &client.backoff else { continue };
        if b.max.is_some() {
            continue;
        }
        let growing = b.multiplier.as_ref().filter(|m| m.value > 1.0);
        let decorrelated = b
            .jitter
            .as_ref()
            .filter(|j| j.value == Jitter::Decorrelated);
        let (span, label) = match (growing, decorrelated) {
            (Some(m), _) => (
                m.span.clone(),
                format!("each delay is {:?} times the last, with no `max`", m.value),
            ),
            (None, Some(j)) => (
                j.span.clone(),
                "each delay may be 3 times the last, with no `max`".to_string(),
            ),
            (None, None) => continue,
        };
        let name = &client.name.value;
        let growth = match attempts(client) {
            Some(a) => match backoff_upper_bounds(client, a.saturating_sub(1)).last() {
                Some(last) => format!(
                    "with `max_attempts = {a}` the last delay grows to {last}, and a higher limit makes it grow further"
                ),
                None => continue,
            },
            None => "with no attempt limit the delays grow without bound".to_string(),
        };
        out.push(
            Finding::new(
                format!("client `{name}` backs off exponentially with no `max` delay"),
                span,
                label,
            )
            .note(growth)
            .note("uncapped delays outgrow any deadline and stretch the retry window servers must remember keys for")
            .help("add `max` to `backoff`, e.g. `max = \"2s\"` for a live call (AWS SDKs cap at 20s)")
            .fix({
                let cap = cap(client);
                Fix::new(format!("add `max = \"{cap}\"` to the `backoff` of client `{name}`"))
                    .set(b.span.source, &["client", name, "backoff"], "max", &toml_string(&cap.to_string()))
            })
            .item(ItemId::Client(ci)),
        );
    }
}

/// The cap `--fix` writes: 20 s (the AWS SDKs' cap) for a schedule that
/// starts below it, else 32 times `initial`; at most the deadline, at
/// least `initial`.
fn cap(client: &retry_check_contract::Client) -> Duration {
    const SDK_CAP: Duration = Duration(20_000);
    let initial = client
        .backoff
        .as_ref()
        .and_then(|b| b.initial.as_ref())
        .map(|i| i.value);
    let mut cap = match initial {
        Some(i) if i >= SDK_CAP => i.saturating_mul(32),
        _ => SDK_CAP,
    };
    if let Some(d) = &client.deadline {
        cap = cap.min(d.value);
    }
    match initial {
        Some(i) => cap.max(i),
        None => cap,
    }
}
