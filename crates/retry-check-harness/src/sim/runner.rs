//! The runner: [`Sim`], the builder a store author calls. proptest drives
//! case generation and shrinking with a fixed, seeded RNG and no
//! persistence, so one seed gives one output; then the threaded phase runs
//! for sync stores.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::test_runner::{TestCaseError, TestError, TestRunner};

use super::case::SimCase;
use super::case_dir::CaseDir;
use super::clock::clock_warning;
use super::config::SimConfig;
use super::drawn::{digest, drawn_cases, proptest_config, seeded_rng};
use super::driver::{Driver, Flavour, SyncDriver};
use super::executor::{execute_with, CaseStats, Trace, Waits};
use super::mode::Mode;
use super::oracle::Property;
use super::partition::Partition;
use super::replay::{ReplayFile, ShrinkStats};
use super::report::{CaseDigest, Counterexample, HarnessError, ModeReport, SimError, SimReport};
use super::shrink::{Shrinker, MINIMIZE_BUDGET};
use super::threads::{ThreadPlan, DEFAULT_THREAD_ROUNDS};
use super::timeline::Timeline;
use crate::store::StoreFactory;

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
pub struct Sim<D> {
    driver: D,
    config: SimConfig,
    contract: Option<String>,
    partition: Partition,
    threaded_rounds: u32,
    waits: Waits,
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

impl<F> Sim<SyncDriver<F>>
where
    F: StoreFactory,
    F::Store: Send + Sync,
{
    /// A simulator for the sync stores `factory` opens, with the default
    /// configuration. [`Sim::check`] runs the fault scenarios (each store
    /// call an atomic step) and the threaded duplicate phase (real threads
    /// racing inside the calls). The store must be `Send + Sync`: handlers
    /// share one instance, as a server's threads do.
    pub fn new(factory: F) -> Self {
        Sim::with_driver(SyncDriver::new(factory))
    }
}

#[cfg(not(loom))]
impl<F> Sim<super::driver::AsyncDriver<F>>
where
    F: crate::store::AsyncStoreFactory,
    F::Store: 'static,
{
    /// A simulator for the async stores `factory` opens. Concurrent
    /// handlers' store calls are interleaved at every `.await` (each
    /// `Pending`), in the order the case's
    /// [`Interleaving`](crate::Interleaving) chooses; the calls run on a
    /// current-thread tokio runtime of the harness, which only runs while
    /// the harness waits for the call it picked.
    pub fn new_async(factory: F) -> Self {
        Sim::with_driver(super::driver::AsyncDriver::new(factory))
    }

    /// Run the store's calls on a paused tokio clock that follows the
    /// case's virtual time (it starts at each case's zero and moves only
    /// when the harness's clock does), for an in-process async store that
    /// reads `tokio::time::Instant::now()` or sleeps with `tokio::time`
    /// instead of taking the `now` of each call: its leases, TTLs and
    /// timers then run on the case's time, and the clock probe finds no
    /// fault. A store that waits on real I/O (a database client) must not
    /// use it: on a paused clock its timeouts would fire at once.
    pub fn tokio_clock(mut self) -> Self {
        self.driver = self.driver.with_tokio_clock();
        self
    }
}

impl<D: Driver> Sim<D> {
    fn with_driver(driver: D) -> Self {
        Sim {
            driver,
            config: SimConfig::default(),
            contract: None,
            partition: Partition::ALL,
            threaded_rounds: DEFAULT_THREAD_ROUNDS,
            waits: Waits::default(),
        }
    }

    /// Run only the cases (and threaded rounds) of `partition` (see
    /// [`Partition`]).
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

    /// Rounds of the threaded phase of a sync store (default
    /// [`DEFAULT_THREAD_ROUNDS`]; 0 leaves the phase out).
    pub fn threaded_rounds(mut self, rounds: u32) -> Self {
        self.threaded_rounds = rounds;
        self
    }

    /// How long an async store's pending call may take to wake before the
    /// harness takes it for blocked on a lock another handler holds and runs
    /// another handler (default 100 ms). Against a real database, a
    /// schedule depends on this only when a statement waits on such a lock.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.waits.lock_wait = wait;
        self
    }

    fn harness_error(&self, message: String, timeline: Timeline) -> SimError {
        SimError::Harness(HarnessError {
            store: self.driver.name(),
            seed: self.config.seed,
            message,
            timeline,
        })
    }

