//! The modes of a check: which ones apply to a store, and what each cannot
//! see.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A mode of the check (see [`Sim::check`](crate::Sim::check)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Generated fault scenarios against a sync store: each store call is
    /// one atomic step.
    #[default]
    Scenarios,
    /// Generated fault scenarios against an async store, its concurrent
    /// calls interleaved at every `.await`.
    AwaitPoints,
    /// Duplicate handlers on real threads against one sync store instance.
    Threads,
}

impl Mode {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Scenarios => "fault scenarios",
            Mode::AwaitPoints => "fault scenarios with await-point interleavings",
            Mode::Threads => "threaded duplicates",
        }
    }

    /// What the mode cannot see, for reports.
    pub fn limits(self) -> &'static str {
        match self {
            Mode::Scenarios => {
                "each store call is one atomic step here: a race inside a call is the threaded phase's"
            }
            Mode::AwaitPoints => {
                "interleaves only at `.await`s: a race between two threads the store spawns itself is not explored"
            }
            Mode::Threads => {
                "real threads on this machine's cores: a pass is a sample, not a proof, and a failure is not replayable step by step"
            }
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
