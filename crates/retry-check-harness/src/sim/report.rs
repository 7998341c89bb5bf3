//! What a run reports: a [`SimReport`] when every mode passed, a
//! [`Counterexample`] when a property broke, a [`HarnessError`] when the
//! harness could not judge the store at all.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::answers::AnswerCounts;
use super::executor::CaseStats;
use super::mode::Mode;
use super::oracle::{Property, Violation};
use super::partition::Partition;
use super::replay::{ReplayFile, ShrinkStats, Verdict};
use super::timeline::Timeline;

/// What one mode explored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModeReport {
    /// The mode.
    pub mode: Mode,
    /// Cases (scenario modes) or rounds (threads) run.
    pub cases: u32,
    /// Store calls made (threads), or polls of store calls (scenarios).
    pub calls: u64,
    /// How handlers interleaved inside store calls (scenario modes).
    pub stats: CaseStats,
}

impl fmt::Display for ModeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            Mode::Threads => write!(
                f,
                "{}: {} rounds, {} store calls",
                self.mode, self.cases, self.calls
            )?,
            Mode::Scenarios => write!(
                f,
                "{}: {} cases, {} store calls, {} preemption points struck",
                self.mode, self.cases, self.stats.polls, self.stats.preemptions
            )?,
            Mode::AwaitPoints => write!(
                f,
                "{}: {} cases, {} polls ({} stopped at an .await), {} switches inside calls, {} preemption points struck, {} lock waits",
                self.mode,
                self.cases,
                self.stats.polls,
                self.stats.pending,
                self.stats.switches,
                self.stats.preemptions,
                self.stats.blocked
            )?,
        }
        write!(f, " ({})", self.mode.limits())
    }
}

/// What a passing run explored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimReport {
    /// The store under test (`StoreFactory::name`).
    pub store: String,
    /// The seed of the run.
    pub seed: u64,
    /// Cases run (the scenario mode's).
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
    /// Every mode that ran, in order.
    #[serde(default)]
    pub modes: Vec<ModeReport>,
    /// The fault kinds the configuration turned off ([`Faults::off`]).
    ///
    /// [`Faults::off`]: crate::Faults::off
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults_off: Vec<String>,
    /// What makes the pass mean less than it says: a store that does not
    /// keep the harness's clock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
        f.write_str("; sampled, not exhaustive")?;
        for m in &self.modes {
            write!(f, "\n  {m}")?;
        }
        if !self.faults_off.is_empty() {
            write!(
                f,
                "\n  faults off (not exercised): {}",
                self.faults_off.join(", ")
            )?;
        }
        let answers = self.answers();
        if answers.total() > 0 {
            write!(f, "\n  store answers: {answers}")?;
            let missing = answers.not_exercised();
            if !missing.is_empty() {
                write!(
                    f,
                    "\n  warning: not exercised: the store never answered {} in this run, so the pass says nothing about {}",
                    missing.join(", "),
                    if missing.len() == 1 { "that path" } else { "those paths" }
                )?;
            }
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

impl SimReport {
    /// The store's answers per kind over every mode that counts them.
    pub fn answers(&self) -> AnswerCounts {
        let mut all = AnswerCounts::default();
        for m in &self.modes {
            all.add(&m.stats.answers);
        }
        all
    }
}

/// A property violation, shrunk, with everything needed to understand and
/// replay it.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The property violated.
    pub property: Property,
    /// The mode that found it.
    pub mode: Mode,
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
    /// Cases (or rounds, for the threaded phase) run up to and including
    /// the first failing one.
    pub cases_explored: u32,
    /// Where the replay file was written, once written.
    pub replay_path: Option<PathBuf>,
    /// What the configuration was read from (see [`Sim::contract`](crate::Sim::contract)).
    pub contract: Option<String>,
    /// The first failing case's 0-based position in the run's case sequence
    /// (the same in every partition).
    pub case_index: u64,
    /// The partition run, when the run was partitioned.
    pub partition: Option<Partition>,
    /// The modes that passed before this one failed.
    pub passed: Vec<ModeReport>,
    /// Whether running the shrunk case again gave the same timeline (false
    /// for a store whose await points depend on thread timing, and for the
    /// threaded phase's samples).
    pub replays: bool,
    /// What makes the verdict mean less than it says: a store that does
    /// not keep the harness's clock (a stuck key is then most likely a
    /// false alarm).
    pub warnings: Vec<String>,
}

