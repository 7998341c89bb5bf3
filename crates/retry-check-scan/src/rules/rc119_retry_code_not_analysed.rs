//! RC119 `retry_code_not_analysed`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC119",
        name: "retry_code_not_analysed",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "retry code the scanner saw but could not analyse (reported with `--verbose`)",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
With `cargo retry-check scan --verbose`, notes (at `info`) code that may
hold a retry but that the scanner did not analyse: a `macro_rules!` whose
body has a loop and a sleep. The body is tokens, not Rust, until the macro
is expanded at each call site, so its attempts, delays and classification
cannot be read. Without `--verbose` nothing is reported.

## Why it matters
A clean scan should mean "checked and clean", not "skipped": these notes
list what the scan could not vouch for, so a reviewer can check it by hand.

## Example
```rust
macro_rules! with_retries {
    ($op:expr) => { loop { match $op { Ok(v) => break v, Err(_) => sleep(D) } } };
}
```

## How to fix
Move the retry into a function (generic over the operation) that the macro
calls; the scanner then analyses it like any other retry loop. Or review
the macro and accept the note.

## Source
The Rust Reference, "Macros By Example" (a macro body is a token tree);
ruff's handling of code it cannot parse.
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    for (span, what) in &cx.scan.not_analysed {
        out.push(
            Finding::new(
                format!("not analysed: {what}"),
                span.clone(),
                "retry code not analysed",
            )
            .note("the body of a `macro_rules!` is tokens until it is expanded")
            .info(),
        );
    }
}
