//! Runs the model tests of a workspace (the user's harness tests) through
//! cargo and reports each counterexample as a diagnostic: `cargo
//! retry-check model`, and `check` when `model-tests` is configured.
//!
//! - **Which tests.** The `model-tests` entries of
//!   `[workspace.metadata.retry-check]` (`"package::test_target"`: the
//!   integration test `tests/test_target.rs` of a workspace package), or the
//!   entries given on the command line. With neither, `model` discovers them:
//!   every integration test target of the workspace whose file mentions
//!   `retry_check_harness`. `check` runs only configured ones.
//! - **How** (`cargo.rs`). Per entry, `cargo test --manifest-path M -p PKG
//!   --test TARGET --no-run --message-format json` first (a compile error is
//!   reported with rustc's rendering, exit 2), then the same `cargo test`
//!   with the harness's environment: `RETRY_CHECK_SEED`,
//!   `RETRY_CHECK_CASES`, `RETRY_CHECK_PARTITION` (only when given:
//!   otherwise the test's own values), `RETRY_CHECK_CONTRACT`
//!   (`--contract`), and `RETRY_CHECK_REPLAY_DIR`, a fresh directory per
//!   entry where `Sim::check` writes each counterexample's replay file with
//!   its verdict and timeline. `--loom` adds `--cfg loom` to `RUSTFLAGS` and
//!   builds with `--release` in its own target directory
//!   (`<target>/retry-check-loom`).
//! - **What is reported** (`libtest.rs` reads the output). A failing test
//!   whose output names a replay file with a verdict: `RC900
//!   simulated_violation` (as `simulate` reports a violation no lint rule
//!   stands for), at the test function, with the timeline as a note. A test
//!   that fails otherwise: `RC901 model_test_failed` with its output.
//!   Passing tests: nothing. Both go through the run's lint engine.

mod cargo;
mod libtest;
mod rc901_model_test_failed;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use retry_check_diagnostics::render::plural;
use retry_check_diagnostics::{Diagnostic, Job, Lint, SourceMap, Span};
use retry_check_harness::{Partition, ReplayFile, Verdict};
use retry_check_rules::{Engine, Finding};
use retry_check_simulate::SIMULATED_VIOLATION;
use serde_json::{json, Value};

pub use cargo::{locate, split_entry};
pub use rc901_model_test_failed::MODEL_TEST_FAILED;

use cargo::{Metadata, TestTarget};
use libtest::{parse_libtest, test_span};

/// The codes this crate declares (it also reports RC900).
pub fn lints() -> Vec<&'static Lint> {
    vec![&MODEL_TEST_FAILED]
}

/// The settings of one model run (from `model` or from `check`).
pub struct Settings {
    pub manifest: PathBuf,
    pub seed: Option<u64>,
    pub cases: Option<u32>,
    pub partition: Option<Partition>,
    pub contract: Option<PathBuf>,
    pub replay_dir: PathBuf,
    pub loom: bool,
    pub target_dir: Option<PathBuf>,
    pub offline: bool,
    pub locked: bool,
}

/// What a model run found.
#[derive(Default)]
pub struct ModelOutcome {
    pub diagnostics: Vec<Diagnostic>,
    pub targets: usize,
    pub passed: u64,
    pub failed: u64,
    pub counterexamples: u64,
    pub partition: Option<Partition>,
    pub loom: bool,
}

impl ModelOutcome {
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "modelled {}{}: {} passed, {} failed: {}",
            plural(self.targets as u64, "test target"),
            if self.loom { " (loom)" } else { "" },
            self.passed,
            self.failed,
            plural(self.counterexamples, "counterexample"),
        );
        if let Some(p) = self.partition {
            line.push_str(&format!(" (partition {p})"));
        }
        line
    }

    pub fn json(&self) -> Value {
        json!({
            "targets": self.targets,
            "passed": self.passed,
            "failed": self.failed,
            "counterexamples": self.counterexamples,
            "partition": self.partition.map(|p| p.to_string()),
            "loom": self.loom,
        })
    }

    /// The JSON summary object of `model`.
    pub fn summary_json(&self) -> Value {
        let mut summary = self.json();
        summary["reason"] = json!("summary");
        summary["success"] = json!(self.diagnostics.is_empty());
        summary
    }
}

