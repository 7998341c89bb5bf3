//! `model`: the workspace's harness tests through cargo (crate
//! `retry-check-model-tests`); `check` runs the configured ones through
//! [`settings_for_check`].

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::SourceMap;
use retry_check_harness::Partition;
use retry_check_model_tests::{run_model, Settings};

use crate::cli::ModelArgs;
use crate::context::Run;
use crate::Exit;

fn absolute(p: PathBuf) -> PathBuf {
    std::path::absolute(&p).unwrap_or(p)
}

/// The settings of `model`'s arguments and the workspace's configuration.
fn settings(args: &ModelArgs, run: &Run) -> Result<Settings, String> {
    let manifest = run.config.manifest.clone().ok_or_else(|| {
        "no Cargo.toml found: run in a workspace or pass --manifest-path".to_string()
    })?;
    Ok(Settings {
        manifest,
        seed: args.seed,
        cases: args.cases,
        partition: args.partition,
        // The tests run in their package's directory: paths must be absolute.
        contract: args.contract.clone().map(absolute),
        replay_dir: absolute(run.replay_dir(args.replay_dir.as_deref())),
        loom: args.loom,
        target_dir: args.target_dir.clone(),
        offline: args.offline,
        locked: args.locked,
    })
}

/// Settings for `check`, which runs the configured model tests (seed and
/// cases only when given on the command line).
pub fn settings_for_check(
    run: &Run,
    seed: Option<u64>,
    cases: Option<u32>,
    partition: Option<Partition>,
    replay_dir: Option<&Path>,
) -> Option<Settings> {
    Some(Settings {
        manifest: run.config.manifest.clone()?,
        seed,
        cases,
        partition,
        contract: None,
        replay_dir: absolute(run.replay_dir(replay_dir)),
        loom: false,
        target_dir: None,
        offline: false,
        locked: false,
    })
}

pub fn run(args: &ModelArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let run = Run::new(
        args.manifest_path.as_deref(),
        Some((&args.report.levels, matches)),
    )?;
    let s = settings(args, &run)?;
    let entries = if args.tests.is_empty() {
        &run.config.model_tests
    } else {
        &args.tests
    };
    let mut sources = SourceMap::new();
    let mut engine = run.engine();
    let outcome = run_model(&s, entries, true, &mut sources, &run.cwd, &mut engine)?;
    let closing = Closing::custom(
        outcome.summary_line(),
        outcome.summary_json(),
        sources.files().count(),
    );
    run.finish(
        &args.report,
        ("retry-check model", "retry-check model"),
        &outcome.diagnostics,
        &sources,
        &closing,
    )
}
