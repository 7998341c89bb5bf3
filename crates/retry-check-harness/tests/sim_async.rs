//! The async flavour end to end: an `AsyncIdempotencyStore` behind
//! `BlockOn` is simulated like a sync one, with the same verdicts.

#![cfg(not(loom))]

mod sim_support;

use std::future::Future;
use std::time::Duration;

use retry_check_harness::{
    AsyncIdempotencyStore, AsyncStoreFactory, BlockOn, Claim, Fenced, FencingToken, Fingerprint,
    IdempotencyStore, Outcome, Property, Sim, StorageLocation, StoreError, StoreFactory,
    VirtualTime,
};
use sim_support::{Defect, TinyFactory, TinyStore};

/// An async store: each call yields to the runtime once before answering,
/// like a database client would.
struct AsyncTiny(TinyStore);

struct AsyncTinyFactory(TinyFactory);

async fn yielded<T>(value: T) -> T {
    tokio::task::yield_now().await;
    value
}

impl AsyncIdempotencyStore for AsyncTiny {
    fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send {
        yielded(self.0.begin(key, fingerprint, now, lease))
    }

    fn complete(
        &self,
        key: &str,
        token: FencingToken,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send {
        yielded(self.0.complete(key, token, outcome, now))
    }

    fn release(
        &self,
        key: &str,
        token: FencingToken,
        now: VirtualTime,
    ) -> impl Future<Output = Result<Fenced, StoreError>> + Send {
        yielded(self.0.release(key, token, now))
    }
}

impl AsyncStoreFactory for AsyncTinyFactory {
    type Store = AsyncTiny;

    fn open(
        &self,
        location: &StorageLocation,
    ) -> impl Future<Output = Result<AsyncTiny, StoreError>> + Send {
        yielded(self.0.open(location).map(AsyncTiny))
    }

    fn name(&self) -> String {
        format!("async {}", self.0.name())
    }
}

fn factory(defect: Defect) -> BlockOn<AsyncTinyFactory> {
    BlockOn::new(AsyncTinyFactory(TinyFactory::new(defect))).expect("a tokio runtime")
}

#[test]
fn an_async_store_is_simulated_like_a_sync_one() {
    let report = Sim::new(factory(Defect::None)).cases(300).seed(8).run();
    if let Err(cx) = report {
        panic!("false alarm on the correct async store:\n{cx}");
    }
    let cx = match Sim::new(factory(Defect::WrongReplay)).seed(8).run() {
        Ok(report) => panic!("the broken async store was not caught: {report}"),
        Err(cx) => cx,
    };
    assert_eq!(cx.property, Property::ReplayConsistent, "{cx}");
    assert!(cx.store.starts_with("async tiny store"), "{}", cx.store);
    // The same seed against the sync store finds the same case.
    let sync = match Sim::new(TinyFactory::new(Defect::WrongReplay))
        .seed(8)
        .run()
    {
        Ok(report) => panic!("not caught: {report}"),
        Err(cx) => cx,
    };
    assert_eq!(sync.timeline, cx.timeline);
}
