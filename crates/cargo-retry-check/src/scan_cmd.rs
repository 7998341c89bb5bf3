//! `scan`: find the retry policies in the workspace's Rust sources, lint
//! them (RC101 and up), compare the ones bound to a contract client with
//! it (RC109, RC001), and flag unmaintained retry crates in Cargo.toml
//! (RC107). `check` calls [`scan_files`] too.
//!
//! Files are read and parsed on worker threads (std scoped threads: the
//! work is one independent job per file, so a shared counter is all the
//! scheduling it needs); results are put back in file order, so the output
//! never depends on which thread finished first. A file that does not parse
//! is an `RC100` finding at its error's line and column, and is skipped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::ArgMatches;
use retry_check_contract::ContractSet;
use retry_check_diagnostics::{render, Diagnostic, Severity, SourceId, SourceMap, Span};
use retry_check_rules::Engine;
use retry_check_scan::{
    lint_scan, scan_file_with, scan_manifest, FileScan, ScanOptions, UNPARSABLE_SOURCE,
};

use crate::cli::{Format, ScanArgs};
use crate::config::{self, Config};
use crate::{discover, lint, Exit};

/// Directories of a package that hold its Rust sources.
const SOURCE_DIRS: &[&str] = &["src", "tests", "examples", "benches"];

/// The files a scan reads: explicit paths (directories walked for `*.rs`
/// and `Cargo.toml`), else every package's Cargo.toml and `src/`, `tests/`,
/// `examples/` and `benches/` (and the workspace's own Cargo.toml), minus
/// `scan-exclude` and, unless `options` include them, test files (see
/// [`ScanOptions::skips_file`]). `target/` and hidden directories are never
/// entered. Sorted and de-duplicated.
pub fn scan_targets(
    paths: &[PathBuf],
    config: &Config,
    options: &ScanOptions,
) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    if paths.is_empty() {
        let root_manifest = config.root.join("Cargo.toml");
        if root_manifest.is_file() {
            files.push(root_manifest);
        }
        for member in &config.members {
            files.push(member.join("Cargo.toml"));
            for dir in SOURCE_DIRS {
                let d = member.join(dir);
                if d.is_dir() {
                    walk(&d, &mut files)?;
                }
            }
        }
    } else {
        for p in paths {
            if p.is_dir() {
                walk(p, &mut files)?;
            } else if p.is_file() {
                files.push(p.clone());
            } else {
                return Err(format!("`{}` does not exist", p.display()));
            }
        }
    }
    let excludes = config
        .scan_exclude
        .iter()
        .map(|g| {
            glob::Pattern::new(g).map_err(|e| format!("invalid `scan-exclude` glob `{g}`: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    files.retain(|f| {
        let rel = f.strip_prefix(&config.root).unwrap_or(f);
        !excludes.iter().any(|p| p.matches_path(rel)) && !options.skips_file(f)
    });
    files.sort();
    files.dedup();
    Ok(files)
}

/// `*.rs` and `Cargo.toml` under `dir`, never entering `target/` or a
/// hidden directory.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let name = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string()
    };
    discover::walk_files(
        dir,
        out,
        &|p| {
            let n = name(p);
            n.ends_with(".rs") || n == "Cargo.toml"
        },
        &|p| {
            let n = name(p);
            n != "target" && !n.starts_with('.')
        },
    )
}

/// What a worker made of one file.
struct Scanned {
    shown: String,
    text: String,
    result: Result<FileScan, Box<Diagnostic>>,
}

fn is_manifest(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "Cargo.toml")
}

