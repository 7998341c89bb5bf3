//! `cargo-retry-check`: the command-line front end. `cli.rs` defines the
//! arguments, `context.rs` what every command shares (workspace, levels,
//! contracts, report, exit code), `commands/` one module per command; the
//! work itself is done by the library crates (the workspace and its
//! configuration: `retry-check-workspace`).

mod cli;
mod commands;
mod context;
mod report;

use std::process::ExitCode;

// Linting allocates many small, short-lived values (spanned trees, contract
// models, findings); mimalloc frees and reuses them faster than the system
// allocator, as ruff's binary does (issue 19: lint within 2x of parsing).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Command};

/// Process exit codes (see `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Clean = 0,
    Findings = 1,
    Usage = 2,
}

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os().collect());
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let sub = |name: &str| matches.subcommand_matches(name).unwrap_or(&matches);
    use commands::*;
    let result = match &cli.command {
        None => check::run(&cli.check, &matches),
        Some(Command::Check(args)) => check::run(args, sub("check")),
        Some(Command::Lint(args)) => lint::run(args, sub("lint")),
        Some(Command::Scan(args)) => scan::run(args, sub("scan")),
        Some(Command::Simulate(args)) => simulate::run(args, sub("simulate")),
        Some(Command::Storm(args)) => storm::run(args, sub("storm")),
        Some(Command::Model(args)) => model::run(args, sub("model")),
        Some(Command::Replay(args)) => replay::run(args),
        Some(Command::Init(args)) => init::run(args),
        Some(Command::Rules(args)) => rules::rules(args),
        Some(Command::Schema(args)) => schema::run(args),
        Some(Command::Explain(args)) => rules::explain(args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(Exit::Usage as u8)
        }
    }
}
