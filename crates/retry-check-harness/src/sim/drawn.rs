//! Cases drawn once and shared. proptest's generation is most of the cost
//! of a passing in-process case (a weighted union makes a lazily drawn
//! alternative, with its own ChaCha generator, for every option it did not
//! pick), and it depends only on a configuration's [`CaseShape`], its seed
//! and its budget: `check` simulates a thousand contract pairs that differ
//! in their durations with one set of cases.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm, TestRng, TestRunner};

use super::case::{CaseShape, SimCase};
use super::config::SimConfig;

/// Budgets above this are not drawn ahead: the cases stream from proptest
/// as they are run, so a long `model` run holds one case at a time.
const MAX_DRAWN: u32 = 4_096;

/// Sets of cases kept for reuse, newest last; older ones are dropped.
const KEPT: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    shape: CaseShape,
    seed: u64,
    cases: u32,
}

/// A drawn case and its digest (the report's record of what ran).
#[derive(Debug, PartialEq)]
pub(crate) struct DrawnCase {
    pub(crate) case: SimCase,
    pub(crate) digest: u64,
}

type Drawn = Arc<[DrawnCase]>;

static KEPT_SETS: Mutex<Vec<(Key, Drawn)>> = Mutex::new(Vec::new());

/// The cases proptest draws for `config`, in order, exactly as its runner
/// would pass them to a test that never fails; `None` for a budget above
/// [`MAX_DRAWN`].
pub(crate) fn drawn_cases(config: &SimConfig, await_points: bool) -> Option<Drawn> {
    if config.cases > MAX_DRAWN {
        return None;
    }
    let key = Key {
        shape: CaseShape::of(config, await_points),
        seed: config.seed,
        cases: config.cases,
    };
    let kept = |sets: &Vec<(Key, Drawn)>| {
        sets.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, cases)| Arc::clone(cases))
    };
    if let Some(cases) = kept(&KEPT_SETS.lock().unwrap_or_else(PoisonError::into_inner)) {
        return Some(cases);
    }
    // Drawn without the lock: runs on other threads draw their own shapes.
    let cases = draw(config, await_points);
    let mut sets = KEPT_SETS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(cases) = kept(&sets) {
        return Some(cases);
    }
    if sets.len() >= KEPT {
        sets.remove(0);
    }
    sets.push((key, Arc::clone(&cases)));
    Some(cases)
}

/// proptest's runner with the run's configuration and seed, over a test
/// that keeps every case it is given and passes.
fn draw(config: &SimConfig, await_points: bool) -> Drawn {
    let mut runner =
        TestRunner::new_with_rng(proptest_config(config.cases), seeded_rng(config.seed));
    let strategy = SimCase::strategy(config, await_points);
    let cases = RefCell::new(Vec::with_capacity(config.cases as usize));
    // A test that never fails never aborts either (no filter rejects).
    let _ = runner.run(&strategy, |case| {
        let digest = digest(&case);
        cases.borrow_mut().push(DrawnCase { case, digest });
        Ok(())
    });
    cases.into_inner().into()
}

/// A proptest configuration independent of `PROPTEST_*` environment
/// variables: no persistence, no fork, no timeouts, fixed shrink budget.
pub(super) fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_local_rejects: 65_536,
        max_global_rejects: 1024,
        max_flat_map_regens: 1_000_000,
        failure_persistence: None,
        source_file: None,
        test_name: None,
        fork: false,
        timeout: 0,
        max_shrink_time: 0,
        max_shrink_iters: 2048,
        max_default_size_range: 100,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    }
}

/// The run's generator: ChaCha seeded from the run's seed.
pub(super) fn seeded_rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = super::schedule::mix(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// FNV-1a 64 of a case's JSON: [`CaseDigest::digest`].
///
/// [`CaseDigest::digest`]: super::report::CaseDigest
pub(super) fn digest(case: &SimCase) -> u64 {
    /// FNV-1a over the bytes written to it: the case's JSON is hashed as
    /// it is written, never held (a digest per case adds up over thousands).
    struct Fnv(u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            for &b in bytes {
                self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    match serde_json::to_writer(&mut hash, case) {
        Ok(()) => hash.0,
        // As the digest of the empty text, which a case never is.
        Err(_) => 0xcbf2_9ce4_8422_2325,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_drawn_cases_are_those_proptest_gives_a_test() {
        for await_points in [false, true] {
            let config = SimConfig {
                cases: 40,
                seed: 11,
                ..SimConfig::default()
            };
            let drawn = drawn_cases(&config, await_points).expect("a small budget is drawn");
            let mut runner =
                TestRunner::new_with_rng(proptest_config(config.cases), seeded_rng(config.seed));
            let seen = RefCell::new(Vec::new());
            runner
                .run(&SimCase::strategy(&config, await_points), |case| {
                    seen.borrow_mut().push(case);
                    Ok(())
                })
                .expect("passes");
            let drawn: Vec<&SimCase> = drawn.iter().map(|d| &d.case).collect();
            let seen = seen.into_inner();
            assert_eq!(drawn, seen.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn configurations_of_one_shape_share_their_cases_and_others_do_not() {
        let base = SimConfig {
            cases: 24,
            seed: 5,
            ..SimConfig::default()
        };
        let longer = SimConfig {
            lease: Duration::from_secs(90),
            key_ttl: Some(Duration::from_secs(7 * 86_400)),
            ..base.clone()
        };
        let a = drawn_cases(&base, false).expect("drawn");
        let b = drawn_cases(&longer, false).expect("drawn");
        assert!(Arc::ptr_eq(&a, &b), "durations do not change the cases");
        let reseeded = SimConfig {
            seed: 6,
            ..base.clone()
        };
        assert_ne!(&a[..], &drawn_cases(&reseeded, false).expect("drawn")[..]);
        let no_ttl = SimConfig {
            key_ttl: None,
            ..base.clone()
        };
        assert!(!Arc::ptr_eq(
            &a,
            &drawn_cases(&no_ttl, false).expect("drawn")
        ));
        let big = SimConfig {
            cases: MAX_DRAWN + 1,
            ..base
        };
        assert!(drawn_cases(&big, false).is_none(), "a long run streams");
    }
}
