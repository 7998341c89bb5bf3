//! RC101 `unbounded_retries`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::{Attempts, OptDur, RetryCrate, Val};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC101",
        name: "code_unbounded_retries",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Scan,
        summary: "a retry policy in code has no attempt limit and no total-time limit",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retry policy in Rust code that never gives up: backon
`without_max_times()` with no `with_total_delay`, a tokio-retry strategy with
no `.take(n)`, backoff with `max_elapsed_time: None`, retry-policies
`max_n_retries: None` with no total duration, or a hand-written `loop` that
sleeps and retries with no attempt counter and no elapsed-time check.

## Why it matters
A call that fails for good (a bad credential, a deleted resource, a bug)
is retried forever: the task never returns, the load on the failing
dependency never stops, and every retry outlives the server's idempotency
key TTL, so a late retry can execute the side effect a second time.

## Example
```rust
let strategy = ExponentialBackoff::from_millis(10).map(jitter); // no .take(n)
Retry::spawn(strategy, action).await?;
```

## How to fix
Bound the attempts (`.take(3)`, `.with_max_times(3)`,
`build_with_max_retries(3)`) or the total time (`with_total_delay`,
`max_elapsed_time: Some(..)`), and declare the resulting window in the
contract so the server keeps keys at least that long.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter" (limit
the number of retries); tokio-retry and backoff crate docs (infinite
iterator, `None` = retry forever); retry-semantics.md 12.2 (`unbounded-retries`).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    for p in &scan.policies {
        let unbounded = matches!(p.max_attempts.value(), Some(Attempts::Unbounded));
        let no_window = matches!(p.max_elapsed.value(), Some(OptDur(None)));
        if !(unbounded && no_window) {
            continue;
        }
        let how = match (p.krate, &p.max_attempts) {
            (RetryCrate::TokioRetry, Val::Default(_)) => "the strategy has no `.take(n)`",
            (RetryCrate::Backon, _) => "`without_max_times()` and no `with_total_delay`",
            (RetryCrate::Backoff, _) => "`max_elapsed_time` is `None`",
            (RetryCrate::HandWritten, _) => {
                "the loop has no attempt counter and no elapsed-time check"
            }
            _ => "no attempt limit and no total duration",
        };
        let span = match p.krate {
            RetryCrate::Backoff => p.span_of("max_elapsed"),
            RetryCrate::Backon => p.span_of("max_attempts"),
            _ => p.span.clone(),
        };
        let finding = Finding::new(
            format!("{} retry policy never gives up: {how}", p.krate.as_str()),
            span,
            "retries without limit",
        )
        .help("bound the attempts (`.take(n)`, `with_max_times(n)`) or the total time");
        // A backoff built here but driven elsewhere (a watcher's reset-able
        // backoff, a layer's default): whether the retry ends is decided
        // by code this file does not show.
        out.push(if !p.is_attached() {
            finding
                .note("the policy is not passed to a retry call in this file: whether the retries end is decided where it is used")
                .info()
        } else {
            finding.note(
                "a permanent failure is retried forever, long past any idempotency key TTL",
            )
        });
    }
}
