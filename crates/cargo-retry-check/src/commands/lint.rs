//! `lint`: read the contracts, report every gap; with `--fix`, apply the
//! mechanical fixes first (`retry_check_rules::fix`) and report what is
//! left, or with `--dry-run` print the diff.

use clap::ArgMatches;
use retry_check_contract::ContractSet;
use retry_check_diagnostics::render::plural;
use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::{Diagnostic, SourceMap};
use retry_check_rules::fix::{fix_until_stable, unified_diff};
use retry_check_sources::Notes;
use retry_check_workspace::discover;

use crate::cli::LintCommandArgs;
use crate::context::{Contracts, Run};
use crate::report::print_stdout;
use crate::Exit;

const TITLES: (&str, &str) = ("retry-check", "retry-check lint");

pub fn run(args: &LintCommandArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let contracts = &args.lint.contracts;
    let run = Run::new(
        contracts.manifest_path.as_deref(),
        Some((&args.lint.report.levels, matches)),
    )?;
    let c = run.load_contracts(
        &contracts.paths,
        "rules were not run because contract files have errors; fix them first",
    )?;
    if args.fix.fix && c.set.is_some() {
        return fix(&run, args, &c);
    }
    let diagnostics = match &c.set {
        Some(set) => lint_set(&run, set, &c.notes),
        None => c.errors,
    };
    let closing = Closing::of(&diagnostics, c.files);
    run.finish(
        &args.lint.report,
        TITLES,
        &diagnostics,
        &c.sources,
        &closing,
    )
}

/// Every contract rule and the `allow` report over `set`, with what
/// imported files add to the findings, sorted.
fn lint_set(run: &Run, set: &ContractSet, notes: &Notes) -> Vec<Diagnostic> {
    let mut engine = run.engine().with_contracts(set);
    let mut found = retry_check_rules::lint_with(set, &mut engine);
    found.extend(engine.allow_diagnostics());
    retry_check_sources::annotate(&mut found, notes);
    found.sort_by(Diagnostic::cmp_by_location);
    found
}

/// [`lint_set`] over the files of `sources` (the fix loop's edited
/// contracts; the imported files are already among them).
fn lint_sources(run: &Run, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut sources = sources.clone();
    let parsed = discover::load_sources(&mut sources, &run.cwd);
    match parsed.set {
        Some(set) => lint_set(run, &set, &parsed.notes),
        None => parsed.errors,
    }
}

/// `--fix`: fix until nothing fixable is left, write the files (or print
/// the diff), report the rest.
fn fix(run: &Run, args: &LintCommandArgs, c: &Contracts) -> Result<Exit, String> {
    let outcome = fix_until_stable(&c.sources, &mut |s| lint_sources(run, s));
    let changed = outcome.changed(&c.sources);
    for failed in &outcome.failed {
        eprintln!("warning: could not apply a fix: {failed}");
    }
    let done = format!(
        "{} in {}",
        plural(outcome.applied.len() as u64, "finding"),
        plural(changed.len() as u64, "file")
    );
    if args.fix.dry_run {
        let diff: String = changed
            .iter()
            .map(|(path, before, after)| unified_diff(path, before, after))
            .collect();
        print_stdout(&diff);
        eprintln!("would fix {done}; nothing was written (--dry-run)");
        return Ok(if changed.is_empty() {
            Exit::Clean
        } else {
            Exit::Findings
        });
    }
    for (path, _, after) in &changed {
        std::fs::write(run.cwd.join(path), after)
            .map_err(|e| format!("cannot write `{path}`: {e}"))?;
    }
    for a in &outcome.applied {
        eprintln!(
            "fixed {}: {}: {}",
            outcome.sources.path(a.file),
            a.code,
            a.summary
        );
    }
    let closing = Closing::of(&outcome.remaining, c.files).and(
        "fixes",
        &format!("fixed {done}"),
        serde_json::json!({ "applied": outcome.applied.len(), "files": changed.len() }),
    );
    run.finish(
        &args.lint.report,
        TITLES,
        &outcome.remaining,
        &outcome.sources,
        &closing,
    )
}
