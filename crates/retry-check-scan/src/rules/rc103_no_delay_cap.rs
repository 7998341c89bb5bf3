//! RC103 `code_no_delay_cap`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::OptDur;

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC103",
        name: "code_no_delay_cap",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "a growing backoff in code has no maximum delay",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags an exponential or Fibonacci backoff in Rust code with no maximum
delay: backon `without_max_delay()`, a tokio-retry strategy without
`.max_delay(d)`, a hand-written loop that multiplies its delay with no
`.min(cap)`.

## Why it matters
Uncapped exponential delays grow past any useful wait (2^20 ms is over 17
minutes); the retry arrives after the caller gave up and after the server
forgot the idempotency key, and the retry window written in the contract
is wrong.

## Example
```rust
let strategy = ExponentialBackoff::from_millis(100).map(jitter).take(8); // no max_delay
```

## How to fix
tokio-retry: `.max_delay(Duration::from_secs(10))`; backon: keep the 60 s
default or set `with_max_delay`; a loop: `delay = (delay * 2).min(CAP)`.

## Source
AWS Builders' Library ("capped exponential backoff"); tokio-retry docs (no
maximum by default); retry-semantics.md 12.2 (`no-backoff-cap`).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    for p in &scan.policies {
        if !p.schedule.grows() || p.max_delay.value() != Some(&OptDur(None)) {
            continue;
        }
        out.push(
            Finding::new(
                format!(
                    "{} {} backoff has no maximum delay",
                    p.krate.as_str(),
                    p.schedule.as_str()
                ),
                p.span_of("max_delay"),
                "delay grows without a cap",
            )
            .help("cap the delay (`.max_delay(..)`, `with_max_delay(..)`, `.min(CAP)`)"),
        );
    }
}
