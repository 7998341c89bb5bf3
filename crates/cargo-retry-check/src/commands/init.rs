//! `init`: scaffold what a new user needs (`retry_check_workspace::init`;
//! its `scaffold` module says what is written, `plan` how):
//!
//! - `contracts/example.toml`, a clean contract (it lints and simulates
//!   with no finding) to edit;
//! - the `[workspace.metadata.retry-check]` table (`[package.metadata...]`
//!   for a manifest that is not a workspace) when there is none;
//! - `tests/retry_check_store.rs` in the package that owns the store: a
//!   harness test of a small, correct sync store to replace, or with
//!   `--async` an async one on SQLite, reading the configured contracts;
//! - the harness dependency (and what the test uses) in that package's
//!   Cargo.toml, in a form that resolves for this user;
//! - with `--from PATH`, `contracts/imported.toml` instead of the contract
//!   and the test: a starter contract for the deployed configuration at
//!   PATH (a `[source]` table per file, server stubs for what it calls).
//!
//! Existing files are not overwritten without `--force`; nothing is written
//! unless everything can be.

use retry_check_diagnostics::render::human_report;
use retry_check_workspace::init::scaffold::{self, Done, Request, Template};
use retry_check_workspace::init::StoreIn;

use crate::cli::{InitArgs, StoreInArg};
use crate::report::{print_stdout, use_color};
use crate::Exit;

pub fn run(args: &InitArgs) -> Result<Exit, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let request = Request {
        manifest_path: args.manifest_path.as_deref(),
        package: args.package.as_deref(),
        store_in: match args.store_in {
            None => StoreIn::Auto,
            Some(StoreInArg::Tests) => StoreIn::Tests,
            Some(StoreInArg::Src) => StoreIn::Src,
        },
        harness: &args.harness,
        force: args.force,
        template: match &args.from {
            Some(from) => Template::From(from),
            None if args.async_store => Template::Async,
            None => Template::Sync,
        },
    };
    match scaffold::run(&request, &cwd)? {
        Done::Written(report) => {
            print_stdout(&report);
            Ok(Exit::Clean)
        }
        Done::Invalid {
            errors,
            sources,
            files,
        } => {
            print_stdout(&human_report(&errors, &sources, files, use_color(None)));
            Ok(Exit::Findings)
        }
    }
}
