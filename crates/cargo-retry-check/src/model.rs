//! `model`: run the user's harness tests through cargo and report each
//! counterexample as a diagnostic (and `check` runs it when `model-tests`
//! is configured).
//!
//! - **Which tests.** The `model-tests` entries of
//!   `[workspace.metadata.retry-check]` (`"package::test_target"`: the
//!   integration test `tests/test_target.rs` of a workspace package), or the
//!   entries given on the command line. With neither, `model` discovers them:
//!   every integration test target of the workspace whose file mentions
//!   `retry_check_harness`. `check` runs only configured ones.
//! - **How.** Per entry, `cargo test --manifest-path M -p PKG --test TARGET
//!   --no-run --message-format json` first (a compile error is reported with
//!   rustc's rendering, exit 2), then the same `cargo test` with the harness's
//!   environment: `RETRY_CHECK_SEED`, `RETRY_CHECK_CASES`,
//!   `RETRY_CHECK_PARTITION` (only when given: otherwise the test's own
//!   values), `RETRY_CHECK_CONTRACT` (`--contract`), and
//!   `RETRY_CHECK_REPLAY_DIR`, a fresh directory per entry where
//!   `Sim::check` writes each counterexample's replay file with its verdict
//!   and timeline. `--loom` adds `--cfg loom` to `RUSTFLAGS` and builds with
//!   `--release` in its own target directory (`<target>/retry-check-loom`).
//! - **What is reported.** A failing test whose output names a replay file
//!   with a verdict: `RC900 simulated_violation` (as `simulate` reports a
//!   violation no lint rule stands for), at the test function, with the
//!   timeline as a note. A test that fails otherwise: `RC901
//!   model_test_failed` with its output. Passing tests: nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use retry_check_catalog::{MODEL_TEST_FAILED, SIMULATED_VIOLATION};
use retry_check_diagnostics::{render, Diagnostic, Job, Severity, SourceMap, Span};
use retry_check_harness::{Partition, ReplayFile, Verdict};
use retry_check_rules::{Engine, Finding};
use serde_json::{json, Value};

use crate::cli::{Format, ModelArgs};
use crate::config::{self, Config};
use crate::discover::display_path;
use crate::lint;
use crate::Exit;

/// `package::test_target` → (package, target).
pub fn split_entry(entry: &str) -> Option<(&str, &str)> {
    let (pkg, target) = entry.split_once("::")?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    (ok(pkg) && ok(target)).then_some((pkg, target))
}

/// `file:line:col` of the first occurrence of `"needle"` in a manifest (for
/// errors about a `model-tests` entry), else the file alone.
pub fn locate(manifest: &Path, text: &str, needle: &str) -> String {
    let quoted = format!("\"{needle}\"");
    match text.find(&quoted) {
        Some(at) => {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit_once('\n')
                .map_or(before, |(_, l)| l)
                .chars()
                .count()
                + 1;
            format!("{}:{line}:{col}", manifest.display())
        }
        None => manifest.display().to_string(),
    }
}

