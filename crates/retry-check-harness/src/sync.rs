//! The synchronisation primitives a loom-checkable store is written
//! against: `std`'s normally, [loom](https://docs.rs/loom)'s when the crate
//! is built with `RUSTFLAGS="--cfg loom"`.
//!
//! A store that takes its `Mutex`, `RwLock`, atomics, `Arc` and threads from
//! here (as [`MemoryStore`](crate::stores::MemoryStore) does) is model-checked
//! unchanged by loom mode (`loom_mode`, under `cfg(loom)`), which explores
//! every interleaving of its lock sections and atomic operations. Add the
//! check-cfg to your own crate so `#[cfg(loom)]` does not warn:
//!
//! ```toml
//! [lints.rust]
//! unexpected_cfgs = { level = "warn", check-cfg = ['cfg(loom)'] }
//! ```
//!
//! Outside loom, [`Mutex`] and [`RwLock`] are thin wrappers of `std`'s with
//! the same methods and guards, and one addition: in the threaded phase of
//! [`Sim::check`](crate::Sim::check) every `lock`, `read` and `write` is a
//! seeded yield point (like [`checkpoint`](crate::checkpoint)), so a claim
//! split into two lock sections shows its race there without a change to
//! the store. Outside that phase they cost one thread-local read.

#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub use std::sync::{Arc, MutexGuard, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub use yielding::{Mutex, RwLock};

#[cfg(not(loom))]
mod yielding {
    use std::fmt;
    use std::sync::{LockResult, MutexGuard, RwLockReadGuard, RwLockWriteGuard, TryLockResult};

    use crate::checkpoint::yield_point;

    /// `std::sync::Mutex`, whose `lock` is a yield point in the threaded
    /// phase (see the [module docs](super)).
    #[derive(Default)]
    pub struct Mutex<T: ?Sized>(std::sync::Mutex<T>);

    impl<T> Mutex<T> {
        /// A new mutex holding `value`.
        pub const fn new(value: T) -> Self {
            Mutex(std::sync::Mutex::new(value))
        }

        /// The value, consuming the mutex.
        pub fn into_inner(self) -> LockResult<T> {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> Mutex<T> {
        /// Lock it (a yield point first, in the threaded phase).
        pub fn lock(&self) -> LockResult<MutexGuard<'_, T>> {
            yield_point();
            self.0.lock()
        }

        /// Lock it if it is free.
        pub fn try_lock(&self) -> TryLockResult<MutexGuard<'_, T>> {
            self.0.try_lock()
        }

        /// Whether a holder panicked.
        pub fn is_poisoned(&self) -> bool {
            self.0.is_poisoned()
        }

        /// The value, through an exclusive borrow.
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            self.0.get_mut()
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }

    /// `std::sync::RwLock`, whose `read` and `write` are yield points in
    /// the threaded phase (see the [module docs](super)).
    #[derive(Default)]
    pub struct RwLock<T: ?Sized>(std::sync::RwLock<T>);

    impl<T> RwLock<T> {
        /// A new lock holding `value`.
        pub const fn new(value: T) -> Self {
            RwLock(std::sync::RwLock::new(value))
        }

        /// The value, consuming the lock.
        pub fn into_inner(self) -> LockResult<T> {
            self.0.into_inner()
        }
    }

    impl<T: ?Sized> RwLock<T> {
        /// Lock it for reading (a yield point first, in the threaded phase).
        pub fn read(&self) -> LockResult<RwLockReadGuard<'_, T>> {
            yield_point();
            self.0.read()
        }

        /// Lock it for writing (a yield point first, in the threaded phase).
        pub fn write(&self) -> LockResult<RwLockWriteGuard<'_, T>> {
            yield_point();
            self.0.write()
        }

        /// Whether a holder panicked.
        pub fn is_poisoned(&self) -> bool {
            self.0.is_poisoned()
        }

        /// The value, through an exclusive borrow.
        pub fn get_mut(&mut self) -> LockResult<&mut T> {
            self.0.get_mut()
        }
    }

    impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt(f)
        }
    }
}

/// Atomic integers and `Ordering`.
pub mod atomic {
    #[cfg(loom)]
    pub use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    #[cfg(not(loom))]
    pub use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
}

/// Threads: `spawn`, `yield_now`, `JoinHandle`.
pub mod thread {
    #[cfg(loom)]
    pub use loom::thread::{spawn, yield_now, JoinHandle};
    #[cfg(not(loom))]
    pub use std::thread::{spawn, yield_now, JoinHandle};
}
