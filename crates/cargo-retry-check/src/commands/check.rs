//! `check` (and the default with no subcommand): lint the contracts, scan
//! the Rust sources, simulate every client -> server pair and run the
//! configured model tests, and report all of it in one report with one
//! summary and one exit code.
//!
//! - The lint and scan findings come first (sorted by file and position, as
//!   `lint` prints them), then the simulated counterexamples no lint finding
//!   stands for (`RC900`), then the model tests' findings. A counterexample
//!   that proves a lint finding is attached to it (its timeline as a note,
//!   the replay command as help, its steps as SARIF `codeFlows`): one
//!   finding per gap.
//! - Pairs lint finds broken in a way the simulation can prove get
//!   `--cases`; the others `--clean-cases` (a small, stated budget); pairs
//!   with the same configuration are simulated once.
//! - Contract files with errors stop the run before the rules, as in `lint`;
//!   nothing is simulated then.
//! - The summary is the lint summary (its counts include the simulated
//!   violations, which are errors) followed by the simulation's:
//!   `checked 2 files: 3 errors, 0 warnings; simulated 2 pairs, 288 cases:
//!   1 violation (1 lint finding with a trace); ...`. In JSON the summary object gains a `simulation` object.
//! - The Rust sources are scanned too (`scan`: code rules, drift against
//!   these contracts, unmaintained crates in Cargo.toml) when no contract
//!   PATHS are given, unless `scan = false` in the configuration or
//!   `--no-scan`; with PATHS only when the configuration says `scan = true`.
//!   Their findings join the lint findings, their files the count.
//! - When the workspace configures `model-tests`, they run too (see
//!   `model.rs`; `--no-model` skips them): their counterexamples join the
//!   report, their summary the line (`; modelled 1 test target: ...`, in
//!   JSON a `model` object). `--seed` and `--cases` reach them only when
//!   given on the command line; `--partition` always.
//! - One engine judges every finding, and the `allow` entries of all the
//!   jobs that ran together.

use clap::parser::ValueSource;
use clap::ArgMatches;
use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::Diagnostic;
use retry_check_model_tests::ModelOutcome;

use crate::cli::CheckArgs;
use crate::commands::{model, scan, simulate};
use crate::context::{Contracts, Run};
use crate::Exit;

pub fn run(args: &CheckArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let lint_args = &args.lint;
    let paths = &lint_args.contracts.paths;
    let run = Run::new(
        lint_args.contracts.manifest_path.as_deref(),
        Some((&lint_args.report.levels, matches)),
    )?;
    let Contracts {
        mut sources,
        mut files,
        set,
        errors,
        notes,
    } = run.load_contracts(
        paths,
        "rules were not run and nothing was simulated because contract files have errors; \
         fix them first",
    )?;
    let scan = !args.sim.no_scan && run.config.scan.unwrap_or(paths.is_empty());
    let mut engine = run.engine();
    let mut found = errors;
    let mut outcome = None;
    let mut simulated = Vec::new();
    if let Some(set) = &set {
        engine = engine.with_contracts(set);
        let mut lint_findings = retry_check_rules::findings(set);
        if !args.sim.no_simulate {
            // Simulated after the rules: a pair lint finds broken gets the
            // search for its trace, and the trace joins that finding.
            let format = lint_args.report.format;
            let mut o = simulate::simulate(
                &run,
                set,
                (&args.sim.sim, args.sim.clean_cases),
                format,
                &lint_findings,
            )?;
            let attached = o.attach(&mut lint_findings);
            simulated = simulate::report_standalone(attached.standalone, &mut engine);
            outcome = Some(o);
        }
        found = retry_check_rules::report_findings(lint_findings, &mut engine);
        if scan {
            let options = retry_check_scan::ScanOptions {
                include_tests: run.config.scan_tests,
                ..Default::default()
            };
            let rust = scan::scan_files_of(&[], &run, &options)?;
            found.extend(scan::scan_sources(
                &run,
                &rust,
                &mut sources,
                Some(set),
                &mut engine,
                &options,
            ));
            files += rust.len();
        }
    }
    let model = model_tests(&run, args, matches, &mut sources, &mut engine)?;
    if set.is_some() {
        // The `allow` entries of every job that ran, judged together.
        found.extend(engine.allow_diagnostics());
        retry_check_sources::annotate(&mut found, &notes);
    }
    found.sort_by(Diagnostic::cmp_by_location);
    let mut diagnostics = found;
    diagnostics.extend(simulated);
    if let Some(m) = &model {
        diagnostics.extend(m.diagnostics.iter().cloned());
    }
    let mut closing = Closing::of(&diagnostics, files);
    if let Some(o) = &outcome {
        closing = closing.and("simulation", &o.summary_line(), o.json(args.sim.sim.seed));
    }
    if let Some(m) = &model {
        closing = closing.and("model", &m.summary_line(), m.json());
    }
    run.finish(
        &lint_args.report,
        ("retry-check", "retry-check check"),
        &diagnostics,
        &sources,
        &closing,
    )
}

/// The configured model tests, unless `--no-model` or none configured.
fn model_tests(
    run: &Run,
    args: &CheckArgs,
    matches: &ArgMatches,
    sources: &mut retry_check_diagnostics::SourceMap,
    engine: &mut retry_check_rules::Engine<'_>,
) -> Result<Option<ModelOutcome>, String> {
    if args.sim.no_model || run.config.model_tests.is_empty() {
        return Ok(None);
    }
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let sim = &args.sim.sim;
    let Some(settings) = model::settings_for_check(
        run,
        given("seed").then_some(sim.seed),
        given("cases").then_some(sim.cases),
        sim.partition,
        sim.replay_dir.as_deref(),
    ) else {
        return Ok(None);
    };
    let entries = &run.config.model_tests;
    retry_check_model_tests::run_model(&settings, entries, false, sources, &run.cwd, engine)
        .map(Some)
}
