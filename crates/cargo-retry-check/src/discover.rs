//! Which contract files a run reads.

use std::path::{Path, PathBuf};

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
    files.sort();
    files.dedup();
    Ok(files)
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

/// The path as users should see it: relative to the current directory when
/// it is under it, with `/` separators.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}
