//! `idempotent` 0.3.0's in-memory store, checked by the harness through
//! the adapter. What these tests pin is written up in
//! `docs/ecosystem-findings.md`; each fails when the crate changes the
//! behaviour it pins.

use std::time::Duration;

use idempotent::entry::ExistingEntry;
use idempotent::fingerprint::{DefaultFingerprintStrategy, FingerprintStrategy};
use idempotent::store::memory::MemoryStore;
use idempotent::store::{IdempotencyStore, InsertResult};
use idempotent::{IdempotencyEntry, IdempotencyKey};
use retry_check_adapters::idempotent::IdempotentAdapter;
use retry_check_harness::{
    AsyncStoreFactory, Faults, Property, Sim, SimConfig, SimError, StorageLocation, StoreError,
};

const DAY: Duration = Duration::from_secs(24 * 3600);

struct CrateMemory;

impl AsyncStoreFactory for CrateMemory {
    type Store = IdempotentAdapter<MemoryStore>;

    async fn open(&self, _: &StorageLocation) -> Result<Self::Store, StoreError> {
        // Its background task runs on the harness's runtime.
        let store = MemoryStore::new(64, Duration::from_secs(60));
        Ok(IdempotentAdapter::new(store, DAY))
    }

    fn name(&self) -> String {
        "idempotent 0.3.0 MemoryStore".to_string()
    }
}

/// An in-memory store forgets everything on a restart by design: those
/// stay off, and the report says so.
fn faults() -> Faults {
    Faults {
        store_restarts: false,
        ..Faults::all()
    }
}

/// With crashes on, a claim whose handler died stays "in progress" past
/// its lease: the store times leases with `Instant::now()`, which does not
/// move with the harness's clock, so the harness both reports a stuck key
/// and says the store does not keep its clock (the stuck key is the clock,
/// not a bug: in real time the lease would lapse).
#[test]
fn a_dead_owner_s_claim_outlives_its_lease_on_the_harness_clock() {
    for seed in [1, 2, 3] {
        let config = SimConfig {
            faults: faults(),
            ..SimConfig::default()
        };
        match Sim::new_async(CrateMemory).config(config).seed(seed).run() {
            Err(SimError::Violation(cx)) => {
                assert_eq!(cx.property, Property::EventualOutcome, "{cx}");
                assert_eq!(cx.warnings.len(), 1, "{cx}");
                assert!(
                    cx.warnings[0].contains("does not keep the harness's clock"),
                    "{cx}"
                );
            }
            other => panic!("seed {seed}: expected a stuck key, got {other:?}"),
        }
    }
}

/// Without the faults that need time to pass (crashes, clock jumps and
/// stalls), every other property holds: duplicates, lost requests and
/// replies, payload changes and handler errors.
#[test]
fn without_time_the_store_keeps_every_property() {
    let config = SimConfig {
        faults: Faults {
            crashes: false,
            clock_jumps: false,
            stalls: false,
            ..faults()
        },
        ..SimConfig::default()
    };
    let report = Sim::new_async(CrateMemory)
        .config(config)
        .seed(1)
        .run()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.cases_run, 512);
    assert_eq!(report.warnings.len(), 1, "the clock warning stays");
}

fn entry(lease: Duration) -> IdempotencyEntry<idempotent::entry::Processing> {
    IdempotencyEntry::new(
        DefaultFingerprintStrategy.compute("POST /charge", b"{}"),
        lease,
    )
}

/// The crate's `remove` takes no fencing token: an owner whose lease ran
/// out (a slow handler) and that then fails before its side effect
/// removes the claim of the owner that took over, and a third request is
/// let in while the second still runs: two executions. Real time, since
/// the store reads its own clock: a 20 ms lease, 100 ms of sleep.
#[tokio::test]
async fn a_stale_owner_s_remove_deletes_the_new_owner_s_claim() {
    let store = MemoryStore::new(64, Duration::from_secs(60));
    let key = IdempotencyKey::new("op-1").expect("a valid key");
    let InsertResult::Claimed { .. } = store
        .try_insert(&key, entry(Duration::from_millis(20)))
        .await
        .expect("infallible")
    else {
        panic!("a fresh key is claimed");
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let InsertResult::Claimed { .. } = store
        .try_insert(&key, entry(Duration::from_secs(60)))
        .await
        .expect("infallible")
    else {
        panic!("the lapsed claim is taken over");
    };
    // The first owner gives up (it never ran the effect): it removes what
    // it believes is its claim.
    store.remove(&key).await.expect("infallible");
    let third = store
        .try_insert(&key, entry(Duration::from_secs(60)))
        .await
        .expect("infallible");
    assert!(
        matches!(third, InsertResult::Claimed { .. }),
        "a third owner while the second's lease is live (if this fails, remove is fenced now: update docs/ecosystem-findings.md): {:?}",
        match third {
            InsertResult::Exists(ExistingEntry::Processing(_)) => "in progress",
            InsertResult::Exists(ExistingEntry::Completed(_)) => "completed",
            InsertResult::Claimed { .. } => "claimed",
        }
    );
}
