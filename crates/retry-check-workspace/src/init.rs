//! `init`: what a new user needs, written into their workspace.
//!
//! - the `[workspace.metadata.retry-check]` table (`[package.metadata...]`
//!   for a manifest that is not a workspace), appended to the root
//!   Cargo.toml when it has none; an existing table is never touched;
//! - a contract to edit (at the workspace root) and a harness test of the
//!   user's store (in the package that owns the store: in a workspace, the
//!   one `--package` names, else the member the command runs in, else the
//!   only member);
//! - the `retry-check-harness` dependency in that package's Cargo.toml,
//!   edited with toml_edit so its comments and layout stay: a
//!   dev-dependency when the store lives in `tests/`, a normal one when it
//!   lives in `src/` (detected: `src/` already implements the harness's
//!   `IdempotencyStore`), in the form that resolves for this user (a
//!   registry version, a path to the checkout this tool was built from, or
//!   git).
//!
//! Nothing is written unless everything can be: [`plan`] checks and
//! renders every file, [`Plan::write`] writes them. [`scaffold`]: the
//! templates, the harness source, `--from`'s starter contract, and the
//! whole command ([`scaffold::run`]).

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use crate::config::{self, DEFAULT_CONTRACT_GLOB};
use crate::display_path;

pub mod scaffold;

/// The harness crate's name.
pub const HARNESS: &str = "retry-check-harness";

/// How the dependency on the harness is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HarnessSource {
    /// `retry-check-harness = "VERSION"` from crates.io.
    Registry { version: String },
    /// `{ version, path }`: a local checkout of retry-check.
    Path { version: String, path: PathBuf },
    /// `{ git, tag = "vVERSION" }`.
    Git { version: String, url: String },
}

impl HarnessSource {
    fn item(&self) -> Item {
        let mut t = toml_edit::InlineTable::new();
        match self {
            HarnessSource::Registry { version } => return toml_edit::value(version.as_str()),
            HarnessSource::Path { version, path } => {
                t.insert("version", version.as_str().into());
                t.insert("path", path.to_string_lossy().as_ref().into());
            }
            HarnessSource::Git { version, url } => {
                t.insert("git", url.as_str().into());
                t.insert("tag", format!("v{version}").into());
            }
        }
        toml_edit::value(t)
    }

    fn explain(&self) -> String {
        match self {
            HarnessSource::Registry { version } => format!("version {version} from crates.io"),
            HarnessSource::Path { path, version } => format!(
                "the checkout this cargo-retry-check was built from, {}\n  \
                 (once the crates are published, `--harness registry` writes version {version})",
                path.display()
            ),
            HarnessSource::Git { url, version } => format!("git `{url}`, tag v{version}"),
        }
    }
}

/// Where the user's store lives, which decides the dependency table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreIn {
    /// Detect: `src/` when it already implements `IdempotencyStore`.
    Auto,
    /// Only the tests use it: `[dev-dependencies]`.
    Tests,
    /// The library implements it: `[dependencies]`.
    Src,
}

/// What to scaffold.
pub struct Options<'a> {
    /// The Cargo.toml given with --manifest-path, if any.
    pub manifest_path: Option<&'a Path>,
    /// The package that owns the store (in a workspace).
    pub package: Option<&'a str>,
    pub store_in: StoreIn,
    pub harness: HarnessSource,
    pub force: bool,
    /// The contract's file name under `contracts/` of the root, and its
    /// text.
    pub contract: (&'a str, &'a str),
    /// The harness test, written to `tests/retry_check_store.rs` of the
    /// package; `None` writes the contract only (and adds no dependency).
    pub store_test: Option<&'a str>,
    /// What else the test uses, added to the package's
    /// `[dev-dependencies]` unless it has them: (name, TOML value).
    pub test_dependencies: &'a [(&'a str, &'a str)],
}

/// Every file `init` writes, checked and rendered.
#[derive(Debug)]
pub struct Plan {
    /// Path, new text, whether it existed.
    writes: Vec<(PathBuf, String, bool)>,
    /// What was done, line by line, for the user.
    pub report: Vec<String>,
    /// The package the test belongs to (its name, when in a workspace with
    /// several packages), for the `cargo test -p` hint.
    pub package: Option<String>,
}

