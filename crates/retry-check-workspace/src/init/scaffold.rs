//! What `init` writes and where it comes from: the templates (the crate's
//! `scaffold/` directory: a clean contract, a harness test of a sync store
//! and of an async one), the harness dependency in the form that resolves
//! for this user, the starter contract of `init --from PATH` (a `[source]`
//! table per deployed configuration file, `retry_check_sources::starter`),
//! and the next steps to print. [`run`] is the whole command: the CLI maps
//! its arguments onto a [`Request`] and prints the [`Done`].

use std::path::{Path, PathBuf};
use std::str::FromStr;

use retry_check_diagnostics::{Diagnostic, SourceMap};

use super::{plan, HarnessSource, Options, StoreIn};
use crate::display_path;

/// The scaffolded contract (clean: it lints and simulates with no finding).
pub const EXAMPLE_CONTRACT: &str = include_str!("../../scaffold/contracts/example.toml");
/// The scaffolded harness test of a sync store; the CLI tests run it
/// (`tests/cli/scaffold_runs.rs`), and its non-atomic edit red.
pub const STORE_TEST: &str = include_str!("../../scaffold/tests/retry_check_store.rs");
/// The same for an async store (`init --async`).
pub const ASYNC_STORE_TEST: &str = include_str!("../../scaffold/tests/retry_check_async_store.rs");

/// What the sync scaffold uses besides the harness (its durable state).
const SYNC_TEST_DEPENDENCIES: &[(&str, &str)] =
    &[("serde", r#"{ version = "1", features = ["derive"] }"#)];
/// What the async scaffold uses besides the harness: SQLite, awaited.
const ASYNC_TEST_DEPENDENCIES: &[(&str, &str)] = &[
    (
        "rusqlite",
        r#"{ version = "0.37", features = ["bundled"] }"#,
    ),
    ("tokio", r#"{ version = "1", features = ["rt"] }"#),
];

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `--harness`: where the dependency on the harness comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HarnessChoice {
    /// The checkout this tool was built from while it exists, else the
    /// registry.
    Auto,
    Registry,
    /// The repository, tagged with this version.
    Git,
    /// A retry-check checkout, or its harness crate.
    Path(PathBuf),
}

impl FromStr for HarnessChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "auto" => HarnessChoice::Auto,
            "registry" => HarnessChoice::Registry,
            "git" => HarnessChoice::Git,
            "" => return Err("write auto, registry, git or a path".to_string()),
            path => HarnessChoice::Path(PathBuf::from(path)),
        })
    }
}

/// The harness crate of the checkout this tool was built from, while it
/// still exists (`cargo install --path`); `None` for a build from a
/// registry's sources, where the sibling is not the harness.
fn built_from_checkout() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../retry-check-harness");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let from_registry = env!("CARGO_MANIFEST_DIR").contains("/registry/src/");
    (manifest.contains("name = \"retry-check-harness\"") && !from_registry)
        .then(|| dir.canonicalize().unwrap_or(dir))
}

impl HarnessChoice {
    /// How the dependency is written, or why the path is no checkout.
    pub fn resolve(&self) -> Result<HarnessSource, String> {
        let version = VERSION.to_string();
        Ok(match self {
            HarnessChoice::Auto => match built_from_checkout() {
                Some(path) => HarnessSource::Path { version, path },
                None => HarnessSource::Registry { version },
            },
            HarnessChoice::Registry => HarnessSource::Registry { version },
            HarnessChoice::Git => HarnessSource::Git {
                version,
                url: retry_check_catalog::REPOSITORY.to_string(),
            },
            HarnessChoice::Path(dir) => {
                // A checkout's root or the harness crate itself.
                let crate_dir = [dir.join("crates/retry-check-harness"), dir.clone()]
                    .into_iter()
                    .find(|d| d.join("Cargo.toml").is_file() && d.join("src/store.rs").is_file())
                    .ok_or_else(|| {
                        format!(
                            "`{}` is neither a retry-check checkout nor its harness crate",
                            dir.display()
                        )
                    })?;
                let path = crate_dir.canonicalize().unwrap_or(crate_dir);
                HarnessSource::Path { version, path }
            }
        })
    }
}

/// Which contract and test `init` writes.
#[derive(Clone, Copy, Debug)]
pub enum Template<'a> {
    /// The example contract and the sync store's test.
    Sync,
    /// The example contract and the async store's test (`--async`).
    Async,
    /// `contracts/imported.toml` for the configuration at this path, and
    /// no test (`--from`).
    From(&'a Path),
}

