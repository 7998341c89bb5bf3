//! Workspace-level test support; the tests themselves are in `tests/`.
//!
//! * [`fuzz_targets`]: the bodies of the `fuzz/` targets. `cargo fuzz` runs
//!   them under libFuzzer; `tests/fuzz_corpus.rs` runs them over every file of
//!   the corpora and the regression inputs, so `cargo test` alone guards
//!   against every crash ever found.
//! * [`generate`]: valid contracts built from a few numbers, for the property
//!   tests and the lint benchmark.

pub mod fuzz_targets;
pub mod generate;
