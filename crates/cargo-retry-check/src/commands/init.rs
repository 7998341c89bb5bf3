//! `init`: scaffold what a new user needs (`retry_check_workspace::init`):
//! the configuration table, `contracts/example.toml` (a clean contract:
//! it lints and simulates with no finding), `tests/retry_check_store.rs`
//! in the package that owns the store (the copy of
//! `retry-check-harness/examples/store_author.rs`, reading the configured
//! contracts), and the harness dependency in that package's Cargo.toml,
//! in a form that resolves for this user.

use std::path::{Path, PathBuf};

use retry_check_workspace::init::{self, HarnessSource, Options, StoreIn};

use crate::cli::{HarnessArg, InitArgs, StoreInArg};
use crate::Exit;

/// The scaffolded contract (clean).
pub const EXAMPLE_CONTRACT: &str = include_str!("../scaffold/contracts/example.toml");
/// The scaffolded harness test; `tests/init_scaffold.rs` compiles and runs it.
pub const STORE_TEST: &str = include_str!("../scaffold/tests/retry_check_store.rs");

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
        contract: EXAMPLE_CONTRACT,
        store_test: STORE_TEST,
    };
    let plan = init::plan(&options, &cwd)?;
    plan.write(&cwd)?;
    let mut out = plan.report.join("\n");
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
    crate::report::print_stdout(&out);
    Ok(Exit::Clean)
}
