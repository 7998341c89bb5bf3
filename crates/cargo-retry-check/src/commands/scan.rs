//! `scan`: find the retry policies in the workspace's Rust sources, lint
//! them (RC101 and up), compare the ones bound to a contract client with
//! it (RC109, RC001), and flag unmaintained retry crates in Cargo.toml
//! (RC107). Which files: `discover::scan_targets`; reading, parsing (in
//! parallel) and linting them: `retry_check_scan::scan_files`. `check`
//! scans through [`scan_sources`].

use std::path::PathBuf;

use clap::ArgMatches;
use retry_check_contract::ContractSet;
use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::{Diagnostic, SourceMap};
use retry_check_rules::Engine;
use retry_check_workspace::discover;

use crate::cli::ScanArgs;
use crate::context::Run;
use crate::Exit;

/// Scan `files` into `sources`, linted through `engine` against `set`.
pub fn scan_sources(
    run: &Run,
    files: &[PathBuf],
    sources: &mut SourceMap,
    set: Option<&ContractSet>,
    engine: &mut Engine<'_>,
) -> Vec<Diagnostic> {
    let shown = |p: &std::path::Path| discover::display_path(p, &run.cwd);
    retry_check_scan::scan_files(files, &shown, sources, set, engine)
}

/// The contracts of the workspace, for drift: the configured globs, read
/// into `sources` first. No contract file is not an error for a scan.
fn workspace_contracts(
    run: &Run,
    sources: &mut SourceMap,
) -> Result<(Option<ContractSet>, Vec<Diagnostic>), String> {
    let files = discover::contract_files(&[], &run.config)?;
    if files.is_empty() {
        return Ok((None, Vec::new()));
    }
    let parsed = discover::parse_contracts(&files, &run.cwd, sources)?;
    Ok((parsed.set, parsed.errors))
}

pub fn run(args: &ScanArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let run = Run::new(
        args.manifest_path.as_deref(),
        Some((&args.report.levels, matches)),
    )?;
    let files = discover::scan_targets(&args.paths, &run.config)?;
    let mut sources = SourceMap::new();
    let (set, mut diagnostics) = if args.no_contracts {
        (None, Vec::new())
    } else {
        workspace_contracts(&run, &mut sources)?
    };
    if let Some(last) = diagnostics.last_mut() {
        last.notes.push(
            "policies were not compared with the contracts because contract files have errors"
                .to_string(),
        );
    }
    let mut engine = run.engine();
    diagnostics.extend(scan_sources(
        &run,
        &files,
        &mut sources,
        set.as_ref(),
        &mut engine,
    ));
    diagnostics.sort_by_key(|d| d.sort_key());
    let closing = Closing::of(&diagnostics, files.len());
    run.finish(
        &args.report,
        ("retry-check", "retry-check scan"),
        &diagnostics,
        &sources,
        &closing,
    )
}
