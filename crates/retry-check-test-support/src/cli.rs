//! The binary as the CLI tests run it: from a directory (the workspace
//! root by default), colourless, without a step summary or progress lines
//! (a loaded machine would make a slow run print them into a snapshot), as
//! cargo runs it (`cargo-retry-check retry-check ARGS`).

use std::path::Path;
use std::process::Command;

/// `bin retry-check ARGS` in `dir`. `bin` is the caller's
/// `env!("CARGO_BIN_EXE_cargo-retry-check")` (only a test of the binary's
/// own crate knows it).
pub fn command_in(bin: &str, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin);
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("RETRY_CHECK_PROGRESS", "never")
        .arg("retry-check")
        .args(args);
    c
}

/// [`command_in`] the workspace root.
pub fn command(bin: &str, args: &[&str]) -> Command {
    command_in(bin, &crate::workspace_root(), args)
}

/// `cli_command!(ARGS)` / `cli_command!(in DIR, ARGS)`: the binary of the
/// calling crate, run as [`command`] does.
#[macro_export]
macro_rules! cli_command {
    (in $dir:expr, $args:expr) => {
        $crate::cli::command_in(env!("CARGO_BIN_EXE_cargo-retry-check"), $dir, $args)
    };
    ($args:expr) => {
        $crate::cli::command(env!("CARGO_BIN_EXE_cargo-retry-check"), $args)
    };
}
