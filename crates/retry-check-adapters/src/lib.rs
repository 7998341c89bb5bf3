//! Published idempotency crates behind the retry-check harness, each
//! behind a cargo feature of this crate, so that the harness's own
//! dependency graph stays clean. What each adapter maps, and where the
//! crate's contract differs from the harness's, is said at the adapter;
//! what the harness found is in the repository's
//! `docs/ecosystem-findings.md`.

#[cfg(feature = "idempotent")]
pub mod idempotent;
