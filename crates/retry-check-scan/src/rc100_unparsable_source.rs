//! RC100 `unparsable_source`: a Rust file the scanner cannot read or parse
//! ([`crate::scan_file`] reports it; the file is skipped, the scan goes on).

use retry_check_rules::{Group, Job, Level, Lint};

pub static UNPARSABLE_SOURCE: Lint = Lint {
    code: "RC100",
    name: "unparsable_source",
    group: Group::Suspicious,
    default_level: Level::Warn,
    job: Job::Scan,
    summary: "a Rust file could not be parsed; it was skipped",
    explain: EXPLAIN,
};

const EXPLAIN: &str = r#"## What it does
Reports a Rust file (or Cargo.toml) the scanner could not read or parse,
at the error's line and column. The file is skipped; the rest of the scan
goes on. The scanner parses with syn, so a file rustc accepts parses here
too, except for syntax newer than syn's.

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
compile (a fixture, a template).

## Source
The scanner's own contract: every file it cannot analyse is reported, never
silently dropped.
"#;
