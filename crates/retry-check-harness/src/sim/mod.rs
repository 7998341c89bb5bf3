//! Sim mode: proptest-generated scenarios of duplicates, lost messages,
//! crashes, restarts and clock jumps, run step by step against a store and
//! judged by an exact oracle.

mod config;
mod contract;
mod executor;
mod oracle;
mod partition;
mod replay;
mod runner;
mod scenario;
mod schedule;
mod timeline;

pub use config::{Faults, Jitter, Reconciler, RetrySchedule, SimConfig, DEFAULT_CASES};
pub use executor::Trace;
pub use oracle::{Property, Violation, ViolationClass};
pub use partition::Partition;
pub use replay::{
    replay, ReferenceStore, ReferenceStoreKind, ReplayFile, Verdict, REPLAY_FORMAT, TOOL_VERSION,
};
pub use runner::{
    contract_path, replay_dir, CaseDigest, Counterexample, ShrinkStats, Sim, SimReport, CASES_ENV,
    CONTRACT_ENV, PARTITION_ENV, REPLAY_DIR_ENV, SEED_ENV,
};
pub use scenario::{CrashPoint, Event, Jump, JumpKind, OpSpec, Scenario};
pub use timeline::{Timeline, TimelineLine};
