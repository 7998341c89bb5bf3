//! The contracts shipped in `contracts/`: the clean examples lint clean, and
//! the `contracts/broken/` set shows off every rule of the catalog.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use retry_check_contract::load;
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
    let mut sources = SourceMap::new();
    for f in &files {
        let shown = f.strip_prefix(root()).unwrap().display().to_string();
        sources.add(shown, std::fs::read_to_string(f).unwrap());
    }
    let (set, errors) = load(&sources);
    assert!(
        errors.is_empty(),
        "{}",
        render::human_report(&errors, &sources, files.len(), false)
    );
    let diags = lint(&set, levels);
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
    let seen: BTreeSet<&str> = diags.iter().map(|d| d.code.as_str()).collect();
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
        let mut sources = SourceMap::new();
        sources.add(name.clone(), std::fs::read_to_string(file).unwrap());
        let (set, errors) = load(&sources);
        assert!(errors.is_empty(), "{name} does not parse");
        let diags = lint(&set, &levels);
        assert!(
            diags.iter().any(|d| d.code == code),
            "{name} does not fire {code} on its own:\n{}",
            render::human_report(&diags, &sources, 1, false)
        );
        checked += 1;
    }
    assert!(checked > 40, "only {checked} broken files");
}
