//! How the executor calls the store under test: a call is started, then
//! polled; a sync store's call is done at its first poll, an async store's
//! may stop at every `.await` and is polled again once its waker fires.
//!
//! [`SyncDriver`] and [`AsyncDriver`] are made by [`Sim::new`](crate::Sim::new)
//! and [`Sim::new_async`](crate::Sim::new_async); the [`Driver`] trait is
//! sealed.

use std::task::Poll;
use std::time::Duration;

use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};

/// A store call the executor makes.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub enum Call {
    /// `begin(key, fingerprint, now, lease)`.
    Begin {
        key: String,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    },
    /// `complete(key, token, outcome, now)`.
    Complete {
        key: String,
        token: FencingToken,
        outcome: Outcome,
        now: VirtualTime,
    },
    /// `release(key, token, now)`.
    Release {
        key: String,
        token: FencingToken,
        now: VirtualTime,
    },
}

/// A store call's answer.
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `begin`'s.
    Claim(Result<Claim, StoreError>),
    /// `complete`'s or `release`'s.
    Fenced(Result<Fenced, StoreError>),
}

fn call_sync<S: IdempotencyStore + ?Sized>(store: &S, call: &Call) -> Answer {
    match call {
        Call::Begin {
            key,
            fingerprint,
            now,
            lease,
        } => Answer::Claim(store.begin(key, *fingerprint, *now, *lease)),
        Call::Complete {
            key,
            token,
            outcome,
            now,
        } => Answer::Fenced(store.complete(key, *token, outcome, *now)),
        Call::Release { key, token, now } => Answer::Fenced(store.release(key, *token, *now)),
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Sync or async: which modes apply.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `IdempotencyStore`: calls are atomic steps in sim mode; races inside
    /// a call are the threaded phase's.
    Sync,
    /// `AsyncIdempotencyStore`: calls interleave at their `.await`s.
    Async,
}

/// The store under test, as the executor drives it (sealed).
#[doc(hidden)]
pub trait Driver: sealed::Sealed {
    /// An open store instance.
    type Store;
    /// A call in flight.
    type Call;

    /// For reports.
    fn name(&self) -> String;
    /// Sync or async.
    fn flavour(&self) -> Flavour;
    /// Open the store over `location` for a new case.
    fn open(&self, location: &StorageLocation) -> Result<Self::Store, StoreError>;
    /// Open it again after a store restart in the case.
    fn reopen(&self, location: &StorageLocation) -> Result<Self::Store, StoreError>;
    /// Drop a store instance (a restart).
    fn close(&self, store: Self::Store);
    /// Start `call` on `store`.
    fn start(&self, store: &Self::Store, call: Call) -> Self::Call;
    /// Poll it once; returns the answer when done, and the checkpoints the
    /// store passed during the poll.
    fn poll(&self, call: &mut Self::Call) -> (Poll<Answer>, Vec<String>);
    /// After a pending poll: wait up to `limit` for the call's waker. True
    /// when it fired (the call can make progress).
    fn wait(&self, call: &Self::Call, limit: Duration) -> bool;
    /// Has the call's waker fired since its last poll?
    fn woken(&self, call: &Self::Call) -> bool;
    /// Abandon a call in flight (its handler died).
    fn abandon(&self, call: Self::Call);
    /// The threaded phase, for sync stores: run it, or `None` when it does
    /// not apply.
    fn threaded(&self, plan: &super::threads::ThreadPlan) -> Option<super::threads::ThreadOutcome>;
    /// A case starts (before its store opens): its virtual time is zero.
    fn case_started(&self) {}
    /// The case's virtual time is `now` (before a call starts or is
    /// polled): a driver whose clock follows virtual time moves it.
    fn clock_at(&self, _now: crate::store::VirtualTime) {}
}

/// A sync store factory under test; see [`Sim::new`](crate::Sim::new).
pub struct SyncDriver<F> {
    pub(crate) factory: F,
}

impl<F> sealed::Sealed for SyncDriver<F> {}

impl<F> Driver for SyncDriver<F>
where
    F: StoreFactory,
    F::Store: Send + Sync,
{
    type Store = F::Store;
    /// The answer, computed when the call starts (a sync call is one step).
    type Call = Option<(Answer, Vec<String>)>;

    fn name(&self) -> String {
        self.factory.name()
    }

    fn flavour(&self) -> Flavour {
        Flavour::Sync
    }

    fn open(&self, location: &StorageLocation) -> Result<F::Store, StoreError> {
        self.factory.open(location)
    }

    fn reopen(&self, location: &StorageLocation) -> Result<F::Store, StoreError> {
        self.factory.reopen(location)
    }

    fn close(&self, store: F::Store) {
        drop(store);
    }

    fn start(&self, store: &F::Store, call: Call) -> Self::Call {
        Some(crate::checkpoint::recording(|| call_sync(store, &call)))
    }

    fn poll(&self, call: &mut Self::Call) -> (Poll<Answer>, Vec<String>) {
        match call.take() {
            Some((answer, labels)) => (Poll::Ready(answer), labels),
            None => (
                Poll::Ready(Answer::Claim(Err(StoreError::new(
                    "harness: a finished call was polled",
                )))),
                Vec::new(),
            ),
        }
    }

    fn wait(&self, _call: &Self::Call, _limit: Duration) -> bool {
        true
    }

    fn woken(&self, _call: &Self::Call) -> bool {
        true
    }

    fn abandon(&self, _call: Self::Call) {}

    fn threaded(&self, plan: &super::threads::ThreadPlan) -> Option<super::threads::ThreadOutcome> {
        Some(super::threads::run(&self.factory, plan))
    }
}

#[cfg(not(loom))]
pub use self::asynchronous::{AsyncCall, AsyncDriver};

#[cfg(not(loom))]
mod asynchronous {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::task::{Context, Poll, Wake, Waker};
    use std::time::Duration;

    use super::{sealed, Answer, Call, Driver, Flavour};
    use crate::store::{
        AsyncIdempotencyStore, AsyncStoreFactory, StorageLocation, StoreError, VirtualTime,
    };

    /// An async store factory under test; see
    /// [`Sim::new_async`](crate::Sim::new_async). Its calls run on a
    /// current-thread tokio runtime that only runs while the harness waits
    /// for a call, so the harness decides which call makes progress.
    pub struct AsyncDriver<F> {
        pub(crate) factory: F,
        pub(crate) runtime: Result<Arc<tokio::runtime::Runtime>, String>,
        /// With [`Sim::tokio_clock`](crate::Sim::tokio_clock): the
        /// runtime's clock is paused and follows the case's virtual time,
        /// from this instant (the start of the current case).
        paused: Option<Mutex<tokio::time::Instant>>,
    }

    impl<F> AsyncDriver<F> {
        pub(crate) fn new(factory: F) -> Self {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(Arc::new)
                .map_err(|e| format!("cannot start a tokio runtime: {e}"));
            AsyncDriver {
                factory,
                runtime,
                paused: None,
            }
        }

        /// The same factory on a runtime whose clock is paused: tokio's
        /// time moves only when the case's virtual time does.
        pub(crate) fn with_tokio_clock(self) -> Self {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .map(Arc::new)
                .map_err(|e| format!("cannot start a tokio runtime: {e}"));
            let origin = match &runtime {
                Ok(rt) => rt.block_on(async { tokio::time::Instant::now() }),
                Err(_) => tokio::time::Instant::now(),
            };
            AsyncDriver {
                factory: self.factory,
                runtime,
                paused: Some(Mutex::new(origin)),
            }
        }

        fn rt(&self) -> Result<&tokio::runtime::Runtime, StoreError> {
            self.runtime
                .as_deref()
                .map_err(|e| StoreError::new(e.clone()))
        }
    }

    /// Set when the call's waker fires.
    struct Flag {
        woken: AtomicBool,
        notify: tokio::sync::Notify,
    }

    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::SeqCst);
            self.notify.notify_one();
        }
    }

    /// An async store call in flight.
    pub struct AsyncCall {
        future: Pin<Box<dyn Future<Output = Answer> + Send>>,
        flag: Arc<Flag>,
        waker: Waker,
    }

    impl<F> sealed::Sealed for AsyncDriver<F> {}

    impl<F> Driver for AsyncDriver<F>
    where
        F: AsyncStoreFactory,
        F::Store: 'static,
    {
        type Store = Arc<F::Store>;
        type Call = AsyncCall;

        fn name(&self) -> String {
            self.factory.name()
        }

        fn flavour(&self) -> Flavour {
            Flavour::Async
        }

        fn open(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
            let rt = self.rt()?;
            rt.block_on(self.factory.open(location)).map(Arc::new)
        }

        fn reopen(&self, location: &StorageLocation) -> Result<Self::Store, StoreError> {
            let rt = self.rt()?;
            rt.block_on(self.factory.reopen(location)).map(Arc::new)
        }

        fn close(&self, store: Self::Store) {
            if let Ok(rt) = self.rt() {
                let _guard = rt.enter();
                drop(store);
            }
        }

        fn start(&self, store: &Self::Store, call: Call) -> AsyncCall {
            let store = Arc::clone(store);
            let future: Pin<Box<dyn Future<Output = Answer> + Send>> = Box::pin(async move {
                match call {
                    Call::Begin {
                        key,
                        fingerprint,
                        now,
                        lease,
                    } => Answer::Claim(store.begin(&key, fingerprint, now, lease).await),
                    Call::Complete {
                        key,
                        token,
                        outcome,
                        now,
                    } => Answer::Fenced(store.complete(&key, token, &outcome, now).await),
                    Call::Release { key, token, now } => {
                        Answer::Fenced(store.release(&key, token, now).await)
                    }
                }
            });
            let flag = Arc::new(Flag {
                // Not polled yet: ready to run.
                woken: AtomicBool::new(true),
                notify: tokio::sync::Notify::new(),
            });
            let waker = Waker::from(Arc::clone(&flag));
            AsyncCall {
                future,
                flag,
                waker,
            }
        }

        fn poll(&self, call: &mut AsyncCall) -> (Poll<Answer>, Vec<String>) {
            let Ok(rt) = self.rt() else {
                return (
                    Poll::Ready(Answer::Claim(Err(StoreError::new("no tokio runtime")))),
                    Vec::new(),
                );
            };
            call.flag.woken.store(false, Ordering::SeqCst);
            let _guard = rt.enter();
            let mut cx = Context::from_waker(&call.waker);
            crate::checkpoint::recording(|| call.future.as_mut().poll(&mut cx))
        }

        fn wait(&self, call: &AsyncCall, limit: Duration) -> bool {
            if call.flag.woken.load(Ordering::SeqCst) {
                return true;
            }
            let Ok(rt) = self.rt() else {
                return false;
            };
            let flag = Arc::clone(&call.flag);
            if self.paused.is_some() {
                // No real time on a paused clock (a timeout would jump it):
                // let the runtime's other tasks run until none is ready. A
                // call still asleep then waits for another handler or for
                // virtual time (its tokio timer fires when the case's
                // clock reaches it).
                return rt.block_on(async move {
                    for _ in 0..IDLE_YIELDS {
                        if flag.woken.load(Ordering::SeqCst) {
                            return true;
                        }
                        tokio::task::yield_now().await;
                    }
                    flag.woken.load(Ordering::SeqCst)
                });
            }
            rt.block_on(async move {
                let woken = async {
                    while !flag.woken.load(Ordering::SeqCst) {
                        flag.notify.notified().await;
                    }
                };
                tokio::time::timeout(limit, woken).await.is_ok()
            })
        }

        fn woken(&self, call: &AsyncCall) -> bool {
            call.flag.woken.load(Ordering::SeqCst)
        }

        fn abandon(&self, call: AsyncCall) {
            if let Ok(rt) = self.rt() {
                let _guard = rt.enter();
                drop(call);
            }
        }

        fn threaded(
            &self,
            _plan: &crate::sim::threads::ThreadPlan,
        ) -> Option<crate::sim::threads::ThreadOutcome> {
            None
        }

        fn case_started(&self) {
            let (Some(origin), Ok(rt)) = (&self.paused, self.rt()) else {
                return;
            };
            let now = rt.block_on(async { tokio::time::Instant::now() });
            *origin.lock().unwrap_or_else(PoisonError::into_inner) = now;
        }

        fn clock_at(&self, now: VirtualTime) {
            let (Some(origin), Ok(rt)) = (&self.paused, self.rt()) else {
                return;
            };
            let target = *origin.lock().unwrap_or_else(PoisonError::into_inner)
                + Duration::from_millis(now.as_millis());
            rt.block_on(async move {
                let current = tokio::time::Instant::now();
                if target > current {
                    tokio::time::advance(target - current).await;
                }
            });
        }
    }

    /// How many times a paused runtime's other tasks get to run before a
    /// sleeping call counts as waiting for something else.
    const IDLE_YIELDS: usize = 64;
}
