//! Every format has `tests/fixtures/<format>/clean/`, which loads and lints
//! with no finding at all (pedantic rules at `warn` too), `broken/`, whose
//! findings are snapshotted, and `invalid/`, whose located errors are
//! snapshotted. A fixture directory is a small contract set: TOML contracts
//! with their `[source]` tables and the files they import.

use std::path::{Path, PathBuf};

use retry_check_diagnostics::{render, Diagnostic, SourceMap};
use retry_check_rules::{lint, Group, Level, LevelSource, LintLevels, Selector};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if retry_check_sources::is_candidate(&p) {
            out.push(p);
        }
    }
}

/// Load a fixture directory as the CLI would: every candidate file, and
/// what the `[source]` tables name.
fn load(format: &str, kind: &str) -> (SourceMap, Vec<Diagnostic>, bool) {
    let dir = fixtures().join(format).join(kind);
    let mut paths = Vec::new();
    files(&dir, &mut paths);
    assert!(!paths.is_empty(), "no files in {}", dir.display());
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = SourceMap::new();
    for p in &paths {
        let shown = p.strip_prefix(base).unwrap().display().to_string();
        sources.add(shown, std::fs::read_to_string(p).unwrap());
    }
    let read = |path: &str| std::fs::read(base.join(path));
    let loaded = retry_check_sources::load(&mut sources, &read);
    if !loaded.errors.is_empty() {
        return (sources, loaded.errors, false);
    }
    // Default levels, and the pedantic group too: clean means clean.
    let mut levels = LintLevels::new();
    levels.set(
        Selector::Group(Group::Pedantic),
        Level::Warn,
        LevelSource::CommandLine("-W pedantic".into()),
    );
    let mut diags = lint(&loaded.set, &levels);
    retry_check_sources::annotate(&mut diags, &loaded.notes);
    (sources, diags, true)
}

fn report(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources, false) + "\n\n")
        .collect()
}

fn check_format(format: &str, expected_codes: &[&str]) {
    let (sources, diags, linted) = load(format, "clean");
    assert!(
        linted && diags.is_empty(),
        "{format}/clean has findings:\n{}",
        report(&sources, &diags)
    );

    let (sources, diags, linted) = load(format, "broken");
    assert!(
        linted,
        "{format}/broken does not load:\n{}",
        report(&sources, &diags)
    );
    for code in expected_codes {
        assert!(
            diags.iter().any(|d| d.code == *code),
            "{format}/broken does not trigger {code}:\n{}",
            report(&sources, &diags)
        );
    }
    insta::assert_snapshot!(format!("{format}_broken"), report(&sources, &diags));

    let (sources, errors, linted) = load(format, "invalid");
    assert!(
        !linted && !errors.is_empty(),
        "{format}/invalid loads without errors"
    );
    for e in &errors {
        assert_eq!(e.code, "RC000", "{e:?}");
        assert!(e.primary.is_some(), "error without a location: {e:?}");
    }
    insta::assert_snapshot!(format!("{format}_invalid"), report(&sources, &errors));
}

#[test]
fn istio() {
    check_format("istio", &["RC002", "RC019"]);
}

#[test]
fn grpc() {
    check_format("grpc", &["RC030"]);
}

#[test]
fn envoy() {
    check_format("envoy", &["RC002", "RC023"]);
}

#[test]
fn linkerd() {
    check_format("linkerd", &["RC002"]);
}

#[test]
fn aws() {
    check_format("aws", &["RC019"]);
}

#[test]
fn openapi() {
    check_format("openapi", &["RC002", "RC026"]);
}
