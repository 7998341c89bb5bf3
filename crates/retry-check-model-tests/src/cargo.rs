//! The workspace's test targets (`cargo metadata`), which of them run, and
//! the `cargo test` command that builds and runs one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::Settings;

/// `package::test_target` → (package, target).
pub fn split_entry(entry: &str) -> Option<(&str, &str)> {
    let (pkg, target) = entry.split_once("::")?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    (ok(pkg) && ok(target)).then_some((pkg, target))
}

/// `file:line:col` of the first occurrence of `"needle"` in a manifest (for
/// errors about a `model-tests` entry), else the file alone.
pub fn locate(manifest: &Path, text: &str, needle: &str) -> String {
    let quoted = format!("\"{needle}\"");
    match text.find(&quoted) {
        Some(at) => {
            let before = &text[..at];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit_once('\n')
                .map_or(before, |(_, l)| l)
                .chars()
                .count()
                + 1;
            format!("{}:{line}:{col}", manifest.display())
        }
        None => manifest.display().to_string(),
    }
}

/// A test target of the workspace, from `cargo metadata`.
pub(crate) struct TestTarget {
    pub package: String,
    pub name: String,
    pub src_path: PathBuf,
}

pub(crate) struct Metadata {
    targets: Vec<TestTarget>,
    target_directory: PathBuf,
}

fn cargo() -> Command {
    let bin = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(bin)
}

pub(crate) fn metadata(s: &Settings) -> Result<Metadata, String> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--no-deps", "--format-version", "1"])
        .arg("--manifest-path")
        .arg(&s.manifest);
    if s.offline {
        cmd.arg("--offline");
    }
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run `cargo metadata`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo metadata --manifest-path {}` failed:\n{}",
            s.manifest.display(),
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    let v: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("cannot read the output of `cargo metadata`: {e}"))?;
    let mut targets = Vec::new();
    for pkg in v["packages"].as_array().into_iter().flatten() {
        let package = pkg["name"].as_str().unwrap_or_default().to_string();
        for t in pkg["targets"].as_array().into_iter().flatten() {
            let is_test = t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"));
            if let (true, Some(name), Some(src)) =
                (is_test, t["name"].as_str(), t["src_path"].as_str())
            {
                targets.push(TestTarget {
                    package: package.clone(),
                    name: name.to_string(),
                    src_path: PathBuf::from(src),
                });
            }
        }
    }
    targets.sort_by(|a, b| (&a.package, &a.name).cmp(&(&b.package, &b.name)));
    let target_directory = v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .unwrap_or_else(|| s.manifest.parent().unwrap_or(Path::new(".")).join("target"));
    Ok(Metadata {
        targets,
        target_directory,
    })
}

/// The entries to run: the command line's, else the configured ones, else
/// (when `discover`) every integration test that mentions the harness.
pub(crate) fn select<'m>(
    meta: &'m Metadata,
    entries: &[String],
    manifest_text: Option<&str>,
    manifest: &Path,
    discover: bool,
) -> Result<Vec<&'m TestTarget>, String> {
    if entries.is_empty() {
        if !discover {
            return Ok(Vec::new());
        }
        let found: Vec<&TestTarget> = meta
            .targets
            .iter()
            .filter(|t| {
                std::fs::read_to_string(&t.src_path)
                    .is_ok_and(|text| text.contains("retry_check_harness"))
            })
            .collect();
        if found.is_empty() {
            return Err(format!(
                "no model tests: `{}` configures no `model-tests` in \
                 [workspace.metadata.retry-check] and no integration test (tests/*.rs) \
                 mentions `retry_check_harness`",
                manifest.display()
            ));
        }
        return Ok(found);
    }
    let mut out = Vec::new();
    for entry in entries {
        let at = manifest_text
            .map(|t| locate(manifest, t, entry))
            .filter(|l| l.contains(':'))
            .map(|l| format!("{l}: "))
            .unwrap_or_default();
        let Some((pkg, name)) = split_entry(entry) else {
            return Err(format!(
                "{at}model test `{entry}` must be `package::test_target`"
            ));
        };
        let found = meta
            .targets
            .iter()
            .find(|t| t.package == pkg && t.name.replace('-', "_") == name.replace('-', "_"));
        match found {
            Some(t) => out.push(t),
            None => {
                let known: Vec<String> = meta
                    .targets
                    .iter()
                    .map(|t| format!("{}::{}", t.package, t.name))
                    .collect();
                let refs: Vec<&str> = known.iter().map(String::as_str).collect();
                let hint = retry_check_contract::did_you_mean(entry, &refs)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(format!(
                    "{at}model test `{entry}`: the workspace has no integration test target \
                     `{name}` in package `{pkg}`{hint}; test targets: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        }
    }
    Ok(out)
}

pub(crate) fn test_command(s: &Settings, meta: &Metadata, t: &TestTarget) -> Command {
    let mut cmd = cargo();
    cmd.arg("test")
        .arg("--manifest-path")
        .arg(&s.manifest)
        .args(["-p", &t.package, "--test", &t.name]);
    if s.loom {
        let base = s.target_dir.as_ref().unwrap_or(&meta.target_directory);
        cmd.arg("--release")
            .arg("--target-dir")
            .arg(base.join("retry-check-loom"));
        let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        cmd.env("RUSTFLAGS", format!("{flags} --cfg loom").trim_start());
    } else if let Some(d) = &s.target_dir {
        cmd.arg("--target-dir").arg(d);
    }
    if s.offline {
        cmd.arg("--offline");
    }
    if s.locked {
        cmd.arg("--locked");
    }
    cmd
}

/// Build one target's tests; a compile error is an `Err` with rustc's
/// rendering of every error.
pub(crate) fn build(s: &Settings, meta: &Metadata, t: &TestTarget) -> Result<(), String> {
    let out = test_command(s, meta, t)
        .args(["--no-run", "--message-format", "json"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut errors = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if v["reason"] == "compiler-message" && v["message"]["level"] == "error" {
            if let Some(r) = v["message"]["rendered"].as_str() {
                errors.push(r.trim_end().to_string());
            }
        }
    }
    let detail = if errors.is_empty() {
        String::from_utf8_lossy(&out.stderr).trim_end().to_string()
    } else {
        errors.join("\n\n")
    };
    Err(format!(
        "the model test `{}::{}` does not build:\n{detail}",
        t.package, t.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_package_and_target() {
        assert_eq!(
            split_entry("my-store::store_model"),
            Some(("my-store", "store_model"))
        );
        assert_eq!(split_entry("store_model"), None);
        assert_eq!(split_entry("::x"), None);
        assert_eq!(split_entry("a::"), None);
        assert_eq!(split_entry("a::b::c"), None);
        assert_eq!(split_entry("a b::c"), None);
    }

    #[test]
    fn entries_are_located_in_the_manifest() {
        let text = "[workspace]\n\n[workspace.metadata.retry-check]\nmodel-tests = [\"a::b\"]\n";
        assert_eq!(
            locate(Path::new("Cargo.toml"), text, "a::b"),
            "Cargo.toml:4:16"
        );
        assert_eq!(locate(Path::new("Cargo.toml"), text, "zz"), "Cargo.toml");
    }
}
