//! The harness test `cargo retry-check init` scaffolds
//! (`src/scaffold/tests/retry_check_store.rs`), compiled and run here
//! exactly as a user gets it, next to the contract it includes: it must
//! build against the harness and pass on the reference store it delegates
//! to.

#[path = "../src/scaffold/tests/retry_check_store.rs"]
mod retry_check_store;
