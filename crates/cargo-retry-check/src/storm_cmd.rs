//! `storm`: simulate the fleets of the contracts through an outage,
//! brownout or slowdown of their dependency (crate `retry-check-storm`),
//! and report the load, the figures, the charts and the storm rules
//! (RC034-RC036). Exit 1 when a storm rule fires.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use retry_check_contract::Duration;
use retry_check_diagnostics::{render, SourceMap};
use retry_check_rules::Engine;
use retry_check_storm::{chart, json_summary, Incident, Scenario, StormReport};
use serde_json::json;

use crate::cli::{StormArgs, StormFormat};
use crate::lint::{self, Loaded};
use crate::Exit;

fn duration(flag: &str, s: &str) -> Result<u64, String> {
    s.parse::<Duration>()
        .map(|d| d.as_millis())
        .map_err(|e| format!("invalid `{flag} {s}`: {}", e.message))
}

/// The scenario the flags describe.
pub(crate) fn scenario(args: &StormArgs) -> Result<Scenario, String> {
    let duration_ms = duration("--duration", &args.duration)?;
    let start = duration("--at", &args.at)?;
    let len = duration("--outage", &args.outage)?;
    if duration_ms == 0 || duration_ms > 24 * 3_600_000 {
        return Err(format!(
            "`--duration {}` must be above zero and at most 24h",
            args.duration
        ));
    }
    if start.saturating_add(len) > duration_ms {
        return Err(format!(
            "the incident (`--at {}` + `--outage {}`) must end within `--duration {}`",
            args.at, args.outage, args.duration
        ));
    }
    let incident = match (args.brownout, args.slowdown) {
        (Some(p), _) if !(p > 0.0 && p <= 1.0) => {
            return Err(format!(
                "`--brownout {p}` must be a failure ratio above 0 and at most 1"
            ))
        }
        (Some(p), _) => Incident::Brownout(p),
        (None, Some(f)) if !(f > 0.0 && f < 1.0) => {
            return Err(format!(
                "`--slowdown {f}` must be a capacity factor above 0 and below 1"
            ))
        }
        (None, Some(f)) => Incident::Slowdown(f),
        (None, None) => Incident::Outage,
    };
    Ok(Scenario {
        duration_ms,
        incident,
        incident_start_ms: start,
        incident_len_ms: len,
        seed: args.seed,
        target: args.server.clone(),
    })
}

