//! The runner: proptest drives scenario generation and shrinking with a
//! fixed, seeded RNG and no persistence, so one seed gives one output.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::path::{Path, PathBuf};

use proptest::test_runner::{
    Config as ProptestConfig, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner,
};
use serde::{Deserialize, Serialize};

use super::config::SimConfig;
use super::executor::execute;
use super::oracle::{Property, Violation};
use super::partition::Partition;
use super::replay::{ReplayFile, Verdict};
use super::scenario::{Event, Jump, JumpKind, Scenario};
use super::timeline::Timeline;
use crate::store::{StorageLocation, StoreError, StoreFactory};

/// A harness temp directory holding one sub-directory per case; removed on
/// drop.
pub(crate) struct CaseDir {
    root: PathBuf,
}

impl CaseDir {
    /// Under `/dev/shm` when it is a writable directory (Linux tmpfs),
    /// else under the system temp directory. A simulated crash drops the
    /// store and reopens it in the same process, so a case's files never
    /// need to survive more than the process: memory-backed storage is
    /// exactly as faithful as a disk and spares every `fsync` a durable
    /// store makes (the reference SQLite store syncs at each commit).
    pub(crate) fn new() -> Result<Self, StoreError> {
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix("retry-check-sim-");
            b
        };
        let shm = Path::new("/dev/shm");
        let root = match shm.is_dir().then(|| builder.tempdir_in(shm)) {
            Some(Ok(dir)) => dir,
            _ => builder.tempdir()?,
        }
        .keep();
        Ok(CaseDir { root })
    }

    /// A fresh, empty location for case `n`: `<root>/case_000123`, namespace
    /// `case_000123`.
    pub(crate) fn case_location(&self, n: u64) -> Result<StorageLocation, StoreError> {
        let name = format!("case_{n:06}");
        let dir = self.root.join(&name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(StorageLocation::new(dir, name))
    }

    pub(crate) fn remove_case(&self, location: &StorageLocation) {
        let _ = std::fs::remove_dir_all(location.dir());
    }
}

impl Drop for CaseDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// What a passing run explored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimReport {
    /// The store under test (`StoreFactory::name`).
    pub store: String,
    /// The seed of the run.
    pub seed: u64,
    /// Cases run.
    pub cases_run: u32,
    /// Executor steps over all cases.
    pub steps_total: u64,
    /// Scheduled events over all cases.
    pub events_total: u64,
    /// The partition run, when the run was partitioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// Every case run: its position in the run's case sequence and a digest
    /// of its scenario (the same case has the same digest in every
    /// partition).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_digests: Vec<CaseDigest>,
}

/// One case of a run: its 0-based position in the run's case sequence and a
/// stable digest (FNV-1a 64) of its scenario's JSON.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct CaseDigest {
    /// Position in the sequence of cases of the unpartitioned run.
    pub index: u64,
    /// FNV-1a 64 of the scenario's JSON.
    pub digest: u64,
}

fn digest(scenario: &Scenario) -> u64 {
    let json = serde_json::to_string(scenario).unwrap_or_default();
    json.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl fmt::Display for SimReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "retry-check sim: {} passed {} cases ({} events, {} steps), seed {}",
            self.store, self.cases_run, self.events_total, self.steps_total, self.seed
        )?;
        if let Some(p) = self.partition {
            write!(f, ", partition {p}")?;
        }
        f.write_str("; sampled, not exhaustive")
    }
}

/// How much shrinking reduced the failing case.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShrinkStats {
    /// Events in the first failing case.
    pub original_events: usize,
    /// Events in the shrunk case.
    pub shrunk_events: usize,
    /// Shrink iterations (cases run while shrinking).
    pub iterations: u32,
}

