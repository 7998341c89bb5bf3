//! RC108 `unused_code_suppression`: reported by [`super::lint_scan`] itself.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC108",
        name: "unused_code_suppression",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Scan,
        summary: "a `// retry-check: allow(..)` comment suppresses nothing",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a `// retry-check: allow(RC1xx) -- reason` comment that suppresses no
finding: the code it covered was fixed or moved, or the code is misspelt.
A comment alone on its line covers the next statement or item; a comment
after code covers its own line.

## Why it matters
Stale suppressions hide the next real finding at that spot, and misspelt
ones give a false sense that a finding was reviewed.

## Example
```rust
// retry-check: allow(RC103) -- capped by the caller
let policy = ExponentialBuilder::default().with_jitter(); // has a 60 s cap
```

## How to fix
Delete the comment, or put it on the statement whose finding it accepts.

## Source
Same convention as clippy's `unfulfilled_lint_expectations` and the
contract-side `unused_suppression` (RC099).
"#;

/// Unused suppressions need every other finding first, so the engine
/// reports them; this check adds nothing.
fn check(_: &CodeContext<'_>, _: &mut Vec<Finding>) {}
