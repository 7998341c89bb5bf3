//! Every crate can be published: complete metadata, versions pinned
//! between the workspace's crates, and one repository value from which
//! every link is derived. (`cargo package --workspace` in `.ci/run`
//! checks that the packages build from what they ship.)

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn manifest(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap();
    text.parse().unwrap()
}

/// The members that are published (not `publish = false`).
fn published() -> Vec<(PathBuf, toml::Table)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("Cargo.toml").is_file() {
            continue;
        }
        let m = manifest(&dir.join("Cargo.toml"));
        if m["package"].get("publish").and_then(|p| p.as_bool()) != Some(false) {
            out.push((dir, m));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_published_crate_has_complete_metadata() {
    let crates = published();
    assert!(crates.len() >= 10, "{} published crates", crates.len());
    for (dir, m) in &crates {
        let package = m["package"].as_table().unwrap();
        let name = package["name"].as_str().unwrap();
        let description = package.get("description").and_then(|d| d.as_str());
        assert!(
            description.is_some_and(|d| d.len() > 20),
            "{name}: description"
        );
        for key in ["version", "edition", "license", "repository", "authors"] {
            assert_eq!(
                package.get(key).and_then(|v| v.get("workspace")),
                Some(&toml::Value::Boolean(true)),
                "{name}: `{key}.workspace = true` (one value for the workspace)"
            );
        }
        assert_eq!(
            package.get("documentation").and_then(|d| d.as_str()),
            Some(format!("https://docs.rs/{name}").as_str()),
            "{name}: documentation"
        );
        let readme = package.get("readme").and_then(|r| r.as_str());
        let readme = readme.unwrap_or_else(|| panic!("{name}: readme"));
        assert!(dir.join(readme).is_file(), "{name}: {readme} is missing");
        for key in ["keywords", "categories"] {
            let list = package.get(key).unwrap_or_else(|| panic!("{name}: {key}"));
            let n = list.as_array().map_or(1, |a| a.len());
            assert!(n <= 5, "{name}: crates.io takes at most 5 {key}");
        }
        for license in ["LICENSE-MIT", "LICENSE-APACHE"] {
            let text = std::fs::read_to_string(dir.join(license))
                .unwrap_or_else(|e| panic!("{name}: {license}: {e}"));
            assert!(text.contains("Permission") || text.contains("Apache License"));
        }
        // Workspace crates come through `[workspace.dependencies]`, which
        // pins their version.
        for table in ["dependencies", "build-dependencies"] {
            for (dep, spec) in m
                .get(table)
                .and_then(|t| t.as_table())
                .into_iter()
                .flatten()
            {
                if dep.starts_with("retry-check-") {
                    assert_eq!(
                        spec.get("workspace"),
                        Some(&toml::Value::Boolean(true)),
                        "{name}: {dep} must be `{dep}.workspace = true`"
                    );
                }
            }
        }
    }
}

#[test]
fn workspace_crates_pin_each_other_exactly() {
    let ws = manifest(&root().join("Cargo.toml"));
    let version = ws["workspace"]["package"]["version"].as_str().unwrap();
    let deps = ws["workspace"]["dependencies"].as_table().unwrap();
    let published: Vec<String> = published()
        .iter()
        .map(|(_, m)| m["package"]["name"].as_str().unwrap().to_string())
        .collect();
    for name in &published {
        if name == "cargo-retry-check" {
            continue;
        }
        let spec = deps
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in [workspace.dependencies]"));
        assert_eq!(
            spec.get("version").and_then(|v| v.as_str()),
            Some(format!("={version}").as_str()),
            "{name}: pinned to the workspace's version"
        );
    }
    // The test helpers are never published: a path-only dev-dependency.
    assert!(deps["retry-check-test-support"].get("version").is_none());
}

/// Text files of the repository (no build output, no VCS, no snapshots:
/// those are generated).
fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if !matches!(
                name.as_str(),
                "target" | ".git" | "node_modules" | "snapshots"
            ) && !path.is_symlink()
            {
                text_files(&path, out);
            }
        } else if std::fs::read_to_string(&path).is_ok() {
            out.push(path);
        }
    }
}

/// The repository's address is written once, in the workspace's
/// Cargo.toml; SARIF links, the schema's `$id` and the docs derive from
/// it. (The committed schema is generated from the same value.)
#[test]
fn the_repository_address_is_written_once() {
    let ws = manifest(&root().join("Cargo.toml"));
    let repository = ws["workspace"]["package"]["repository"].as_str().unwrap();
    let mut files = Vec::new();
    text_files(&root(), &mut files);
    let spelled: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(repository))
        .map(|f| {
            f.strip_prefix(root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .filter(|f| f != "schema/contract.schema.json" && f != "fuzz/Cargo.lock")
        .collect();
    assert_eq!(spelled, ["Cargo.toml"], "files that spell {repository}");
    let schema = std::fs::read_to_string(root().join("schema/contract.schema.json")).unwrap();
    assert!(schema.contains(&format!("\"$id\": \"{repository}/")));
}