/// A property violation, shrunk, with everything needed to understand and
/// replay it.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The property violated.
    pub property: Property,
    /// The seed of the run that found it.
    pub seed: u64,
    /// The shrunk case's timeline, the violating line marked.
    pub timeline: Timeline,
    /// Shrink statistics.
    pub shrink: ShrinkStats,
    /// The replay file of the shrunk case.
    pub replay: ReplayFile,
    /// The violation (class, line, because chain).
    pub violation: Violation,
    /// The store under test.
    pub store: String,
    /// Cases run up to and including the first failing one.
    pub cases_explored: u32,
    /// Where the replay file was written, once written.
    pub replay_path: Option<PathBuf>,
    /// What the configuration was read from (see [`Sim::contract`]).
    pub contract: Option<String>,
    /// The first failing case's 0-based position in the run's case sequence
    /// (the same in every partition).
    pub case_index: u64,
    /// The partition run, when the run was partitioned.
    pub partition: Option<Partition>,
}

impl Counterexample {
    /// Write the replay file into `dir` (created if needed) and remember its
    /// path; returns the path.
    pub fn write_replay(&mut self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let mut store = String::new();
        for c in self.store.chars() {
            if c.is_ascii_alphanumeric() {
                store.push(c.to_ascii_lowercase());
            } else if !store.ends_with('_') {
                store.push('_');
            }
        }
        let store = store.trim_matches('_');
        // A harness test names the file after itself, so that two tests of
        // one store never overwrite each other's file.
        let test = self
            .replay
            .verdict
            .as_ref()
            .and_then(|v| v.test.as_deref())
            .map(|t| {
                let t: String = t
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '_' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                format!("{t}-")
            })
            .unwrap_or_default();
        let path = dir.join(format!(
            "{test}{store}-{}-{}.json",
            self.property, self.seed
        ));
        std::fs::write(&path, self.replay.to_json())?;
        self.replay_path = Some(path.clone());
        Ok(path)
    }
}

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.violation;
        writeln!(
            f,
            "retry-check sim: property `{}` violated ({}) by store {}",
            self.property, v.class, self.store
        )?;
        writeln!(f)?;
        f.write_str(&self.timeline.render())?;
        writeln!(f)?;
        writeln!(f, "because:")?;
        for b in &v.because {
            writeln!(f, "  - {b}")?;
        }
        writeln!(f)?;
        writeln!(f, "property:  {} ({})", self.property, v.class)?;
        if let Some(c) = &self.contract {
            writeln!(f, "contract:  {c}")?;
        }
        writeln!(f, "store:     {}", self.store)?;
        writeln!(f, "seed:      {}", self.seed)?;
        writeln!(
            f,
            "shrunk:    {} events -> {} events in {} shrink iterations",
            self.shrink.original_events, self.shrink.shrunk_events, self.shrink.iterations
        )?;
        match self.partition {
            Some(p) => writeln!(
                f,
                "explored:  {} cases of partition {p} before the first failure (case #{}; sampled, not exhaustive)",
                self.cases_explored, self.case_index
            )?,
            None => writeln!(
                f,
                "explored:  {} cases before the first failure (sampled, not exhaustive)",
                self.cases_explored
            )?,
        }
        if let Some(p) = &self.replay_path {
            writeln!(f, "replay:    {}", p.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for Counterexample {}

/// The simulator: a store factory, a configuration, a budget and a seed.
///
/// ```no_run
/// use retry_check_harness::{Sim, SimConfig};
/// # use retry_check_harness::*;
/// # fn open(_: &StorageLocation) -> Result<retry_check_harness::stores::MemoryStore, StoreError> {
/// #     Ok(retry_check_harness::stores::MemoryStore::new(std::time::Duration::from_secs(86400)))
/// # }
/// Sim::new(open).config(SimConfig::default()).cases(256).seed(7).check();
/// ```
pub struct Sim<F: StoreFactory> {
    factory: F,
    config: SimConfig,
    contract: Option<String>,
    partition: Partition,
}

/// `cargo retry-check model` sets it: the seed [`Sim::check`] runs with.
pub const SEED_ENV: &str = "RETRY_CHECK_SEED";
/// `cargo retry-check model` sets it: the cases [`Sim::check`] runs.
pub const CASES_ENV: &str = "RETRY_CHECK_CASES";
/// `cargo retry-check model --partition k/n` sets it: the partition of the
/// cases [`Sim::check`] runs (see [`Partition`]).
pub const PARTITION_ENV: &str = "RETRY_CHECK_PARTITION";
/// Where [`Sim::check`] writes replay files (see [`replay_dir`]).
pub const REPLAY_DIR_ENV: &str = "RETRY_CHECK_REPLAY_DIR";
/// `cargo retry-check model --contract PATH` sets it: the contract file or
/// directory a harness test may read its configuration from (see
/// [`contract_path`]).
pub const CONTRACT_ENV: &str = "RETRY_CHECK_CONTRACT";

fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The contract path given by `$RETRY_CHECK_CONTRACT`, if set: a harness
/// test run by `cargo retry-check model --contract PATH` reads its contract
/// from there (falling back to its own when unset).
pub fn contract_path() -> Option<PathBuf> {
    env_value(CONTRACT_ENV).map(PathBuf::from)
}

impl<F: StoreFactory> Sim<F> {
    /// A simulator for the stores `factory` opens, with the default
    /// configuration.
    pub fn new(factory: F) -> Self {
        Sim {
            factory,
            config: SimConfig::default(),
            contract: None,
            partition: Partition::ALL,
        }
    }

    /// Run only the cases of `partition` (see [`Partition`]).
    pub fn partition(mut self, partition: Partition) -> Self {
        self.partition = partition;
        self
    }

    /// Apply `$RETRY_CHECK_SEED`, `$RETRY_CHECK_CASES` and
    /// `$RETRY_CHECK_PARTITION` when set (they win over the values in the
    /// code: `cargo retry-check model` sets them from its `--seed`,
    /// `--cases` and `--partition`). [`Sim::check`] calls it; call it
    /// yourself before [`Sim::run`]. An invalid value is an error naming the
    /// variable.
    pub fn env_overrides(mut self) -> Result<Self, String> {
        if let Some(v) = env_value(SEED_ENV) {
            self.config.seed = v
                .trim()
                .parse()
                .map_err(|_| format!("${SEED_ENV} = `{v}` is not a seed (an integer 0..2^64)"))?;
        }
        if let Some(v) = env_value(CASES_ENV) {
            self.config.cases =
                v.trim()
                    .parse()
                    .ok()
                    .filter(|&n: &u32| n > 0)
                    .ok_or_else(|| {
                        format!("${CASES_ENV} = `{v}` is not a number of cases (1..2^32)")
                    })?;
        }
        if let Some(v) = env_value(PARTITION_ENV) {
            self.partition = v.parse().map_err(|e| format!("${PARTITION_ENV}: {e}"))?;
        }
        Ok(self)
    }

    /// Replace the configuration (its `cases` and `seed` included).
    pub fn config(mut self, config: SimConfig) -> Self {
        self.config = config;
        self
    }

    /// Name the contract the configuration came from (`payments.toml:
    /// checkout -> payments`), printed in reports.
    pub fn contract(mut self, label: impl Into<String>) -> Self {
        self.contract = Some(label.into());
        self
    }

    /// Set the number of cases.
    pub fn cases(mut self, n: u32) -> Self {
        self.config.cases = n;
        self
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// Run the cases; the first violation is shrunk and returned.
    pub fn run(self) -> Result<SimReport, Box<Counterexample>> {
        let config = self.config;
        let factory = self.factory;
        let contract = self.contract;
        let partition = self.partition;
        let partitioned = (partition.count > 1).then_some(partition);
        let store = factory.name();
        let fail = |message: String| -> Box<Counterexample> {
            Box::new(harness_failure(&config, &store, message))
        };
        let dir = match CaseDir::new() {
            Ok(d) => d,
            Err(e) => return Err(fail(format!("cannot create the case directory: {e}"))),
        };
        let mut runner =
            TestRunner::new_with_rng(proptest_config(config.cases), seeded_rng(config.seed));
        let strategy = Scenario::strategy(&config);

        let case_no = Cell::new(0u64);
        // Position in the run's case sequence of the next generated case.
        let generated = Cell::new(0u64);
        let failing_index = Cell::new(0u64);
        let digests = RefCell::new(Vec::<CaseDigest>::new());
        let cases_before_failure = Cell::new(0u32);
        let first_failure_events = Cell::new(None::<usize>);
        let first_property = Cell::new(None::<Property>);
        let shrink_iters = Cell::new(0u32);
        let steps_total = Cell::new(0u64);
        let events_total = Cell::new(0u64);
        let harness_error = RefCell::new(None::<String>);

        let result = runner.run(&strategy, |scenario| {
            let shrinking = first_failure_events.get().is_some();
            if !shrinking {
                // Every case of the sequence is generated (so that case `i`
                // is the same in every partition); only this partition's
                // cases are run.
                let index = generated.get();
                generated.set(index + 1);
                if !partition.contains(index) {
                    return Ok(());
                }
                failing_index.set(index);
                digests.borrow_mut().push(CaseDigest {
                    index,
                    digest: digest(&scenario),
                });
            }
            let n = case_no.get() + 1;
            case_no.set(n);
            if shrinking {
                shrink_iters.set(shrink_iters.get() + 1);
            } else {
                cases_before_failure.set(cases_before_failure.get() + 1);
            }
            let location = dir
                .case_location(n)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let trace = execute(&factory, &config, &scenario, &location);
            dir.remove_case(&location);
            match trace {
                Err(e) => {
                    harness_error.borrow_mut().get_or_insert(e.to_string());
                    Err(TestCaseError::fail(format!("store error: {e}")))
                }
                Ok(trace) => {
                    steps_total.set(steps_total.get() + trace.steps as u64);
                    events_total.set(events_total.get() + scenario.events.len() as u64);
                    match trace.violation {
                        None => Ok(()),
                        // While shrinking, only the first failure's property
                        // counts: the report keeps the property first found.
                        Some(v) if first_property.get().is_some_and(|p| p != v.property) => Ok(()),
                        Some(v) => {
                            if first_failure_events.get().is_none() {
                                first_failure_events.set(Some(scenario.events.len()));
                                first_property.set(Some(v.property));
                            }
                            Err(TestCaseError::fail(v.property.name()))
                        }
                    }
                }
            }
        });

        match result {
            Ok(()) => Ok(SimReport {
                store,
                seed: config.seed,
                cases_run: cases_before_failure.get(),
                steps_total: steps_total.get(),
                events_total: events_total.get(),
                partition: partitioned,
                case_digests: digests.into_inner(),
            }),
            Err(TestError::Abort(reason)) => Err(fail(format!("proptest aborted: {reason}"))),
            Err(TestError::Fail(_, scenario)) => {
                let mut case = case_no.get();
                let (scenario, extra) = minimize(
                    &factory,
                    &config,
                    &dir,
                    &mut case,
                    scenario,
                    MINIMIZE_BUDGET,
                );
                shrink_iters.set(shrink_iters.get() + extra);
                let location = dir
                    .case_location(0)
                    .map_err(|e| fail(format!("cannot create the case directory: {e}")))?;
                let trace = execute(&factory, &config, &scenario, &location);
                dir.remove_case(&location);
                let trace =
                    trace.map_err(|e| fail(format!("store error on the shrunk case: {e}")))?;
                let Some(violation) = trace.violation else {
                    let msg = harness_error.borrow().clone().unwrap_or_else(|| {
                        "the shrunk case did not fail again: the store is not deterministic"
                            .to_string()
                    });
                    return Err(fail(msg));
                };
                Err(Box::new(Counterexample {
                    property: violation.property,
                    seed: config.seed,
                    timeline: trace.timeline,
                    shrink: ShrinkStats {
                        original_events: first_failure_events
                            .get()
                            .unwrap_or(scenario.events.len()),
                        shrunk_events: scenario.events.len(),
                        iterations: shrink_iters.get(),
                    },
                    replay: ReplayFile::new(config.clone(), scenario),
                    violation,
                    store,
                    cases_explored: cases_before_failure.get(),
                    replay_path: None,
                    contract,
                    case_index: failing_index.get(),
                    partition: partitioned,
                }))
            }
        }
    }

    /// Run the cases as a `#[test]`: apply [`Sim::env_overrides`] (seed,
    /// cases and partition from `cargo retry-check model`), run, and on a
    /// violation write the replay file (under `$RETRY_CHECK_REPLAY_DIR`,
    /// else `target/retry-check/`; it also records the verdict, the timeline
    /// and the test's name, which `cargo retry-check model` reports), print
    /// the seed on stderr and panic with the rendered counterexample.
    pub fn check(self) {
        let sim = match self.env_overrides() {
            Ok(sim) => sim,
            Err(e) => panic!("retry-check sim: {e}"),
        };
        let seed = sim.config.seed;
        match sim.run() {
            Ok(_) => {}
            Err(mut cx) => {
                eprintln!("retry-check sim: failing seed {seed}");
                if cx.cases_explored > 0 {
                    cx.replay.verdict = Some(Verdict::of(&cx, current_test()));
                }
                let dir = replay_dir();
                if let Err(e) = cx.write_replay(&dir) {
                    eprintln!(
                        "retry-check sim: could not write the replay file in {}: {e}",
                        dir.display()
                    );
                }
                panic!("{cx}");
            }
        }
    }
}

/// The name of the running `#[test]` (libtest names the thread after it).
fn current_test() -> Option<String> {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_string)
}

/// Executions the second shrinking pass may spend.
const MINIMIZE_BUDGET: u32 = 3000;

/// The property `scenario` violates, if any (store errors count as none).
fn failing_property<F: StoreFactory>(
    factory: &F,
    config: &SimConfig,
    dir: &CaseDir,
    case: &mut u64,
    scenario: &Scenario,
) -> Option<(Property, usize)> {
    *case += 1;
    let location = dir.case_location(*case).ok()?;
    let trace = execute(factory, config, scenario, &location);
    dir.remove_case(&location);
    let trace = trace.ok()?;
    trace.violation.map(|v| (v.property, trace.timeline.len()))
}

/// The second shrinking pass (delta debugging over the event list):
/// proptest removes each event once, front to back, and stops at the first
/// local minimum; since a `Step` picks among the actors able to act, removing
/// one event often shifts later ones. This pass removes chunks of events
/// (halves down to single events) and simplifies the survivors (`Step(0)`,
/// zero clock offsets, fewer operations and duplicates) until nothing more
/// can go while the same property still fails. Returns the scenario and the
/// executions spent.
fn minimize<F: StoreFactory>(
    factory: &F,
    config: &SimConfig,
    dir: &CaseDir,
    case: &mut u64,
    scenario: Scenario,
    budget: u32,
) -> (Scenario, u32) {
    let mut spent = 0u32;
    let Some((property, mut lines)) = failing_property(factory, config, dir, case, &scenario)
    else {
        return (scenario, 1);
    };
    spent += 1;
    let mut best = scenario;
    let mut try_candidate =
        |cand: &Scenario, best: &mut Scenario, lines: &mut usize, spent: &mut u32| -> bool {
            if *spent >= budget {
                return false;
            }
            *spent += 1;
            match failing_property(factory, config, dir, case, cand) {
                Some((p, l))
                    if p == property && (cand.events.len() < best.events.len() || l <= *lines) =>
                {
                    *best = cand.clone();
                    *lines = l;
                    true
                }
                _ => false,
            }
        };
    loop {
        let mut changed = false;
        // Remove chunks of events, largest first.
        let mut size = best.events.len().div_ceil(2).max(1);
        loop {
            let mut i = 0;
            while i < best.events.len() {
                let mut cand = best.clone();
                let end = (i + size).min(cand.events.len());
                cand.events.drain(i..end);
                if try_candidate(&cand, &mut best, &mut lines, &mut spent) {
                    changed = true;
                } else {
                    i += size;
                }
            }
            if size == 1 {
                break;
            }
            size = size.div_ceil(2).max(1).min(size - 1).max(1);
        }
        // Fewer operations and duplicates.
        while best.operations.len() > 1 {
            let mut cand = best.clone();
            cand.operations.pop();
            if !try_candidate(&cand, &mut best, &mut lines, &mut spent) {
                break;
            }
            changed = true;
        }
        for i in 0..best.operations.len() {
            if best.operations[i].duplicates > 1 {
                let mut cand = best.clone();
                cand.operations[i].duplicates -= 1;
                changed |= try_candidate(&cand, &mut best, &mut lines, &mut spent);
            }
        }
        // Simplify single events: a smaller actor index, a zero offset.
        for i in 0..best.events.len() {
            let candidates: Vec<Event> = match best.events[i] {
                Event::Step(n) => (0..n.min(4)).map(Event::Step).collect(),
                Event::AdvanceClock(j) if j.delta_ms != 0 && j.kind != JumpKind::Small => {
                    vec![Event::AdvanceClock(Jump { delta_ms: 0, ..j })]
                }
                _ => Vec::new(),
            };
            for e in candidates {
                let mut cand = best.clone();
                cand.events[i] = e;
                if try_candidate(&cand, &mut best, &mut lines, &mut spent) {
                    changed = true;
                    break;
                }
            }
        }
        if !changed || spent >= budget {
            break;
        }
    }
    (best, spent)
}

/// Where `check` writes replay files.
pub fn replay_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(REPLAY_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t).join("retry-check");
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut dir: &Path = &cwd;
    loop {
        if dir.join("Cargo.lock").exists() {
            return dir.join("target").join("retry-check");
        }
        match dir.parent() {
            Some(p) => dir = p,
            None => return cwd.join("target").join("retry-check"),
        }
    }
}

fn harness_failure(config: &SimConfig, store: &str, message: String) -> Counterexample {
    let mut timeline = Timeline::new();
    timeline.push(crate::store::VirtualTime::ZERO, "harness", message.clone());
    Counterexample {
        property: Property::EventualOutcome,
        seed: config.seed,
        timeline,
        shrink: ShrinkStats::default(),
        replay: ReplayFile::new(
            config.clone(),
            Scenario {
                operations: Vec::new(),
                jitter_seed: 0,
                events: Vec::new(),
            },
        ),
        violation: Violation {
            property: Property::EventualOutcome,
            class: super::oracle::ViolationClass::StuckInProgress,
            line: 1,
            mark: String::new(),
            because: vec![message],
        },
        store: store.to_string(),
        cases_explored: 0,
        replay_path: None,
        contract: None,
        case_index: 0,
        partition: None,
    }
}

/// A proptest configuration independent of `PROPTEST_*` environment
/// variables: no persistence, no fork, no timeouts, fixed shrink budget.
fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_local_rejects: 65_536,
        max_global_rejects: 1024,
        max_flat_map_regens: 1_000_000,
        failure_persistence: None,
        source_file: None,
        test_name: None,
        fork: false,
        timeout: 0,
        max_shrink_time: 0,
        max_shrink_iters: 4096,
        max_default_size_range: 100,
        verbose: 0,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..ProptestConfig::default()
    }
}

