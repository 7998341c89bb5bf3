//! `init`: scaffold what a new user needs next to their Cargo.toml:
//!
//! - `contracts/example.toml`, a clean contract (it lints and simulates
//!   with no finding) to edit;
//! - the `[workspace.metadata.retry-check]` table (`[package.metadata...]`
//!   for a manifest that is not a workspace), appended to the Cargo.toml
//!   when it has none; an existing table is never touched;
//! - `tests/retry_check_store.rs`, a harness test of the user's store
//!   driven by the example contract (the copy of
//!   `retry-check-harness/examples/store_author.rs`);
//! - with `--from PATH`, `contracts/imported.toml` instead of both files:
//!   a starter contract for the deployed configuration at PATH (a
//!   `[source]` table per file, server stubs for what it calls;
//!   `retry_check_sources::starter`).
//!
//! Existing files are not overwritten without `--force`; nothing is written
//! unless everything can be.

use std::path::{Path, PathBuf};

use retry_check_workspace::{config, display_path};

use crate::cli::InitArgs;
use crate::Exit;

/// The scaffolded contract (clean).
pub const EXAMPLE_CONTRACT: &str = include_str!("../scaffold/contracts/example.toml");
/// The scaffolded harness test; `tests/init_scaffold.rs` compiles and runs it.
pub const STORE_TEST: &str = include_str!("../scaffold/tests/retry_check_store.rs");

fn metadata_table(top: &str) -> String {
    format!(
        "\n# cargo retry-check: where the contracts are, and lint levels\n\
         # (`cargo retry-check rules` lists the rules and groups).\n\
         [{top}.metadata.retry-check]\n\
         contracts = [\"{glob}\"]\n\
         \n\
         [{top}.metadata.retry-check.lints]\n\
         # no_retry_budget = \"allow\"\n",
        glob = config::DEFAULT_CONTRACT_GLOB
    )
}

/// Whether the manifest already has a retry-check table, and which top
/// table (`workspace` or `package`) a new one goes under.
fn configured(manifest: &toml::Table) -> (bool, &'static str) {
    let has = |top: &str| {
        manifest
            .get(top)
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("retry-check"))
            .is_some()
    };
    let top = if !manifest.contains_key("workspace") && manifest.contains_key("package") {
        "package"
    } else {
        "workspace"
    };
    (has("workspace") || has("package"), top)
}

pub fn run(args: &InitArgs) -> Result<Exit, String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let manifest = match &args.manifest_path {
        Some(p) if p.is_file() => p.clone(),
        Some(p) => return Err(format!("manifest path `{}` does not exist", p.display())),
        None => config::find_manifest(&cwd).ok_or_else(|| {
            "no Cargo.toml found in the current directory or above; run `cargo init` first \
             or pass --manifest-path"
                .to_string()
        })?,
    };
    let root = match manifest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => cwd.clone(),
    };
    let text = std::fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read `{}`: {e}", display_path(&manifest, &cwd)))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        format!(
            "cannot parse `{}`: {}",
            display_path(&manifest, &cwd),
            e.message()
        )
    })?;

    let files: Vec<(PathBuf, String)> = match &args.from {
        Some(from) => match from_config(from, &root, &cwd)? {
            Ok(starter) => vec![(root.join("contracts").join("imported.toml"), starter)],
            Err(exit) => return Ok(exit),
        },
        None => vec![
            (
                root.join("contracts").join("example.toml"),
                EXAMPLE_CONTRACT.to_string(),
            ),
            (
                root.join("tests").join("retry_check_store.rs"),
                STORE_TEST.to_string(),
            ),
        ],
    };
    if !args.force {
        let existing: Vec<String> = files
            .iter()
            .filter(|(path, _)| path.exists())
            .map(|(path, _)| format!("`{}`", display_path(path, &cwd)))
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} already {}; nothing was written (pass --force to overwrite)",
                existing.join(" and "),
                if existing.len() == 1 {
                    "exists"
                } else {
                    "exist"
                }
            ));
        }
    }
    let (has_table, top) = configured(&table);
    let new_manifest = if has_table {
        None
    } else {
        let mut appended = text.clone();
        if !appended.is_empty() && !appended.ends_with('\n') {
            appended.push('\n');
        }
        appended.push_str(&metadata_table(top));
        // Never write a manifest cargo cannot read.
        if appended.parse::<toml::Table>().is_err() {
            return Err(format!(
                "cannot add [{top}.metadata.retry-check] to `{}` without breaking it; \
                 add it by hand",
                display_path(&manifest, &cwd)
            ));
        }
        Some(appended)
    };

    let mut out = String::new();
    for (path, contents) in &files {
        let existed = path.exists();
        write(path, contents, &cwd)?;
        out.push_str(&format!(
            "{} {}\n",
            if existed { "overwrote" } else { "created" },
            display_path(path, &cwd)
        ));
    }
    let shown_manifest = display_path(&manifest, &cwd);
    match new_manifest {
        Some(text) => {
            write(&manifest, &text, &cwd)?;
            out.push_str(&format!(
                "added [{top}.metadata.retry-check] to {shown_manifest}\n"
            ));
        }
        None => out.push_str(&format!(
            "kept the existing retry-check configuration of {shown_manifest}\n"
        )),
    }
    out.push_str(if args.from.is_some() {
        "\nnext:\n  \
         cargo retry-check check                # fill in the TODOs first, then lint and simulate\n"
    } else {
        "\nnext:\n  \
         cargo retry-check check                # lint and simulate the contracts\n  \
         cargo test --test retry_check_store    # model-check your store (see its header)\n"
    });
    crate::context::print_stdout(&out);
    Ok(Exit::Clean)
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
        crate::context::print_stdout(&retry_check_diagnostics::render::human_report(
            &starter.errors,
            &sources,
            starter.found.len(),
            crate::context::use_color(None),
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

fn write(path: &Path, contents: &str, cwd: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create `{}`: {e}", display_path(dir, cwd)))?;
    }
    std::fs::write(path, contents)
        .map_err(|e| format!("cannot write `{}`: {e}", display_path(path, cwd)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_table_is_kept() {
        let t: toml::Table = "[workspace]\n[workspace.metadata.retry-check]\ncontracts = []\n"
            .parse()
            .unwrap();
        assert_eq!(configured(&t), (true, "workspace"));
        let t: toml::Table = "[package]\nname = \"a\"\n[package.metadata.retry-check]\n"
            .parse()
            .unwrap();
        assert_eq!(configured(&t), (true, "package"));
    }

    #[test]
    fn a_package_manifest_gets_a_package_table() {
        let t: toml::Table = "[package]\nname = \"a\"\n".parse().unwrap();
        assert_eq!(configured(&t), (false, "package"));
        let t: toml::Table = "[workspace]\nmembers = []\n".parse().unwrap();
        assert_eq!(configured(&t), (false, "workspace"));
        let appended = format!("[package]\nname = \"a\"\n{}", metadata_table("package"));
        let t: toml::Table = appended.parse().unwrap();
        assert_eq!(
            t["package"]["metadata"]["retry-check"]["contracts"][0].as_str(),
            Some(config::DEFAULT_CONTRACT_GLOB)
        );
    }
}
