//! RC901 `model_test_failed`: a harness test run by `model` that failed
//! without a counterexample.

use retry_check_diagnostics::{Group, Job, Level, Lint};

pub static MODEL_TEST_FAILED: Lint = Lint {
    code: "RC901",
    name: "model_test_failed",
    group: Group::Correctness,
    default_level: Level::Deny,
    job: Job::Model,
    summary: "a model test failed without a counterexample",
    explain: EXPLAIN,
};

const EXPLAIN: &str = r#"## What it does
`cargo retry-check model` runs the harness tests of the workspace through
`cargo test`. A test that fails and names a replay file with a verdict is a
counterexample (RC900); a test that fails otherwise (a panic, an assertion
of the test itself, a store error, a test binary that died) is RC901, at
the test function, with the end of its output.

## Why it matters
A model test that fails before it can judge the store says nothing about
the store's correctness, and must not pass for a clean result.

## Example
```rust
#[test]
fn store_model() {
    let store = MyStore::connect("postgres://wrong-host").unwrap(); // panics
    Sim::new(store).check();
}
```

## How to fix
Run the test with `cargo test -p PKG --test TARGET` to see its whole
output, and fix the test or the store's setup.

## Source
libtest's output format (`test NAME ... FAILED`, `---- NAME stdout ----`).
"#;
