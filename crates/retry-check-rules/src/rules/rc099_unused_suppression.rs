//! RC099 `unused_suppression`: reported by the engine, not by a check.

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC099",
        name: "unused_suppression",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "an `allow` entry suppresses nothing",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Reports an `allow = [...]` entry on a server, operation or client that did
not suppress any finding in this run.

## Why it matters
A stale suppression hides the next regression: when someone later breaks
the contract in exactly the way the entry once excused, nothing is reported.

## Example
```toml
[client.checkout]
allow = [{ rule = "no_retry_budget", reason = "budget lives in the mesh" }]
budget = { ratio = 0.1 }   # the budget is here now, the allow is stale
```

## How to fix
Remove the entry.

## Source
ESLint `reportUnusedDisableDirectives`; rustc `unfulfilled_lint_expectations`.
"#;

/// The engine reports unused suppressions itself, after all rules ran; this
/// rule exists so its level can be configured like any other.
fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
