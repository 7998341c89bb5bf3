//! Same seed, same output, byte for byte; and a replay file re-runs the
//! shrunk case to the same timeline.

mod sim_support;

use retry_check_harness::{replay, Property, ReplayFile, Sim, SimConfig, ViolationClass};
use sim_support::{Defect, TinyFactory};

fn counterexample(defect: Defect, seed: u64) -> Box<retry_check_harness::Counterexample> {
    match Sim::new(TinyFactory::new(defect))
        .config(SimConfig::default())
        .seed(seed)
        .run()
    {
        Ok(report) => panic!("{defect:?} not caught: {report}"),
        Err(e) => e.expect_violation(),
    }
}

#[test]
fn the_same_seed_gives_byte_identical_reports() {
    for defect in [Defect::CheckThenAct, Defect::Volatile, Defect::NoFencing] {
        let first = counterexample(defect, 42).to_string();
        let second = counterexample(defect, 42).to_string();
        assert_eq!(first.as_bytes(), second.as_bytes(), "{defect:?}");
        assert!(first.contains("seed:      42"), "{first}");
    }
    // A passing run reports the same exploration too.
    let run = || {
        Sim::new(TinyFactory::new(Defect::None))
            .cases(300)
            .seed(7)
            .run()
            .map(|r| r.to_string())
            .map_err(|cx| cx.to_string())
    };
    assert_eq!(run(), run());
}

#[test]
fn different_seeds_explore_different_cases() {
    let a = counterexample(Defect::Volatile, 1);
    let b = counterexample(Defect::Volatile, 2);
    // Not a determinism requirement, but proof the seed is actually used:
    // the replay files differ in their seed and (almost surely) scenario.
    assert_ne!(a.replay.seed, b.replay.seed);
    assert_ne!(a.replay.to_json(), b.replay.to_json());
}

#[test]
fn a_replay_file_reproduces_the_same_timeline_byte_for_byte() {
    for (defect, seed) in [(Defect::CheckThenAct, 3), (Defect::ExpiredIsFailure, 9)] {
        let cx = counterexample(defect, seed);
        let json = cx.replay.to_json();
        let file = ReplayFile::from_json(&json).expect("the replay file parses");
        assert_eq!(file, cx.replay);
        assert_eq!(file.format, retry_check_harness::REPLAY_FORMAT);
        assert_eq!(file.tool_version, env!("CARGO_PKG_VERSION"));
        assert_eq!(file.seed, seed);
        let first = replay(TinyFactory::new(defect), &file).expect("store opens");
        let second = replay(TinyFactory::new(defect), &file).expect("store opens");
        assert_eq!(first.timeline.render(), cx.timeline.render());
        assert_eq!(
            first.timeline.render().as_bytes(),
            second.timeline.render().as_bytes()
        );
        assert_eq!(first, second);
        let v = first.violation.expect("the replay fails again");
        assert_eq!(v.property, cx.property);
        assert_eq!(v, cx.violation);
    }
}

#[test]
fn a_replay_file_of_another_format_is_refused() {
    let cx = counterexample(Defect::CheckThenAct, 1);
    let json = cx
        .replay
        .to_json()
        .replace("\"format\": 2", "\"format\": 99");
    let err = ReplayFile::from_json(&json).expect_err("format 99 refused");
    assert!(err.contains("format 99"), "{err}");
    assert!(ReplayFile::from_json("{not json").is_err());
}

#[test]
fn a_replayed_case_on_a_fixed_store_passes() {
    // The replay of a failure found on a broken store, run against the
    // fixed store, is how an author checks the fix.
    let cx = counterexample(Defect::Volatile, 5);
    // A store that forgets everything on a restart: the record, or the
    // token counter with it.
    assert!(
        matches!(
            cx.violation.class,
            ViolationClass::RecordLostOnCrash | ViolationClass::TokenReissued
        ),
        "{cx}"
    );
    assert!(
        matches!(
            cx.property,
            Property::AtMostOnce | Property::StaleOwnerFenced | Property::TtlHonoured
        ),
        "{cx}"
    );
    let fixed = replay(TinyFactory::new(Defect::None), &cx.replay).expect("store opens");
    assert_eq!(fixed.violation, None, "{}", fixed.timeline.render());
}

/// `--partition k/n`: the partitions' cases are disjoint and together are
/// exactly the unpartitioned run's cases (same positions, same scenarios).
#[test]
fn partitions_together_run_exactly_the_unpartitioned_cases() {
    use retry_check_harness::{CaseDigest, Partition};
    let run = |partition: Partition| {
        Sim::new(TinyFactory::new(Defect::None))
            .cases(120)
            .seed(11)
            .partition(partition)
            .run()
            .unwrap_or_else(|cx| panic!("a correct store failed: {cx}"))
    };
    let whole = run(Partition::ALL);
    assert_eq!(whole.cases_run, 120);
    assert_eq!(whole.case_digests.len(), 120);
    let whole_set: std::collections::BTreeSet<CaseDigest> =
        whole.case_digests.iter().copied().collect();
    for n in [2u32, 3, 7] {
        let mut union = Vec::new();
        let mut events = 0;
        for k in 1..=n {
            let p = Partition::new(k, n).expect("valid partition");
            let part = run(p);
            assert_eq!(part.partition, Some(p));
            assert_eq!(part.cases_run, p.cases_of(120));
            assert!(part.case_digests.iter().all(|c| p.contains(c.index)));
            events += part.events_total;
            union.extend(part.case_digests);
        }
        let union_set: std::collections::BTreeSet<CaseDigest> = union.iter().copied().collect();
        assert_eq!(union.len(), union_set.len(), "{n} partitions overlap");
        assert_eq!(union_set, whole_set, "{n} partitions");
        assert_eq!(events, whole.events_total, "{n} partitions");
    }
    // A different seed is a different case sequence: the test can fail.
    let other = Sim::new(TinyFactory::new(Defect::None))
        .cases(120)
        .seed(12)
        .run()
        .expect("passes");
    assert_ne!(other.case_digests, whole.case_digests);
}

/// A failing run: the partition holding the first failing case finds the
/// very counterexample of the unpartitioned run.
#[test]
fn the_partition_of_the_first_failure_finds_the_same_counterexample() {
    use retry_check_harness::Partition;
    let whole = counterexample(Defect::CheckThenAct, 5);
    let n = 3;
    let owner = Partition::new((whole.case_index % u64::from(n)) as u32 + 1, n).expect("valid");
    let part = match Sim::new(TinyFactory::new(Defect::CheckThenAct))
        .seed(5)
        .partition(owner)
        .run()
    {
        Ok(r) => panic!("partition {owner} missed the failure: {r}"),
        Err(e) => e.expect_violation(),
    };
    assert_eq!(part.case_index, whole.case_index);
    assert_eq!(part.replay.to_json(), whole.replay.to_json());
    assert_eq!(part.timeline.render(), whole.timeline.render());
}
