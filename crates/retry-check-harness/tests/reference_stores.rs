//! The reference stores: direct tests of their semantics through the
//! [`IdempotencyStore`] trait, then large-budget simulations in which they
//! must never be reported.

use std::time::Duration;

use retry_check_harness::stores::{MemoryStore, SqliteStore, SQLITE_FILE_NAME};
use retry_check_harness::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};

const TTL: Duration = Duration::from_secs(100);
const LEASE: Duration = Duration::from_secs(10);
const FP: Fingerprint = Fingerprint(0xabcd);

fn t(ms: u64) -> VirtualTime {
    VirtualTime(ms)
}

fn ok() -> Outcome {
    Outcome("200 charged".to_string())
}

fn acquired(claim: Result<Claim, StoreError>) -> FencingToken {
    match claim {
        Ok(Claim::Acquired(token)) => token,
        other => panic!("expected Acquired, got {other:?}"),
    }
}

/// A fresh storage location in its own temporary directory.
struct Scratch {
    _dir: tempfile::TempDir,
    location: StorageLocation,
}

fn scratch(namespace: &str) -> Scratch {
    let dir = tempfile::tempdir().expect("temporary directory");
    let location = StorageLocation::new(dir.path(), namespace);
    Scratch {
        _dir: dir,
        location,
    }
}

