//! Finding the workspace and reading `[workspace.metadata.retry-check]`
//! (or `[package.metadata.retry-check]`) from its Cargo.toml.
//!
//! ```toml
//! [workspace.metadata.retry-check]
//! contracts = ["contracts/**/*"]        # globs, relative to the workspace root
//!
//! scan = true                           # `check` scans the Rust sources (see below)
//! scan-exclude = ["tests/fixtures/**"]  # globs of files `scan` skips
//! scan-tests = true                     # scan test code too (default: skipped)
//!
//! [workspace.metadata.retry-check.lints]
//! correctness = "deny"                  # a group
//! no_retry_budget = "allow"             # a rule, by name or code
//! code_no_jitter = "deny"               # code rules too
//! ```
//!
//! `model-tests = ["pkg::test_target", ...]` names the harness tests
//! `cargo retry-check model` (and `check`) runs; see `retry-check-model-tests`.

use std::path::{Path, PathBuf};

use retry_check_rules::{Level, Selector};

pub const DEFAULT_CONTRACT_GLOB: &str = "contracts/**/*";
const CONFIG_KEYS: &[&str] = &[
    "contracts",
    "lints",
    "model-tests",
    "scan",
    "scan-exclude",
    "scan-tests",
];

/// The tool's settings for one workspace.
#[derive(Debug, Clone)]
pub struct Config {
    /// Directory the contract globs are relative to.
    pub root: PathBuf,
    pub contract_globs: Vec<String>,
    pub lints: Vec<(Selector, Level)>,
    /// The Cargo.toml the configuration was read from, if any.
    pub manifest: Option<PathBuf>,
    /// `model-tests`: `package::test_target` entries (empty when absent).
    pub model_tests: Vec<String>,
    /// `scan = true/false`; `None` when not written.
    pub scan: Option<bool>,
    /// `scan-exclude`: globs (relative to `root`) of files `scan` skips.
    pub scan_exclude: Vec<String>,
    /// `scan-tests = true`: scan test code too (`--include-tests`).
    pub scan_tests: bool,
    /// Directories of the workspace's packages (the root package included),
    /// sorted; empty without a manifest.
    pub members: Vec<PathBuf>,
}

impl Config {
    fn bare(root: PathBuf) -> Self {
        Config {
            root,
            contract_globs: vec![DEFAULT_CONTRACT_GLOB.to_string()],
            lints: Vec::new(),
            scan: None,
            scan_exclude: Vec::new(),
            scan_tests: false,
            members: Vec::new(),
            manifest: None,
            model_tests: Vec::new(),
        }
    }
}

fn string_list(value: &toml::Value) -> Option<Vec<String>> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .unwrap_or_else(|| value.as_str().map(|s| vec![s.to_string()]))
}

/// Package directories: the root when it has `[package]`, and every
/// `[workspace] members` glob match that has a Cargo.toml, minus `exclude`.
pub fn members(table: &toml::Table, root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if table.contains_key("package") {
        out.push(root.to_path_buf());
    }
    let ws = table.get("workspace");
    let list = |key: &str| {
        ws.and_then(|w| w.get(key))
            .and_then(string_list)
            .unwrap_or_default()
    };
    let excluded: Vec<PathBuf> = list("exclude").iter().map(|e| root.join(e)).collect();
    for pattern in list("members") {
        let full = root.join(&pattern);
        let Ok(paths) = glob::glob(&full.to_string_lossy()) else {
            continue;
        };
        for dir in paths.flatten() {
            if dir.join("Cargo.toml").is_file() && !excluded.contains(&dir) {
                out.push(dir);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Walk up from `start` to the Cargo.toml that defines the workspace (the
/// nearest one with `[workspace]`, else the nearest one at all).
pub fn find_manifest(start: &Path) -> Option<PathBuf> {
    let mut nearest = None;
    for dir in start.ancestors() {
        let candidate = dir.join("Cargo.toml");
        if candidate.is_file() {
            if nearest.is_none() {
                nearest = Some(candidate.clone());
            }
            if std::fs::read_to_string(&candidate)
                .ok()
                .and_then(|t| t.parse::<toml::Table>().ok())
                .is_some_and(|t| t.contains_key("workspace"))
            {
                return Some(candidate);
            }
        }
    }
    nearest
}

/// Load the configuration. Errors are usage/config errors (exit 2).
pub fn load(manifest_path: Option<&Path>, cwd: &Path) -> Result<Config, String> {
    let manifest = match manifest_path {
        Some(p) => {
            if !p.is_file() {
                return Err(format!("manifest path `{}` does not exist", p.display()));
            }
            Some(p.to_path_buf())
        }
        None => find_manifest(cwd),
    };
    let Some(manifest) = manifest else {
        return Ok(Config::bare(cwd.to_path_buf()));
    };
    let root = manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| cwd.to_path_buf());
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read `{}`: {e}", manifest.display()))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        format!("cannot parse `{}`: {}", manifest.display(), e.message())
    })?;
    let section = ["workspace", "package"].iter().find_map(|top| {
        table
            .get(*top)
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("retry-check"))
            .map(|v| (*top, v))
    });
    let mut config = Config::bare(root);
    config.members = members(&table, &config.root);
    config.manifest = Some(manifest.clone());
    let Some((top, section)) = section else {
        return Ok(config);
    };
    let at = format!("[{top}.metadata.retry-check] in `{}`", manifest.display());
    let Some(section) = section.as_table() else {
        return Err(format!("{at} must be a table"));
    };
    for (key, value) in section {
        match key.as_str() {
            "contracts" => {
                let globs = string_list(value);
                config.contract_globs = globs.ok_or_else(|| {
                    format!("{at}: `contracts` must be a glob or an array of globs")
                })?;
            }
            "model-tests" => {
                let tests = value.as_array().and_then(|a| {
                    a.iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                });
                let Some(tests) = tests else {
                    return Err(format!(
                        "{at}: `model-tests` must be an array like [\"my-store::store_model\"] \
                         (package::test_target)"
                    ));
                };
                for t in &tests {
                    if retry_check_model_tests::split_entry(t).is_none() {
                        return Err(format!(
                            "{}: `model-tests` entry \"{t}\" must be `package::test_target`",
                            retry_check_model_tests::locate(&manifest, &text, t)
                        ));
                    }
                }
                config.model_tests = tests;
            }
            "lints" => {
                let Some(lints) = value.as_table() else {
                    return Err(format!(
                        "{at}: `lints` must be a table like {{ no_retry_budget = \"allow\" }}"
                    ));
                };
                for (name, level) in lints {
                    let selector =
                        retry_check_catalog::selector(name).map_err(|e| format!("{at}: {e}"))?;
                    let level = level.as_str().and_then(Level::parse).ok_or_else(|| {
                        format!("{at}: lint `{name}` must be \"allow\", \"warn\" or \"deny\"")
                    })?;
                    config.lints.push((selector, level));
                }
            }
            "scan" => {
                config.scan = Some(
                    value
                        .as_bool()
                        .ok_or_else(|| format!("{at}: `scan` must be true or false"))?,
                );
            }
            "scan-tests" => {
                config.scan_tests = value
                    .as_bool()
                    .ok_or_else(|| format!("{at}: `scan-tests` must be true or false"))?;
            }
            "scan-exclude" => {
                config.scan_exclude = string_list(value).ok_or_else(|| {
                    format!("{at}: `scan-exclude` must be a glob or an array of globs")
                })?;
            }
            other => {
                let hint = retry_check_contract::did_you_mean(other, CONFIG_KEYS)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!("{at}: unknown key `{other}`{hint}"));
            }
        }
    }
    Ok(config)
}
