//! Replay files: the shrunk case itself, versioned, so a failure can be
//! re-run step by step after the strategy or the seed mapping changed.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::case::SimCase;
use super::case_dir::CaseDir;
use super::config::SimConfig;
use super::driver::{Driver, SyncDriver};
use super::executor::{execute, Trace, Waits};
use super::mode::Mode;
use super::oracle::{Property, ViolationClass};
use super::partition::Partition;
use crate::store::{StoreError, StoreFactory};

/// The replay file format version. Format 2 (this harness) added server
/// nodes, store restarts, the interleaving of handlers and the mode;
/// format 1 files are refused (re-run the test to get a new one).
pub const REPLAY_FORMAT: u32 = 2;

/// The version of this crate, recorded in replay files.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How much shrinking reduced the failing case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrinkStats {
    /// Events in the first failing case.
    pub original_events: usize,
    /// Events in the shrunk case.
    pub shrunk_events: usize,
    /// Shrink iterations (cases run while shrinking).
    pub iterations: u32,
    /// For the threaded phase: the failing round and the smallest one
    /// that failed again (the event counts above are then store calls).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<super::threads::ThreadShrink>,
}

/// A replay file (JSON): the shrunk case and everything needed to re-run
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
    /// The shrunk case (empty for a counterexample of the threaded phase,
    /// which real threads found and cannot replay).
    pub scenario: SimCase,
    /// The mode that found it.
    #[serde(default)]
    pub mode: Mode,
    /// The built-in reference store the case ran against, when it ran
    /// against one (written by `cargo retry-check simulate`; absent in files
    /// written by [`crate::Sim::check`] for a user's own store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_store: Option<ReferenceStore>,
    /// What the configuration was read from (`client -> server`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// What the case broke when it was found, written by
    /// [`crate::Sim::check`] so that `cargo retry-check model` can report a
    /// user's counterexample without the user's store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// Where the test that wrote the file lives, so that `cargo retry-check
    /// replay` can print the command that re-runs it against the user's
    /// store (absent in files of `simulate` and of older harnesses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rerun: Option<Rerun>,
}

/// The cargo package and test target of the process that wrote a replay
/// file, read from what `cargo test` gives a test at run time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rerun {
    /// `CARGO_PKG_NAME` of the test process.
    pub package: String,
    /// The test binary's name without cargo's hash: the integration test
    /// target (`tests/<target>.rs`), or the crate itself for unit tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The package's manifest (`CARGO_MANIFEST_PATH`), absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

impl Rerun {
    /// This process's package and test target, when cargo runs it.
    pub fn of_this_process() -> Option<Rerun> {
        let package = std::env::var("CARGO_PKG_NAME")
            .ok()
            .filter(|p| !p.is_empty())?;
        let target = std::env::current_exe().ok().and_then(|exe| {
            let stem = exe.file_stem()?.to_string_lossy().into_owned();
            Some(strip_cargo_hash(&stem).to_string())
        });
        let manifest = std::env::var("CARGO_MANIFEST_PATH")
            .ok()
            .or_else(|| {
                let dir = std::env::var("CARGO_MANIFEST_DIR").ok()?;
                Some(format!("{dir}/Cargo.toml"))
            })
            .filter(|m| !m.is_empty());
        Some(Rerun {
            package,
            target,
            manifest,
        })
    }
}

/// `store_model-0123456789abcdef` → `store_model`.
fn strip_cargo_hash(stem: &str) -> &str {
    match stem.rsplit_once('-') {
        Some((name, hash))
            if !name.is_empty()
                && hash.len() == 16
                && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            name
        }
        _ => stem,
    }
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
    /// Cases (or rounds) run up to and including the first failing one.
    pub cases_explored: u32,
    /// The failing case's position in the run's case sequence.
    pub case_index: u64,
    /// The partition run, when the run was partitioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// Shrink statistics.
    pub shrink: ShrinkStats,
    /// The mode that found it.
    #[serde(default)]
    pub mode: Mode,
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
    pub fn new(config: SimConfig, scenario: SimCase) -> Self {
        ReplayFile {
            format: REPLAY_FORMAT,
            tool_version: TOOL_VERSION.to_string(),
            seed: config.seed,
            config,
            scenario,
            mode: Mode::Scenarios,
            reference_store: None,
            contract: None,
            verdict: None,
            rerun: None,
        }
    }

    /// The shell command that re-runs the test that wrote this file (a
    /// harness test of the user's store), with the seed, budget and
    /// partition it ran with, and `--manifest-path manifest` when given
    /// (the caller shows [`Rerun::manifest`] as it likes); `None` for a
    /// file without a verdict (written by `simulate`, which replays against
    /// its own reference store).
    pub fn rerun_command(&self, manifest: Option<&str>) -> Option<String> {
        let verdict = self.verdict.as_ref()?;
        // The variables `Sim::check` reads (the runner's `SEED_ENV`,
        // `CASES_ENV`, `PARTITION_ENV`; written out here because the runner
        // imports this file, never the reverse).
        let mut env = vec![
            format!("RETRY_CHECK_SEED={}", self.seed),
            format!("RETRY_CHECK_CASES={}", self.config.cases),
        ];
        if let Some(p) = verdict.partition {
            env.push(format!("RETRY_CHECK_PARTITION={p}"));
        }
        let mut cargo = vec!["cargo".to_string(), "test".to_string()];
        if let Some(m) = manifest {
            cargo.push(format!("--manifest-path {m}"));
        }
        match &self.rerun {
            Some(r) => {
                cargo.push(format!("-p {}", r.package));
                match r.target.as_deref() {
                    Some(t) if t == r.package.replace('-', "_") => cargo.push("--lib".into()),
                    Some(t) => cargo.push(format!("--test {t}")),
                    None => {}
                }
            }
            None => cargo.push("--workspace".into()),
        }
        if let Some(test) = &verdict.test {
            cargo.push(format!("-- {test} --exact"));
        }
        Some(format!("{} {}", env.join(" "), cargo.join(" ")))
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parse a replay file, refusing other format versions.
    pub fn from_json(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Version {
            format: u32,
        }
        if let Ok(Version { format }) = serde_json::from_str::<Version>(text) {
            if format != REPLAY_FORMAT {
                return Err(format!(
                    "replay file format {format} is not supported (this harness reads format {REPLAY_FORMAT}; re-run the test that wrote it to get a new file)"
                ));
            }
        }
        serde_json::from_str(text).map_err(|e| format!("invalid replay file: {e}"))
    }
}

