//! The end of every run: the baseline (`--baseline`, `--write-baseline`),
//! then the report in every format it goes out in (stdout, each
//! `--output FORMAT=FILE`, GitHub's job summary), and whether the run
//! failed. The pieces are `retry_check_diagnostics::{baseline, outputs,
//! report}`; this puts them in order for one run in the user's workspace
//! and says what the terminal gets ([`Printed`]), which the caller prints.

use std::path::Path;

use retry_check_diagnostics::baseline::Baseline;
use retry_check_diagnostics::outputs::{self, Destination, Output, Rendering, Target};
use retry_check_diagnostics::render::plural;
use retry_check_diagnostics::report::{self, Closing, Format, RepoPaths, Style};
use retry_check_diagnostics::sarif::Tool;
use retry_check_diagnostics::{github, Diagnostic, Severity, SourceMap};

use crate::display_path;

/// Where and how a run's report goes.
pub struct Delivery<'a> {
    /// The report on stdout (unless an output without a format takes it).
    pub format: Format,
    /// Colour on stdout.
    pub color: bool,
    /// `--output [FORMAT=]FILE`.
    pub outputs: &'a [Output],
    /// `--baseline FILE`: report only what it does not record.
    pub baseline: Option<&'a Path>,
    /// `--write-baseline FILE`: record every finding.
    pub write_baseline: Option<&'a Path>,
    /// With a baseline, list the recorded findings that are gone.
    pub show_fixed: bool,
    /// GitHub's job summary file (`$GITHUB_STEP_SUMMARY`), appended to.
    pub step_summary: Option<&'a Path>,
    /// The tool in SARIF.
    pub tool: Tool,
    /// The markdown report's heading and the job summary's.
    pub titles: (&'a str, &'a str),
    /// The workspace root (paths in SARIF, JUnit and annotations) and the
    /// directory shown paths are relative to.
    pub places: (&'a Path, &'a Path),
}

/// What goes to the terminal, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printed {
    Stdout(String),
    /// One line.
    Stderr(String),
}

/// What a run delivered.
#[derive(Debug)]
pub struct Delivered {
    pub printed: Vec<Printed>,
    /// Whether an error-level diagnostic is left (the exit code).
    pub failed: bool,
}

/// Whether a baseline may record a diagnostic: every configurable lint,
/// never a contract that does not parse (RC000: the rules did not run).
fn baselinable(d: &Diagnostic) -> bool {
    retry_check_catalog::find(&d.code).is_some_and(|l| l.is_configurable())
}

fn has_error(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// See the module docs.
pub fn deliver(
    how: &Delivery<'_>,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    closing: &Closing,
) -> Result<Delivered, String> {
    let (root, cwd) = how.places;
    let shown = |path: &Path| display_path(path, cwd);
    let paths = RepoPaths::new(root, cwd);
    let uri_of = |p: &str| paths.relative(p);
    let mut reported = diagnostics.to_vec();
    let mut closing = closing.clone();
    let mut printed = Vec::new();
    if let Some(path) = how.baseline {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline `{}`: {e}", shown(path)))?;
        let base = Baseline::parse(&text, &shown(path))?;
        let cmp = base.compare(reported, sources, &uri_of, &baselinable);
        closing = closing.recount(&cmp.new);
        if how.show_fixed {
            closing.details.extend(cmp.fixed_lines());
        }
        closing = closing.and("baseline", &cmp.summary_line(), cmp.json(how.show_fixed));
        reported = cmp.new;
    }
    let mut failed = has_error(&reported);
    if let Some(path) = how.write_baseline {
        let recorded = Baseline::record(diagnostics, sources, &uri_of, &baselinable);
        std::fs::write(path, recorded.to_json())
            .map_err(|e| format!("cannot write the baseline `{}`: {e}", shown(path)))?;
        printed.push(Printed::Stderr(format!(
            "recorded {} in the baseline `{}`",
            plural(recorded.entries.len() as u64, "finding"),
            shown(path)
        )));
        // Recorded findings no longer fail the run; a broken contract does.
        failed = reported
            .iter()
            .any(|d| d.severity == Severity::Error && !baselinable(d));
    }
    write_report(how, &reported, sources, &closing, &mut printed)?;
    Ok(Delivered { printed, failed })
}

/// Render and write every target of the report.
fn write_report(
    how: &Delivery<'_>,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    closing: &Closing,
    printed: &mut Vec<Printed>,
) -> Result<(), String> {
    let targets = outputs::plan(how.format, how.outputs, how.step_summary)?;
    let rules = retry_check_catalog::sarif_rules();
    let render = |target: &Target| match target.rendering {
        Rendering::Report(format) => {
            let style = Style {
                title: how.titles.0,
                color: how.color && target.on_stdout(),
                root: how.places.0,
                cwd: how.places.1,
                tool: &how.tool,
                rules: &rules,
            };
            report::render(format, diagnostics, sources, closing, &style)
        }
        Rendering::StepSummary => {
            github::markdown_summary(how.titles.1, diagnostics, closing.files)
        }
    };
    let delivered = outputs::write(&targets, &render)?;
    printed.push(match delivered.stdout {
        Some(text) => Printed::Stdout(text),
        // The report went to a file: the terminal still gets the summary.
        None => Printed::Stderr(closing.line.clone()),
    });
    for target in &targets {
        let (Rendering::Report(format), Destination::File { path, .. }) =
            (target.rendering, &target.destination)
        else {
            continue;
        };
        let which = match how.outputs.iter().find(|o| &o.path == path) {
            Some(o) if o.format.is_some() => format!("the {} report", format.name()),
            _ => "the report".to_string(),
        };
        printed.push(Printed::Stderr(format!(
            "wrote {which} to `{}`",
            path.display()
        )));
    }
    Ok(())
}
