//! What every command shares, in the order a run needs it: the workspace
//! and its configuration, the levels, the contracts, the lint engine, then
//! the report, where it goes, and the exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use retry_check_diagnostics::report::{self, Closing, Style};
use retry_check_diagnostics::sarif::Tool;
use retry_check_diagnostics::{github, Diagnostic, Severity, SourceMap};
use retry_check_rules::{Engine, Level, LevelSource, LintLevels, Selector};
use retry_check_workspace::config::{self, Config};
use retry_check_workspace::discover;

use crate::cli::{ColorChoice, Format, LevelArgs, ReportArgs};
use crate::Exit;

/// Where the SARIF `informationUri` points.
pub const INFORMATION_URI: &str = "https://example.invalid/retry-check";

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

    /// Discover and parse the contract files of `paths` (else the
    /// configured globs) and the configuration they import; none is an
    /// error. `skipped_note` ends the parse errors, saying what did not run.
    pub fn load_contracts(
        &self,
        paths: &[PathBuf],
        skipped_note: &str,
    ) -> Result<Contracts, String> {
        let files = discover::contract_files(paths, &self.config)?;
        let mut sources = SourceMap::new();
        let parsed = if files.is_empty() {
            None
        } else {
            Some(discover::parse_contracts(&files, &self.cwd, &mut sources)?)
        };
        // No file was a contract or a configuration we read (a README given
        // as a path, a directory of unrelated YAML).
        let Some(parsed) = parsed.filter(|p| p.files > 0) else {
            let looked = if paths.is_empty() {
                format!(
                    "{} (under `{}`)",
                    self.config.contract_globs.join(", "),
                    discover::display_path(&self.config.root, &self.cwd)
                )
            } else {
                "the given paths".to_string()
            };
            return Err(format!(
                "no contract files found in {looked}; run `cargo retry-check init` or pass paths"
            ));
        };
        let mut errors = parsed.errors;
        if let Some(last) = errors.last_mut() {
            last.notes.push(skipped_note.to_string());
        }
        Ok(Contracts {
            sources,
            files: parsed.files,
            set: parsed.set,
            errors,
            notes: parsed.notes,
        })
    }

    /// `dir`, else `$CARGO_TARGET_DIR/retry-check`, else `target/retry-check`
    /// under the workspace root.
    pub fn replay_dir(&self, dir: Option<&Path>) -> PathBuf {
        if let Some(d) = dir {
            return d.to_path_buf();
        }
        match std::env::var_os("CARGO_TARGET_DIR") {
            Some(t) if !t.is_empty() => PathBuf::from(t).join("retry-check"),
            _ => self.config.root.join("target").join("retry-check"),
        }
    }

    /// Render the report, append the step summary (`--format github`),
    /// deliver it, and give the exit code. `title` is the markdown
    /// report's heading, `step` the step summary's.
    pub fn finish(
        &self,
        args: &ReportArgs,
        titles: (&str, &str),
        diagnostics: &[Diagnostic],
        sources: &SourceMap,
        closing: &Closing,
    ) -> Result<Exit, String> {
        let tool = Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            information_uri: INFORMATION_URI.to_string(),
        };
        let rules = retry_check_catalog::sarif_rules();
        let style = Style {
            title: titles.0,
            color: use_color(args.color),
            root: &self.config.root,
            cwd: &self.cwd,
            tool: &tool,
            rules: &rules,
        };
        let text = report::render(args.format.into(), diagnostics, sources, closing, &style);
        if args.format == Format::Github {
            step_summary(titles.1, diagnostics, closing.files)?;
        }
        deliver(&text, &closing.line, args.output.as_deref())?;
        Ok(exit_code(diagnostics))
    }
}

/// The contract files of a run.
pub struct Contracts {
    pub sources: SourceMap,
    /// How many files were read as contract sources.
    pub files: usize,
    /// The parsed set when every file is valid.
    pub set: Option<retry_check_contract::ContractSet>,
    /// Parse errors (the last one notes that nothing else ran).
    pub errors: Vec<Diagnostic>,
    /// What imported files add to the findings (`retry_check_sources::annotate`).
    pub notes: retry_check_sources::Notes,
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

/// With `$GITHUB_STEP_SUMMARY` set, append a markdown summary of the run
/// to that file.
pub fn step_summary(title: &str, diags: &[Diagnostic], files: usize) -> Result<(), String> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    use std::io::Write;
    let path = PathBuf::from(path);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("cannot open GITHUB_STEP_SUMMARY `{}`: {e}", path.display()))?;
    let text = format!("\n{}", github::markdown_summary(title, diags, files));
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write GITHUB_STEP_SUMMARY `{}`: {e}", path.display()))
}

/// Send a report where it goes: to `output` (then the summary line to
/// stderr, so the terminal still says what happened) or to stdout.
pub fn deliver(report: &str, summary: &str, output: Option<&Path>) -> Result<(), String> {
    match output {
        Some(path) => {
            std::fs::write(path, report)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
            eprintln!("{summary}");
            eprintln!("wrote the report to `{}`", path.display());
        }
        None => print_stdout(report),
    }
    Ok(())
}

/// Write to stdout; a closed pipe (`| head`) is not an error worth a panic.
pub fn print_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
