//! `lint`: read the contracts, report every gap.

use clap::ArgMatches;
use retry_check_diagnostics::report::Closing;

use crate::cli::LintArgs;
use crate::context::Run;
use crate::Exit;

pub fn run(args: &LintArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let contracts = &args.contracts;
    let run = Run::new(
        contracts.manifest_path.as_deref(),
        Some((&args.report.levels, matches)),
    )?;
    let c = run.load_contracts(
        &contracts.paths,
        "rules were not run because contract files have errors; fix them first",
    )?;
    let diagnostics = match &c.set {
        Some(set) => {
            let mut engine = run.engine().with_contracts(set);
            let mut found = retry_check_rules::lint_with(set, &mut engine);
            found.extend(engine.allow_diagnostics());
            retry_check_sources::annotate(&mut found, &c.notes);
            found.sort_by(retry_check_diagnostics::Diagnostic::cmp_by_location);
            found
        }
        None => c.errors,
    };
    let closing = Closing::of(&diagnostics, c.files);
    run.finish(
        &args.report,
        ("retry-check", "retry-check lint"),
        &diagnostics,
        &c.sources,
        &closing,
    )
}