fn seeded_rng(seed: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = super::schedule::mix(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proptest_configuration_pins_everything_the_environment_could_change() {
        let c = proptest_config(7);
        assert_eq!(c.cases, 7);
        assert!(c.failure_persistence.is_none());
        assert!(c.source_file.is_none());
        assert!(!c.fork);
        assert_eq!(c.timeout, 0);
        assert_eq!(c.max_shrink_time, 0);
        assert_eq!(c.max_shrink_iters, 4096);
        assert_eq!(c.verbose, 0);
        assert_eq!(c.rng_algorithm, RngAlgorithm::ChaCha);
    }

    #[test]
    fn seeded_rngs_differ_by_seed_and_repeat_by_seed() {
        use proptest::strategy::{Strategy, ValueTree};
        let draw = |seed| {
            let mut runner = TestRunner::new_with_rng(proptest_config(1), seeded_rng(seed));
            (0..4)
                .map(|_| {
                    proptest::prelude::any::<u64>()
                        .new_tree(&mut runner)
                        .map(|t| t.current())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
    }

    #[test]
    fn case_directories_are_fresh_and_removed() {
        let dir = CaseDir::new().expect("temp dir");
        let root = dir.root.clone();
        let loc = dir.case_location(12).expect("case dir");
        assert_eq!(loc.namespace(), "case_000012");
        assert!(loc.dir().is_dir());
        std::fs::write(loc.dir().join("f"), "x").expect("write");
        let again = dir.case_location(12).expect("case dir");
        assert!(
            !again.dir().join("f").exists(),
            "a reused case number starts empty"
        );
        dir.remove_case(&again);
        assert!(!again.dir().exists());
        drop(dir);
        assert!(!root.exists(), "the run's directory is removed");
    }
}