    /// Run every mode that applies; the first violation is shrunk and
    /// returned.
    pub fn run(self) -> Result<SimReport, SimError> {
        let dir = CaseDir::new();
        let mode = match self.driver.flavour() {
            Flavour::Sync => Mode::Scenarios,
            Flavour::Async => Mode::AwaitPoints,
        };
        // Said with the verdict, whichever it is (a stuck key found in a
        // store that ignores the clock is most likely a false alarm).
        let warnings: Vec<String> =
            clock_warning(&self.driver, &dir, self.config.lease, self.waits)
                .into_iter()
                .collect();
        let verdict = self.run_cases(&dir, mode).and_then(|mut report| {
            if self.driver.flavour() == Flavour::Sync && self.threaded_rounds > 0 {
                self.run_threads(&dir, &mut report)?;
            }
            Ok(report)
        });
        match verdict {
            Ok(mut report) => {
                report.warnings = warnings;
                Ok(report)
            }
            Err(SimError::Violation(mut cx)) => {
                cx.warnings = warnings;
                Err(SimError::Violation(cx))
            }
            Err(e) => Err(e),
        }
    }

    fn run_threads(&self, dir: &CaseDir, report: &mut SimReport) -> Result<(), SimError> {
        let plan = ThreadPlan {
            rounds: self.threaded_rounds,
            threads: self.config.duplicates.clamp(2, 4),
            seed: self.config.seed,
            lease: self.config.lease,
            partition: self.partition,
            dir,
        };
        let Some(out) = self.driver.threaded(&plan) else {
            return Ok(());
        };
        if let Some(message) = out.error {
            return Err(self.harness_error(format!("threaded phase: {message}"), Timeline::new()));
        }
        if let Some(failure) = out.failure {
            let mut replay = ReplayFile::new(self.config.clone(), SimCase::empty());
            replay.mode = Mode::Threads;
            return Err(SimError::Violation(Box::new(Counterexample {
                property: failure.violation.property,
                mode: Mode::Threads,
                seed: self.config.seed,
                timeline: failure.timeline,
                shrink: out
                    .shrink
                    .map_or_else(ShrinkStats::default, |t| ShrinkStats {
                        original_events: t.calls.0,
                        shrunk_events: t.calls.1,
                        iterations: t.runs,
                        threads: Some(t),
                    }),
                replay,
                violation: failure.violation,
                store: self.driver.name(),
                cases_explored: out.rounds_run,
                replay_path: None,
                contract: self.contract.clone(),
                case_index: u64::from(failure.round - 1),
                partition: (self.partition.count > 1).then_some(self.partition),
                passed: report.modes.clone(),
                replays: false,
                warnings: Vec::new(),
            })));
        }
        report.modes.push(ModeReport {
            mode: Mode::Threads,
            cases: out.rounds_run,
            calls: out.calls,
            stats: CaseStats::default(),
        });
        Ok(())
    }

    /// The scenario mode. The cases are proptest's, drawn once for every
    /// run of the same shape, seed and budget (see [`drawn_cases`]) and run
    /// in order with timelines that keep no text; at the first failure
    /// proptest runs the sequence again (it draws the same cases), with
    /// full timelines, and shrinks the failing case, then [`Shrinker`]
    /// does.
    fn run_cases(&self, dir: &CaseDir, mode: Mode) -> Result<SimReport, SimError> {
        let await_points = mode == Mode::AwaitPoints;
        let mut failed_first = None;
        // Case numbers name the locations: a repeat goes on numbering, so
        // that no location of the first pass is opened again.
        let mut first_pass_cases = 0;
        if let Some(cases) = drawn_cases(&self.config, await_points) {
            let tally = Tally::default();
            for drawn in cases.iter() {
                let pass = Pass::Drawn {
                    digest: drawn.digest,
                };
                if self.run_case(dir, &tally, &drawn.case, pass).is_err()
                    || tally.harness.borrow().is_some()
                {
                    failed_first = Some(tally.failing_index.get());
                    break;
                }
            }
            if failed_first.is_none() {
                return self.scenario_verdict(dir, mode, tally, Ok(()));
            }
            first_pass_cases = tally.case_no.get();
        }
        let config = &self.config;
        let mut runner =
            TestRunner::new_with_rng(proptest_config(config.cases), seeded_rng(config.seed));
        let strategy = SimCase::strategy(config, await_points);
        let tally = Tally::default();
        tally.case_no.set(first_pass_cases);
        let result = runner.run(&strategy, |case| {
            self.run_case(dir, &tally, &case, Pass::Proptest)
        });
        let verdict = self.scenario_verdict(dir, mode, tally, result);
        match (failed_first, verdict) {
            (Some(index), Ok(_)) => Err(self.harness_error(
                format!("case {index} failed, and passed when the run was repeated: the store does not answer the same case the same way twice (is it reading the system clock, or keeping state outside its location?)"),
                Timeline::new(),
            )),
            (_, verdict) => verdict,
        }
    }

