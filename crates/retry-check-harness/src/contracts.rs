//! Loading a workspace's contracts in a harness test, as `cargo
//! retry-check` reads them: every file of the configured globs, parsed as
//! one set (a client may call a server of another file), with errors
//! rendered as the tool renders them.
//!
//! ```no_run
//! use retry_check_harness::{contracts, SimConfig};
//!
//! let set = contracts::load(env!("CARGO_MANIFEST_DIR")).unwrap_or_else(|e| panic!("{e}"));
//! let config = SimConfig::from_contract(&set, "checkout", "payments").unwrap();
//! ```
//!
//! Which files: `$RETRY_CHECK_CONTRACT` when it is set (`cargo retry-check
//! model --contract PATH`: a file or a directory); else the `contracts`
//! globs of `[workspace.metadata.retry-check]` in the workspace's
//! Cargo.toml (the nearest one above the package with a `[workspace]`
//! table), or of `[package.metadata.retry-check]`, relative to that
//! manifest's directory; else `contracts/**/*` there. Only the TOML
//! contracts among them are read: imported configuration (`[source]`) is
//! `cargo retry-check`'s to read.

use std::path::{Path, PathBuf};

use retry_check_contract::parse::decode;
use retry_check_contract::ContractSet;
use retry_check_diagnostics::{render, Diagnostic, SourceMap};

use crate::sim::contract_path;

/// The glob `cargo retry-check` reads when nothing is configured.
pub const DEFAULT_GLOB: &str = "contracts/**/*";

/// Why the contracts could not be loaded: the files' errors rendered as
/// `cargo retry-check lint` renders them (`Display`), or an I/O or
/// configuration problem.
#[derive(Debug, Clone)]
pub struct ContractError {
    /// The parse errors (empty for an I/O or configuration problem).
    pub diagnostics: Vec<Diagnostic>,
    rendered: String,
}

impl ContractError {
    fn plain(message: String) -> Self {
        ContractError {
            diagnostics: Vec::new(),
            rendered: message,
        }
    }
}

impl std::fmt::Display for ContractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for ContractError {}

/// The contract set of the workspace of the package at `manifest_dir`
/// (pass `env!("CARGO_MANIFEST_DIR")`); see the module docs for which
/// files.
pub fn load(manifest_dir: impl AsRef<Path>) -> Result<ContractSet, ContractError> {
    if let Some(path) = contract_path() {
        return load_files(&[path]);
    }
    let (root, globs) = configured_globs(manifest_dir.as_ref())?;
    let mut files = Vec::new();
    for pattern in &globs {
        let full = root.join(pattern);
        let entries = glob::glob(&full.to_string_lossy())
            .map_err(|e| ContractError::plain(format!("invalid contract glob `{pattern}`: {e}")))?;
        // The TOML contracts: the configuration files they import (YAML,
        // JSON, INI) are `cargo retry-check`'s to read, not a test's.
        files.extend(
            entries
                .flatten()
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml")),
        );
    }
    if files.is_empty() {
        return Err(ContractError::plain(format!(
            "no contract files match {} under `{}`",
            globs.join(", "),
            root.display()
        )));
    }
    load_files(&files)
}