impl Plan {
    /// Write every file.
    pub fn write(&self, cwd: &Path) -> Result<(), String> {
        for (path, text, _) in &self.writes {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create `{}`: {e}", display_path(dir, cwd)))?;
            }
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write `{}`: {e}", display_path(path, cwd)))?;
        }
        Ok(())
    }
}

fn read(path: &Path, cwd: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", display_path(path, cwd)))
}

fn parse(text: &str, path: &Path, cwd: &Path) -> Result<DocumentMut, String> {
    text.parse::<DocumentMut>().map_err(|e| {
        format!(
            "cannot parse `{}`: {}",
            display_path(path, cwd),
            e.message()
        )
    })
}

/// Check everything and render every file; write nothing.
pub fn plan(opts: &Options<'_>, cwd: &Path) -> Result<Plan, String> {
    let manifest = match opts.manifest_path {
        Some(p) if p.is_file() => p.to_path_buf(),
        Some(p) => return Err(format!("manifest path `{}` does not exist", p.display())),
        None => config::find_manifest(cwd).ok_or_else(|| {
            "no Cargo.toml found in the current directory or above; run `cargo init` first \
             or pass --manifest-path"
                .to_string()
        })?,
    };
    let root = match manifest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => cwd.to_path_buf(),
    };
    let root_text = read(&manifest, cwd)?;
    parse(&root_text, &manifest, cwd)?;
    let table: toml::Table = root_text
        .parse()
        .map_err(|e: toml::de::Error| e.to_string())?;
    let (package_dir, package) = pick_package(&table, &root, opts.package, cwd)?;

    let (contract_name, contract_text) = opts.contract;
    let contract = root.join("contracts").join(contract_name);
    let mut writes = vec![(
        contract.clone(),
        contract_text.to_string(),
        contract.exists(),
    )];
    if let Some(store_test) = opts.store_test {
        let test = package_dir.join("tests").join("retry_check_store.rs");
        let existed = test.exists();
        writes.push((test, store_test.to_string(), existed));
    }
    if !opts.force {
        refuse_existing(&writes, cwd)?;
    }
    let mut report: Vec<String> = writes
        .iter()
        .map(|(path, _, existed)| {
            let verb = if *existed { "overwrote" } else { "created" };
            format!("{verb} {}", display_path(path, cwd))
        })
        .collect();

    // The configuration table, at the root.
    let shown_root = display_path(&manifest, cwd);
    let mut root_new = root_text.clone();
    match configured_globs(&table) {
        Some(globs) => {
            report.push(format!(
                "kept the existing retry-check configuration of {shown_root}"
            ));
            let shown = format!("contracts/{contract_name}");
            if !covers(&globs, &shown) {
                report.push(format!(
                    "note: its `contracts` globs ({}) do not read {shown}; \
                     the scaffolded test reads the configured files",
                    globs.join(", ")
                ));
            }
        }
        None => {
            let top = if table.contains_key("workspace") || !table.contains_key("package") {
                "workspace"
            } else {
                "package"
            };
            if !root_new.is_empty() && !root_new.ends_with('\n') {
                root_new.push('\n');
            }
            root_new.push_str(&metadata_table(top));
            report.push(format!(
                "added [{top}.metadata.retry-check] to {shown_root}"
            ));
        }
    }

    // The dependency, in the package's manifest (the root's, or a member's).
    let same = package_dir == root;
    if opts.store_test.is_some() {
        let edited = dependency(
            opts,
            &package_dir,
            same.then_some((&manifest, root_new.as_str())),
            cwd,
        )?;
        report.extend(edited.lines);
        match (same, edited.text) {
            (true, Some(text)) => root_new = text,
            (false, Some(text)) => writes.push((package_dir.join("Cargo.toml"), text, true)),
            (_, None) => {}
        }
    }
    // Never write a manifest cargo cannot read.
    root_new.parse::<toml::Table>().map_err(|_| {
        format!("cannot edit `{shown_root}` without breaking it; add the table by hand")
    })?;
    if root_new != root_text {
        writes.push((manifest.clone(), root_new, true));
    }
    Ok(Plan {
        writes,
        report,
        package,
    })
}

