//! RC107 `unmaintained_retry_crate`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::RetryCrate;

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC107",
        name: "unmaintained_retry_crate",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "code or a Cargo.toml uses an unmaintained retry crate (`backoff`, `tokio-retry`)",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags the first use of the `backoff` crate (RUSTSEC-2025-0012) or of
`tokio-retry` (no release since 2021) in a Rust file, and every dependency
on either in a `Cargo.toml` (`[dependencies]`, `[dev-dependencies]`,
`[build-dependencies]`, their `[target.*]` forms, `[workspace.dependencies]`,
renamed ones by their `package`), pointing at the dependency's line.

## Why it matters
No fixes will come for either: `backoff` retries every `?` error by
default and retries forever once `max_elapsed_time` is `None`;
`tokio-retry`'s strategies are infinite unless `.take(n)` is added.

## Example
```toml
[dependencies]
backoff = { version = "0.4", features = ["tokio"] }
```

## How to fix
Move to `backon` (the replacement RUSTSEC-2025-0012 recommends), or
`tokio-retry2` for a drop-in fork of tokio-retry.

## Source
RUSTSEC-2025-0012; crates.io release history of tokio-retry;
retry-semantics.md 9.2, 9.3 and 12.2 (`unmaintained-retry-crate`).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    for (krate, span) in &scan.unmaintained {
        let (what, help) = match krate {
            RetryCrate::Backoff => (
                "the `backoff` crate is unmaintained (RUSTSEC-2025-0012)",
                "use `backon` instead",
            ),
            _ => (
                "the `tokio-retry` crate is unmaintained (no release since 2021)",
                "use `backon` or the `tokio-retry2` fork",
            ),
        };
        out.push(Finding::new(what, span.clone(), "unmaintained crate").help(help));
    }
}
