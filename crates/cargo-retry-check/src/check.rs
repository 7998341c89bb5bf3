//! `check` (and the default with no subcommand): lint the contracts, then
//! simulate every client -> server pair, and report both in one report with
//! one summary and one exit code.
//!
//! - The lint findings come first (sorted by file and position, as `lint`
//!   prints them), then each simulated counterexample (as `simulate` prints
//!   it: the rule it proves, its timeline and the replay command).
//! - Contract files with errors stop the run before the rules, as in `lint`;
//!   nothing is simulated then.
//! - The summary is the lint summary (its counts include the simulated
//!   violations, which are errors) followed by the simulation's:
//!   `checked 2 files: 3 errors, 0 warnings; simulated 2 pairs, 512 cases:
//!   1 violation`. In JSON the summary object gains a `simulation` object.
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

use clap::ArgMatches;
use retry_check_diagnostics::{Diagnostic, Severity};
use retry_check_rules::Engine;

use crate::cli::{CheckArgs, Format, SimulateArgs};
use crate::lint::{self, Loaded};
use crate::model;
use crate::simulate::{self, Outcome};
use crate::Exit;

pub fn run(args: &CheckArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let lint_args = &args.lint;
    let loaded = lint::load_contracts(
        &lint_args.paths,
        lint_args.manifest_path.as_deref(),
        "rules were not run and nothing was simulated because contract files have errors; \
         fix them first",
    )?;
    let levels = lint::levels(&loaded.config, &lint_args.levels, matches)?;
    let Loaded {
        mut sources,
        mut files,
        set,
        errors,
        config,
    } = loaded;
    let sim_args = SimulateArgs {
        paths: lint_args.paths.clone(),
        manifest_path: lint_args.manifest_path.clone(),
        seed: args.sim.seed,
        cases: args.sim.cases,
        partition: args.sim.partition,
        replay_dir: args.sim.replay_dir.clone(),
        format: lint_args.format,
        color: lint_args.color,
        levels: lint_args.levels.clone(),
        output: lint_args.output.clone(),
    };
    let scan = !args.sim.no_scan && config.scan.unwrap_or(lint_args.paths.is_empty());
    let mut engine = Engine::new(&levels, retry_check_catalog::all());
    let (mut found, outcome) = match &set {
        Some(set) => {
            engine = engine.with_contracts(set);
            let mut found = retry_check_rules::lint_with(set, &mut engine);
            if scan {
                let cwd = std::env::current_dir()
                    .map_err(|e| format!("cannot read the current directory: {e}"))?;
                let options = retry_check_scan::ScanOptions {
                    include_tests: config.scan_tests,
                    ..Default::default()
                };
                let rust = crate::scan_cmd::scan_targets(&[], &config, &options)?;
                found.extend(crate::scan_cmd::scan_files(
                    &rust,
                    &cwd,
                    &mut sources,
                    Some(set),
                    &mut engine,
                    &options,
                ));
                found.sort_by_key(|d| d.sort_key());
                files += rust.len();
            }
            let outcome = if args.sim.no_simulate {
                None
            } else {
                let cwd = std::env::current_dir()
                    .map_err(|e| format!("cannot read the current directory: {e}"))?;
                let dir = simulate::replay_dir(&sim_args, &config.root);
                Some(simulate::simulate_set(
                    set,
                    &sim_args,
                    &dir,
                    &cwd,
                    &mut engine,
                )?)
            };
            (found, outcome)
        }
        None => (errors, None),
    };
    let model = if args.sim.no_model || config.model_tests.is_empty() {
        None
    } else {
        let given =
            |id: &str| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
        let settings = model::settings_for_check(
            &config,
            given("seed").then_some(args.sim.seed),
            given("cases").then_some(args.sim.cases),
            args.sim.partition,
            args.sim.replay_dir.as_deref(),
        );
        match settings {
            Some(settings) => {
                let cwd = std::env::current_dir()
                    .map_err(|e| format!("cannot read the current directory: {e}"))?;
                let o = model::run_model(
                    &settings,
                    &config.model_tests,
                    false,
                    &mut sources,
                    &cwd,
                    &mut engine,
                )?;
                Some(o)
            }
            None => None,
        }
    };
    if set.is_some() {
        // The `allow` entries of every job that ran, judged together.
        found.extend(engine.allow_diagnostics());
        found.sort_by(Diagnostic::cmp_by_location);
    }
    // Lint and scan findings in file order, then each counterexample.
    let mut diagnostics = found;
    if let Some(o) = &outcome {
        diagnostics.extend(o.diagnostics.iter().cloned());
    }
    if let Some(m) = &model {
        diagnostics.extend(m.diagnostics.iter().cloned());
    }
    let mut out = lint::report(
        &diagnostics,
        &sources,
        files,
        lint_args.format,
        lint_args.color,
        &config.root,
    );
    if let Some(o) = &outcome {
        out = with_simulation_summary(out, lint_args.format, o, args.sim.seed);
    }
    if let Some(m) = &model {
        out = extend_summary(out, lint_args.format, &m.summary_line(), "model", m.json());
    }
    // E7 (issue 7): `--format github` step summary and `-o FILE`.
    if lint_args.format == Format::Github {
        crate::output::step_summary("retry-check check", &diagnostics, files)?;
    }
    let mut summary = retry_check_diagnostics::render::Summary::of(&diagnostics, files).line();
    if let Some(o) = &outcome {
        summary = format!("{summary}; {}", simulate::summary_line(o));
    }
    if let Some(m) = &model {
        summary = format!("{summary}; {}", m.summary_line());
    }
    crate::output::deliver(&out, &summary, lint_args.output.as_deref())?;
    Ok(
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            Exit::Findings
        } else {
            Exit::Clean
        },
    )
}