/// The semantics every correct store shares, run against a store opened by
/// `open` (each call opens a fresh, empty store).
fn contract_suite<S: IdempotencyStore<Token = FencingToken>>(open: &dyn Fn() -> S) {
    // Atomic claim: the first begin acquires, a duplicate sees InProgress.
    {
        let s = open();
        let token = acquired(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.begin("k", FP, t(1), LEASE), Ok(Claim::InProgress));
        assert_eq!(
            s.complete("k", &Held::new(token, FP), &ok(), t(2)),
            Ok(Fenced::Accepted)
        );
        assert_eq!(s.begin("k", FP, t(3), LEASE), Ok(Claim::Completed(ok())));
        // Keys are independent.
        acquired(s.begin("other", FP, t(3), LEASE));
    }
    // Fingerprint: a different payload under a live key is a mismatch,
    // whether the record is in progress or completed.
    {
        let s = open();
        let token = acquired(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.begin("k", Fingerprint(1), t(1), LEASE),
            Ok(Claim::Mismatch)
        );
        assert_eq!(
            s.begin("k", Fingerprint(1), t(20_000), LEASE),
            Ok(Claim::Mismatch)
        );
        let s2 = open();
        let t2 = acquired(s2.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s2.complete("k", &Held::new(t2, FP), &ok(), t(1)),
            Ok(Fenced::Accepted)
        );
        assert_eq!(
            s2.begin("k", Fingerprint(1), t(2), LEASE),
            Ok(Claim::Mismatch)
        );
        let _ = token;
    }
    // Lease takeover issues a new token and fences the old owner.
    {
        let s = open();
        let first = acquired(s.begin("k", FP, t(0), LEASE));
        assert_eq!(s.begin("k", FP, t(9_999), LEASE), Ok(Claim::InProgress));
        let second = acquired(s.begin("k", FP, t(10_000), LEASE));
        assert_ne!(first, second, "a takeover must issue a fresh token");
        assert!(second > first, "tokens come from an increasing counter");
        assert_eq!(
            s.complete("k", &Held::new(first, FP), &ok(), t(10_001)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(
            s.release("k", &Held::new(first, FP), t(10_001)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(s.begin("k", FP, t(10_002), LEASE), Ok(Claim::InProgress));
        let theirs = Outcome("201 created".to_string());
        assert_eq!(
            s.complete("k", &Held::new(second, FP), &theirs, t(10_003)),
            Ok(Fenced::Accepted)
        );
        assert_eq!(
            s.begin("k", FP, t(10_004), LEASE),
            Ok(Claim::Completed(theirs))
        );
    }
    // Release forgets the claim: a retry acquires again with a new token;
    // the released token is stale afterwards.
    {
        let s = open();
        let first = acquired(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.release("k", &Held::new(first, FP), t(1)),
            Ok(Fenced::Accepted)
        );
        assert_eq!(
            s.release("k", &Held::new(first, FP), t(2)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(
            s.complete("k", &Held::new(first, FP), &ok(), t(2)),
            Ok(Fenced::StaleToken)
        );
        let second = acquired(s.begin("k", FP, t(3), LEASE));
        assert_ne!(first, second);
        // After a release the key is free for another payload too.
        assert_eq!(
            s.release("k", &Held::new(second, FP), t(4)),
            Ok(Fenced::Accepted)
        );
        acquired(s.begin("k", Fingerprint(1), t(5), LEASE));
    }
    // A completed record refuses further completes, even from its owner, and
    // cannot be released.
    {
        let s = open();
        let token = acquired(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.complete("k", &Held::new(token, FP), &ok(), t(1)),
            Ok(Fenced::Accepted)
        );
        let other = Outcome("500".to_string());
        assert_eq!(
            s.complete("k", &Held::new(token, FP), &other, t(2)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(
            s.release("k", &Held::new(token, FP), t(2)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(s.begin("k", FP, t(3), LEASE), Ok(Claim::Completed(ok())));
        // Unknown keys: nothing to complete or release.
        assert_eq!(
            s.complete("nope", &Held::new(token, FP), &ok(), t(3)),
            Ok(Fenced::StaleToken)
        );
        assert_eq!(
            s.release("nope", &Held::new(token, FP), t(3)),
            Ok(Fenced::StaleToken)
        );
    }
    // Key TTL: a completed record lives TTL after its completion, then the
    // key is free (for any payload).
    {
        let s = open();
        let token = acquired(s.begin("k", FP, t(0), LEASE));
        assert_eq!(
            s.complete("k", &Held::new(token, FP), &ok(), t(5_000)),
            Ok(Fenced::Accepted)
        );
        assert_eq!(
            s.begin("k", FP, t(104_999), LEASE),
            Ok(Claim::Completed(ok()))
        );
        let again = acquired(s.begin("k", Fingerprint(1), t(105_000), LEASE));
        assert_ne!(again, token);
        assert_eq!(
            s.complete("k", &Held::new(token, FP), &ok(), t(105_001)),
            Ok(Fenced::StaleToken)
        );
    }
    // An in-progress record with a live lease outlives the TTL; once both
    // have passed, a new payload may claim the key.
    {
        let s = open();
        let long = Duration::from_secs(1_000);
        acquired(s.begin("k", FP, t(0), long));
        assert_eq!(s.begin("k", FP, t(200_000), LEASE), Ok(Claim::InProgress));
        assert_eq!(
            s.begin("k", Fingerprint(1), t(200_000), LEASE),
            Ok(Claim::Mismatch)
        );
        acquired(s.begin("k", Fingerprint(1), t(1_000_000), LEASE));
    }
    // Huge leases and times saturate instead of overflowing.
    {
        let s = open();
        let token = acquired(s.begin("k", FP, t(u64::MAX - 1), Duration::MAX));
        assert_eq!(
            s.begin("k", FP, t(u64::MAX - 1), LEASE),
            Ok(Claim::InProgress)
        );
        assert_eq!(
            s.complete("k", &Held::new(token, FP), &ok(), t(u64::MAX - 1)),
            Ok(Fenced::Accepted)
        );
        assert_eq!(
            s.begin("k", FP, t(u64::MAX - 1), LEASE),
            Ok(Claim::Completed(ok()))
        );
    }
}

#[test]
fn memory_store_honours_the_contract() {
    contract_suite(&|| MemoryStore::new(TTL));
}

#[test]
fn sqlite_store_honours_the_contract() {
    let place = scratch("case_0");
    let n = std::cell::Cell::new(0);
    contract_suite(&|| {
        // A fresh namespace per store, all in one database file.
        n.set(n.get() + 1);
        SqliteStore::open_file(
            &place.location.dir().join(SQLITE_FILE_NAME),
            &format!("s{}", n.get()),
            TTL,
        )
        .expect("open sqlite store")
    });
}

#[test]
fn memory_store_forgets_everything_on_restart() {
    let place = scratch("case");
    let factory = MemoryStore::factory(TTL);
    let store = factory.open(&place.location).expect("open");
    let token = acquired(store.begin("done", FP, t(0), LEASE));
    assert_eq!(
        store.complete("done", &Held::new(token, FP), &ok(), t(1)),
        Ok(Fenced::Accepted)
    );
    acquired(store.begin("busy", FP, t(2), LEASE));
    assert_eq!(store.len(), 2);
    drop(store);
    let store = factory.open(&place.location).expect("reopen");
    assert!(store.is_empty());
    // The completed operation would run again: the store is volatile.
    acquired(store.begin("done", FP, t(3), LEASE));
    acquired(store.begin("busy", FP, t(3), LEASE));
    assert!(factory.name().contains("volatile"));
}

#[test]
fn sqlite_store_keeps_records_and_token_counter_across_restart() {
    let place = scratch("case_7");
    let factory = SqliteStore::factory(TTL);
    let (done_token, busy_token) = {
        let store = factory.open(&place.location).expect("open");
        let done = acquired(store.begin("done", FP, t(0), LEASE));
        assert_eq!(
            store.complete("done", &Held::new(done, FP), &ok(), t(1)),
            Ok(Fenced::Accepted)
        );
        let busy = acquired(store.begin("busy", FP, t(2), LEASE));
        (done, busy)
    };
    assert!(place.location.dir().join(SQLITE_FILE_NAME).exists());
    let store = factory.open(&place.location).expect("reopen");
    assert_eq!(
        store.begin("done", FP, t(3), LEASE),
        Ok(Claim::Completed(ok()))
    );
    assert_eq!(
        store.begin("done", Fingerprint(9), t(3), LEASE),
        Ok(Claim::Mismatch)
    );
    assert_eq!(store.begin("busy", FP, t(3), LEASE), Ok(Claim::InProgress));
    // The dead owner's lease runs out; the takeover token is new, never one
    // issued before the restart.
    let taken = acquired(store.begin("busy", FP, t(2 + 10_000), LEASE));
    assert!(
        taken > busy_token && taken > done_token,
        "{taken} must be fresh"
    );
    assert_eq!(
        store.complete("busy", &Held::new(busy_token, FP), &ok(), t(12_003)),
        Ok(Fenced::StaleToken)
    );
    drop(store);
    // Tokens keep increasing across a second restart even for new keys.
    let store = factory.open(&place.location).expect("reopen twice");
    let fresh = acquired(store.begin("new", FP, t(12_004), LEASE));
    assert!(fresh > taken);
    assert_eq!(
        store.complete("busy", &Held::new(taken, FP), &ok(), t(12_005)),
        Ok(Fenced::Accepted)
    );
}

#[test]
fn sqlite_namespaces_are_isolated_within_one_file() {
    let place = scratch("unused");
    let path = place.location.dir().join(SQLITE_FILE_NAME);
    let a = SqliteStore::open_file(&path, "ns_a", TTL).expect("open a");
    let b = SqliteStore::open_file(&path, "1ns_b", TTL).expect("open b (leading digit)");
    acquired(a.begin("k", FP, t(0), LEASE));
    acquired(b.begin("k", Fingerprint(1), t(0), LEASE));
    assert_eq!(a.begin("k", FP, t(1), LEASE), Ok(Claim::InProgress));
}

#[test]
fn sqlite_rejects_unsafe_namespaces() {
    let place = scratch("unused");
    let path = place.location.dir().join(SQLITE_FILE_NAME);
    for bad in ["a\"; DROP TABLE x; --", "Upper", "with space", "dash-ed"] {
        let err = SqliteStore::open_file(&path, bad, TTL).expect_err(bad);
        assert!(err.0.contains("namespace"), "{err}");
    }
}

#[test]
fn sqlite_store_reports_an_unusable_location_as_an_error() {
    let location = StorageLocation::new("/nonexistent/retry-check/dir", "x");
    let err = SqliteStore::open(&location, TTL).expect_err("no such directory");
    assert!(err.0.starts_with("sqlite"), "{err}");
}

#[test]
fn sqlite_is_durable_and_in_wal_mode() {
    let place = scratch("wal");
    let store = SqliteStore::open(&place.location, TTL).expect("open");
    acquired(store.begin("k", FP, t(0), LEASE));
    let conn = rusqlite::Connection::open(store.path()).expect("second connection");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode.to_lowercase(), "wal");
    // A second connection (another process, say) sees the committed claim.
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM \"wal_idempotency\"", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, 1);
}

/// Concurrent duplicates on real threads: exactly one acquires, through
/// either store.
fn exactly_one_winner<S: IdempotencyStore<Token = FencingToken> + Sync>(store: &S) {
    for round in 0..20u64 {
        let key = format!("k{round}");
        let claims: Vec<Claim> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| scope.spawn(|| store.begin(&key, FP, t(round), LEASE)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread").expect("begin"))
                .collect()
        });
        let winners = claims
            .iter()
            .filter(|c| matches!(c, Claim::Acquired(_)))
            .count();
        assert_eq!(winners, 1, "round {round}: {claims:?}");
        assert_eq!(
            claims.iter().filter(|c| **c == Claim::InProgress).count(),
            3
        );
    }
}

#[test]
fn memory_store_claims_are_atomic_under_threads() {
    exactly_one_winner(&MemoryStore::new(TTL));
}

#[test]
fn sqlite_store_claims_are_atomic_under_threads() {
    let place = scratch("threads");
    exactly_one_winner(&SqliteStore::open(&place.location, TTL).expect("open"));
}

#[test]
fn sqlite_claims_are_atomic_across_connections() {
    // Two stores over one file (two processes): BEGIN IMMEDIATE serialises.
    let place = scratch("conns");
    let a = SqliteStore::open(&place.location, TTL).expect("open a");
    let b = SqliteStore::open(&place.location, TTL).expect("open b");
    for round in 0..20u64 {
        let key = format!("k{round}");
        let (x, y) = std::thread::scope(|scope| {
            let ha = scope.spawn(|| a.begin(&key, FP, t(round), LEASE));
            let hb = scope.spawn(|| b.begin(&key, FP, t(round), LEASE));
            (
                ha.join().expect("thread a").expect("begin a"),
                hb.join().expect("thread b").expect("begin b"),
            )
        });
        let winners = [&x, &y]
            .iter()
            .filter(|c| matches!(c, Claim::Acquired(_)))
            .count();
        assert_eq!(winners, 1, "round {round}: {x:?} {y:?}");
    }
}

// ----- simulations: the reference stores are never reported ---------------

#[path = "support/reference.rs"]
mod reference;

use reference::{simulate, variants};
use retry_check_harness::SimReport;

/// Run every variant in parallel (one thread each, the store's I/O is the
/// bottleneck), `cases_each` cases with seed `seed_base + i`, and assert that
/// each passes its full budget. Returns the total number of cases run.
fn run_variants<F, M>(make: M, store_restarts: bool, cases_each: u32, seed_base: u64) -> u64
where
    F: retry_check_harness::StoreFactory,
    F::Store: Send + Sync,
    M: Fn(Duration) -> F + Sync,
{
    let results: Vec<(&str, Result<SimReport, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = variants()
            .into_iter()
            .enumerate()
            .map(|(i, (name, config, ttl))| {
                let make = &make;
                scope.spawn(move || {
                    let seed = seed_base + i as u64;
                    let result = simulate(make, (config, ttl), store_restarts, cases_each, seed);
                    (name, result)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("simulation thread"))
            .collect()
    });
    let mut total = 0u64;
    for (name, result) in results {
        match result {
            Ok(report) => {
                assert_eq!(report.cases_run, cases_each, "{name}: {report}");
                assert!(
                    report.events_total > 0 && report.steps_total > 0,
                    "{name}: {report}"
                );
                total += u64::from(report.cases_run);
            }
            Err(cx) => panic!("false alarm on a reference store ({name}):\n{cx}"),
        }
    }
    total
}

/// The in-process store is correct as long as it never restarts: node
/// crashes on (its handlers die, the store lives on), store restarts off.
/// 5 configurations x 4,000 cases = 20,000 cases, each run with its
/// threaded phase too.
#[test]
fn memory_store_passes_a_large_budget_without_store_restarts() {
    let total = run_variants(MemoryStore::factory, false, 4_000, 1_000);
    assert_eq!(total, 20_000);
}

/// The durable store passes everything, node crashes and store restarts
/// included: 5 configurations x 1,200 cases = 6,000 cases, all faults.
#[test]
fn sqlite_store_passes_a_large_budget_with_all_faults() {
    let total = run_variants(SqliteStore::factory, true, 1_200, 2_000);
    assert_eq!(total, 6_000);
}
