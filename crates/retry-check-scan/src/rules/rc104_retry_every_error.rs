//! RC104 `retry_every_error`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::Predicate;

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC104",
        name: "retry_every_error",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "a retry in code has no predicate, so every error is retried",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retry with no error classification: backon `.retry(..)` without
`.when(..)`, tokio-retry `Retry::spawn` (rather than `RetryIf::spawn`),
backoff `retry`/`future::retry` whose operation never builds
`Error::permanent` (every `?` error converts to a transient one), and
hand-written loops that retry on any `Err`.

## Why it matters
Validation errors, 4xx responses, authentication failures and "already
exists" are retried as if they were transient: wasted load, slower
failures, and for non-idempotent calls a second execution after a response
that was merely lost.

## Example
```rust
let body = fetch.retry(ExponentialBuilder::default()).await?; // no .when
```

## How to fix
Classify: backon `.when(|e| e.is_transient())`; tokio-retry
`RetryIf::spawn(strategy, action, |e: &Error| e.is_transient())`; backoff
`Error::permanent(e)` for errors that must not be retried.

## Source
backon, tokio-retry and backoff sources (retry-all defaults); AIP-194;
retry-semantics.md 12.2 (`retry-all-errors-default`).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    for p in &scan.policies {
        if p.predicate.value() != Some(&Predicate::EveryError) {
            continue;
        }
        out.push(
            Finding::new(
                format!("{} retry retries every error", p.krate.as_str()),
                p.span_of("predicate"),
                "no retry predicate",
            )
            .secondary(p.span.clone(), "policy built here")
            .help(match p.krate {
                crate::RetryCrate::Backon => "add `.when(|e| is_transient(e))`",
                crate::RetryCrate::TokioRetry => {
                    "use `RetryIf::spawn(strategy, action, condition)`"
                }
                crate::RetryCrate::Backoff => {
                    "map permanent errors to `backoff::Error::permanent(e)`"
                }
                _ => "retry only errors known to be transient",
            }),
        );
    }
}
