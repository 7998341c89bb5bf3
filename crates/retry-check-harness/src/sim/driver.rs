//! How the executor calls the store under test: a call is started, then
//! polled; a sync store's call is done at its first poll, an async store's
//! may stop at every `.await` and is polled again once its waker fires.
//!
//! [`SyncDriver`] and [`AsyncDriver`] are made by [`Sim::new`](crate::Sim::new)
//! and [`Sim::new_async`](crate::Sim::new_async); the [`Driver`] trait is
//! sealed.

use std::sync::{Mutex, PoisonError};
use std::task::Poll;
use std::time::Duration;

use crate::store::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};
use crate::tokens::TokenTable;

/// A store call the executor makes. Tokens are the harness's numbers for
/// the store's own (see [`TokenTable`]); the driver turns them back.
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
    /// `complete(key, held, outcome, now)`.
    Complete {
        key: String,
        token: FencingToken,
        fingerprint: Fingerprint,
        outcome: Outcome,
        now: VirtualTime,
    },
    /// `release(key, held, now)`.
    Release {
        key: String,
        token: FencingToken,
        fingerprint: Fingerprint,
        now: VirtualTime,
    },
}

/// A call with the store's own token in place of the harness's number.
enum StoreCall<T> {
    Begin {
        key: String,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    },
    Complete {
        key: String,
        held: Held<T>,
        outcome: Outcome,
        now: VirtualTime,
    },
    Release {
        key: String,
        held: Held<T>,
        now: VirtualTime,
    },
}

/// A case's tokens, shared by the driver and its calls in flight.
struct Tokens<T>(Mutex<TokenTable<T>>);

impl<T: Clone + Eq> Tokens<T> {
    fn new() -> Self {
        Tokens(Mutex::new(TokenTable::default()))
    }

    fn table(&self) -> std::sync::MutexGuard<'_, TokenTable<T>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `call` with the store's tokens, or the answer when a number names
    /// no token the store issued in this case (a harness bug).
    fn to_store(&self, call: Call) -> Result<StoreCall<T>, Answer> {
        let table = self.table();
        let held = |token: FencingToken, fingerprint| match table.token(token) {
            Some(t) => Ok(Held::new(t.clone(), fingerprint)),
            None => Err(Answer::Fenced(Err(StoreError::new(format!(
                "harness: {token} names no token the store issued in this case"
            ))))),
        };
        Ok(match call {
            Call::Begin {
                key,
                fingerprint,
                now,
                lease,
            } => StoreCall::Begin {
                key,
                fingerprint,
                now,
                lease,
            },
            Call::Complete {
                key,
                token,
                fingerprint,
                outcome,
                now,
            } => StoreCall::Complete {
                key,
                held: held(token, fingerprint)?,
                outcome,
                now,
            },
            Call::Release {
                key,
                token,
                fingerprint,
                now,
            } => StoreCall::Release {
                key,
                held: held(token, fingerprint)?,
                now,
            },
        })
    }

    /// `begin`'s answer with the harness's number for its token.
    fn claim(&self, claim: Result<Claim<T>, StoreError>) -> Answer {
        Answer::Claim(claim.map(|c| c.map_token(|t| self.table().number(t))))
    }
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

fn call_sync<S: IdempotencyStore + ?Sized>(
    store: &S,
    tokens: &Tokens<S::Token>,
    call: Call,
) -> Answer {
    match tokens.to_store(call) {
        Ok(StoreCall::Begin {
            key,
            fingerprint,
            now,
            lease,
        }) => tokens.claim(store.begin(&key, fingerprint, now, lease)),
        Ok(StoreCall::Complete {
            key,
            held,
            outcome,
            now,
        }) => Answer::Fenced(store.complete(&key, &held, &outcome, now)),
        Ok(StoreCall::Release { key, held, now }) => {
            Answer::Fenced(store.release(&key, &held, now))
        }
        Err(answer) => answer,
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
pub struct SyncDriver<F: StoreFactory> {
    factory: F,
    /// The case's tokens (cleared when a case opens its store; kept across
    /// its restarts).
    tokens: Tokens<<F::Store as IdempotencyStore>::Token>,
}

impl<F: StoreFactory> SyncDriver<F> {
    pub(crate) fn new(factory: F) -> Self {
        SyncDriver {
            factory,
            tokens: Tokens::new(),
        }
    }
}

impl<F: StoreFactory> sealed::Sealed for SyncDriver<F> {}

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
        self.tokens.table().clear();
        self.factory.open(location)
    }

    fn reopen(&self, location: &StorageLocation) -> Result<F::Store, StoreError> {
        self.factory.reopen(location)
    }

    fn close(&self, store: F::Store) {
        drop(store);
    }

    fn start(&self, store: &F::Store, call: Call) -> Self::Call {
        Some(crate::checkpoint::recording(|| {
            call_sync(store, &self.tokens, call)
        }))
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

    use super::{sealed, Answer, Call, Driver, Flavour, StoreCall, Tokens};
    use crate::store::{
        AsyncIdempotencyStore, AsyncStoreFactory, StorageLocation, StoreError, VirtualTime,
    };

    /// An async store factory under test; see
    /// [`Sim::new_async`](crate::Sim::new_async). Its calls run on a
    /// current-thread tokio runtime that only runs while the harness waits
    /// for a call, so the harness decides which call makes progress.
    pub struct AsyncDriver<F: AsyncStoreFactory> {
        factory: F,
        runtime: Result<Arc<tokio::runtime::Runtime>, String>,
        /// The case's tokens, as [`SyncDriver`](super::SyncDriver)'s; shared
        /// with the calls in flight.
        tokens: Arc<Tokens<<F::Store as AsyncIdempotencyStore>::Token>>,
        /// With [`Sim::tokio_clock`](crate::Sim::tokio_clock): the
        /// runtime's clock is paused and follows the case's virtual time,
        /// from this instant (the start of the current case).
        paused: Option<Mutex<tokio::time::Instant>>,
    }

    impl<F: AsyncStoreFactory> AsyncDriver<F> {
        pub(crate) fn new(factory: F) -> Self {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(Arc::new)
                .map_err(|e| format!("cannot start a tokio runtime: {e}"));
            AsyncDriver {
                factory,
                runtime,
                tokens: Arc::new(Tokens::new()),
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
                tokens: self.tokens,
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

    impl<F: AsyncStoreFactory> sealed::Sealed for AsyncDriver<F> {}

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
            self.tokens.table().clear();
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
            let tokens = Arc::clone(&self.tokens);
            let call = tokens.to_store(call);
            let future: Pin<Box<dyn Future<Output = Answer> + Send>> = Box::pin(async move {
                match call {
                    Ok(StoreCall::Begin {
                        key,
                        fingerprint,
                        now,
                        lease,
                    }) => tokens.claim(store.begin(&key, fingerprint, now, lease).await),
                    Ok(StoreCall::Complete {
                        key,
                        held,
                        outcome,
                        now,
                    }) => Answer::Fenced(store.complete(&key, &held, &outcome, now).await),
                    Ok(StoreCall::Release { key, held, now }) => {
                        Answer::Fenced(store.release(&key, &held, now).await)
                    }
                    Err(answer) => answer,
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