/// Read and scan one file as source `id`.
fn scan_one(path: &Path, shown: String, id: SourceId, options: &ScanOptions) -> Scanned {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let d = Diagnostic::new(
                UNPARSABLE_SOURCE.code,
                UNPARSABLE_SOURCE.name,
                Severity::Error,
                format!("cannot read `{shown}`: {e}; the file was not checked"),
            );
            return Scanned {
                shown,
                text: String::new(),
                result: Err(Box::new(d)),
            };
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = Diagnostic::new(
                UNPARSABLE_SOURCE.code,
                UNPARSABLE_SOURCE.name,
                Severity::Error,
                format!("`{shown}` is not UTF-8 text; the file was not checked"),
            )
            .with_primary(Span::new(id, at..at), "invalid UTF-8 here");
            return Scanned {
                shown,
                text,
                result: Err(Box::new(d)),
            };
        }
    };
    let result = if is_manifest(path) {
        Ok(scan_manifest(&text, id))
    } else {
        scan_file_with(&shown, &text, id, options)
    };
    Scanned {
        shown,
        text,
        result,
    }
}

/// Scan `files` in parallel and add them to `sources` in order; lint each
/// through `engine` (code rules, RC100) against `set`.
pub fn scan_files(
    files: &[PathBuf],
    cwd: &Path,
    sources: &mut SourceMap,
    set: Option<&ContractSet>,
    engine: &mut Engine<'_>,
    options: &ScanOptions,
) -> Vec<Diagnostic> {
    let base = sources.files().count();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    let mut results: Vec<(usize, Scanned)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let id = SourceId(u32::try_from(base + i).unwrap_or(u32::MAX));
                        let shown = discover::display_path(path, cwd);
                        done.push((i, scan_one(path, shown, id, options)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);

    let mut out = Vec::new();
    for (_, s) in results {
        let id = sources.add(s.shown, s.text);
        match s.result {
            Ok(scan) => {
                debug_assert_eq!(scan.source, id);
                out.extend(lint_scan(&scan, set, engine));
            }
            Err(d) => out.extend(engine.level_diagnostic(&UNPARSABLE_SOURCE, *d)),
        }
    }
    out.sort_by_key(|d| d.sort_key());
    out
}

/// The contracts of the workspace, for drift: the configured globs, read
/// into `sources` first. No contract file is not an error for a scan.
pub fn workspace_contracts(
    config: &Config,
    cwd: &Path,
    sources: &mut SourceMap,
) -> Result<(Option<ContractSet>, Vec<Diagnostic>, usize), String> {
    let files = discover::contract_files(&[], config)?;
    if files.is_empty() {
        return Ok((None, Vec::new(), 0));
    }
    let (set, errors) = lint::parse_contracts(&files, cwd, sources)?;
    Ok((set, errors, files.len()))
}

pub fn run(args: &ScanArgs, matches: &ArgMatches) -> Result<Exit, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let config = config::load(args.manifest_path.as_deref(), &cwd)?;
    let levels = lint::levels(&config, &args.levels, matches)?;
    let options = ScanOptions {
        include_tests: args.include_tests || config.scan_tests,
        verbose: args.verbose,
    };
    let files = scan_targets(&args.paths, &config, &options)?;
    let mut sources = SourceMap::new();
    let (set, mut diagnostics, _) = if args.no_contracts {
        (None, Vec::new(), 0)
    } else {
        workspace_contracts(&config, &cwd, &mut sources)?
    };
    if let Some(last) = diagnostics.last_mut() {
        last.notes.push(
            "policies were not compared with the contracts because contract files have errors"
                .to_string(),
        );
    }
    let mut engine = Engine::new(&levels, retry_check_catalog::all());
    diagnostics.extend(scan_files(
        &files,
        &cwd,
        &mut sources,
        set.as_ref(),
        &mut engine,
        &options,
    ));
    diagnostics.sort_by_key(|d| d.sort_key());

    let scanned = files.len();
    let out = lint::report(
        &diagnostics,
        &sources,
        scanned,
        args.format,
        args.color,
        &config.root,
    );
    if args.format == Format::Github {
        crate::output::step_summary("retry-check scan", &diagnostics, scanned)?;
    }
    crate::output::deliver(
        &out,
        &render::Summary::of(&diagnostics, scanned).line(),
        args.output.as_deref(),
    )?;
    Ok(
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            Exit::Findings
        } else {
            Exit::Clean
        },
    )
}
