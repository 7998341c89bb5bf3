//! Replay files: the shrunk scenario itself, versioned, so a failure can be
//! re-run step by step after the strategy or the seed mapping changed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::executor::{execute, Trace};
use super::oracle::{Property, ViolationClass};
use super::partition::Partition;
use super::runner::CaseDir;
use super::runner::{Counterexample, ShrinkStats};
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
    /// The built-in reference store the scenario ran against, when it ran
    /// against one (written by `cargo retry-check simulate`; absent in files
    /// written by [`crate::Sim::check`] for a user's own store). Optional, so
    /// format-1 files without it still parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_store: Option<ReferenceStore>,
    /// What the configuration was read from (`client -> server`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// What the scenario broke when it was found, written by
    /// [`crate::Sim::check`] so that `cargo retry-check model` can report a
    /// user's counterexample without the user's store. Optional, so format-1
    /// files without it still parse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// The verdict recorded with a counterexample found by [`crate::Sim::check`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The property violated.
    pub property: Property,
    /// The violation class.
    pub class: ViolationClass,
    /// The store under test (`StoreFactory::name`).
    pub store: String,
    /// The `#[test]` that found it (libtest's thread name), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    /// The rendered timeline of the shrunk case, the violating line marked.
    pub timeline: String,
    /// The "because" chain.
    pub because: Vec<String>,
    /// Cases run up to and including the first failing one.
    pub cases_explored: u32,
    /// The failing case's position in the run's case sequence.
    pub case_index: u64,
    /// The partition run, when the run was partitioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// Shrink statistics.
    pub shrink: ShrinkStats,
}

impl Verdict {
    /// The verdict of `cx`, found by `test`.
    pub fn of(cx: &Counterexample, test: Option<String>) -> Verdict {
        Verdict {
            property: cx.property,
            class: cx.violation.class,
            store: cx.store.clone(),
            test,
            timeline: cx.timeline.render(),
            because: cx.violation.because.clone(),
            cases_explored: cx.cases_explored,
            case_index: cx.case_index,
            partition: cx.partition,
            shrink: cx.shrink,
        }
    }
}

/// Which built-in reference store a replay file re-runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceStoreKind {
    /// [`crate::stores::MemoryStore`]: volatile across restarts.
    Memory,
    /// [`crate::stores::SqliteStore`]: durable.
    Sqlite,
}

/// A built-in reference store and the key TTL it was opened with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceStore {
    /// Which store.
    pub kind: ReferenceStoreKind,
    /// The key TTL passed to its factory.
    pub key_ttl: Duration,
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
            reference_store: None,
            contract: None,
            verdict: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> ReplayFile {
        ReplayFile::new(
            SimConfig::default(),
            Scenario {
                operations: Vec::new(),
                jitter_seed: 0,
                events: Vec::new(),
            },
        )
    }

    #[test]
    fn files_without_a_reference_store_still_parse() {
        let json = file().to_json();
        assert!(!json.contains("reference_store"), "{json}");
        assert!(!json.contains("\"contract\""), "{json}");
        let parsed = ReplayFile::from_json(&json).expect("parses");
        assert_eq!(parsed.reference_store, None);
        assert_eq!(parsed, file());
    }

    #[test]
    fn the_reference_store_and_contract_round_trip() {
        let mut f = file();
        f.reference_store = Some(ReferenceStore {
            kind: ReferenceStoreKind::Memory,
            key_ttl: Duration::from_secs(3600),
        });
        f.contract = Some("checkout -> payments".to_string());
        let json = f.to_json();
        assert!(json.contains("\"kind\": \"memory\""), "{json}");
        assert_eq!(ReplayFile::from_json(&json).expect("parses"), f);
    }
}
