//! `lint`: read contracts, report every gap; and what the other commands
//! share (loading contracts, levels, rendering a report).

use std::io::IsTerminal;
use std::path::Path;

use clap::ArgMatches;
use retry_check_contract::parse::decode;
use retry_check_diagnostics::{render, Diagnostic, Severity, SourceMap};
use retry_check_rules::{Engine, Level, LevelSource, LintLevels, Selector};

use crate::cli::{ColorChoice, Format, LevelArgs, LintArgs};
use crate::{config, discover, Exit};

/// The levels of a run: the defaults, then `[lints]` of the configuration,
/// then `-A/-W/-D` in command-line order (later flags win, as in rustc).
pub(crate) fn levels(
    config: &config::Config,
    args: &LevelArgs,
    matches: &ArgMatches,
) -> Result<LintLevels, String> {
    let mut levels = LintLevels::new();
    levels.set_config(config.lints.clone());
    for (selector, level, flag) in cli_levels(args, matches)? {
        levels.set(selector, level, LevelSource::CommandLine(flag));
    }
    Ok(levels)
}

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

/// The contract set of a run, or the errors that stop it.
pub struct Loaded {
    pub sources: SourceMap,
    /// How many files were read.
    pub files: usize,
    /// The parsed set when every file is valid.
    pub set: Option<retry_check_contract::ContractSet>,
    /// Parse errors (the last one notes that nothing else ran).
    pub errors: Vec<Diagnostic>,
    pub config: config::Config,
}

/// Discover and parse the contract files exactly as `lint` does.
pub fn load_contracts(
    paths: &[std::path::PathBuf],
    manifest_path: Option<&std::path::Path>,
    skipped_note: &str,
) -> Result<Loaded, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let config = config::load(manifest_path, &cwd)?;
    let files = discover::contract_files(paths, &config)?;
    if files.is_empty() {
        let looked = if paths.is_empty() {
            format!(
                "{} (under `{}`)",
                config.contract_globs.join(", "),
                discover::display_path(&config.root, &cwd)
            )
        } else {
            "the given paths".to_string()
        };
        return Err(format!(
            "no contract files found in {looked}; run `cargo retry-check init` or pass paths"
        ));
    }

    let mut sources = SourceMap::new();
    let (set, mut errors) = parse_contracts(&files, &cwd, &mut sources)?;
    if let Some(last) = errors.last_mut() {
        last.notes.push(skipped_note.to_string());
    }
    Ok(Loaded {
        sources,
        files: files.len(),
        set,
        errors,
        config,
    })
}

/// Read and parse `files` into `sources` (which must hold no other contract
/// file): the set when every file is valid, else the errors.
pub fn parse_contracts(
    files: &[std::path::PathBuf],
    cwd: &Path,
    sources: &mut SourceMap,
) -> Result<(Option<retry_check_contract::ContractSet>, Vec<Diagnostic>), String> {
    let mut errors: Vec<Diagnostic> = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let (_, error) = decode(&discover::display_path(path, cwd), &bytes, sources);
        errors.extend(error);
    }
    if !errors.is_empty() {
        return Ok((None, errors));
    }
    let (parsed, parse_errors) = retry_check_contract::load(sources);
    if parse_errors.is_empty() {
        Ok((Some(parsed), Vec::new()))
    } else {
        Ok((None, parse_errors))
    }
}

pub fn run(args: &LintArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let loaded = load_contracts(
        &args.paths,
        args.manifest_path.as_deref(),
        "rules were not run because contract files have errors; fix them first",
    )?;
    let levels = levels(&loaded.config, &args.levels, matches)?;
    let Loaded {
        sources,
        files,
        set,
        errors,
        config,
    } = loaded;
    let diagnostics = match set {
        Some(set) => {
            let mut engine = Engine::new(&levels, retry_check_catalog::all()).with_contracts(&set);
            let mut found = retry_check_rules::lint_with(&set, &mut engine);
            found.extend(engine.allow_diagnostics());
            found.sort_by(Diagnostic::cmp_by_location);
            found
        }
        None => errors,
    };

    let out = report(
        &diagnostics,
        &sources,
        files,
        args.format,
        args.color,
        &config.root,
    );
    if args.format == Format::Github {
        crate::output::step_summary("retry-check lint", &diagnostics, files)?;
    }
    crate::output::deliver(
        &out,
        &render::Summary::of(&diagnostics, files).line(),
        args.output.as_deref(),
    )?;
    Ok(exit_code(&diagnostics))
}

/// 1 when any diagnostic is an error, else 0.
pub fn exit_code(diagnostics: &[Diagnostic]) -> Exit {
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// A whole report in one of the formats, with the `checked N files` summary.
/// Render `diagnostics` in `format`; SARIF, JUnit and GitHub paths are
/// relative to the workspace `root`.
pub fn report(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    files: usize,
    format: Format,
    color: Option<ColorChoice>,
    root: &Path,
) -> String {
    match format {
        Format::Human => render::human_report(diagnostics, sources, files, use_color(color)),
        Format::Short => render::short_report(diagnostics, sources, files),
        Format::Json => render::json_report(diagnostics, sources, files),
        Format::Sarif => crate::output::sarif(diagnostics, sources, root),
        Format::Junit => crate::output::junit(diagnostics, sources, root),
        Format::Markdown => retry_check_diagnostics::github::markdown_report(
            "retry-check",
            diagnostics,
            sources,
            files,
        ),
        Format::Github => {
            let mut out = crate::output::github_annotations(diagnostics, sources, root);
            out.push_str(&render::human_report(
                diagnostics,
                sources,
                files,
                use_color(color),
            ));
            out
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
