//! Replay files: the shrunk scenario itself, versioned, so a failure can be
//! re-run step by step after the strategy or the seed mapping changed.

use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::executor::{execute, Trace};
use super::runner::CaseDir;
use super::scenario::Scenario;
use crate::store::{StoreError, StoreFactory};

/// The replay file format version.
pub const REPLAY_FORMAT: u32 = 1;

/// The version of this crate, recorded in replay files.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A replay file (JSON): the shrunk scenario and everything needed to re-run
/// it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayFile {
    /// [`REPLAY_FORMAT`].
    pub format: u32,
    /// The harness version that wrote the file.
    pub tool_version: String,
    /// The run's seed.
    pub seed: u64,
    /// The configuration of the run.
    pub config: SimConfig,
    /// The shrunk scenario.
    pub scenario: Scenario,
}

impl ReplayFile {
    /// A replay file for `scenario` run under `config`.
    pub fn new(config: SimConfig, scenario: Scenario) -> Self {
        ReplayFile {
            format: REPLAY_FORMAT,
            tool_version: TOOL_VERSION.to_string(),
            seed: config.seed,
            config,
            scenario,
        }
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parse a replay file, refusing unknown format versions.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: ReplayFile =
            serde_json::from_str(text).map_err(|e| format!("invalid replay file: {e}"))?;
        if file.format != REPLAY_FORMAT {
            return Err(format!(
                "replay file format {} is not supported (this harness reads format {REPLAY_FORMAT})",
                file.format
            ));
        }
        Ok(file)
    }
}

/// Re-run a replay file step by step against `factory`. The trace (and its
/// rendered timeline) is the same, byte for byte, on every run.
pub fn replay<F: StoreFactory>(factory: F, file: &ReplayFile) -> Result<Trace, StoreError> {
    let dir = CaseDir::new()?;
    let location = dir.case_location(0)?;
    let trace = execute(&factory, &file.config, &file.scenario, &location);
    dir.remove_case(&location);
    trace
}
