//! `cargo-retry-check`: the command-line front end. Parsing of arguments
//! and configuration lives here; everything else is in the library crates.

mod check;
mod cli;
mod config;
mod discover;
mod init;
mod lint;
mod model;
mod output;
mod replay_cmd;
mod rules_cmd;
mod scan_cmd;
mod schema_cmd;
mod simulate;
mod storm_cmd;

use std::process::ExitCode;

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
    let result = match &cli.command {
        None => check::run(
            &cli::CheckArgs {
                lint: cli.lint.clone(),
                sim: cli.sim.clone(),
            },
            &matches,
        ),
        Some(Command::Check(args)) => check::run(args, sub(&matches, "check")),
        Some(Command::Lint(args)) => lint::run(args, sub(&matches, "lint")),
        Some(Command::Scan(args)) => scan_cmd::run(args, sub(&matches, "scan")),
        Some(Command::Simulate(args)) => simulate::run(args, sub(&matches, "simulate")),
        Some(Command::Storm(args)) => storm_cmd::run(args, sub(&matches, "storm")),
        Some(Command::Model(args)) => model::run(args, sub(&matches, "model")),
        Some(Command::Replay(args)) => replay_cmd::run(args),
        Some(Command::Init(args)) => init::run(args),
        Some(Command::Rules(args)) => rules_cmd::rules(args),
        Some(Command::Schema(args)) => schema_cmd::run(args),
        Some(Command::Explain(args)) => rules_cmd::explain(args),
    };
    match result {
        Ok(exit) => ExitCode::from(exit as u8),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(Exit::Usage as u8)
        }
    }
}

fn sub<'a>(matches: &'a clap::ArgMatches, name: &str) -> &'a clap::ArgMatches {
    matches.subcommand_matches(name).unwrap_or(matches)
}