/// Refuse to overwrite any file of `writes` that exists (without `--force`).
fn refuse_existing(writes: &[(PathBuf, String, bool)], cwd: &Path) -> Result<(), String> {
    let existing: Vec<String> = writes
        .iter()
        .filter(|(_, _, existed)| *existed)
        .map(|(path, _, _)| format!("`{}`", display_path(path, cwd)))
        .collect();
    if existing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} already {}; nothing was written (pass --force to overwrite)",
        existing.join(" and "),
        if existing.len() == 1 {
            "exists"
        } else {
            "exist"
        }
    ))
}

/// The package manifest with the harness dependency (`None`: unchanged),
/// and what was done.
struct Edited {
    text: Option<String>,
    lines: Vec<String>,
}

/// Add the dependency to the package at `package_dir`; `root` is the root
/// manifest's path and its new text when the package is the root.
fn dependency(
    opts: &Options<'_>,
    package_dir: &Path,
    root: Option<(&PathBuf, &str)>,
    cwd: &Path,
) -> Result<Edited, String> {
    let manifest = package_dir.join("Cargo.toml");
    let text = match root {
        Some((_, text)) => text.to_string(),
        None => read(&manifest, cwd)?,
    };
    let shown_at = root.map_or(manifest.clone(), |(path, _)| path.clone());
    let doc = parse(&text, &shown_at, cwd)?;
    let store_in = match opts.store_in {
        StoreIn::Auto if implements_store(package_dir) => StoreIn::Src,
        StoreIn::Auto => StoreIn::Tests,
        other => other,
    };
    let shown = display_path(&shown_at, cwd);
    let (with_harness, line) = add_dependency(doc, &text, store_in, &opts.harness);
    // Then what the test uses, after the harness (toml_edit keeps an
    // unedited document byte for byte).
    let mut doc = parse(&with_harness, &shown_at, cwd)?;
    let extra = add_test_dependencies(&mut doc, opts.test_dependencies)?;
    let new_text = doc.to_string();
    let mut lines = vec![line.replacen(']', &format!("] of {shown}"), 1)];
    if !extra.is_empty() {
        lines.push(format!(
            "added {} to [dev-dependencies] of {shown} (the scaffolded test uses {})",
            extra.join(", "),
            if extra.len() == 1 { "it" } else { "them" }
        ));
    }
    Ok(Edited {
        lines,
        text: (new_text != text).then_some(new_text),
    })
}

/// Add each of `deps` the manifest has in neither dependency table to
/// `[dev-dependencies]`; the names added.
fn add_test_dependencies(
    doc: &mut DocumentMut,
    deps: &[(&str, &str)],
) -> Result<Vec<String>, String> {
    let mut added = Vec::new();
    for &(name, value) in deps {
        let present = ["dependencies", "dev-dependencies"]
            .iter()
            .any(|t| doc.get(t).and_then(|t| t.get(name)).is_some());
        if present {
            continue;
        }
        let item: toml_edit::Value = value
            .parse()
            .map_err(|e| format!("internal error: the dependency `{name} = {value}`: {e}"))?;
        let Some(table) = doc
            .entry("dev-dependencies")
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_like_mut()
        else {
            return Err(
                "`dev-dependencies` is not a table: add the test's dependencies by hand"
                    .to_string(),
            );
        };
        table.insert(name, Item::Value(item));
        added.push(name.to_string());
    }
    Ok(added)
}

fn metadata_table(top: &str) -> String {
    format!(
        "\n# cargo retry-check: where the contracts are, and lint levels\n\
         # (`cargo retry-check rules` lists the rules and groups).\n\
         [{top}.metadata.retry-check]\n\
         contracts = [\"{DEFAULT_CONTRACT_GLOB}\"]\n\
         \n\
         [{top}.metadata.retry-check.lints]\n\
         # no_retry_budget = \"allow\"\n"
    )
}