/// The replay file named by a failed test's output (`replay:    PATH`).
fn replay_of(output: &str) -> Option<(PathBuf, ReplayFile)> {
    output.lines().find_map(|l| {
        let path = PathBuf::from(l.trim().strip_prefix("replay:")?.trim());
        let text = std::fs::read_to_string(&path).ok()?;
        let file = ReplayFile::from_json(&text).ok()?;
        file.verdict.is_some().then_some((path, file))
    })
}

fn counterexample(
    t: &TestTarget,
    test: &str,
    span: Span,
    verdict: &Verdict,
    seed: u64,
    replay_path: &str,
) -> Finding {
    let mut timeline = format!(
        "counterexample (seed {seed}, {}):\n{}",
        verdict.store,
        verdict.timeline.trim_end()
    );
    if !verdict.because.is_empty() {
        timeline.push_str("\nbecause:");
        for b in &verdict.because {
            timeline.push_str("\n  - ");
            timeline.push_str(b);
        }
    }
    let explored = match verdict.partition {
        Some(p) => format!(
            "explored {} of partition {p} before the first failure (case #{}); shrunk {} events -> {}",
            plural(u64::from(verdict.cases_explored), "case"),
            verdict.case_index,
            verdict.shrink.original_events,
            verdict.shrink.shrunk_events
        ),
        None => format!(
            "explored {} before the first failure; shrunk {} events -> {}",
            plural(u64::from(verdict.cases_explored), "case"),
            verdict.shrink.original_events,
            verdict.shrink.shrunk_events
        ),
    };
    Finding::new(
        format!(
            "model test `{test}` of `{}::{}` violates `{}`: {}",
            t.package, t.name, verdict.property, verdict.class
        ),
        span,
        "this harness test",
    )
    .note(timeline)
    .note(explored)
    .help(format!(
        "the replay file is {replay_path}: `retry_check_harness::replay(factory, &ReplayFile::from_json(..)?)` re-runs it step by step against your store"
    ))
}

fn failed_test(t: &TestTarget, test: &str, span: Span, output: &str) -> Finding {
    let lines: Vec<&str> = output.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    Finding::new(
        format!(
            "model test `{test}` of `{}::{}` failed without a counterexample",
            t.package, t.name
        ),
        span,
        "this test failed",
    )
    .note(format!(
        "its output:\n{}",
        if tail.is_empty() { "(none)" } else { &tail }
    ))
}

fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Run `entries` (or, when empty and `discover`, the discovered tests).
/// Test files are added to `sources` for the diagnostics' snippets; paths
/// are shown relative to `cwd`.
pub fn run_model(
    s: &Settings,
    entries: &[String],
    discover: bool,
    sources: &mut SourceMap,
    cwd: &Path,
    engine: &mut Engine<'_>,
) -> Result<ModelOutcome, String> {
    engine.ran(Job::Model);
    let meta = cargo::metadata(s)?;
    let manifest_text = std::fs::read_to_string(&s.manifest).ok();
    let targets = cargo::select(
        &meta,
        entries,
        manifest_text.as_deref(),
        &s.manifest,
        discover,
    )?;
    let mut outcome = ModelOutcome {
        targets: targets.len(),
        partition: s.partition.filter(|p| p.count > 1),
        loom: s.loom,
        ..ModelOutcome::default()
    };
    let mut seen = BTreeSet::new();
    for t in targets {
        if seen.insert((&t.package, &t.name)) {
            let target = RunTarget {
                s,
                meta: &meta,
                t,
                cwd,
            };
            target.run(sources, engine, &mut outcome)?;
        }
    }
    Ok(outcome)
}

