//! `storm`: simulate the fleets of the contracts through an outage,
//! brownout or slowdown of their dependency (crate `retry-check-storm`),
//! and report the load, the figures, the charts and the storm rules
//! (RC034-RC036). Exit 1 when a storm rule fires at error level.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::ArgMatches;
use retry_check_diagnostics::report::Closing;
use retry_check_storm::report::{self, Chart};
use retry_check_storm::{ScenarioSpec, StormReport};

use crate::cli::{Format, LevelArgs, ReportArgs, StormArgs, StormFormat};
use crate::context::Run;
use crate::report::{exit_code, print_stdout, use_color};
use crate::Exit;
use retry_check_diagnostics::outputs::Output;

pub fn run(args: &StormArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let plan = plan(args, matches)?;
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
            format: match plan.format {
                StormFormat::Json => Format::Json,
                StormFormat::Markdown => Format::Markdown,
                StormFormat::Human => Format::Human,
            },
            color: args.color,
            levels: LevelArgs::default(),
            // An SVG file gets charts, never error messages.
            output: args
                .output
                .iter()
                .filter(|_| plan.file != Some(Written::Svg))
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
    let charts = write_charts(&storm, args, &plan)?;
    let to_file = plan.file == Some(Written::Report);
    let color = !to_file && use_color(args.color);
    let text = match plan.format {
        StormFormat::Human => report::human(&storm, &c.sources, color),
        StormFormat::Json => report::json_lines(&storm, &c.sources),
        StormFormat::Markdown => report::markdown(&storm, &c.sources, &charts),
    };
    match (&args.output, plan.file) {
        (Some(path), Some(Written::Report)) => {
            write(path, &text)?;
            eprintln!("{}", report::summary_line(&storm));
            eprintln!(
                "wrote the {} report to `{}`{}{}",
                format_name(plan.format),
                path.display(),
                plan.note,
                written_charts(&charts)
            );
        }
        (Some(path), Some(Written::Svg)) => {
            let svgs: Vec<String> = charts.iter().map(|c| c.svg.clone()).collect();
            write(path, &retry_check_storm::chart::stack(&svgs))?;
            print_stdout(&text);
            let names: Vec<String> = charts.iter().map(|c| format!("`{}`", c.server)).collect();
            eprintln!(
                "wrote the SVG chart of {} server{} ({}) to `{}`; the {} report is on stdout",
                charts.len(),
                if charts.len() == 1 { "" } else { "s" },
                names.join(", "),
                path.display(),
                format_name(plan.format)
            );
        }
        _ => print_stdout(&text),
    }
    Ok(exit_code(&storm.diagnostics))
}

/// What `-o FILE` receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// The report, in `Plan::format`.
    Report,
    /// The charts, one SVG (the report goes to stdout).
    Svg,
}

/// The report's format and where it goes, from `--format` and the
/// extension of `-o`.
struct Plan {
    format: StormFormat,
    file: Option<Written>,
    /// Said after "wrote the ... report to FILE" when the extension did not
    /// decide the format.
    note: String,
}

const EXTENSIONS: &str =
    ".txt (human), .md (markdown), .json or .jsonl (JSON Lines), .svg (the charts)";

fn format_name(f: StormFormat) -> &'static str {
    match f {
        StormFormat::Human => "human",
        StormFormat::Json => "JSON Lines",
        StormFormat::Markdown => "markdown",
    }
}

fn flag_name(f: StormFormat) -> &'static str {
    match f {
        StormFormat::Human => "human",
        StormFormat::Json => "json",
        StormFormat::Markdown => "markdown",
    }
}

/// `-o FILE` honours FILE's extension: `.txt`, `.md`, `.json`/`.jsonl`
/// pick the report's format, `.svg` writes the charts. An explicit
/// `--format` that contradicts the extension, or an extension storm does
/// not write without `--format`, is a usage error.
fn plan(args: &StormArgs, matches: &ArgMatches) -> Result<Plan, String> {
    let explicit = matches.value_source("format") == Some(ValueSource::CommandLine);
    let Some(path) = &args.output else {
        return Ok(Plan {
            format: args.format,
            file: None,
            note: String::new(),
        });
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let by_ext = match ext.as_deref() {
        Some("txt") => Some((Written::Report, StormFormat::Human)),
        Some("md" | "markdown") => Some((Written::Report, StormFormat::Markdown)),
        Some("json" | "jsonl" | "ndjson") => Some((Written::Report, StormFormat::Json)),
        Some("svg") => Some((Written::Svg, args.format)),
        _ => None,
    };
    match by_ext {
        Some((Written::Report, f)) if explicit && f != args.format => Err(format!(
            "`-o {}` is a {} file, but `--format {}` was given: name the file for its format \
             ({EXTENSIONS}) or drop `--format`",
            path.display(),
            format_name(f),
            flag_name(args.format)
        )),
        Some((file, format)) => Ok(Plan {
            format,
            file: Some(file),
            note: String::new(),
        }),
        None if explicit => Ok(Plan {
            format: args.format,
            file: Some(Written::Report),
            note: format!(
                " (as `--format {}` asks; {})",
                flag_name(args.format),
                match &ext {
                    Some(e) => format!("the extension `.{e}` is not one storm knows"),
                    None => "the file has no extension".into(),
                }
            ),
        }),
        None => Err(format!(
            "cannot tell which format to write to `-o {}`: {}; storm writes {EXTENSIONS}; \
             name the file so, or pass `--format`",
            path.display(),
            match &ext {
                Some(e) => format!("`.{e}` is not an extension storm writes"),
                None => "it has no extension".into(),
            }
        )),
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

fn written_charts(charts: &[Chart]) -> String {
    let files: Vec<String> = charts
        .iter()
        .filter_map(|c| c.file.as_ref().map(|f| format!("`{f}`")))
        .collect();
    if files.is_empty() {
        String::new()
    } else {
        format!(
            ", and the chart{} {} next to it",
            if files.len() == 1 { "" } else { "s" },
            files.join(", ")
        )
    }
}

/// Where the SVG charts go: `--svg-dir`, else next to a report written
/// with `-o`, else nowhere (an `-o FILE.svg` holds them itself).
fn chart_dir(args: &StormArgs, plan: &Plan) -> Option<PathBuf> {
    if let Some(d) = &args.svg_dir {
        return Some(d.clone());
    }
    if plan.file != Some(Written::Report) {
        return None;
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
fn write_charts(storm: &StormReport, args: &StormArgs, plan: &Plan) -> Result<Vec<Chart>, String> {
    let mut charts = report::charts(storm)?;
    let Some(dir) = chart_dir(args, plan) else {
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