/// One `init`.
pub struct Request<'a> {
    pub manifest_path: Option<&'a Path>,
    pub package: Option<&'a str>,
    pub store_in: StoreIn,
    pub harness: &'a HarnessChoice,
    pub force: bool,
    pub template: Template<'a>,
}

/// What `init` did.
#[derive(Debug)]
pub enum Done {
    /// The files are written: what was done and what to run next.
    Written(String),
    /// The configuration given with `--from` has errors (nothing written).
    Invalid {
        errors: Vec<Diagnostic>,
        sources: SourceMap,
        /// How many files were imported.
        files: usize,
    },
}

/// Check, render and write everything `request` asks for (nothing unless
/// everything can be).
pub fn run(request: &Request<'_>, cwd: &Path) -> Result<Done, String> {
    let starter;
    let (contract, store_test, test_dependencies) = match request.template {
        Template::From(from) => {
            starter = match from_config(from, &scaffold_root(request, cwd), cwd)? {
                Ok(text) => text,
                Err(invalid) => return Ok(invalid),
            };
            (("imported.toml", starter.as_str()), None, &[][..])
        }
        Template::Async => (
            ("example.toml", EXAMPLE_CONTRACT),
            Some(ASYNC_STORE_TEST),
            ASYNC_TEST_DEPENDENCIES,
        ),
        Template::Sync => (
            ("example.toml", EXAMPLE_CONTRACT),
            Some(STORE_TEST),
            SYNC_TEST_DEPENDENCIES,
        ),
    };
    let options = Options {
        manifest_path: request.manifest_path,
        package: request.package,
        store_in: request.store_in,
        harness: request.harness.resolve()?,
        force: request.force,
        contract,
        store_test,
        test_dependencies,
    };
    let plan = plan(&options, cwd)?;
    plan.write(cwd)?;
    let mut out = plan.report.join("\n");
    if let Template::From(_) = request.template {
        out.push_str(
            "\n\nnext:\n  \
             cargo retry-check check                # fill in the TODOs first, then lint and simulate\n",
        );
    } else {
        let test = match &plan.package {
            Some(p) => format!("cargo test -p {p} --test retry_check_store"),
            None => "cargo test --test retry_check_store".to_string(),
        };
        out.push_str(&format!(
            "\n\nnext:\n  \
             cargo retry-check check{:>w$}# lint and simulate the contracts\n  \
             {test}    # model-check your store (see its header)\n",
            "",
            w = (test.len() + 4).saturating_sub("cargo retry-check check".len()),
        ));
    }
    Ok(Done::Written(out))
}

/// The directory `contracts/` goes in: the manifest's.
fn scaffold_root(request: &Request<'_>, cwd: &Path) -> PathBuf {
    let manifest = request
        .manifest_path
        .map(Path::to_path_buf)
        .or_else(|| crate::config::find_manifest(cwd));
    match manifest.as_deref().and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => cwd.to_path_buf(),
    }
}

/// The starter contract for the configuration at `from` (`--from`), or
/// its errors.
fn from_config(from: &Path, root: &Path, cwd: &Path) -> Result<Result<String, Done>, String> {
    let mut found = Vec::new();
    if from.is_dir() {
        crate::discover::walk_files(
            from,
            &mut found,
            &|p| retry_check_sources::is_candidate(p),
            &|_| true,
        )?;
    } else if from.is_file() {
        found.push(from.to_path_buf());
    } else {
        return Err(format!("`{}` does not exist", from.display()));
    }
    let mut sources = SourceMap::new();
    let mut paths = Vec::new();
    let contracts = std::path::absolute(root.join("contracts")).unwrap_or(root.join("contracts"));
    for path in found
        .iter()
        .filter(|p| p.extension().is_none_or(|e| e != "toml"))
    {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let (id, _) =
            retry_check_contract::parse::decode(&display_path(path, cwd), &bytes, &mut sources);
        let absolute = std::path::absolute(path).unwrap_or(path.clone());
        paths.push((
            id,
            retry_check_sources::starter::relative_path(&contracts, &absolute),
        ));
    }
    let starter = retry_check_sources::starter::starter_contract(&sources, &paths);
    if !starter.errors.is_empty() {
        return Ok(Err(Done::Invalid {
            errors: starter.errors,
            files: starter.found.len(),
            sources,
        }));
    }
    if starter.found.is_empty() {
        return Err(format!(
            "no gRPC service config, Envoy, Istio, Linkerd, AWS SDK config or OpenAPI file found in `{}`",
            display_path(from, cwd)
        ));
    }
    let mut text = starter.text;
    text.insert_str(
        0,
        &format!(
            "# Sources: {}.\n",
            starter
                .found
                .iter()
                .map(|(p, k)| format!("{p} ({k})"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    Ok(Ok(text))
}