pub fn run(args: &StormArgs, matches: &clap::ArgMatches) -> Result<Exit, String> {
    let scenario = scenario(args)?;
    let Loaded {
        sources,
        files,
        set,
        errors,
        config,
    } = lint::load_contracts(
        &args.paths,
        args.manifest_path.as_deref(),
        "nothing was simulated because contract files have errors; fix them first",
    )?;
    let Some(set) = set else {
        let format = match args.format {
            StormFormat::Json => crate::cli::Format::Json,
            _ => crate::cli::Format::Human,
        };
        crate::output::deliver(
            &lint::report(&errors, &sources, files, format, args.color, &config.root),
            &render::Summary::of(&errors, files).line(),
            args.output.as_deref(),
        )?;
        return Ok(Exit::Findings);
    };
    let levels = lint::levels(&config, &args.levels, matches)?;
    let mut engine = Engine::new(&levels, retry_check_catalog::all()).with_contracts(&set);
    let mut report = retry_check_storm::simulate_with(&set, &scenario, &mut engine)?;
    report.diagnostics.extend(engine.allow_diagnostics());
    let charts = write_charts(&report, args)?;
    let text = match args.format {
        StormFormat::Human => human(&report, &sources, lint::use_color(args.color)),
        StormFormat::Json => json_lines(&report, &sources),
        StormFormat::Markdown => markdown(&report, &sources, &charts)?,
    };
    crate::output::deliver(&text, &summary_line(&report), args.output.as_deref())?;
    Ok(lint::exit_code(&report.diagnostics))
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

/// One chart per reported server: (server, SVG text, file written).
fn write_charts(
    report: &StormReport,
    args: &StormArgs,
) -> Result<Vec<(String, String, Option<PathBuf>)>, String> {
    let dir = chart_dir(args);
    let stem = args
        .output
        .as_ref()
        .and_then(|o| o.file_stem())
        .map_or_else(|| "storm".to_string(), |s| s.to_string_lossy().into_owned());
    let mut out = Vec::new();
    for s in &report.servers {
        let svg = chart::svg(report, s)?;
        let path = match &dir {
            Some(d) => {
                let p = d.join(format!("{stem}-{}.svg", file_part(&s.name)));
                std::fs::create_dir_all(d)
                    .and_then(|()| std::fs::write(&p, &svg))
                    .map_err(|e| format!("cannot write the chart `{}`: {e}", p.display()))?;
                Some(p)
            }
            None => None,
        };
        out.push((s.name.clone(), svg, path));
    }
    Ok(out)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn recovery(r: Option<usize>) -> String {
    r.map_or_else(
        || "not within the scenario".to_string(),
        |s| format!("{s}s"),
    )
}

fn share(t: &retry_check_storm::ClientTotals) -> f64 {
    if t.logical == 0 {
        0.0
    } else {
        (t.exhausted + t.rejected) as f64 / t.logical as f64
    }
}

const SPARK_WIDTH: usize = 60;

fn human(report: &StormReport, sources: &SourceMap, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "storm: {}\n", report.scenario.describe());
    for s in &report.servers {
        let a = &report.runs.0.servers[s.index];
        let b = &report.runs.1.servers[s.index];
        let top = a
            .offered
            .iter()
            .chain(&b.offered)
            .copied()
            .max()
            .unwrap_or(0);
        let _ = writeln!(
            out,
            "{}: capacity {:.0}/s ({}), bound {}x{}",
            s.name,
            s.capacity,
            if s.capacity_declared {
                "declared"
            } else {
                "assumed: steady load + 25%"
            },
            s.max_load_factor,
            if s.incident {
                ", hit by the incident"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "  offered load  as written {}  peak {:.2}x at {}s",
            chart::sparkline(&a.offered, SPARK_WIDTH, top),
            s.without.peak_load_factor,
            s.without.peak_at_s
        );
        let _ = writeln!(
            out,
            "                with fix   {}  peak {:.2}x at {}s",
            chart::sparkline(&b.offered, SPARK_WIDTH, top),
            s.with_fix.peak_load_factor,
            s.with_fix.peak_at_s
        );
        let _ = writeln!(
            out,
            "  attempts per request: {:.2} overall, {:.2} during the incident (with fix {:.2}, {:.2})",
            s.without.amplification,
            s.without.incident_amplification,
            s.with_fix.amplification,
            s.with_fix.incident_amplification
        );
        let _ = writeln!(
            out,
            "  recovered after the incident: {} (with fix {})\n",
            recovery(s.without.recovery_s),
            recovery(s.with_fix.recovery_s)
        );
    }
    let _ = writeln!(out, "clients (logical requests; ended exhausted):");
    let width = report
        .clients
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    for c in &report.clients {
        let _ = writeln!(
            out,
            "  {:width$}  {} requests; {} exhausted (with fix: {}, {})",
            c.name,
            c.without.logical,
            pct(share(&c.without)),
            c.fix.describe(),
            pct(share(&c.with_fix)),
        );
    }
    let _ = writeln!(
        out,
        "  all clients: {} exhausted (with fix {})\n",
        pct(StormReport::exhausted_share(&report.runs.0)),
        pct(StormReport::exhausted_share(&report.runs.1))
    );
    for d in &report.diagnostics {
        out.push_str(&render::human(d, sources, color));
        out.push_str("\n\n");
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

fn json_lines(report: &StormReport, sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&render::json_value(d, sources).to_string());
        out.push('\n');
    }
    let summary = json!({
        "reason": "summary",
        "findings": report.diagnostics.len(),
        "success": report.diagnostics.is_empty(),
        "storm": json_summary(report),
    });
    out.push_str(&summary.to_string());
    out.push('\n');
    out
}

fn markdown(
    report: &StormReport,
    sources: &SourceMap,
    charts: &[(String, String, Option<PathBuf>)],
) -> Result<String, String> {
    let mut out = String::new();
    let _ = writeln!(out, "## retry-check storm\n");
    let _ = writeln!(out, "{}.\n", report.scenario.describe());
    let _ = writeln!(
        out,
        "| server | capacity | peak load (as written) | peak load (with fix) | attempts per request in the incident | recovery |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for s in &report.servers {
        let _ = writeln!(
            out,
            "| `{}` | {:.0}/s{} | {:.2}x | {:.2}x | {:.2} → {:.2} | {} → {} |",
            s.name,
            s.capacity,
            if s.capacity_declared {
                ""
            } else {
                " (assumed)"
            },
            s.without.peak_load_factor,
            s.with_fix.peak_load_factor,
            s.without.incident_amplification,
            s.with_fix.incident_amplification,
            recovery(s.without.recovery_s),
            recovery(s.with_fix.recovery_s)
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| client | logical requests | exhausted | fix | exhausted with fix |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for c in &report.clients {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            c.name,
            c.without.logical,
            pct(share(&c.without)),
            c.fix.describe(),
            pct(share(&c.with_fix))
        );
    }
    let _ = writeln!(out);
    for (name, svg, path) in charts {
        match path {
            Some(p) => {
                let file = p
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                let _ = writeln!(out, "![offered load at `{name}`]({file})\n");
            }
            None => {
                let _ = writeln!(
                    out,
                    "<details><summary>offered load at <code>{name}</code></summary>\n"
                );
                out.push_str(svg);
                let _ = writeln!(out, "\n</details>\n");
            }
        }
    }
    if !report.diagnostics.is_empty() {
        out.push_str(&retry_check_diagnostics::github::markdown_report(
            "storm findings",
            &report.diagnostics,
            sources,
            sources.files().count(),
        ));
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    Ok(out)
}

fn summary_line(report: &StormReport) -> String {
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == retry_check_diagnostics::Severity::Error)
        .count();
    let warnings = report.diagnostics.len() - errors;
    let peak = |f: fn(&retry_check_storm::ServerReport) -> f64| {
        report.servers.iter().map(f).fold(0.0, f64::max)
    };
    format!(
        "storm: {} {}, {} {}; peak load {:.2}x capacity (with fix {:.2}x); {} of requests exhausted (with fix {})",
        errors,
        if errors == 1 { "error" } else { "errors" },
        warnings,
        if warnings == 1 { "warning" } else { "warnings" },
        peak(|s| s.without.peak_load_factor),
        peak(|s| s.with_fix.peak_load_factor),
        pct(StormReport::exhausted_share(&report.runs.0)),
        pct(StormReport::exhausted_share(&report.runs.1)),
    )
}
