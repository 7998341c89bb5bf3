//! Sim mode: proptest-generated cases of duplicates, lost messages, node
//! crashes, store restarts and clock jumps, run step by step against a
//! store (its concurrent calls interleaved at their `.await`s when it is
//! async) and judged by an exact oracle; plus, for sync stores, a threaded
//! phase racing duplicates inside the store's calls.

mod answers;
mod case;
pub(crate) mod case_dir;
mod clock;
mod config;
mod contract;
mod drawn;
pub mod driver;
mod executor;
mod mode;
pub(crate) mod oracle;
mod partition;
mod replay;
mod report;
mod runner;
mod schedule;
mod shrink;
pub mod threads;
mod timeline;

pub use answers::AnswerCounts;
pub use case::{CrashPoint, Event, Interleaving, Jump, JumpKind, OpSpec, SimCase};
pub use config::{Faults, Jitter, Reconciler, RetrySchedule, SimConfig, DEFAULT_CASES};
#[cfg(not(loom))]
pub use driver::AsyncDriver;
pub use driver::SyncDriver;
pub use executor::{CaseStats, Trace};
pub use mode::Mode;
pub use oracle::{Property, Violation, ViolationClass};
pub use partition::Partition;
#[cfg(not(loom))]
pub use replay::replay_async;
pub use replay::{
    replay, ReferenceStore, ReferenceStoreKind, ReplayFile, Rerun, ShrinkStats, Verdict,
    REPLAY_FORMAT, TOOL_VERSION,
};
pub use report::{CaseDigest, Counterexample, HarnessError, ModeReport, SimError, SimReport};
pub use runner::{
    contract_path, replay_dir, Sim, CASES_ENV, CONTRACT_ENV, PARTITION_ENV, REPLAY_DIR_ENV,
    SEED_ENV,
};
pub(crate) use schedule::mix;
pub use threads::ThreadShrink;
pub use threads::DEFAULT_THREAD_ROUNDS;
pub use timeline::{Timeline, TimelineLine};