/// The configured `contracts` globs, when the manifest has a retry-check
/// table (the default glob when the table does not say).
fn configured_globs(manifest: &toml::Table) -> Option<Vec<String>> {
    let section = ["workspace", "package"]
        .iter()
        .find_map(|top| manifest.get(*top)?.get("metadata")?.get("retry-check"))?;
    let globs = match section.get("contracts") {
        Some(toml::Value::String(s)) => vec![s.clone()],
        Some(toml::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => vec![DEFAULT_CONTRACT_GLOB.to_string()],
    };
    Some(globs)
}

fn covers(globs: &[String], path: &str) -> bool {
    globs
        .iter()
        .filter_map(|g| glob::Pattern::new(g).ok())
        .any(|p| p.matches(path))
}

fn package_name(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let table: toml::Table = text.parse().ok()?;
    Some(table.get("package")?.get("name")?.as_str()?.to_string())
}

/// The package whose store the test checks: its directory, and its name
/// when the workspace has more than one package.
fn pick_package(
    table: &toml::Table,
    root: &Path,
    wanted: Option<&str>,
    cwd: &Path,
) -> Result<(PathBuf, Option<String>), String> {
    let members = config::members(table, root);
    let named: Vec<(PathBuf, String)> = members
        .iter()
        .filter_map(|dir| Some((dir.clone(), package_name(dir)?)))
        .collect();
    let several = named.len() > 1;
    let names = || {
        named
            .iter()
            .map(|(_, n)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(w) = wanted {
        return named
            .iter()
            .find(|(_, n)| n == w)
            .map(|(d, n)| (d.clone(), Some(n.clone())))
            .ok_or_else(|| {
                format!(
                    "no package `{w}` in this workspace (its packages: {})",
                    names()
                )
            });
    }
    let cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
    // The deepest package the command runs in, other than a root that
    // holds others.
    let inside = named
        .iter()
        .filter(|(d, _)| *d != root || named.len() == 1)
        .filter(|(d, _)| cwd.starts_with(d.canonicalize().unwrap_or_else(|_| d.clone())))
        .max_by_key(|(d, _)| d.components().count());
    if let Some((d, n)) = inside {
        return Ok((d.clone(), several.then(|| n.clone())));
    }
    if table.contains_key("package") {
        let name = package_name(root);
        return Ok((root.to_path_buf(), name.filter(|_| several)));
    }
    match named.as_slice() {
        [(d, _)] => Ok((d.clone(), None)),
        [] => Err(format!(
            "`{}` is a virtual workspace with no package; add the package that owns your \
             store first",
            root.join("Cargo.toml").display()
        )),
        _ => Err(format!(
            "this virtual workspace has {} packages ({}); pass --package NAME for the one whose \
             store the harness test checks, or run init inside it",
            named.len(),
            names()
        )),
    }
}

/// Whether the package's `src/` already implements the harness's store
/// trait (so the store, not only a test, needs the harness).
fn implements_store(package: &Path) -> bool {
    fn walk(dir: &Path) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        entries.flatten().any(|e| {
            let p = e.path();
            if p.is_dir() {
                walk(&p)
            } else {
                p.extension().is_some_and(|x| x == "rs")
                    && std::fs::read_to_string(&p).is_ok_and(|t| {
                        t.contains("retry_check_harness") && t.contains("IdempotencyStore")
                    })
            }
        })
    }
    walk(&package.join("src"))
}

/// Add the harness to `[dev-dependencies]` or `[dependencies]` unless the
/// manifest has it already; the new text and what was done.
fn add_dependency(
    mut doc: DocumentMut,
    text: &str,
    store_in: StoreIn,
    source: &HarnessSource,
) -> (String, String) {
    for (table, what) in [
        ("dependencies", "dependency"),
        ("dev-dependencies", "dev-dependency"),
    ] {
        if doc.get(table).and_then(|t| t.get(HARNESS)).is_some() {
            return (
                text.to_string(),
                format!("kept the existing {HARNESS} {what}"),
            );
        }
    }
    let table = if store_in == StoreIn::Src {
        "dependencies"
    } else {
        "dev-dependencies"
    };
    let deps = doc
        .entry(table)
        .or_insert_with(|| Item::Table(Table::new()));
    let Some(deps) = deps.as_table_like_mut() else {
        return (
            text.to_string(),
            format!("`{table}` is not a table: add {HARNESS} by hand"),
        );
    };
    deps.insert(HARNESS, source.item());
    let why = match store_in {
        StoreIn::Src => {
            "your store in src/ implements its trait (--store-in tests for a test-only store)"
        }
        _ => "for the tests (--store-in src when your store in src/ implements its trait)",
    };
    (
        doc.to_string(),
        format!(
            "added {HARNESS} to [{table}] {why},
  from {}",
            source.explain()
        ),
    )
}

#[cfg(test)]
mod tests;
