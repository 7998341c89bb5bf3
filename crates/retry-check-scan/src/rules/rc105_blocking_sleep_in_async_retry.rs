//! RC105 `blocking_sleep_in_async_retry`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC105",
        name: "blocking_sleep_in_async_retry",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Scan,
        summary: "`std::thread::sleep` in a retry loop of async code blocks the executor",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags `std::thread::sleep` (or a bare `sleep` imported from `std::thread`)
in a retry loop inside an `async fn` or `async` block.

## Why it matters
The backoff sleep blocks the executor thread: every other task on that
worker stalls for the whole delay, timeouts fire elsewhere, and under an
outage (when every task is backing off at once) the runtime stops making
progress at all.

## Example
```rust
async fn fetch() -> Result<Body, Error> {
    for _ in 0..3 {
        match call().await { Ok(b) => return Ok(b), Err(_) => std::thread::sleep(DELAY) }
    }
    call().await
}
```

## How to fix
`tokio::time::sleep(delay).await` (or your runtime's async sleep).

## Source
tokio docs, "CPU-bound tasks and blocking code"; std::thread::sleep docs.
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    for (sleep, lp) in &scan.blocking_sleeps {
        out.push(
            Finding::new(
                "`std::thread::sleep` blocks the async executor between retries",
                sleep.clone(),
                "blocking sleep",
            )
            .secondary(lp.clone(), "in this retry loop of async code")
            .help("use `tokio::time::sleep(delay).await`"),
        );
    }
}