    /// Run one case of the scenario mode (a new one, or a shrinking step
    /// once a case failed) and judge it.
    fn run_case(
        &self,
        dir: &CaseDir,
        tally: &Tally,
        case: &SimCase,
        pass: Pass,
    ) -> Result<(), TestCaseError> {
        if tally.harness.borrow().is_some() {
            return Ok(());
        }
        let shrinking = tally.first_events.get().is_some();
        if !shrinking {
            // Every case of the sequence is generated (so that case `i`
            // is the same in every partition); only this partition's
            // cases are run.
            let index = tally.generated.get();
            tally.generated.set(index + 1);
            if !self.partition.contains(index) {
                return Ok(());
            }
            tally.failing_index.set(index);
            let digest = match pass {
                Pass::Drawn { digest } => digest,
                Pass::Proptest => digest(case),
            };
            tally
                .digests
                .borrow_mut()
                .push(CaseDigest { index, digest });
            tally.cases.set(tally.cases.get() + 1);
        } else {
            tally.shrink_iters.set(tally.shrink_iters.get() + 1);
        }
        let n = tally.case_no.get() + 1;
        tally.case_no.set(n);
        let location = dir.case_location(n);
        let timeline = match pass {
            Pass::Drawn { .. } => Timeline::counting_only(),
            Pass::Proptest => Timeline::new(),
        };
        let trace = execute_with(
            &self.driver,
            &self.config,
            case,
            &location,
            self.waits,
            timeline,
        );
        dir.remove_case(&location);
        match trace {
            Err(failure) => {
                if !shrinking {
                    *tally.harness.borrow_mut() = Some((failure.message, failure.timeline));
                }
                Ok(())
            }
            Ok(trace) => tally.judge(case, trace, shrinking),
        }
    }

    /// The report of the scenario mode, or its shrunk counterexample.
    fn scenario_verdict(
        &self,
        dir: &CaseDir,
        mode: Mode,
        tally: Tally,
        result: Result<(), TestError<SimCase>>,
    ) -> Result<SimReport, SimError> {
        let config = &self.config;
        let partition = self.partition;
        if let Some((message, timeline)) = tally.harness.borrow_mut().take() {
            return Err(self.harness_error(message, timeline));
        }
        let partitioned = (partition.count > 1).then_some(partition);
        match result {
            Ok(()) => Ok(SimReport {
                store: self.driver.name(),
                seed: config.seed,
                cases_run: tally.cases.get(),
                steps_total: tally.steps.get(),
                events_total: tally.events.get(),
                partition: partitioned,
                case_digests: tally.digests.into_inner(),
                modes: vec![ModeReport {
                    mode,
                    cases: tally.cases.get(),
                    calls: tally.stats.get().polls,
                    stats: tally.stats.get(),
                }],
                faults_off: config.faults.off().into_iter().map(String::from).collect(),
                warnings: Vec::new(),
            }),
            Err(TestError::Abort(reason)) => {
                Err(self.harness_error(format!("proptest aborted: {reason}"), Timeline::new()))
            }
            Err(TestError::Fail(_, case)) => self.shrunk_counterexample(dir, mode, case, &tally),
        }
    }

    /// Shrink proptest's minimal case further, check that it fails again,
    /// and make the counterexample.
    fn shrunk_counterexample(
        &self,
        dir: &CaseDir,
        mode: Mode,
        case: SimCase,
        tally: &Tally,
    ) -> Result<SimReport, SimError> {
        let config = &self.config;
        let mut shrinker = Shrinker {
            driver: &self.driver,
            config,
            dir,
            case_no: tally.case_no.get(),
            waits: self.waits,
        };
        let known = tally
            .last_failing
            .borrow_mut()
            .take()
            .filter(|(c, _)| *c == case)
            .map(|(_, t)| t);
        let Some(trace) = known.or_else(|| shrinker.failing(&case)) else {
            return Err(self.harness_error(
                "the failing case did not fail again: the store does not answer the same case the same way twice (is it reading the system clock, or keeping state outside its location?)".to_string(),
                Timeline::new(),
            ));
        };
        let (case, trace, extra) = shrinker.minimize(case, trace, MINIMIZE_BUDGET);
        // Run the shrunk case once more: a replay must give the same bytes.
        let again = shrinker.failing(&case);
        let replays = again.as_ref().is_some_and(|t| t.timeline == trace.timeline);
        let Some(violation) = trace.violation.clone() else {
            return Err(
                self.harness_error("shrinking lost the violation".to_string(), trace.timeline)
            );
        };
        let mut replay = ReplayFile::new(config.clone(), case.clone());
        replay.mode = mode;
        Err(SimError::Violation(Box::new(Counterexample {
            property: violation.property,
            mode,
            seed: config.seed,
            timeline: trace.timeline,
            shrink: ShrinkStats {
                original_events: tally.first_events.get().unwrap_or(case.events.len()),
                shrunk_events: case.events.len(),
                iterations: tally.shrink_iters.get() + extra + 1,
                threads: None,
            },
            replay,
            violation,
            store: self.driver.name(),
            cases_explored: tally.cases.get(),
            replay_path: None,
            contract: self.contract.clone(),
            case_index: tally.failing_index.get(),
            partition: (self.partition.count > 1).then_some(self.partition),
            passed: Vec::new(),
            replays,
            warnings: Vec::new(),
        })))
    }

