//! RC110 `immediate_retry`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::{OptDur, RetryCrate};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC110",
        name: "immediate_retry",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "a retry in code has no delay between attempts",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retry that retries more than once with no delay at all between
attempts: a counted loop of awaited calls that goes round on an error with
no sleep, a backon builder with a zero delay or a sleeper that does not
sleep (`.sleep(|_| future::ready(()))`), tokio-retry
`FixedInterval::from_millis(0)`, tryhard without a backoff (its default),
and a tower `Policy` whose `retry` never sleeps, unless a retry budget in
the file limits the extra load (reqwest's own retries carry one by default).

## Why it matters
Most failures worth retrying (an overload, a restart, a leader election, a
connection reset) last longer than the microseconds between two calls:
every attempt fails the same way, and under an outage each client turns
one request into a burst of several, exactly when the server can least
take them.

## Example
```rust
let body = tryhard::retry_fn(|| fetch(url)).retries(5).await?; // no backoff
```

## How to fix
Wait between attempts, growing and jittered: tryhard
`.exponential_backoff(Duration::from_millis(100))`, backon
`ExponentialBuilder::default().with_jitter()`, a loop
`sleep(delay.mul_f64(rand::random())).await`; or bound the extra load with
a retry budget.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter";
Google SRE book, "Handling Overload" (retry budgets); tryhard docs
(`NoBackoff` is the default); retry-semantics.md 12.2.
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    for p in &cx.scan.policies {
        let zero = p.initial_delay.value().is_some_and(|d| d.is_zero())
            && !matches!(p.max_delay.value(), Some(OptDur(Some(d))) if !d.is_zero());
        if !zero || p.has_budget || !p.retries_more_than_once() {
            continue;
        }
        let how = match p.krate {
            RetryCrate::HandWritten => "the loop goes round on an error without sleeping",
            RetryCrate::Tryhard => "tryhard's default is no backoff",
            RetryCrate::Tower => "`retry()` never sleeps and no retry budget is in the file",
            _ => "the delay between attempts is zero",
        };
        out.push(
            Finding::new(
                format!("{} retry has no delay between attempts: {how}", p.krate.as_str()),
                p.span_of("initial_delay"),
                "retried immediately",
            )
            .note("a failure that lasts longer than a call fails every attempt, and each request becomes a burst")
            .help("wait between attempts (exponential, jittered), or bound the extra load with a retry budget"),
        );
    }
}
