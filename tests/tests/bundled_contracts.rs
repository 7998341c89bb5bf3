//! The contracts shipped in `contracts/`: the clean examples (with the
//! Istio and gRPC files they import) lint clean, and the `contracts/broken/`
//! set shows off every rule of the catalog.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use retry_check_diagnostics::{render, Diagnostic, Severity, SourceMap};
use retry_check_rules::{all_rules, lint, Level, LevelSource, LintLevels, Selector};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn toml_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if recursive {
                toml_files(&p, recursive, out);
            }
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

fn lint_dir(rel: &str, recursive: bool, levels: &LintLevels) -> (SourceMap, Vec<Diagnostic>) {
    let mut files = Vec::new();
    toml_files(&root().join(rel), recursive, &mut files);
    assert!(!files.is_empty(), "no contracts in {rel}");
    lint_files(&files, levels)
}

/// Lint contract files (and the configuration files they import).
fn lint_files(files: &[PathBuf], levels: &LintLevels) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    for f in files {
        let shown = f.strip_prefix(root()).unwrap().display().to_string();
        sources.add(shown, std::fs::read_to_string(f).unwrap());
    }
    // The configuration files the contracts import ([source] tables) too.
    let read = |path: &str| std::fs::read(root().join(path));
    let loaded = retry_check_sources::load(&mut sources, &read);
    assert!(
        loaded.errors.is_empty(),
        "{}",
        render::human_report(&loaded.errors, &sources, files.len(), false)
    );
    let mut diags = lint(&loaded.set, levels);
    retry_check_sources::annotate(&mut diags, &loaded.notes);
    (sources, diags)
}

#[test]
fn clean_examples_have_no_findings_even_pedantic() {
    let mut levels = LintLevels::new();
    for g in retry_check_rules::Group::ALL {
        levels.set(
            Selector::Group(*g),
            Level::Warn,
            LevelSource::CommandLine("-W".into()),
        );
    }
    let (sources, diags) = lint_dir("contracts", false, &levels);
    assert!(
        diags.is_empty(),
        "{}",
        render::human_report(&diags, &sources, 1, false)
    );
}

/// The default levels, with the pedantic rules (allow by default) at warn.
fn pedantic_on() -> LintLevels {
    let mut levels = LintLevels::new();
    levels.set(
        Selector::Group(retry_check_rules::Group::Pedantic),
        Level::Warn,
        LevelSource::Default,
    );
    levels
}

#[test]
fn broken_set_triggers_every_rule() {
    let levels = pedantic_on();
    let (_, diags) = lint_dir("contracts/broken", true, &levels);
    let seen: BTreeSet<&str> = diags.iter().map(|d| &*d.code).collect();
    let missing: Vec<&str> = all_rules()
        .iter()
        .map(|r| r.lint.code)
        .filter(|c| !seen.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "rules never triggered by contracts/broken: {missing:?}"
    );
    assert!(diags.iter().any(|d| d.severity == Severity::Error));
}

/// `contracts/broken/rcNNN_<name>.toml` fires RCNNN on its own, without
/// the rest of the set: each file shows the rule it is named after.
#[test]
fn each_broken_file_fires_the_rule_it_is_named_after() {
    let levels = pedantic_on();
    let mut files = Vec::new();
    toml_files(&root().join("contracts/broken"), false, &mut files);
    let mut checked = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let Some(code) = name.get(..5).filter(|c| c.starts_with("rc")) else {
            continue;
        };
        let code = code.to_uppercase();
        let (sources, diags) = lint_files(std::slice::from_ref(file), &levels);
        assert!(
            diags.iter().any(|d| d.code == code),
            "{name} does not fire {code} on its own:\n{}",
            render::human_report(&diags, &sources, 1, false)
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} broken files");
}

#[test]
fn broken_imports_are_reported_at_their_lines() {
    let mut levels = LintLevels::new();
    levels.set(
        Selector::Group(retry_check_rules::Group::Pedantic),
        Level::Warn,
        LevelSource::Default,
    );
    let (sources, diags) = lint_dir("contracts/broken", true, &levels);
    let at = |code: &str, file: &str| {
        diags.iter().any(|d| {
            d.code == code
                && d.primary
                    .as_ref()
                    .is_some_and(|p| sources.path(p.span.source).ends_with(file))
        })
    };
    // Istio's default retries in front of a POST with no server key.
    assert!(at("RC002", "imported/rc002-orders-virtualservice.yaml"));
    // gRPC hedging on a method whose server declares no key.
    assert!(at("RC030", "imported/rc030-bank-service-config.json"));
    // A mesh retrying in front of an application client, both layers named.
    let amplification = diags
        .iter()
        .find(|d| d.code == "RC019" && d.message.contains("rc019-mesh"))
        .expect("RC019 for the mesh in front of checkout");
    assert!(
        amplification.message.contains("(layer `app`)")
            && amplification.message.contains("(layer `mesh`)"),
        "{}",
        amplification.message
    );
}
