//! `init`: scaffold what a new user needs (`retry_check_workspace::init`):
//!
//! - `contracts/example.toml`, a clean contract (it lints and simulates
//!   with no finding) to edit;
//! - the `[workspace.metadata.retry-check]` table (`[package.metadata...]`
//!   for a manifest that is not a workspace) when there is none;
//! - `tests/retry_check_store.rs` in the package that owns the store: a
//!   harness test of a small, correct sync store to replace, or with
//!   `--async` an async one on SQLite, reading the configured contracts;
//! - the harness dependency (and what the test uses) in that package's
//!   Cargo.toml, in a form that resolves for this user;
//! - with `--from PATH`, `contracts/imported.toml` instead of the contract
//!   and the test: a starter contract for the deployed configuration at
//!   PATH (a `[source]` table per file, server stubs for what it calls;
//!   `retry_check_sources::starter`).
//!
//! Existing files are not overwritten without `--force`; nothing is written
//! unless everything can be.

use std::path::{Path, PathBuf};

use retry_check_workspace::display_path;
use retry_check_workspace::init::{self, HarnessSource, Options, StoreIn};

use crate::cli::{HarnessArg, InitArgs, StoreInArg};
use crate::Exit;

/// The scaffolded contract (clean).
pub const EXAMPLE_CONTRACT: &str = include_str!("../scaffold/contracts/example.toml");
/// The scaffolded harness test of a sync store; the CLI tests run it
/// (`tests/cli/scaffold_runs.rs`), and its non-atomic edit red.
pub const STORE_TEST: &str = include_str!("../scaffold/tests/retry_check_store.rs");
/// The same for an async store (`init --async`).
pub const ASYNC_STORE_TEST: &str = include_str!("../scaffold/tests/retry_check_async_store.rs");

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

/// The harness crate of the checkout this binary was built from, while it
/// still exists (`cargo install --path`); `None` for a build from a
/// registry's sources, where the sibling is not the harness.
fn built_from_checkout() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../retry-check-harness");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let from_registry = env!("CARGO_MANIFEST_DIR").contains("/registry/src/");
    (manifest.contains("name = \"retry-check-harness\"") && !from_registry)
        .then(|| dir.canonicalize().unwrap_or(dir))
}

fn harness_source(arg: &HarnessArg) -> Result<HarnessSource, String> {
    let version = VERSION.to_string();
    Ok(match arg {
        HarnessArg::Auto => match built_from_checkout() {
            Some(path) => HarnessSource::Path { version, path },
            None => HarnessSource::Registry { version },
        },
        HarnessArg::Registry => HarnessSource::Registry { version },
        HarnessArg::Git => HarnessSource::Git {
            version,
            url: retry_check_catalog::REPOSITORY.to_string(),
        },
        HarnessArg::Path(dir) => {
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

pub fn run(args: &InitArgs) -> Result<Exit, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let starter;
    let (contract, store_test, test_dependencies) = match &args.from {
        Some(from) => {
            let root = scaffold_root(args, &cwd);
            starter = match from_config(from, &root, &cwd)? {
                Ok(text) => text,
                Err(exit) => return Ok(exit),
            };
            (("imported.toml", starter.as_str()), None, &[][..])
        }
        None if args.async_store => (
            ("example.toml", EXAMPLE_CONTRACT),
            Some(ASYNC_STORE_TEST),
            ASYNC_TEST_DEPENDENCIES,
        ),
        None => (
            ("example.toml", EXAMPLE_CONTRACT),
            Some(STORE_TEST),
            SYNC_TEST_DEPENDENCIES,
        ),
    };
    let options = Options {
        manifest_path: args.manifest_path.as_deref(),
        package: args.package.as_deref(),
        store_in: match args.store_in {
            None => StoreIn::Auto,
            Some(StoreInArg::Tests) => StoreIn::Tests,
            Some(StoreInArg::Src) => StoreIn::Src,
        },
        harness: harness_source(&args.harness)?,
        force: args.force,
        contract,
        store_test,
        test_dependencies,
    };
    let plan = init::plan(&options, &cwd)?;
    plan.write(&cwd)?;
    let mut out = plan.report.join("\n");
    if args.from.is_some() {
        out.push_str(
            "\n\nnext:\n  \
             cargo retry-check check    # fill in the TODOs first, then lint and simulate\n",
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
    crate::report::print_stdout(&out);
    Ok(Exit::Clean)
}

/// The directory `contracts/` goes in: the manifest's.
fn scaffold_root(args: &InitArgs, cwd: &Path) -> PathBuf {
    let manifest = args
        .manifest_path
        .clone()
        .or_else(|| retry_check_workspace::config::find_manifest(cwd));
    match manifest.as_deref().and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => cwd.to_path_buf(),
    }
}

/// The starter contract for the configuration at `from` (`--from`), or
/// the exit after reporting what is wrong with it.
fn from_config(from: &Path, root: &Path, cwd: &Path) -> Result<Result<String, Exit>, String> {
    let mut found = Vec::new();
    if from.is_dir() {
        retry_check_workspace::discover::walk_files(
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
    let mut sources = retry_check_diagnostics::SourceMap::new();
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
        crate::report::print_stdout(&retry_check_diagnostics::render::human_report(
            &starter.errors,
            &sources,
            starter.found.len(),
            crate::report::use_color(None),
        ));
        return Ok(Err(Exit::Findings));
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
