//! The storm report in its three formats: human (sparklines, figures,
//! findings), JSON Lines (findings, then a summary with the figures and
//! the per-second series) and markdown (figure tables, the charts, the
//! findings), and its one-line summary.

use std::fmt::Write as _;

use retry_check_diagnostics::{github, render, Severity, SourceMap};
use serde_json::json;

use crate::notes::exhausted as share;
use crate::{chart, json_summary, notes, ServerReport, StormReport};

/// One server's chart: its name, the SVG, and the file it was written to
/// (linked from the markdown report; `None`: inlined).
pub struct Chart {
    pub server: String,
    pub svg: String,
    pub file: Option<String>,
}

/// The charts of a report, one per reported server.
pub fn charts(report: &StormReport) -> Result<Vec<Chart>, String> {
    report
        .servers
        .iter()
        .map(|s| {
            Ok(Chart {
                server: s.name.clone(),
                svg: chart::svg(report, s)?,
                file: None,
            })
        })
        .collect()
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

/// ` (still above the bound 1.5x)` after a fixed peak that exceeds it.
fn still_above(s: &ServerReport) -> String {
    if notes::fix_falls_short(s) {
        format!(" (still above the bound {}x)", s.max_load_factor)
    } else {
        String::new()
    }
}

const SPARK_WIDTH: usize = 60;

/// Sparklines, figures and rustc-style findings.
pub fn human(report: &StormReport, sources: &SourceMap, color: bool) -> String {
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
            s.capacity_source(),
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
            "                with fix   {}  peak {:.2}x at {}s{}",
            chart::sparkline(&b.offered, SPARK_WIDTH, top),
            s.with_fix.peak_load_factor,
            s.with_fix.peak_at_s,
            still_above(s)
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
            "  recovered after the incident: {} (with fix {})",
            recovery(s.without.recovery_s),
            recovery(s.with_fix.recovery_s)
        );
        for n in notes::server_notes(report, s) {
            let _ = writeln!(out, "  note: {n}");
        }
        out.push('\n');
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
        "  all clients: {} exhausted (with fix {})",
        pct(StormReport::exhausted_share(&report.runs.0)),
        pct(StormReport::exhausted_share(&report.runs.1))
    );
    for n in report.clients.iter().filter_map(notes::client_note) {
        let _ = writeln!(out, "  note: {n}");
    }
    out.push('\n');
    for d in &report.diagnostics {
        out.push_str(&render::human(d, sources, color));
        out.push_str("\n\n");
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

/// JSON Lines: one object per finding, then the summary.
pub fn json_lines(report: &StormReport, sources: &SourceMap) -> String {
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

/// Markdown: figure tables, the charts (linked when written to a file,
/// else inline), then the findings.
pub fn markdown(report: &StormReport, sources: &SourceMap, charts: &[Chart]) -> String {
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
            "| `{}` | {:.0}/s{} | {:.2}x | {:.2}x{} | {:.2} → {:.2} | {} → {} |",
            s.name,
            s.capacity,
            if s.capacity_declared {
                ""
            } else {
                " (assumed)"
            },
            s.without.peak_load_factor,
            s.with_fix.peak_load_factor,
            still_above(s),
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
    let server_notes = report.servers.iter().flat_map(|s| {
        notes::server_notes(report, s)
            .into_iter()
            .map(|n| (&s.name, n))
    });
    let mut any = false;
    for (name, n) in server_notes {
        let _ = writeln!(out, "- `{name}`: {n}");
        any = true;
    }
    for n in report.clients.iter().filter_map(notes::client_note) {
        let _ = writeln!(out, "- {n}");
        any = true;
    }
    if any {
        let _ = writeln!(out);
    }
    for c in charts {
        let name = &c.server;
        match &c.file {
            Some(file) => {
                let _ = writeln!(out, "![offered load at `{name}`]({file})\n");
            }
            None => {
                let _ = writeln!(
                    out,
                    "<details><summary>offered load at <code>{name}</code></summary>\n"
                );
                out.push_str(&c.svg);
                let _ = writeln!(out, "\n</details>\n");
            }
        }
    }
    if !report.diagnostics.is_empty() {
        out.push_str(&github::markdown_report(
            "storm findings",
            &report.diagnostics,
            sources,
            sources.files().count(),
        ));
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

/// `storm: 1 error, 3 warnings; peak load ...`.
pub fn summary_line(report: &StormReport) -> String {
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = report.diagnostics.len() - errors;
    let peak = |f: fn(&ServerReport) -> f64| report.servers.iter().map(f).fold(0.0, f64::max);
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
