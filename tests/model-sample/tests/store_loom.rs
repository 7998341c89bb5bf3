//! What `cargo retry-check model --loom model-sample::store_loom` runs,
//! built with `--cfg loom`: every interleaving of two duplicate handlers of
//! the sample store, explored by loom. The store records nothing while a
//! handler is in flight, so both acquire in some interleaving.
#![cfg(loom)]

use model_sample::CheckThenInsertStore;
use retry_check_harness::loom_mode::{check, LoomConfig};

#[test]
fn check_then_insert_store_under_loom() {
    let report = check(LoomConfig::default(), CheckThenInsertStore::default);
    // Unreachable for this store: loom finds the double claim first.
    assert!(report.interleavings > 0);
}