/// The contract set of `paths` (files, or directories searched for
/// `*.toml`), sorted, parsed as one set.
pub fn load_files(paths: &[impl AsRef<Path>]) -> Result<ContractSet, ContractError> {
    let mut files = Vec::new();
    for p in paths {
        let p = p.as_ref();
        if p.is_dir() {
            toml_files(p, &mut files)?;
        } else if p.is_file() {
            files.push(p.to_path_buf());
        } else {
            return Err(ContractError::plain(format!(
                "`{}` does not exist",
                p.display()
            )));
        }
    }
    files.sort();
    files.dedup();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut sources = SourceMap::new();
    let mut errors = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path)
            .map_err(|e| ContractError::plain(format!("cannot read `{}`: {e}", path.display())))?;
        let shown = path.strip_prefix(&cwd).unwrap_or(path);
        let (_, error) = decode(&shown.to_string_lossy(), &bytes, &mut sources);
        errors.extend(error);
    }
    if errors.is_empty() {
        let (set, parse_errors) = retry_check_contract::load(&sources);
        if parse_errors.is_empty() {
            return Ok(set);
        }
        errors = parse_errors;
    }
    Err(ContractError {
        rendered: render::human_report(&errors, &sources, files.len(), false),
        diagnostics: errors,
    })
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ContractError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ContractError::plain(format!("cannot read `{}`: {e}", dir.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            toml_files(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

fn manifest(path: &Path) -> Option<toml::Table> {
    std::fs::read_to_string(path).ok()?.parse().ok()
}

/// The directory the globs are relative to, and the globs.
fn configured_globs(manifest_dir: &Path) -> Result<(PathBuf, Vec<String>), ContractError> {
    let own = manifest(&manifest_dir.join("Cargo.toml"));
    let workspace = manifest_dir.ancestors().find_map(|dir| {
        let m = manifest(&dir.join("Cargo.toml"))?;
        m.contains_key("workspace").then(|| (dir.to_path_buf(), m))
    });
    let candidates = workspace
        .iter()
        .map(|(dir, m)| (dir.clone(), m, "workspace"))
        .chain(
            own.iter()
                .map(|m| (manifest_dir.to_path_buf(), m, "package")),
        );
    for (dir, m, top) in candidates {
        let Some(value) = m
            .get(top)
            .and_then(|t| t.get("metadata"))
            .and_then(|t| t.get("retry-check"))
            .and_then(|t| t.get("contracts"))
        else {
            continue;
        };
        let globs = match value {
            toml::Value::String(s) => Some(vec![s.clone()]),
            toml::Value::Array(a) => a.iter().map(|v| v.as_str().map(str::to_string)).collect(),
            _ => None,
        };
        return globs.map(|g| (dir.clone(), g)).ok_or_else(|| {
            ContractError::plain(format!(
                "[{top}.metadata.retry-check] `contracts` in `{}` must be a glob or an array of globs",
                dir.join("Cargo.toml").display()
            ))
        });
    }
    let root = workspace.map_or_else(|| manifest_dir.to_path_buf(), |(dir, _)| dir);
    Ok((root, vec![DEFAULT_GLOB.to_string()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rc-contracts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const SERVER: &str = "version = 1\n[server.payments]\nkey_source = \"header:Idempotency-Key\"\nkey_ttl = \"24h\"\n";
    const CLIENT: &str =
        "version = 1\n[client.checkout]\ncalls = [\"payments\"]\nmax_attempts = 3\n";

    #[test]
    fn a_workspace_member_reads_the_configured_globs_of_the_root() {
        let root = scratch("globs");
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"store\"]\n[workspace.metadata.retry-check]\ncontracts = [\"specs/*.toml\"]\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("store")).unwrap();
        std::fs::write(
            root.join("store/Cargo.toml"),
            "[package]\nname = \"store\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("specs")).unwrap();
        std::fs::write(root.join("specs/server.toml"), SERVER).unwrap();
        std::fs::write(root.join("specs/client.toml"), CLIENT).unwrap();
        // Not configured: never read.
        std::fs::create_dir_all(root.join("contracts")).unwrap();
        std::fs::write(root.join("contracts/other.toml"), "not toml [").unwrap();
        let set = load(root.join("store")).unwrap();
        assert_eq!(set.servers.len(), 1);
        assert_eq!(set.clients[0].name.value, "checkout");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_default_glob_and_rendered_errors() {
        let root = scratch("errors");
        std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"p\"\n").unwrap();
        std::fs::create_dir_all(root.join("contracts/deep")).unwrap();
        std::fs::write(
            root.join("contracts/deep/a.toml"),
            "version = 1\n[client.c]\nmax_attemps = 3\n",
        )
        .unwrap();
        let e = load(&root).unwrap_err();
        let text = e.to_string();
        assert_eq!(e.diagnostics.len(), 1);
        assert!(text.contains("error[RC000]"), "{text}");
        assert!(text.contains("a.toml:3:1"), "{text}");
        assert!(text.contains("max_attempts"), "a suggestion: {text}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn nothing_to_read_says_where_it_looked() {
        let root = scratch("empty");
        std::fs::write(root.join("Cargo.toml"), "[package]\nname = \"p\"\n").unwrap();
        let e = load(&root).unwrap_err().to_string();
        assert!(
            e.contains("no contract files match contracts/**/* under"),
            "{e}"
        );
        assert!(load_files(&[root.join("missing.toml")]).is_err());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