/// Extend the report's closing summary line with `line` (human, short) or
/// its JSON summary object with `key: value`.
fn extend_summary(
    report: String,
    format: Format,
    line: &str,
    key: &str,
    value: serde_json::Value,
) -> String {
    let body = report.strip_suffix('\n').unwrap_or(&report);
    let (head, last) = match body.rsplit_once('\n') {
        Some((head, last)) => (format!("{head}\n"), last),
        None => (String::new(), body),
    };
    if matches!(format, Format::Human | Format::Short) {
        return format!("{head}{last}; {line}\n");
    }
    if format == Format::Json {
        if let Ok(serde_json::Value::Object(mut summary)) = serde_json::from_str(last) {
            summary.insert(key.to_string(), value);
            return format!("{head}{}\n", serde_json::Value::Object(summary));
        }
    }
    report
}

/// Extend the report's closing summary (its last line) with the
/// simulation's. Formats without a summary line are left as they are: they
/// carry every diagnostic already.
fn with_simulation_summary(report: String, format: Format, o: &Outcome, seed: u64) -> String {
    let body = report.strip_suffix('\n').unwrap_or(&report);
    let (head, last) = match body.rsplit_once('\n') {
        Some((head, last)) => (format!("{head}\n"), last),
        None => (String::new(), body),
    };
    if matches!(format, Format::Human | Format::Short) {
        return format!("{head}{last}; {}\n", simulate::summary_line(o));
    }
    if format == Format::Json {
        if let Ok(serde_json::Value::Object(mut summary)) = serde_json::from_str(last) {
            summary.insert(
                "simulation".to_string(),
                serde_json::json!({
                    "pairs": o.pairs,
                    "cases": o.cases,
                    "violations": o.diagnostics.len(),
                    "skipped": o.skipped,
                    "seed": seed,
                }),
            );
            return format!("{head}{}\n", serde_json::Value::Object(summary));
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> Outcome {
        Outcome {
            diagnostics: Vec::new(),
            pairs: 2,
            cases: 512,
            skipped: vec!["a -> b (unknown server)".to_string()],
            partition: None,
        }
    }

    #[test]
    fn human_summary_is_one_line() {
        let out = with_simulation_summary(
            "error: x\n\nchecked 1 file: 1 error, 0 warnings\n".to_string(),
            Format::Human,
            &outcome(),
            7,
        );
        assert_eq!(
            out,
            "error: x\n\nchecked 1 file: 1 error, 0 warnings; simulated 2 pairs, 512 cases: \
             0 violations; skipped 1 pair: a -> b (unknown server)\n"
        );
    }

    #[test]
    fn json_summary_gains_a_simulation_object() {
        let out = with_simulation_summary(
            "{\"reason\":\"diagnostic\"}\n{\"reason\":\"summary\",\"success\":true}\n".to_string(),
            Format::Json,
            &outcome(),
            7,
        );
        let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        assert_eq!(last["reason"], "summary");
        assert_eq!(last["simulation"]["pairs"], 2);
        assert_eq!(last["simulation"]["cases"], 512);
        assert_eq!(last["simulation"]["seed"], 7);
        assert_eq!(out.lines().count(), 2);
    }
}
