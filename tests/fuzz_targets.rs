//! One function per fuzz target. Each must return normally on every input:
//! a panic (or an error without a location) is the bug the fuzzer looks for.

use retry_check_contract::{load, parse::decode};
use retry_check_diagnostics::{render, SourceMap};
use retry_check_harness::{replay, stores::MemoryStore, ReplayFile};
use retry_check_rules::{lint, LintLevels};

/// Separates the files of a multi-file input of [`lint_contracts`].
pub const FILE_SEPARATOR: &[u8] = b"\n%%%\n";

/// The body of one fuzz target.
pub type FuzzTarget = fn(&[u8]);

/// The fuzz targets, by the name of their file in `fuzz/fuzz_targets/` and
/// of their corpus directory.
pub const TARGETS: &[(&str, FuzzTarget)] = &[
    ("parse_contract", parse_contract),
    ("lint_contracts", lint_contracts),
    ("scan_source", scan_source),
    ("replay_file", replay_file),
    ("import_source", import_source),
    ("lint_sources", lint_sources),
];

/// Parse one contract file; every error must carry a location, and every
/// diagnostic must render.
pub fn parse_contract(data: &[u8]) {
    let mut sources = SourceMap::new();
    let (_, utf8_error) = decode("fuzz.toml", data, &mut sources);
    if let Some(error) = utf8_error {
        let _ = render::human(&error, &sources, false);
        return;
    }
    let (_, errors) = load(&sources);
    for error in &errors {
        assert!(
            error.primary.is_some(),
            "error without a location: {error:?}"
        );
    }
    let _ = render::human_report(&errors, &sources, 1, false);
}

/// Parse a set of contract files (the input split at [`FILE_SEPARATOR`]),
/// resolve references across them, lint, and render every finding in every
/// format that takes no configuration.
pub fn lint_contracts(data: &[u8]) {
    let mut sources = SourceMap::new();
    for (i, part) in split(data).into_iter().enumerate() {
        let (_, utf8_error) = decode(&format!("contracts/f{i}.toml"), part, &mut sources);
        if utf8_error.is_some() {
            return;
        }
    }
    let (set, mut diagnostics) = load(&sources);
    if diagnostics.is_empty() {
        diagnostics = lint(&set, &LintLevels::new());
    }
    located_and_rendered(&diagnostics, &sources);
}

/// Scan one Rust source file and run the code rules over what it found.
pub fn scan_source(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = SourceMap::new();
    let id = sources.add("fuzz.rs", text);
    let diagnostics = match retry_check_scan::scan_source(&sources, id) {
        Ok(scan) => retry_check_scan::lint_scan_at_defaults(&scan),
        Err(error) => vec![*error],
    };
    let _ = render::human_report(&diagnostics, &sources, 1, false);
}

/// Parse a replay file and, when it is one, re-run it against the in-process
/// reference store and render its timeline.
pub fn replay_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = ReplayFile::from_json(text) else {
        return;
    };
    // The store a replay file names (or a day), as `cargo retry-check replay`.
    let key_ttl = file
        .reference_store
        .map(|store| store.key_ttl)
        .or(file.config.key_ttl)
        .unwrap_or(std::time::Duration::from_secs(24 * 3600));
    let factory = MemoryStore::factory(key_ttl);
    if let Ok(trace) = replay(factory, &file) {
        let _ = trace.timeline.render();
        let _ = trace.timeline.to_mermaid();
    }
}

/// The file names an imported-format input is read as, by its first byte.
const SOURCE_NAMES: &[&str] = &["fuzz.yaml", "fuzz.json", "config"];

/// The formats a `[source]` table can force, for inputs whose first byte
/// asks for one (so every format's reader sees every input).
const FORCED: &[&str] = &[
    "grpc-service-config",
    "envoy",
    "istio",
    "linkerd",
    "aws-config",
    "openapi",
];

/// Read one configuration file (YAML, JSON or AWS config, by the first
/// byte; sniffed, or read as the format a `[source]` table forces) as a
/// contract source: every error must carry a location, and render.
pub fn import_source(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let name = SOURCE_NAMES[usize::from(selector) % SOURCE_NAMES.len()];
    let mut sources = SourceMap::new();
    let (_, utf8_error) = decode(name, rest, &mut sources);
    if utf8_error.is_some() {
        return;
    }
    // The direct JSON reader builds jsonc-parser's tree, or leaves the
    // text to it.
    if let Ok(text) = std::str::from_utf8(rest) {
        if let Some(direct) = retry_check_sources::json_direct::parse(text) {
            assert_eq!(
                retry_check_sources::json::parse_jsonc(text).as_ref(),
                Ok(&direct)
            );
        }
    }
    if selector & 0x80 != 0 {
        let format = FORCED[usize::from(selector >> 2) % FORCED.len()];
        let mapping =
            format!("version = 1\n[source.f]\npath = \"{name}\"\nformat = \"{format}\"\n");
        sources.add("fuzz.toml", mapping);
    }
    let none = |_: &str| Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    let loaded = retry_check_sources::load(&mut sources, &none);
    for error in &loaded.errors {
        assert!(
            error.primary.is_some(),
            "error without a location: {error:?}"
        );
    }
    let files = sources.files().count();
    let _ = render::human_report(&loaded.errors, &sources, files, false);
}

/// A contract and the files it imports (the input split at
/// [`FILE_SEPARATOR`]: `f0.toml`, then YAML, JSON and AWS config files in
/// turn), loaded, linted, annotated and rendered in every plain format.
pub fn lint_sources(data: &[u8]) {
    let mut sources = SourceMap::new();
    for (i, part) in split(data).into_iter().enumerate() {
        let name = match i {
            0 => "f0.toml".to_string(),
            i => match i % 3 {
                1 => format!("f{i}.yaml"),
                2 => format!("f{i}.json"),
                _ => format!("d{i}/config"),
            },
        };
        let (_, utf8_error) = decode(&name, part, &mut sources);
        if utf8_error.is_some() {
            return;
        }
    }
    let none = |_: &str| Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    let loaded = retry_check_sources::load(&mut sources, &none);
    let mut diagnostics = loaded.errors;
    if diagnostics.is_empty() {
        diagnostics = lint(&loaded.set, &LintLevels::new());
        retry_check_sources::annotate(&mut diagnostics, &loaded.notes);
    }
    located_and_rendered(&diagnostics, &sources);
}

/// Every diagnostic has a location, and renders in every plain format.
fn located_and_rendered(diagnostics: &[retry_check_diagnostics::Diagnostic], sources: &SourceMap) {
    for diagnostic in diagnostics {
        assert!(
            diagnostic.primary.is_some(),
            "diagnostic without a location: {diagnostic:?}"
        );
    }
    let files = sources.files().count();
    let _ = render::human_report(diagnostics, sources, files, false);
    let _ = render::short_report(diagnostics, sources, files);
    let _ = render::json_report(diagnostics, sources, files);
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest
        .windows(FILE_SEPARATOR.len())
        .position(|w| w == FILE_SEPARATOR)
    {
        parts.push(&rest[..at]);
        rest = &rest[at + FILE_SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}
