//! RC100 `unparsable_source`: a Rust file the scanner cannot read or parse
//! ([`crate::scan_file`] reports it; the file is not checked, the scan goes
//! on). An error by default, so the run fails as a linter does on a syntax
//! error; `-W unparsable_source` (or `[lints]`) downgrades it.

use retry_check_rules::{Group, Job, Level, Lint};

pub static UNPARSABLE_SOURCE: Lint = Lint {
    code: "RC100",
    name: "unparsable_source",
    // As `invalid_contract` (RC000): a file that was not checked leaves
    // the result incomplete, so it is a correctness error.
    group: Group::Correctness,
    default_level: Level::Deny,
    job: Job::Scan,
    summary: "a Rust file could not be parsed; it was not checked",
    explain: EXPLAIN,
};

const EXPLAIN: &str = r#"## What it does
Reports a Rust file (or Cargo.toml) the scanner could not read or parse,
at the error's line and column. The file is not checked; the rest of the
scan goes on, and the run exits 1 (the level is `deny`), as ruff does on a
syntax error: a scan that skipped a file cannot say the code is clean. The
scanner parses with syn, so a file rustc accepts parses here too, except
for syntax newer than syn's and edition-2015 code that uses `async`,
`await`, `dyn` or `try` as identifiers.

## Why it matters
Retry code in a file that was skipped is not checked: a finding that
should have been reported there is silently missing.

## Example
```rust
fn charge() {
    let policy = ExponentialBuilder::default(;   // unbalanced delimiter
}
```

## How to fix
Fix the syntax error (`cargo check` shows it too), or exclude the file with
`scan-exclude` in [workspace.metadata.retry-check] when it is not meant to
compile (a fixture, a template). To report it without failing the run,
lower its level: `-W unparsable_source`, or
`[workspace.metadata.retry-check.lints] unparsable_source = "warn"`.

## Source
The scanner's own contract: every file it cannot analyse is reported, never
silently dropped.
"#;