/// One test target of a model run.
struct RunTarget<'a> {
    s: &'a Settings,
    meta: &'a Metadata,
    t: &'a TestTarget,
    cwd: &'a Path,
}

impl RunTarget<'_> {
    /// A fresh directory for this target's replay files.
    fn replay_dir(&self) -> Result<PathBuf, String> {
        let dir = self.s.replay_dir.join("model").join(format!(
            "{}--{}",
            file_part(&self.t.package),
            file_part(&self.t.name)
        ));
        // Only this run's replay files: clear the previous run's.
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot clear `{}`: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        Ok(dir)
    }

    /// `cargo test` of the target with the harness's environment.
    fn test_output(&self, dir: &Path) -> Result<std::process::Output, String> {
        let s = self.s;
        let mut cmd = cargo::test_command(s, self.meta, self.t);
        cmd.env(retry_check_harness::REPLAY_DIR_ENV, dir);
        for (name, value) in [
            (retry_check_harness::SEED_ENV, s.seed.map(|v| v.to_string())),
            (
                retry_check_harness::CASES_ENV,
                s.cases.map(|v| v.to_string()),
            ),
            (
                retry_check_harness::PARTITION_ENV,
                s.partition.map(|p| p.to_string()),
            ),
            (
                retry_check_harness::CONTRACT_ENV,
                s.contract.as_ref().map(|p| p.display().to_string()),
            ),
        ] {
            match value {
                Some(v) => cmd.env(name, v),
                None => cmd.env_remove(name),
            };
        }
        cmd.args(["--no-fail-fast", "--", "--color", "never"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))
    }

    /// Build and run the target; its verdicts go into `outcome`.
    fn run(
        &self,
        sources: &mut SourceMap,
        engine: &mut Engine<'_>,
        outcome: &mut ModelOutcome,
    ) -> Result<(), String> {
        let t = self.t;
        cargo::build(self.s, self.meta, t)?;
        let dir = self.replay_dir()?;
        let out = self.test_output(&dir)?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let run = parse_libtest(&stdout);
        let text = std::fs::read_to_string(&t.src_path)
            .map_err(|e| format!("cannot read `{}`: {e}", t.src_path.display()))?;
        let file = sources.add(shown_path(&t.src_path, self.cwd), text);
        for (_, ok) in &run.results {
            if *ok {
                outcome.passed += 1;
            } else {
                outcome.failed += 1;
            }
        }
        for (test, output) in &run.failures {
            let span = test_span(sources, file, test);
            let (lint, f) = match replay_of(output) {
                Some((path, replay)) => {
                    let Some(verdict) = &replay.verdict else {
                        continue;
                    };
                    outcome.counterexamples += 1;
                    let shown = shown_path(&path, self.cwd);
                    let f = counterexample(t, test, span, verdict, replay.seed, &shown);
                    (&SIMULATED_VIOLATION, f)
                }
                None => (&MODEL_TEST_FAILED, failed_test(t, test, span, output)),
            };
            outcome.diagnostics.extend(engine.report(lint, f));
        }
        if !out.status.success() && run.failures.is_empty() {
            // The binary died (a signal, an abort) or cargo failed after the
            // build: no libtest verdict to read.
            let stderr = String::from_utf8_lossy(&out.stderr);
            let text = if run.finished {
                stderr.to_string()
            } else {
                format!("{stdout}\n{stderr}")
            };
            outcome.failed += 1;
            let f = failed_test(t, &t.name, Span::new(file, 0..0), text.trim());
            outcome
                .diagnostics
                .extend(engine.report(&MODEL_TEST_FAILED, f));
        }
        Ok(())
    }
}

/// `path` relative to `cwd` when under it, with `/` separators.
fn shown_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