/// Re-run a replay file step by step against a sync store `factory`. The
/// trace (and its rendered timeline) is the same, byte for byte, on every
/// run.
pub fn replay<F>(factory: F, file: &ReplayFile) -> Result<Trace, StoreError>
where
    F: StoreFactory,
    F::Store: Send + Sync,
{
    replay_with(&SyncDriver::new(factory), file)
}

/// Re-run a replay file step by step against an async store `factory`, its
/// handlers interleaved at their `.await`s as recorded.
#[cfg(not(loom))]
pub fn replay_async<F>(factory: F, file: &ReplayFile) -> Result<Trace, StoreError>
where
    F: crate::store::AsyncStoreFactory,
    F::Store: 'static,
{
    replay_with(&super::driver::AsyncDriver::new(factory), file)
}

fn replay_with<D: Driver>(driver: &D, file: &ReplayFile) -> Result<Trace, StoreError> {
    if file.mode == Mode::Threads {
        return Err(StoreError::new(format!(
            "this counterexample was found by real threads (the threaded phase): it cannot be replayed step by step; re-run the test with seed {}",
            file.seed
        )));
    }
    let dir = CaseDir::new();
    let location = dir.case_location(0);
    let trace = execute(
        driver,
        &file.config,
        &file.scenario,
        &location,
        Waits::default(),
    );
    dir.remove_case(&location);
    trace.map_err(|f| StoreError::new(f.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> ReplayFile {
        ReplayFile::new(SimConfig::default(), SimCase::empty())
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

    fn verdict() -> Verdict {
        Verdict {
            property: Property::AtMostOnce,
            class: ViolationClass::DuplicateEffect,
            store: "MyStore".into(),
            test: Some("my_store_is_idempotent".into()),
            timeline: String::new(),
            because: Vec::new(),
            cases_explored: 3,
            case_index: 2,
            partition: None,
            shrink: ShrinkStats::default(),
            mode: Mode::Scenarios,
        }
    }

    #[test]
    fn the_rerun_command_names_the_package_target_and_test() {
        let mut f = file();
        assert_eq!(f.rerun_command(None), None, "no verdict: nothing to re-run");
        f.seed = 7;
        f.verdict = Some(verdict());
        f.rerun = Some(Rerun {
            package: "my-store".into(),
            target: Some("store_model".into()),
            manifest: Some("/w/my-store/Cargo.toml".into()),
        });
        assert_eq!(
            f.rerun_command(Some("my-store/Cargo.toml")).as_deref(),
            Some(
                "RETRY_CHECK_SEED=7 RETRY_CHECK_CASES=512 cargo test --manifest-path \
                 my-store/Cargo.toml -p my-store --test store_model -- my_store_is_idempotent \
                 --exact"
            )
        );
        // A unit test of the crate itself, partitioned.
        f.rerun = Some(Rerun {
            package: "my-store".into(),
            target: Some("my_store".into()),
            manifest: None,
        });
        if let Some(v) = f.verdict.as_mut() {
            v.partition = "2/3".parse().ok();
        }
        let cmd = f.rerun_command(None).unwrap_or_default();
        assert!(cmd.contains("RETRY_CHECK_PARTITION=2/3 "), "{cmd}");
        assert!(cmd.contains("-p my-store --lib -- "), "{cmd}");
        // An older file that does not say where its test lives.
        f.rerun = None;
        let cmd = f.rerun_command(None).unwrap_or_default();
        assert!(
            cmd.contains("cargo test --workspace -- my_store_is_idempotent --exact"),
            "{cmd}"
        );
        let json = f.to_json();
        assert_eq!(ReplayFile::from_json(&json).expect("parses").rerun, None);
    }

    #[test]
    fn cargo_hashes_are_stripped_from_test_binaries() {
        assert_eq!(
            strip_cargo_hash("store_model-9fa478627f6f5606"),
            "store_model"
        );
        assert_eq!(strip_cargo_hash("my-tool"), "my-tool");
        assert_eq!(strip_cargo_hash("store_model"), "store_model");
    }

    #[test]
    fn older_formats_are_refused_with_advice() {
        let json = file().to_json().replace("\"format\": 2", "\"format\": 1");
        let err = ReplayFile::from_json(&json).expect_err("format 1");
        assert!(err.contains("format 1 is not supported"), "{err}");
        assert!(err.contains("re-run the test"), "{err}");
    }
}
