//! The end of every run: the baseline (`--baseline`, `--write-baseline`),
//! then the report in every format it goes out in (stdout, each
//! `--output FORMAT=FILE`, GitHub's job summary), then the exit code. The
//! logic is the library's (`retry_check_diagnostics::{baseline, outputs,
//! report}`); this is its glue to the command line.

use std::path::{Path, PathBuf};

use retry_check_diagnostics::baseline::Baseline;
use retry_check_diagnostics::outputs::{self, Destination, Rendering, Target};
use retry_check_diagnostics::render::plural;
use retry_check_diagnostics::report::{self, Closing, RepoPaths, Style};
use retry_check_diagnostics::sarif::Tool;
use retry_check_diagnostics::{github, Diagnostic, Severity, SourceMap};

use std::io::IsTerminal;

use crate::cli::{ColorChoice, ReportArgs};
use crate::Exit;

/// Whether a baseline may record a diagnostic: every configurable lint,
/// never a contract that does not parse (RC000: the rules did not run).
fn baselinable(d: &Diagnostic) -> bool {
    retry_check_catalog::find(&d.code).is_some_and(|l| l.is_configurable())
}

fn shown(path: &Path, cwd: &Path) -> String {
    retry_check_workspace::display_path(path, cwd)
}

/// See the module docs.
pub fn finish(
    (root, cwd): (&Path, &Path),
    args: &ReportArgs,
    titles: (&str, &str),
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    closing: &Closing,
) -> Result<Exit, String> {
    let paths = RepoPaths::new(root, cwd);
    let uri_of = |p: &str| paths.relative(p);
    let mut reported = diagnostics.to_vec();
    let mut closing = closing.clone();
    if let Some(path) = &args.baseline.baseline {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline `{}`: {e}", shown(path, cwd)))?;
        let base = Baseline::parse(&text, &shown(path, cwd))?;
        let cmp = base.compare(reported, sources, &uri_of, &baselinable);
        closing = closing.recount(&cmp.new);
        if args.baseline.show_fixed {
            closing.details.extend(cmp.fixed_lines());
        }
        closing = closing.and(
            "baseline",
            &cmp.summary_line(),
            cmp.json(args.baseline.show_fixed),
        );
        reported = cmp.new;
    }
    let mut exit = exit_code(&reported);
    if let Some(path) = &args.baseline.write_baseline {
        let recorded = Baseline::record(diagnostics, sources, &uri_of, &baselinable);
        std::fs::write(path, recorded.to_json())
            .map_err(|e| format!("cannot write the baseline `{}`: {e}", shown(path, cwd)))?;
        eprintln!(
            "recorded {} in the baseline `{}`",
            plural(recorded.entries.len() as u64, "finding"),
            shown(path, cwd)
        );
        // Recorded findings no longer fail the run; a broken contract does.
        let unrecordable = reported
            .iter()
            .any(|d| d.severity == Severity::Error && !baselinable(d));
        if !unrecordable {
            exit = Exit::Clean;
        }
    }
    write_report((root, cwd), args, titles, &reported, sources, &closing)?;
    Ok(exit)
}

/// Render and write every target of the report.
fn write_report(
    (root, cwd): (&Path, &Path),
    args: &ReportArgs,
    titles: (&str, &str),
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    closing: &Closing,
) -> Result<(), String> {
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let targets = outputs::plan(args.format.into(), &args.output, step_summary.as_deref())?;
    let tool = Tool {
        name: env!("CARGO_PKG_NAME").to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        information_uri: retry_check_catalog::REPOSITORY.to_string(),
    };
    let rules = retry_check_catalog::sarif_rules();
    let color = use_color(args.color);
    let render = |target: &Target| match target.rendering {
        Rendering::Report(format) => {
            let style = Style {
                title: titles.0,
                color: color && target.on_stdout(),
                root,
                cwd,
                tool: &tool,
                rules: &rules,
            };
            report::render(format, diagnostics, sources, closing, &style)
        }
        Rendering::StepSummary => github::markdown_summary(titles.1, diagnostics, closing.files),
    };
    let delivered = outputs::write(&targets, &render)?;
    match &delivered.stdout {
        Some(text) => print_stdout(text),
        // The report went to a file: the terminal still gets the summary.
        None => eprintln!("{}", closing.line),
    }
    for target in &targets {
        let (Rendering::Report(format), Destination::File { path, .. }) =
            (target.rendering, &target.destination)
        else {
            continue;
        };
        let which = match args.output.iter().find(|o| &o.path == path) {
            Some(o) if o.format.is_some() => format!("the {} report", format.name()),
            _ => "the report".to_string(),
        };
        eprintln!("wrote {which} to `{}`", path.display());
    }
    Ok(())
}

/// 1 when any diagnostic is an error, else 0.
pub fn exit_code(diagnostics: &[Diagnostic]) -> Exit {
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// Colour on stdout: `--color`, then CARGO_TERM_COLOR, then NO_COLOR, then
/// whether stdout is a terminal.
pub fn use_color(choice: Option<ColorChoice>) -> bool {
    let choice = choice.or_else(|| match std::env::var("CARGO_TERM_COLOR").ok().as_deref() {
        Some("always") => Some(ColorChoice::Always),
        Some("never") => Some(ColorChoice::Never),
        _ => None,
    });
    match choice {
        Some(ColorChoice::Always) => true,
        Some(ColorChoice::Never) => false,
        _ => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn print_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
