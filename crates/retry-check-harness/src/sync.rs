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

#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
#[cfg(not(loom))]
pub use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

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