impl Counterexample {
    /// The verdict recorded in replay files, found by `test`.
    pub fn verdict(&self, test: Option<String>) -> Verdict {
        Verdict {
            property: self.property,
            class: self.violation.class,
            store: self.store.clone(),
            test,
            timeline: self.timeline.render(),
            because: self.violation.because.clone(),
            cases_explored: self.cases_explored,
            case_index: self.case_index,
            partition: self.partition,
            shrink: self.shrink,
            mode: self.mode,
        }
    }

    /// Write the replay file into `dir` (created if needed) and remember its
    /// path; returns the path.
    pub fn write_replay(&mut self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        self.replay.rerun = super::replay::Rerun::of_this_process();
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
        writeln!(f, "mode:      {} ({})", self.mode, self.mode.limits())?;
        writeln!(f, "seed:      {}", self.seed)?;
        if self.mode == Mode::Threads {
            let rounds = if self.cases_explored == 1 {
                "round"
            } else {
                "rounds"
            };
            writeln!(
                f,
                "explored:  {} {rounds} before the failure (round #{}; sampled, not exhaustive)",
                self.cases_explored,
                self.case_index + 1
            )?;
            if let Some(t) = self.shrink.threads {
                writeln!(f, "shrunk:    {}", t.describe())?;
            }
        } else {
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
        }
        for m in &self.passed {
            writeln!(f, "passed:    {m}")?;
        }
        if !self.replays && self.mode != Mode::Threads {
            writeln!(
                f,
                "note:      running the shrunk case again gave another timeline: the store does not answer a case the same way twice (its await points may depend on thread timing, e.g. spawn_blocking), so the replay file may not reproduce this one"
            )?;
        }
        if let Some(p) = &self.replay_path {
            writeln!(f, "replay:    {}", p.display())?;
        }
        for w in &self.warnings {
            writeln!(f, "warning:   {w}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Counterexample {}

/// The harness could not judge the store: it did not open, failed where an
/// answer was needed, never answered, or answered differently the same
/// case twice. Not a property violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HarnessError {
    /// The store under test.
    pub store: String,
    /// The seed of the run.
    pub seed: u64,
    /// What went wrong.
    pub message: String,
    /// The timeline up to the failure (may be empty).
    pub timeline: Timeline,
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "retry-check sim: could not check store {} (seed {}): {}",
            self.store, self.seed, self.message
        )?;
        if !self.timeline.is_empty() {
            writeln!(f)?;
            f.write_str(&self.timeline.render())?;
        }
        f.write_str("(a store or harness failure, not a property violation)")
    }
}

impl std::error::Error for HarnessError {}

/// Why [`Sim::run`](crate::Sim::run) did not pass.
#[derive(Clone, Debug)]
pub enum SimError {
    /// A property broke.
    Violation(Box<Counterexample>),
    /// The store could not be judged.
    Harness(HarnessError),
}

impl SimError {
    /// The counterexample, when a property broke.
    pub fn counterexample(&self) -> Option<&Counterexample> {
        match self {
            SimError::Violation(cx) => Some(cx),
            SimError::Harness(_) => None,
        }
    }

    /// The counterexample, or a panic with the harness error (for tests).
    pub fn expect_violation(self) -> Box<Counterexample> {
        match self {
            SimError::Violation(cx) => cx,
            SimError::Harness(e) => panic!("expected a counterexample, got: {e}"),
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Violation(cx) => cx.fmt(f),
            SimError::Harness(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for SimError {}
