//! `simulate`: every client -> server pair against its reference store
//! (crate `retry-check-simulate`); `check` simulates through [`simulate`].

use std::time::Duration;

use clap::ArgMatches;
use retry_check_contract::ContractSet;
use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::{Diagnostic, Job, Lint};
use retry_check_rules::{Engine, Finding};
use retry_check_simulate::{progress, Outcome, Progress, Settings};

use crate::cli::{Format, SimArgs, SimulateArgs};
use crate::context::Run;
use crate::Exit;

pub fn run(args: &SimulateArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let run = Run::new(
        args.contracts.manifest_path.as_deref(),
        Some((&args.report.levels, matches)),
    )?;
    let c = run.load_contracts(
        &args.contracts.paths,
        "nothing was simulated because contract files have errors; fix them first",
    )?;
    let titles = ("retry-check simulate", "retry-check simulate");
    let Some(set) = &c.set else {
        let closing = Closing::of(&c.errors, c.files);
        return run.finish(&args.report, titles, &c.errors, &c.sources, &closing);
    };
    let mut engine = run.engine().with_contracts(set);
    // The lint findings the counterexamples prove: only those with a proof
    // are reported, each once, with its trace.
    let mut findings = retry_check_rules::findings(set);
    let cases = (&args.sim, args.sim.cases);
    let mut outcome = simulate(&run, set, cases, args.report.format, &findings)?;
    let attached = outcome.attach(&mut findings);
    let proven = attached.proven.iter().map(|&i| findings[i].clone());
    let mut diagnostics: Vec<Diagnostic> = proven
        .filter_map(|(lint, f)| engine.report(lint, f))
        .collect();
    diagnostics.extend(report_standalone(attached.standalone, &mut engine));
    diagnostics.extend(engine.allow_diagnostics());
    let closing = Closing::custom(
        outcome.summary_line(),
        outcome.summary_json(args.sim.seed),
        c.sources.files().count(),
    );
    run.finish(&args.report, titles, &diagnostics, &c.sources, &closing)
}

/// Simulate `set` as `sim` says (`clean_cases` for the pairs no finding
/// of `findings` says are broken), with a progress bar for a person at a
/// terminal.
pub fn simulate(
    run: &Run,
    set: &ContractSet,
    (sim, clean_cases): (&SimArgs, u32),
    format: Format,
    findings: &[(&'static Lint, Finding)],
) -> Result<Outcome, String> {
    let settings = Settings {
        seed: sim.seed,
        cases: sim.cases,
        clean_cases,
        partition: sim.partition,
        replay_dir: run.replay_dir(sim.replay_dir.as_deref()),
        cwd: run.cwd.clone(),
    };
    if set.clients.is_empty() {
        return retry_check_simulate::simulate_set(set, &settings, findings, None);
    }
    if let Some(bar) = progress_bar(format) {
        let outcome = retry_check_simulate::simulate_set(set, &settings, findings, Some(&bar));
        bar.0.finish_and_clear();
        return outcome;
    }
    if !progress::lines_wanted() {
        return retry_check_simulate::simulate_set(set, &settings, findings, None);
    }
    // A log (CI, a pipe): a line now and then, so a long run does not look
    // hung.
    let lines = progress::Lines::default();
    progress::with_ticker(&lines, std::io::stderr(), || {
        retry_check_simulate::simulate_set(set, &settings, findings, Some(&lines))
    })
}

/// The counterexamples no lint finding stands for, through `engine`
/// (which marks the simulation as run).
pub fn report_standalone(
    standalone: Vec<(&'static Lint, Finding)>,
    engine: &mut Engine<'_>,
) -> Vec<Diagnostic> {
    engine.ran(Job::Simulate);
    standalone
        .into_iter()
        .filter_map(|(lint, f)| engine.report(lint, f))
        .collect()
}

/// A bar over the pairs on stderr (cleared when done).
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn planned(&self, pairs: usize, _simulations: usize) {
        self.0.set_length(pairs as u64);
    }

    fn started(&self, pair: &str) {
        self.0.set_message(pair.to_string());
    }

    fn finished(&self, _pair: &str, pairs: usize, _cases: u64) {
        self.0.inc(pairs as u64);
    }
}

/// A bar, or none.
fn progress_bar(format: Format) -> Option<Bar> {
    use std::io::IsTerminal;
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if !progress::bar_wanted(format == Format::Human, ci, std::io::stderr().is_terminal()) {
        return None;
    }
    let style = indicatif::ProgressStyle::with_template(
        "simulating [{bar:30}] {pos}/{len} pairs ({elapsed}) {wide_msg}",
    )
    .ok()?
    .progress_chars("=> ");
    let bar = indicatif::ProgressBar::no_length().with_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(Bar(bar))
}
