//! RC106 `retry_unsafe_method_without_key`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC106",
        name: "retry_unsafe_method_without_key",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Scan,
        summary:
            "reqwest-retry middleware retries POST/PATCH requests and no idempotency key is in sight",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a file that builds a client with reqwest-retry's
`RetryTransientMiddleware` and sends POST or PATCH requests (`.post(..)`,
`.patch(..)`, `Method::POST`, `Method::PATCH`) without any mention of an
idempotency key (an `Idempotency-Key` header or an `idempotency_key`).

## Why it matters
reqwest-retry has no HTTP-method check: its default strategy retries a 5xx,
408, 429 or timeout whatever the method. A POST whose response was lost is
sent again and executed twice, unless the server deduplicates it by key.

## Example
```rust
let client = ClientBuilder::new(reqwest::Client::new())
    .with(RetryTransientMiddleware::new_with_policy(policy))
    .build();
client.post(url).json(&charge).send().await?;
```

## How to fix
Send a key that stays the same across retries
(`.header("Idempotency-Key", key)`) and declare it in the contract, or use
a strategy that does not retry unsafe methods.

## Source
reqwest-retry source (no method check); RFC 9110 9.2.2; IETF HTTPAPI
"The Idempotency-Key HTTP Header Field"; retry-semantics.md 12.2 (`reqwest-retry-method-blind`).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let scan = cx.scan;
    if scan.idempotency_key_in_sight {
        return;
    }
    let Some(mw) = scan.middleware.first() else {
        return;
    };
    for req in &scan.unsafe_requests {
        out.push(
            Finding::new(
                "POST/PATCH request sent through reqwest-retry with no idempotency key",
                req.clone(),
                "non-idempotent request",
            )
            .secondary(
                mw.clone(),
                "retried by this middleware, whatever the method",
            )
            .note("a request whose response was lost is sent again and may execute twice")
            .help("add an `Idempotency-Key` header that is reused across retries"),
        );
    }
}
