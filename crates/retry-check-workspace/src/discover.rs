//! Which files a run reads: contract files and the deployed configuration
//! they import (and parsing them), and the Rust sources and manifests a
//! scan reads.

use std::path::{Path, PathBuf};

use retry_check_contract::parse::decode;
use retry_check_contract::ContractSet;
use retry_check_diagnostics::{Diagnostic, SourceMap};
use retry_check_sources::Notes;

use crate::config::Config;

/// Files to lint: explicit paths (directories searched recursively for
/// contracts and the formats they import), or the configured globs. Sorted and de-duplicated so output
/// never depends on directory order.
pub fn contract_files(paths: &[PathBuf], config: &Config) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    if paths.is_empty() {
        for pattern in &config.contract_globs {
            let full = config.root.join(pattern);
            let full = full.to_string_lossy();
            let entries =
                glob::glob(&full).map_err(|e| format!("invalid contract glob `{pattern}`: {e}"))?;
            for entry in entries {
                let path = entry
                    .map_err(|e| format!("cannot read `{}`: {}", e.path().display(), e.error()))?;
                if path.is_file() && retry_check_sources::is_candidate(&path) {
                    files.push(path);
                }
            }
        }
    } else {
        given_paths(paths, &mut files, walk)?;
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Paths given on the command line: files as they are, directories
/// through `walk`; a path that does not exist is an error.
fn given_paths(
    paths: &[PathBuf],
    out: &mut Vec<PathBuf>,
    walk: fn(&Path, &mut Vec<PathBuf>) -> Result<(), String>,
) -> Result<(), String> {
    for p in paths {
        if p.is_dir() {
            walk(p, out)?;
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(format!("`{}` does not exist", p.display()));
        }
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    walk_files(
        dir,
        out,
        // TOML contracts and the configuration formats they import;
        // `retry_check_sources::load` keeps only the files that are sources.
        &|p| retry_check_sources::is_candidate(p),
        &|_| true,
    )
}

/// Every file under `dir` that `keep` accepts, in sorted order, entering
/// only the subdirectories `enter` accepts.
pub fn walk_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    keep: &dyn Fn(&Path) -> bool,
    enter: &dyn Fn(&Path) -> bool,
) -> Result<(), String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
    let mut children: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
        children.push(entry.path());
    }
    children.sort();
    for child in children {
        if child.is_dir() {
            if enter(&child) {
                walk_files(&child, out, keep, enter)?;
            }
        } else if keep(&child) {
            out.push(child);
        }
    }
    Ok(())
}

/// The contract set of some files (see [`parse_contracts`]).
pub struct Parsed {
    /// The set when every file is valid.
    pub set: Option<ContractSet>,
    pub errors: Vec<Diagnostic>,
    /// How many of the files are contract sources.
    pub files: usize,
    /// What imported files add to the findings (`retry_check_sources::annotate`).
    pub notes: Notes,
}

/// Read and parse `files` into `sources` (which must hold no other contract
/// file): TOML contracts and the configuration files they import or that
/// were found beside them (`retry_check_sources::load`).
pub fn parse_contracts(
    files: &[PathBuf],
    cwd: &Path,
    sources: &mut SourceMap,
) -> Result<Parsed, String> {
    let mut errors: Vec<Diagnostic> = Vec::new();
    for path in files {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let (_, error) = decode(&display_path(path, cwd), &bytes, sources);
        errors.extend(error);
    }
    if !errors.is_empty() {
        return Ok(Parsed {
            set: None,
            errors,
            files: files.len(),
            notes: Notes::default(),
        });
    }
    Ok(load_sources(sources, cwd))
}

/// The contract files of a run, parsed.
pub struct Contracts {
    pub sources: SourceMap,
    /// How many files were read as contract sources.
    pub files: usize,
    /// The parsed set when every file is valid.
    pub set: Option<ContractSet>,
    /// Parse errors (the last one notes that nothing else ran).
    pub errors: Vec<Diagnostic>,
    /// What imported files add to the findings (`retry_check_sources::annotate`).
    pub notes: Notes,
}

/// Discover and parse the contract files of `paths` (else the configured
/// globs) and the configuration they import; none is an error.
/// `skipped_note` ends the parse errors, saying what did not run.
pub fn load_contracts(
    paths: &[PathBuf],
    config: &Config,
    cwd: &Path,
    skipped_note: &str,
) -> Result<Contracts, String> {
    let files = contract_files(paths, config)?;
    let mut sources = SourceMap::new();
    let parsed = if files.is_empty() {
        None
    } else {
        Some(parse_contracts(&files, cwd, &mut sources)?)
    };
    // No file was a contract or a configuration we read (a README given
    // as a path, a directory of unrelated YAML).
    let Some(parsed) = parsed.filter(|p| p.files > 0) else {
        let looked = if paths.is_empty() {
            format!(
                "{} (under `{}`)",
                config.contract_globs.join(", "),
                display_path(&config.root, cwd)
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

/// The contract set of the files in `sources` (already read; imported
/// files are read relative to `cwd`): the set when every file is valid,
/// else the errors. `lint --fix` lints its edited files through this too.
pub fn load_sources(sources: &mut SourceMap, cwd: &Path) -> Parsed {
    let read = |shown: &str| std::fs::read(cwd.join(shown));
    let loaded = retry_check_sources::load(sources, &read);
    Parsed {
        set: loaded.errors.is_empty().then_some(loaded.set),
        errors: loaded.errors,
        files: loaded.files.len(),
        notes: loaded.notes,
    }
}

/// Directories of a package that hold its Rust sources.
const SOURCE_DIRS: &[&str] = &["src", "tests", "examples", "benches"];

/// The files a scan reads: explicit paths (directories walked for `*.rs`
/// and `Cargo.toml`), else every package's Cargo.toml and `src/`, `tests/`,
/// `examples/` and `benches/` (and the workspace's own Cargo.toml), minus
/// `scan-exclude`. `target/` and hidden directories are never entered.
/// Sorted and de-duplicated.
pub fn scan_targets(paths: &[PathBuf], config: &Config) -> Result<Vec<PathBuf>, String> {
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
                    walk_sources(&d, &mut files)?;
                }
            }
        }
    } else {
        given_paths(paths, &mut files, walk_sources)?;
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
        !excludes.iter().any(|p| p.matches_path(rel))
    });
    files.sort();
    files.dedup();
    Ok(files)
}

/// `*.rs` and `Cargo.toml` under `dir`, never entering `target/` or a
/// hidden directory.
fn walk_sources(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let name = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string()
    };
    walk_files(
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

/// The path as users should see it: relative to the current directory when
/// it is under it, with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
