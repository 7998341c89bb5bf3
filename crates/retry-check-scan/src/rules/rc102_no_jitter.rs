//! RC102 `code_no_jitter`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::Jitter;

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC102",
        name: "code_no_jitter",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "a retry policy in code retries more than once on an unrandomised schedule",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retry policy in Rust code with a non-zero delay and no jitter that
may retry more than once: backon without `.with_jitter()` (jitter is off by
default), tokio-retry without `.map(jitter)`, backoff with
`randomization_factor: 0.0`, retry-policies with `Jitter::None`, and
hand-written loops that sleep a computed delay with no randomness.

## Why it matters
Clients that failed together (the same outage hit them all) retry on the
same schedule and reach the recovering server together, wave after wave.
Exponential backoff spreads one client's attempts, not many clients'.

## Example
```rust
let policy = ExponentialBuilder::default().with_max_times(5); // no jitter
```

## How to fix
backon: `.with_jitter()`; tokio-retry: `.map(jitter)`; retry-policies:
`.jitter(Jitter::Full)`; a loop: multiply the delay by a random factor.

## Source
Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog,
2015); backon docs (jitter off by default); retry-semantics.md 12.2 (`no-jitter`).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    for p in &scan.policies {
        if p.jitter.value() != Some(&Jitter::None) || !p.retries_more_than_once() {
            continue;
        }
        if p.initial_delay.value().is_some_and(|d| d.is_zero()) {
            continue;
        }
        out.push(
            Finding::new(
                format!(
                    "{} retry policy retries on a fixed schedule (no jitter)",
                    p.krate.as_str()
                ),
                p.span.clone(),
                "no jitter",
            )
            .note("clients that failed together retry together, and the overload repeats")
            .help(match p.krate {
                crate::RetryCrate::Backon => "add `.with_jitter()`",
                crate::RetryCrate::TokioRetry => "add `.map(jitter)` before `.take(n)`",
                crate::RetryCrate::RetryPolicies => "use `.jitter(Jitter::Full)`",
                crate::RetryCrate::Backoff => "keep a non-zero `randomization_factor`",
                crate::RetryCrate::Tower => {
                    "sleep a jittered backoff in `retry()` (`ExponentialBackoffMaker`)"
                }
                crate::RetryCrate::Reqwest => "reqwest's own retries have no backoff at all",
                crate::RetryCrate::Tryhard => {
                    "tryhard has no jitter: use backon with `.with_jitter()`"
                }
                crate::RetryCrate::HandWritten => {
                    "randomise the sleep (full jitter: a delay drawn from [0, d])"
                }
            }),
        );
    }
}
