//! The end of every run on the terminal: the report goes out through
//! `retry_check_workspace::deliver` (baseline, every output, the job
//! summary); this gives it the command line's settings, prints what it
//! says to print and turns the result into the exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::sarif::Tool;
use retry_check_diagnostics::{Diagnostic, Severity, SourceMap};
use retry_check_workspace::deliver::{self, Delivery, Printed};

use crate::cli::{ColorChoice, ReportArgs};
use crate::Exit;

/// See the module docs.
pub fn finish(
    places: (&Path, &Path),
    args: &ReportArgs,
    titles: (&str, &str),
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    closing: &Closing,
) -> Result<Exit, String> {
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let how = Delivery {
        format: args.format.into(),
        color: use_color(args.color),
        outputs: &args.output,
        baseline: args.baseline.baseline.as_deref(),
        write_baseline: args.baseline.write_baseline.as_deref(),
        show_fixed: args.baseline.show_fixed,
        step_summary: step_summary.as_deref(),
        tool: Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            information_uri: retry_check_catalog::REPOSITORY.to_string(),
        },
        titles,
        places,
    };
    let delivered = deliver::deliver(&how, diagnostics, sources, closing)?;
    for p in &delivered.printed {
        match p {
            Printed::Stdout(text) => print_stdout(text),
            Printed::Stderr(line) => eprintln!("{line}"),
        }
    }
    Ok(if delivered.failed {
        Exit::Findings
    } else {
        Exit::Clean
    })
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
