//! Sim mode: proptest-generated scenarios of duplicates, lost messages,
//! crashes, restarts and clock jumps, run step by step against a store and
//! judged by an exact oracle.

mod config;
mod contract;
mod executor;
mod oracle;
mod replay;
mod runner;
mod scenario;
mod schedule;
mod timeline;

pub use config::{Faults, Jitter, Reconciler, RetrySchedule, SimConfig, DEFAULT_CASES};
pub use executor::Trace;
pub use oracle::{Property, Violation, ViolationClass};
pub use replay::{
    replay, ReferenceStore, ReferenceStoreKind, ReplayFile, REPLAY_FORMAT, TOOL_VERSION,
};
pub use runner::{Counterexample, ShrinkStats, Sim, SimReport};
pub use scenario::{CrashPoint, Event, Jump, JumpKind, OpSpec, Scenario};
pub use timeline::{Timeline, TimelineLine};
