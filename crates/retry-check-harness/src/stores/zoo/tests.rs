//! The zoo stores, one by one: each answers correctly but for its bug.

use std::time::Duration;

use super::*;
use crate::SimConfig;

const LEASE: Duration = Duration::from_secs(5);
const FP: Fingerprint = Fingerprint(42);

fn t(ms: u64) -> VirtualTime {
    VirtualTime(ms)
}

fn ok() -> Outcome {
    Outcome("ok".to_string())
}

fn token(claim: Result<Claim, StoreError>) -> FencingToken {
    match claim {
        Ok(Claim::Acquired(token)) => token,
        other => panic!("expected Acquired, got {other:?}"),
    }
}

struct Case {
    _dir: tempfile::TempDir,
    location: StorageLocation,
    factory: ZooFactory,
}

fn case(bug: Bug) -> Case {
    let dir = tempfile::tempdir().expect("temporary directory");
    let location = StorageLocation::new(dir.path(), "case_1");
    Case {
        _dir: dir,
        location,
        factory: bug.factory(&SimConfig::default()),
    }
}

impl Case {
    fn open(&self) -> ZooStore {
        self.factory.open(&self.location).expect("open zoo store")
    }
}

#[test]
fn no_in_progress_record_lets_duplicates_in_flight_both_acquire() {
    let c = case(Bug::NoInProgressRecord);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    let b = token(s.begin("k", FP, t(1), LEASE));
    assert_ne!(a, b, "every claim gets a token of its own");
    let changed = token(s.begin("k", Fingerprint(1), t(1), LEASE));
    assert!(changed > b);
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(2)),
        Ok(Fenced::Accepted)
    );
    // Once completed, the look-up finds the record.
    assert_eq!(s.begin("k", FP, t(3), LEASE), Ok(Claim::Completed(ok())));
    assert_eq!(
        s.begin("k", Fingerprint(1), t(3), LEASE),
        Ok(Claim::Mismatch)
    );
    // First writer wins.
    let late = Outcome("late".to_string());
    assert_eq!(
        s.complete("k", &crate::Held::new(b, FP), &late, t(4)),
        Ok(Fenced::StaleToken)
    );
    assert_eq!(
        s.release("k", &crate::Held::new(b, FP), t(4)),
        Ok(Fenced::StaleToken)
    );
    assert_eq!(
        s.complete("k", &crate::Held::new(FencingToken(99), FP), &late, t(4)),
        Ok(Fenced::StaleToken)
    );
    // The completed record survives a restart (only the claim is missing),
    // and so do the tokens.
    drop(s);
    let s = c.open();
    assert_eq!(s.begin("k", FP, t(5), LEASE), Ok(Claim::Completed(ok())));
    let other = token(s.begin("k2", Fingerprint(1), t(5), LEASE));
    assert!(other > changed);
    assert_eq!(
        s.release("k2", &crate::Held::new(other, FP), t(6)),
        Ok(Fenced::Accepted)
    );
    // Past the key TTL the key is free again.
    token(s.begin("k", FP, t(2 + 86_400_000), LEASE));
}

#[test]
fn in_memory_across_restarts_forgets_completions() {
    let c = case(Bug::InMemoryAcrossRestarts);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(s.begin("k", FP, t(1), LEASE), Ok(Claim::InProgress));
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(2)),
        Ok(Fenced::Accepted)
    );
    drop(s);
    let s = c.open();
    token(s.begin("k", FP, t(3), LEASE));
}

#[test]
fn no_fingerprint_check_replays_for_another_payload() {
    let c = case(Bug::NoFingerprintCheck);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(
        s.begin("k", Fingerprint(1), t(1), LEASE),
        Ok(Claim::InProgress)
    );
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(2)),
        Ok(Fenced::Accepted)
    );
    assert_eq!(
        s.begin("k", Fingerprint(1), t(3), LEASE),
        Ok(Claim::Completed(ok()))
    );
}

#[test]
fn short_lease_ignores_the_lease_and_the_token() {
    let c = case(Bug::ShortLease);
    assert_eq!(c.factory.short_lease(), Duration::from_millis(500));
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(s.begin("k", FP, t(499), LEASE), Ok(Claim::InProgress));
    let b = token(s.begin("k", FP, t(500), LEASE));
    assert_ne!(a, b);
    // complete() is fenced; the damage (two owners) is done already.
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(600)),
        Ok(Fenced::StaleToken)
    );
    assert_eq!(
        s.complete("k", &crate::Held::new(b, FP), &ok(), t(601)),
        Ok(Fenced::Accepted)
    );
}

#[test]
fn stale_token_accepted_takes_over_correctly_but_accepts_any_token() {
    let c = case(Bug::StaleTokenAccepted);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(s.begin("k", FP, t(4_999), LEASE), Ok(Claim::InProgress));
    let b = token(s.begin("k", FP, t(5_000), LEASE));
    assert_ne!(a, b);
    let stale = Outcome("stale".to_string());
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &stale, t(5_001)),
        Ok(Fenced::Accepted)
    );
    assert_eq!(
        s.begin("k", FP, t(5_002), LEASE),
        Ok(Claim::Completed(stale))
    );
}

#[test]
fn short_ttl_forgets_inside_the_window() {
    let c = case(Bug::ShortTtl);
    assert_eq!(c.factory.short_ttl(), Duration::from_millis(1_250));
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(100)),
        Ok(Fenced::Accepted)
    );
    assert_eq!(
        s.begin("k", FP, t(1_349), LEASE),
        Ok(Claim::Completed(ok()))
    );
    token(s.begin("k", FP, t(1_350), LEASE));
}

