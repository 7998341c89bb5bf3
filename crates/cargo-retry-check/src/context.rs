//! What every command shares, in the order a run needs it: the workspace
//! and its configuration, the levels, the contracts, the lint engine, then
//! the report, where it goes, and the exit code.

use std::path::{Path, PathBuf};

use clap::ArgMatches;
use retry_check_diagnostics::report::Closing;
use retry_check_diagnostics::{Diagnostic, SourceMap};
use retry_check_rules::{Engine, Level, LevelSource, LintLevels, Selector};
use retry_check_workspace::config::{self, Config};
use retry_check_workspace::discover;
pub use retry_check_workspace::discover::Contracts;

use crate::cli::{LevelArgs, ReportArgs};
use crate::Exit;

/// One run of a command.
pub struct Run {
    pub cwd: PathBuf,
    pub config: Config,
    /// The levels: defaults, then `[lints]`, then `-A/-W/-D` in order.
    pub levels: LintLevels,
}

impl Run {
    /// The workspace of `manifest_path` (else the current directory's),
    /// with `levels` applied over its configuration.
    pub fn new(
        manifest_path: Option<&Path>,
        levels: Option<(&LevelArgs, &ArgMatches)>,
    ) -> Result<Run, String> {
        let cwd = std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?;
        let config = config::load(manifest_path, &cwd)?;
        let mut lint_levels = LintLevels::new();
        lint_levels.set_config(config.lints.clone());
        if let Some((args, matches)) = levels {
            for (selector, level, flag) in cli_levels(args, matches)? {
                lint_levels.set(selector, level, LevelSource::CommandLine(flag));
            }
        }
        Ok(Run {
            cwd,
            config,
            levels: lint_levels,
        })
    }

    /// The engine every finding of this run goes through; `allow` entries
    /// may name any code of the catalogue.
    pub fn engine(&self) -> Engine<'_> {
        Engine::new(&self.levels, retry_check_catalog::all())
    }

    /// The contract files of `paths` (else the configured globs), parsed
    /// (`retry_check_workspace::discover::load_contracts`).
    pub fn load_contracts(
        &self,
        paths: &[PathBuf],
        skipped_note: &str,
    ) -> Result<Contracts, String> {
        discover::load_contracts(paths, &self.config, &self.cwd, skipped_note)
    }

    /// `dir`, else `$RETRY_CHECK_REPLAY_DIR`, else
    /// `$CARGO_TARGET_DIR/retry-check`, else `target/retry-check` under the
    /// workspace root: the order a harness test follows too, so `simulate`,
    /// `model` and a plain `cargo test` write to one directory.
    pub fn replay_dir(&self, dir: Option<&Path>) -> PathBuf {
        if let Some(d) = dir {
            return d.to_path_buf();
        }
        if let Some(d) =
            std::env::var_os(retry_check_harness::REPLAY_DIR_ENV).filter(|d| !d.is_empty())
        {
            return PathBuf::from(d);
        }
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(t) if !t.is_empty() => PathBuf::from(t).join("retry-check"),
            _ => self.config.root.join("target").join("retry-check"),
        }
    }

    /// Compare with the baseline (`--baseline`, `--write-baseline`),
    /// render the report in every format it goes out in (stdout, each
    /// `--output`, the job summary), write it, and give the exit code.
    /// `titles` are the markdown report's heading and the job summary's.
    pub fn finish(
        &self,
        args: &ReportArgs,
        titles: (&str, &str),
        diagnostics: &[Diagnostic],
        sources: &SourceMap,
        closing: &Closing,
    ) -> Result<Exit, String> {
        let places = (self.config.root.as_path(), self.cwd.as_path());
        crate::report::finish(places, args, titles, diagnostics, sources, closing)
    }
}

/// `-A/-W/-D` flags in command-line order (later flags win, as in rustc).
fn cli_levels(
    args: &LevelArgs,
    matches: &ArgMatches,
) -> Result<Vec<(Selector, Level, String)>, String> {
    let mut flags: Vec<(usize, Level, &str, &String)> = Vec::new();
    for (id, level, flag, values) in [
        ("allow", Level::Allow, "-A", &args.allow),
        ("warn", Level::Warn, "-W", &args.warn),
        ("deny", Level::Deny, "-D", &args.deny),
    ] {
        let indices: Vec<usize> = matches
            .indices_of(id)
            .map(|i| i.collect())
            .unwrap_or_default();
        for (n, value) in values.iter().enumerate() {
            flags.push((indices.get(n).copied().unwrap_or(n), level, flag, value));
        }
    }
    flags.sort_by_key(|f| f.0);
    flags
        .into_iter()
        .map(|(_, level, flag, value)| {
            Ok((
                retry_check_catalog::selector(value)?,
                level,
                format!("{flag} {value}"),
            ))
        })
        .collect()
}