    /// Run every mode as a `#[test]`: apply [`Sim::env_overrides`] (seed,
    /// cases and partition from `cargo retry-check model`), run, print the
    /// report (what each mode explored) on stderr when it passes, and on a
    /// violation write the replay file (under `$RETRY_CHECK_REPLAY_DIR`,
    /// else `target/retry-check/`; it also records the verdict, the timeline
    /// and the test's name, which `cargo retry-check model` reports), print
    /// the seed on stderr and panic with the rendered counterexample. A
    /// store the harness could not judge (it did not open, failed where an
    /// answer was needed, or answered the same case differently twice)
    /// panics with that, never with a property.
    pub fn check(self) {
        let sim = match self.env_overrides() {
            Ok(sim) => sim,
            Err(e) => panic!("retry-check sim: {e}"),
        };
        let seed = sim.config.seed;
        match sim.run() {
            // What each mode explored (libtest shows it with --nocapture).
            Ok(report) => eprintln!("{report}"),
            Err(SimError::Violation(mut cx)) => {
                eprintln!("retry-check sim: failing seed {seed}");
                cx.replay.verdict = Some(cx.verdict(current_test()));
                let dir = replay_dir();
                if let Err(e) = cx.write_replay(&dir) {
                    eprintln!(
                        "retry-check sim: could not write the replay file in {}: {e}",
                        dir.display()
                    );
                }
                panic!("{cx}");
            }
            Err(SimError::Harness(e)) => panic!("{e}"),
        }
    }
}

/// How a case of the scenario mode is run.
#[derive(Clone, Copy)]
enum Pass {
    /// A drawn case, first pass: its digest is known, and its timeline
    /// keeps no text.
    Drawn { digest: u64 },
    /// Under proptest's runner (a repeat after a failure, or a budget too
    /// large to draw ahead): full timelines.
    Proptest,
}

/// What the scenario mode counted, in cells the proptest closure updates.
#[derive(Default)]
struct Tally {
    case_no: Cell<u64>,
    generated: Cell<u64>,
    failing_index: Cell<u64>,
    digests: RefCell<Vec<CaseDigest>>,
    cases: Cell<u32>,
    first_events: Cell<Option<usize>>,
    first_property: Cell<Option<Property>>,
    shrink_iters: Cell<u32>,
    steps: Cell<u64>,
    events: Cell<u64>,
    stats: Cell<CaseStats>,
    harness: RefCell<Option<(String, Timeline)>>,
    /// The latest failing case and its trace (proptest's shrinking ends on
    /// the last case that failed).
    last_failing: RefCell<Option<(SimCase, Trace)>>,
}

impl Tally {
    fn judge(&self, case: &SimCase, trace: Trace, shrinking: bool) -> Result<(), TestCaseError> {
        if !shrinking {
            self.steps.set(self.steps.get() + trace.steps as u64);
            self.events
                .set(self.events.get() + case.events.len() as u64);
            let mut stats = self.stats.get();
            stats.add(&trace.stats);
            self.stats.set(stats);
        }
        let Some(property) = trace.violation.as_ref().map(|v| v.property) else {
            return Ok(());
        };
        // While shrinking, only the first failure's property counts: the
        // report keeps the property first found.
        if self.first_property.get().is_some_and(|p| p != property) {
            return Ok(());
        }
        if self.first_events.get().is_none() {
            self.first_events.set(Some(case.events.len()));
            self.first_property.set(Some(property));
        }
        *self.last_failing.borrow_mut() = Some((case.clone(), trace));
        Err(TestCaseError::fail(property.name()))
    }
}

/// The name of the running `#[test]` (libtest names the thread after it).
fn current_test() -> Option<String> {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map(str::to_string)
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::test_runner::RngAlgorithm;

    #[test]
    fn the_proptest_configuration_pins_everything_the_environment_could_change() {
        let c = proptest_config(7);
        assert_eq!(c.cases, 7);
        assert!(c.failure_persistence.is_none());
        assert!(c.source_file.is_none());
        assert!(!c.fork);
        assert_eq!(c.timeout, 0);
        assert_eq!(c.max_shrink_time, 0);
        assert_eq!(c.max_shrink_iters, 2048);
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
}
