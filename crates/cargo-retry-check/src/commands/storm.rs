//! `storm`: simulate the fleets of the contracts through an outage,
//! brownout or slowdown of their dependency (crate `retry-check-storm`),
//! and report the load, the figures, the charts and the storm rules
//! (RC034-RC036). Exit 1 when a storm rule fires at error level.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use retry_check_diagnostics::report::Closing;
use retry_check_storm::report::{self, Chart};
use retry_check_storm::{ScenarioSpec, StormReport};

use crate::cli::{Format, LevelArgs, ReportArgs, StormArgs, StormFormat};
use crate::context::Run;
use crate::report::{deliver, exit_code, use_color};
use crate::Exit;
use retry_check_diagnostics::outputs::Output;

pub fn run(args: &StormArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let scenario = ScenarioSpec {
        duration: &args.duration,
        at: &args.at,
        outage: &args.outage,
        brownout: args.brownout,
        slowdown: args.slowdown,
        seed: args.seed,
        target: args.server.clone(),
    }
    .scenario()?;
    let run = Run::new(
        args.contracts.manifest_path.as_deref(),
        Some((&args.levels, matches)),
    )?;
    let c = run.load_contracts(
        &args.contracts.paths,
        "nothing was simulated because contract files have errors; fix them first",
    )?;
    let Some(set) = &c.set else {
        let errors = ReportArgs {
            format: match args.format {
                StormFormat::Json => Format::Json,
                _ => Format::Human,
            },
            color: args.color,
            levels: LevelArgs::default(),
            output: args
                .output
                .iter()
                .map(|path| Output {
                    format: None,
                    path: path.clone(),
                })
                .collect(),
            baseline: Default::default(),
        };
        let closing = Closing::of(&c.errors, c.files);
        let titles = ("retry-check storm", "retry-check storm");
        return run.finish(&errors, titles, &c.errors, &c.sources, &closing);
    };
    let mut engine = run.engine().with_contracts(set);
    let mut storm = retry_check_storm::simulate_with(set, &scenario, &mut engine)?;
    storm.diagnostics.extend(engine.allow_diagnostics());
    let charts = write_charts(&storm, args)?;
    let text = match args.format {
        StormFormat::Human => report::human(&storm, &c.sources, use_color(args.color)),
        StormFormat::Json => report::json_lines(&storm, &c.sources),
        StormFormat::Markdown => report::markdown(&storm, &c.sources, &charts),
    };
    deliver(&text, &report::summary_line(&storm), args.output.as_deref())?;
    Ok(exit_code(&storm.diagnostics))
}

/// Where the SVG charts go: `--svg-dir`, else next to `-o`, else nowhere.
fn chart_dir(args: &StormArgs) -> Option<PathBuf> {
    if let Some(d) = &args.svg_dir {
        return Some(d.clone());
    }
    let out = args.output.as_ref()?;
    Some(
        out.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
    )
}

fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// One chart per reported server, written to `chart_dir` when there is one
/// (`<stem of -o>-<server>.svg`).
fn write_charts(storm: &StormReport, args: &StormArgs) -> Result<Vec<Chart>, String> {
    let mut charts = report::charts(storm)?;
    let Some(dir) = chart_dir(args) else {
        return Ok(charts);
    };
    let stem = args
        .output
        .as_ref()
        .and_then(|o| o.file_stem())
        .map_or_else(|| "storm".to_string(), |s| s.to_string_lossy().into_owned());
    for c in &mut charts {
        let name = format!("{stem}-{}.svg", file_part(&c.server));
        let path = dir.join(&name);
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&path, &c.svg))
            .map_err(|e| format!("cannot write the chart `{}`: {e}", path.display()))?;
        c.file = Some(name);
    }
    Ok(charts)
}
