//! The PostgreSQL stores against a real server: the reference store
//! passes a large budget of sim mode at its await points, the
//! check-then-insert store fails the default `Sim::check` with a timeline
//! that shows both `SELECT`s before either `INSERT`, and the schema handling
//! of the factory.
//!
//! These tests need `RETRY_CHECK_PG_URL` (`.ci/run` starts PostgreSQL 15 and
//! sets it; locally: `bash .ci/postgres.sh cargo test -p retry-check-harness
//! --test postgres`). Without it they print why and return.

#![cfg(not(loom))]

use std::sync::Arc;
use std::time::Duration;

use retry_check_harness::stores::PostgresStore;
use retry_check_harness::{
    AsyncIdempotencyStore, AsyncStoreFactory, Claim, Fenced, Fingerprint, Held, Mode, Outcome,
    Property, Sim, SimConfig, StorageLocation, VirtualTime,
};
use retry_check_test_support::postgres_url;

const DAY: Duration = Duration::from_secs(24 * 3600);

fn pg_url(test: &str) -> Option<String> {
    postgres_url(test, "cargo test -p retry-check-harness --test postgres")
}

fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime"),
    )
}

/// Sim mode, every fault on (node crashes and store restarts included: the
/// store is durable), its handlers' statements interleaved at every await:
/// 1,000 cases with seed 11 and no false alarm.
#[test]
fn postgres_reference_store_passes_a_large_budget() {
    let Some(url) = pg_url("postgres_reference_store_passes_a_large_budget") else {
        return;
    };
    let rt = runtime();
    let factory = PostgresStore::factory(url, DAY);
    let cleanup = factory.clone();
    let report = Sim::new_async(factory)
        .config(SimConfig::default())
        .cases(1000)
        .seed(11)
        .run();
    let dropped = rt.block_on(cleanup.drop_schemas()).expect("drop schemas");
    match report {
        Ok(report) => {
            eprintln!("{report}");
            assert_eq!(report.cases_run, 1000);
            // One per case, and the clock probe's before them.
            assert_eq!(dropped, 1001, "one schema per case, and the probe's");
            let mode = report.modes[0];
            assert_eq!(mode.mode, Mode::AwaitPoints);
            assert!(mode.stats.switches > 0, "calls interleaved: {report}");
        }
        Err(e) => panic!("false alarm on the postgres store:\n{e}"),
    }
}

/// The check-then-insert store fails the one documented `#[test]` call,
/// `Sim::check` with the default configuration, and its timeline shows
/// both `SELECT`s before either `INSERT`.
#[test]
fn postgres_check_then_insert_fails_the_default_check() {
    let Some(url) = pg_url("postgres_check_then_insert_fails_the_default_check") else {
        return;
    };
    let replays = tempfile::tempdir().expect("temporary directory");
    let factory = PostgresStore::check_then_insert_factory(url, DAY);
    let cleanup = factory.clone();
    let dir = replays.path().to_path_buf();
    let result = std::thread::spawn(move || {
        std::env::set_var("RETRY_CHECK_REPLAY_DIR", &dir);
        std::panic::catch_unwind(move || Sim::new_async(factory).check())
    })
    .join()
    .expect("the check's thread");
    let _ = runtime().block_on(cleanup.drop_schemas());
    let panic = result.expect_err("the check fails");
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.contains(&format!("property `{}` violated", Property::AtMostOnce)),
        "{message}"
    );
    let lines: Vec<&str> = message.lines().collect();
    let selects: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("[SELECT claim]"))
        .collect();
    let insert = lines.iter().position(|l| l.contains("[INSERT claim]"));
    assert!(selects.len() >= 2, "{message}");
    assert!(insert.is_some_and(|i| selects[1] < i), "{message}");
    assert!(
        message.contains("mode:      fault scenarios with await-point interleavings"),
        "{message}"
    );
}

/// A restart (a new connection over the same location) keeps every record;
/// a fresh factory starts the same namespace empty.
#[test]
fn postgres_store_is_durable_and_fenced() {
    let Some(url) = pg_url("postgres_store_is_durable_and_fenced") else {
        return;
    };
    let rt = runtime();
    rt.block_on(async {
        let factory = PostgresStore::factory(url.clone(), DAY);
        let dir = tempfile::tempdir().expect("temporary directory");
        let location = StorageLocation::new(dir.path(), "durable");
        let lease = Duration::from_secs(10);
        let fp = Fingerprint(5);
        let store = factory.open(&location).await.expect("open");
        let Ok(Claim::Acquired(first)) = store.begin("k", fp, VirtualTime(0), lease).await else {
            panic!("a fresh key is acquired")
        };
        drop(store);
        let store = factory.open(&location).await.expect("reopen");
        assert_eq!(
            store.begin("k", fp, VirtualTime(1), lease).await,
            Ok(Claim::InProgress)
        );
        assert_eq!(
            store
                .begin("k", Fingerprint(6), VirtualTime(1), lease)
                .await,
            Ok(Claim::Mismatch)
        );
        // The lease ends: a takeover gets a newer token and fences the first.
        let Ok(Claim::Acquired(second)) = store.begin("k", fp, VirtualTime(10_000), lease).await
        else {
            panic!("an expired lease is taken over")
        };
        assert!(second > first);
        let outcome = Outcome("charged".into());
        assert_eq!(
            store
                .complete("k", &Held::new(first, fp), &outcome, VirtualTime(10_001))
                .await,
            Ok(Fenced::StaleToken)
        );
        assert_eq!(
            store
                .release("k", &Held::new(first, fp), VirtualTime(10_001))
                .await,
            Ok(Fenced::StaleToken)
        );
        assert_eq!(
            store
                .complete("k", &Held::new(second, fp), &outcome, VirtualTime(10_002))
                .await,
            Ok(Fenced::Accepted)
        );
        assert_eq!(
            store.begin("k", fp, VirtualTime(10_003), lease).await,
            Ok(Claim::Completed(outcome))
        );
        drop(store);
        assert_eq!(factory.drop_schemas().await, Ok(1));
        // Same namespace, new factory: starts empty.
        let other = PostgresStore::factory(url, DAY);
        let store = other.open(&location).await.expect("open");
        assert!(matches!(
            store.begin("k", fp, VirtualTime(0), lease).await,
            Ok(Claim::Acquired(_))
        ));
        drop(store);
        assert_eq!(other.drop_schemas().await, Ok(1));
    });
}