#[test]
fn volatile_completion_keeps_the_claim_but_loses_the_outcome() {
    let c = case(Bug::VolatileCompletion);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(
        s.complete(
            "k",
            &crate::Held::new(FencingToken(a.0 + 7), FP),
            &ok(),
            t(1)
        ),
        Ok(Fenced::StaleToken)
    );
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(1)),
        Ok(Fenced::Accepted)
    );
    assert_eq!(s.begin("k", FP, t(2), LEASE), Ok(Claim::Completed(ok())));
    assert_eq!(
        s.begin("k", Fingerprint(1), t(2), LEASE),
        Ok(Claim::Mismatch)
    );
    drop(s);
    let s = c.open();
    // In progress again after the restart, its lease ended by the
    // startup recovery: taken over at once.
    let b = token(s.begin("k", FP, t(3), LEASE));
    assert!(b > a, "the durable counter never repeats a token");
    assert_eq!(s.begin("k", FP, t(4), LEASE), Ok(Claim::InProgress));
}

#[test]
fn abandoned_is_failed_records_a_final_failure() {
    let c = case(Bug::AbandonedIsFailed);
    let s = c.open();
    token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(s.begin("k", FP, t(4_999), LEASE), Ok(Claim::InProgress));
    let failed = Claim::Completed(Outcome(ABANDONED_OUTCOME.to_string()));
    assert_eq!(s.begin("k", FP, t(5_000), LEASE), Ok(failed.clone()));
    drop(s);
    let s = c.open();
    assert_eq!(s.begin("k", FP, t(5_001), LEASE), Ok(failed));
}

#[test]
fn durable_zoo_stores_survive_restart() {
    for bug in [
        Bug::NoFingerprintCheck,
        Bug::ShortLease,
        Bug::StaleTokenAccepted,
        Bug::ShortTtl,
        Bug::AbandonedIsFailed,
        Bug::TtlFromClaim,
    ] {
        let c = case(bug);
        let s = c.open();
        let a = token(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.complete("k", &crate::Held::new(a, FP), &ok(), t(1)),
            Ok(Fenced::Accepted),
            "{bug}"
        );
        drop(s);
        let s = c.open();
        assert_eq!(
            s.begin("k", FP, t(2), LEASE),
            Ok(Claim::Completed(ok())),
            "{bug}"
        );
        // Tokens never repeat across the restart.
        let b = token(s.begin("other", FP, t(2), LEASE));
        assert!(b > a, "{bug}");
    }
}

#[test]
fn names_are_unique_and_properties_as_documented() {
    let mut names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Bug::ALL.len());
    assert_eq!(Bug::ShortTtl.expected_property(), Property::AtMostOnce);
    assert_eq!(
        Bug::NoFingerprintCheck.expected_property(),
        Property::MismatchRejected
    );
    assert_eq!(
        Bug::StaleTokenAccepted.expected_property(),
        Property::StaleOwnerFenced
    );
    assert_eq!(
        Bug::AbandonedIsFailed.expected_property(),
        Property::NoFalseFailure
    );
    let f = Bug::ShortTtl.factory(&SimConfig::default());
    assert!(f.name().contains("short_ttl"));
    for bug in Bug::ALL {
        assert_eq!(bug.sim_config(), SimConfig::default(), "{bug}");
    }
}

#[test]
fn token_counter_lost_reissues_tokens_after_a_restart() {
    let c = case(Bug::TokenCounterLost);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    drop(s);
    let s = c.open();
    // The claim survived; its lease ends, and the takeover gets the very
    // token the stalled owner still holds.
    assert_eq!(s.begin("k", FP, t(1), LEASE), Ok(Claim::InProgress));
    let b = token(s.begin("k", FP, t(5_000), LEASE));
    assert_eq!(a, b);
}

#[test]
fn ack_before_durable_loses_the_last_write_on_restart() {
    let c = case(Bug::AckBeforeDurable);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(1)),
        Ok(Fenced::Accepted)
    );
    assert_eq!(s.begin("k", FP, t(2), LEASE), Ok(Claim::Completed(ok())));
    drop(s);
    let s = c.open();
    // The completion was acknowledged but not yet durable: the claim is
    // in progress again.
    assert_eq!(s.begin("k", FP, t(3), LEASE), Ok(Claim::InProgress));
}

#[test]
fn ttl_from_claim_forgets_a_completed_key_early() {
    let c = case(Bug::TtlFromClaim);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(900)),
        Ok(Fenced::Accepted)
    );
    let day = 86_400_000;
    assert_eq!(
        s.begin("k", FP, t(day - 1), LEASE),
        Ok(Claim::Completed(ok()))
    );
    // Within a day of the completion, but not of the claim.
    token(s.begin("k", FP, t(day + 1), LEASE));
}

#[test]
fn check_then_insert_sqlite_answers_right_one_call_at_a_time() {
    let c = case(Bug::CheckThenInsertSqlite);
    let s = c.open();
    let a = token(s.begin("k", FP, t(0), LEASE));
    assert_eq!(s.begin("k", FP, t(1), LEASE), Ok(Claim::InProgress));
    assert_eq!(
        s.begin("k", Fingerprint(1), t(1), LEASE),
        Ok(Claim::Mismatch)
    );
    assert_eq!(
        s.complete("k", &crate::Held::new(a, FP), &ok(), t(2)),
        Ok(Fenced::Accepted)
    );
    drop(s);
    let s = c.open();
    assert_eq!(s.begin("k", FP, t(3), LEASE), Ok(Claim::Completed(ok())));
    assert_eq!(c.factory.bug().caught_by(), Mode::Threads);
}