/// The settings of one model run (from `model` or from `check`).
pub(crate) struct Settings {
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
pub(crate) struct ModelOutcome {
    pub diagnostics: Vec<Diagnostic>,
    pub targets: usize,
    pub passed: u64,
    pub failed: u64,
    pub counterexamples: u64,
    pub partition: Option<Partition>,
    pub loom: bool,
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
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
}

/// A test target of the workspace, from `cargo metadata`.
struct TestTarget {
    package: String,
    name: String,
    src_path: PathBuf,
}

struct Metadata {
    targets: Vec<TestTarget>,
    target_directory: PathBuf,
}

fn cargo() -> Command {
    let bin = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(bin)
}

fn metadata(s: &Settings) -> Result<Metadata, String> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--no-deps", "--format-version", "1"])
        .arg("--manifest-path")
        .arg(&s.manifest);
    if s.offline {
        cmd.arg("--offline");
    }
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo metadata --manifest-path {}` failed:\n{}",
            s.manifest.display(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cannot read the output of `cargo metadata`: {e}"))?;
    let mut targets = Vec::new();
    for pkg in v["packages"].as_array().into_iter().flatten() {
        let package = pkg["name"].as_str().unwrap_or_default().to_string();
        for t in pkg["targets"].as_array().into_iter().flatten() {
            let is_test = t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"));
            if let (true, Some(name), Some(src)) =
                (is_test, t["name"].as_str(), t["src_path"].as_str())
            {
                targets.push(TestTarget {
                    package: package.clone(),
                    name: name.to_string(),
                    src_path: PathBuf::from(src),
                });
            }
        }
    }
    targets.sort_by(|a, b| (&a.package, &a.name).cmp(&(&b.package, &b.name)));
    let target_directory = v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .unwrap_or_else(|| s.manifest.parent().unwrap_or(Path::new(".")).join("target"));
    Ok(Metadata {
        targets,
        target_directory,
    })
}

/// The entries to run: the command line's, else the configured ones, else
/// (when `discover`) every integration test that mentions the harness.
fn select<'m>(
    meta: &'m Metadata,
    entries: &[String],
    manifest_text: Option<&str>,
    manifest: &Path,
    discover: bool,
) -> Result<Vec<&'m TestTarget>, String> {
    if entries.is_empty() {
        if !discover {
            return Ok(Vec::new());
        }
        let found: Vec<&TestTarget> = meta
            .targets
            .iter()
            .filter(|t| {
                std::fs::read_to_string(&t.src_path)
                    .is_ok_and(|text| text.contains("retry_check_harness"))
            })
            .collect();
        if found.is_empty() {
            return Err(format!(
                "no model tests: `{}` configures no `model-tests` in \
                 [workspace.metadata.retry-check] and no integration test (tests/*.rs) \
                 mentions `retry_check_harness`",
                manifest.display()
            ));
        }
        return Ok(found);
    }
    let mut out = Vec::new();
    for entry in entries {
        let at = manifest_text
            .map(|t| locate(manifest, t, entry))
            .filter(|l| l.contains(':'))
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let Some((pkg, name)) = split_entry(entry) else {
            return Err(format!(
                "{at}model test `{entry}` must be `package::test_target`"
            ));
        };
        let found = meta
            .targets
            .iter()
            .find(|t| t.package == pkg && t.name.replace('-', "_") == name.replace('-', "_"));
        match found {
            Some(t) => out.push(t),
            None => {
                let known: Vec<String> = meta
                    .targets
                    .iter()
                    .map(|t| format!("{}::{}", t.package, t.name))
                    .collect();
                let refs: Vec<&str> = known.iter().map(String::as_str).collect();
                let hint = retry_check_contract::did_you_mean(entry, &refs)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "{at}model test `{entry}`: the workspace has no integration test target \
                     `{name}` in package `{pkg}`{hint}; test targets: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        }
    }
    Ok(out)
}

fn test_command(s: &Settings, meta: &Metadata, t: &TestTarget) -> Command {
    let mut cmd = cargo();
    cmd.arg("test")
        .arg("--manifest-path")
        .arg(&s.manifest)
        .args(["-p", &t.package, "--test", &t.name]);
    if s.loom {
        let base = s.target_dir.as_ref().unwrap_or(&meta.target_directory);
        cmd.arg("--release")
            .arg("--target-dir")
            .arg(base.join("retry-check-loom"));
        let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        cmd.env("RUSTFLAGS", format!("{flags} --cfg loom").trim_start());
    } else if let Some(d) = &s.target_dir {
        cmd.arg("--target-dir").arg(d);
    }
    if s.offline {
        cmd.arg("--offline");
    }
    if s.locked {
        cmd.arg("--locked");
    }
    cmd
}

/// Build one target's tests; a compile error is an `Err` with rustc's
/// rendering of every error.
fn build(s: &Settings, meta: &Metadata, t: &TestTarget) -> Result<(), String> {
    let out = test_command(s, meta, t)
        .args(["--no-run", "--message-format", "json"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut errors = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-message" && v["message"]["level"] == "error" {
            if let Some(r) = v["message"]["rendered"].as_str() {
                errors.push(r.trim_end().to_string());
            }
        }
    }
    let detail = if errors.is_empty() {
        String::from_utf8_lossy(&out.stderr).trim_end().to_string()
    } else {
        errors.join("\n\n")
    };
    Err(format!(
        "the model test `{}::{}` does not build:\n{detail}",
        t.package, t.name
    ))
}

/// libtest's output of one test binary, parsed.
#[derive(Debug, Default, PartialEq)]
struct TestRun {
    /// (test name, passed), in output order.
    results: Vec<(String, bool)>,
    /// The captured output of each failed test.
    failures: Vec<(String, String)>,
    /// A `test result:` line was seen.
    finished: bool,
}

fn parse_libtest(stdout: &str) -> TestRun {
    let mut run = TestRun::default();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, verdict)) = rest.rsplit_once(" ... ") {
                match verdict.trim() {
                    "ok" => run.results.push((name.to_string(), true)),
                    "FAILED" => run.results.push((name.to_string(), false)),
                    _ => {}
                }
                continue;
            }
        }
        if line.starts_with("test result:") {
            run.finished = true;
        }
        let header = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"));
        if header.is_some() || line == "failures:" || line.starts_with("test result:") {
            if let Some((name, lines)) = current.take() {
                run.failures
                    .push((name, lines.join("\n").trim().to_string()));
            }
            current = header.map(|h| (h.to_string(), Vec::new()));
            continue;
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    run
}

/// The span of `fn NAME` in a test file (the test's last path segment),
/// else the start of the file.
fn test_span(sources: &SourceMap, file: retry_check_diagnostics::SourceId, test: &str) -> Span {
    let name = test.rsplit("::").next().unwrap_or(test);
    let text = sources.text(file);
    let pattern = format!("fn {name}");
    let mut from = 0;
    while let Some(at) = text[from..].find(&pattern) {
        let start = from + at + 3;
        let end = start + name.len();
        let next = text[end..].chars().next();
        if next.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Span::new(file, start..end);
        }
        from = end;
    }
    Span::new(file, 0..0)
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
/// Test files are added to `sources` for the diagnostics' snippets.
pub(crate) fn run_model(
    s: &Settings,
    entries: &[String],
    discover: bool,
    sources: &mut SourceMap,
    cwd: &Path,
    engine: &mut Engine<'_>,
) -> Result<ModelOutcome, String> {
    engine.ran(Job::Model);
    let meta = metadata(s)?;
    let manifest_text = std::fs::read_to_string(&s.manifest).ok();
    let targets = select(
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
        if !seen.insert((&t.package, &t.name)) {
            continue;
        }
        build(s, &meta, t)?;
        let dir = s.replay_dir.join("model").join(format!(
            "{}--{}",
            file_part(&t.package),
            file_part(&t.name)
        ));
        // Only this run's replay files: clear the previous run's.
        if dir.is_dir() {
            std::fs::remove_dir_all(&dir)
                .map_err(|e| format!("cannot clear `{}`: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
        let mut cmd = test_command(s, &meta, t);
        cmd.env(retry_check_harness::REPLAY_DIR_ENV, &dir);
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
        let out = cmd
            .args(["--no-fail-fast", "--", "--color", "never"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let run = parse_libtest(&stdout);
        let text = std::fs::read_to_string(&t.src_path)
            .map_err(|e| format!("cannot read `{}`: {e}", t.src_path.display()))?;
        let file = sources.add(display_path(&t.src_path, cwd), text);
        for (_, ok) in &run.results {
            if *ok {
                outcome.passed += 1;
            } else {
                outcome.failed += 1;
            }
        }
        for (test, output) in &run.failures {
            let span = test_span(sources, file, test);
            match replay_of(output) {
                Some((path, replay)) => {
                    let Some(verdict) = &replay.verdict else {
                        continue;
                    };
                    outcome.counterexamples += 1;
                    let f = counterexample(
                        t,
                        test,
                        span,
                        verdict,
                        replay.seed,
                        &display_path(&path, cwd),
                    );
                    outcome
                        .diagnostics
                        .extend(engine.report(&SIMULATED_VIOLATION, f));
                }
                None => {
                    let f = failed_test(t, test, span, output);
                    outcome
                        .diagnostics
                        .extend(engine.report(&MODEL_TEST_FAILED, f));
                }
            }
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
    }
    Ok(outcome)
}

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// The settings of `model`'s arguments and the workspace's configuration.
fn settings(args: &ModelArgs, config: &Config) -> Result<Settings, String> {
    let manifest = config.manifest.clone().ok_or_else(|| {
        "no Cargo.toml found: run in a workspace or pass --manifest-path".to_string()
    })?;
    Ok(Settings {
        manifest,
        seed: args.seed,
        cases: args.cases,
        partition: args.partition,
        // The tests run in their package's directory: paths must be absolute.
        contract: args.contract.clone().map(absolute),
        replay_dir: absolute(crate::simulate::default_replay_dir(
            args.replay_dir.as_deref(),
            &config.root,
        )),
        loom: args.loom,
        target_dir: args.target_dir.clone(),
        offline: args.offline,
        locked: args.locked,
    })
}

/// Settings for `check`, which runs the configured model tests (seed and
/// cases only when given on the command line).
pub(crate) fn settings_for_check(
    config: &Config,
    seed: Option<u64>,
    cases: Option<u32>,
    partition: Option<Partition>,
    replay_dir: Option<&Path>,
) -> Option<Settings> {
    Some(Settings {
        manifest: config.manifest.clone()?,
        seed,
        cases,
        partition,
        contract: None,
        replay_dir: absolute(crate::simulate::default_replay_dir(
            replay_dir,
            &config.root,
        )),
        loom: false,
        target_dir: None,
        offline: false,
        locked: false,
    })
}

pub fn run(args: &ModelArgs, matches: &clap::ArgMatches) -> Result<Exit, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let config = config::load(args.manifest_path.as_deref(), &cwd)?;
    let s = settings(args, &config)?;
    let entries = if args.tests.is_empty() {
        &config.model_tests
    } else {
        &args.tests
    };
    let mut sources = SourceMap::new();
    let levels = lint::levels(&config, &args.levels, matches)?;
    let mut engine = Engine::new(&levels, retry_check_catalog::all());
    let outcome = run_model(&s, entries, true, &mut sources, &cwd, &mut engine)?;
    if args.format == Format::Github {
        crate::output::step_summary(
            "retry-check model",
            &outcome.diagnostics,
            sources.files().count(),
        )?;
    }
    crate::output::deliver(
        &report(&outcome, &sources, args.format, args, &config.root),
        &outcome.summary_line(),
        args.output.as_deref(),
    )?;
    Ok(
        if outcome
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            Exit::Findings
        } else {
            Exit::Clean
        },
    )
}

fn report(
    o: &ModelOutcome,
    sources: &SourceMap,
    format: Format,
    args: &ModelArgs,
    root: &Path,
) -> String {
    let mut out = String::new();
    match format {
        Format::Human => {
            let color = lint::use_color(args.color);
            for d in &o.diagnostics {
                out.push_str(&render::human(d, sources, color));
                out.push_str("\n\n");
            }
            out.push_str(&o.summary_line());
            out.push('\n');
        }
        Format::Short => {
            for d in &o.diagnostics {
                out.push_str(&render::short(d, sources));
                out.push('\n');
            }
            out.push_str(&o.summary_line());
            out.push('\n');
        }
        Format::Json => {
            for d in &o.diagnostics {
                out.push_str(&render::json_value(d, sources).to_string());
                out.push('\n');
            }
            let mut summary = o.json();
            summary["reason"] = json!("summary");
            summary["success"] = json!(o.diagnostics.is_empty());
            out.push_str(&summary.to_string());
            out.push('\n');
        }
        Format::Sarif => out = crate::output::sarif(&o.diagnostics, sources, root),
        Format::Junit => out = crate::output::junit(&o.diagnostics, sources, root),
        Format::Markdown => {
            out = retry_check_diagnostics::github::markdown_report(
                "retry-check model",
                &o.diagnostics,
                sources,
                sources.files().count(),
            );
            out.push_str(&format!("\n{}\n", o.summary_line()));
        }
        Format::Github => {
            out = crate::output::github_annotations(&o.diagnostics, sources, root);
            out.push_str(&report(o, sources, Format::Human, args, root));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_package_and_target() {
        assert_eq!(
            split_entry("my-store::store_model"),
            Some(("my-store", "store_model"))
        );
        assert_eq!(split_entry("store_model"), None);
        assert_eq!(split_entry("::x"), None);
        assert_eq!(split_entry("a::"), None);
        assert_eq!(split_entry("a::b::c"), None);
        assert_eq!(split_entry("a b::c"), None);
    }

    #[test]
    fn entries_are_located_in_the_manifest() {
        let text = "[workspace]\n\n[workspace.metadata.retry-check]\nmodel-tests = [\"a::b\"]\n";
        assert_eq!(
            locate(Path::new("Cargo.toml"), text, "a::b"),
            "Cargo.toml:4:16"
        );
        assert_eq!(locate(Path::new("Cargo.toml"), text, "zz"), "Cargo.toml");
    }

    #[test]
    fn libtest_output_is_parsed() {
        let out = "\nrunning 3 tests\ntest a ... ok\ntest m::b ... FAILED\ntest c ... ignored\n\n\
                   failures:\n\n---- m::b stdout ----\nboom\nreplay:    /x.json\n\n\
                   failures:\n    m::b\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored\n";
        let run = parse_libtest(out);
        assert_eq!(
            run.results,
            vec![("a".to_string(), true), ("m::b".to_string(), false)]
        );
        assert_eq!(
            run.failures,
            vec![("m::b".to_string(), "boom\nreplay:    /x.json".to_string())]
        );
        assert!(run.finished);
    }

    #[test]
    fn the_test_function_is_found() {
        let mut sources = SourceMap::new();
        let id = sources.add("t.rs", "fn ab_c() {}\n#[test]\nfn ab() {}\n");
        let span = test_span(&sources, id, "m::ab");
        assert_eq!(&sources.text(id)[span.range.clone()], "ab");
        assert_eq!(span.range.start, 24);
        let none = test_span(&sources, id, "zz");
        assert_eq!(none.range, 0..0);
    }
}
