//! Unmaintained retry crates declared in a `Cargo.toml` (RC107), pointed
//! at the dependency's line.

use retry_check_diagnostics::{SourceId, Span};
use toml::de::{DeTable, DeValue};

use crate::{FileScan, RetryCrate};

const TABLES: &[&str] = &["dependencies", "dev-dependencies", "build-dependencies"];

fn unmaintained(name: &str) -> Option<RetryCrate> {
    match name {
        "backoff" => Some(RetryCrate::Backoff),
        "tokio-retry" | "tokio_retry" => Some(RetryCrate::TokioRetry),
        _ => None,
    }
}

/// Scan a manifest: `[dependencies]`, `[dev-dependencies]`,
/// `[build-dependencies]`, their `[target.'cfg(..)'.*]` forms and
/// `[workspace.dependencies]`; a renamed dependency counts by its
/// `package`. A manifest that is not valid TOML yields an empty scan
/// (cargo reports it better than we could).
pub fn scan_manifest(text: &str, id: SourceId) -> FileScan {
    let mut out = FileScan::empty(id);
    let Ok(doc) = DeTable::parse(text) else {
        return out;
    };
    let root = doc.get_ref();
    let mut tables: Vec<&DeTable<'_>> = Vec::new();
    for (k, v) in root.iter() {
        let key = k.get_ref().as_ref();
        let DeValue::Table(t) = v.get_ref() else {
            continue;
        };
        if TABLES.contains(&key) {
            tables.push(t);
        } else if key == "workspace" {
            if let Some(DeValue::Table(d)) = t.get("dependencies").map(|v| v.get_ref()) {
                tables.push(d);
            }
        } else if key == "target" {
            for (_, cfg) in t.iter() {
                let DeValue::Table(cfg) = cfg.get_ref() else {
                    continue;
                };
                for name in TABLES {
                    if let Some(DeValue::Table(d)) = cfg.get(*name).map(|v| v.get_ref()) {
                        tables.push(d);
                    }
                }
            }
        }
    }
    for deps in tables {
        for (k, v) in deps.iter() {
            let package = match v.get_ref() {
                DeValue::Table(t) => match t.get("package").map(|p| p.get_ref()) {
                    Some(DeValue::String(p)) => p.as_ref(),
                    _ => k.get_ref().as_ref(),
                },
                _ => k.get_ref().as_ref(),
            };
            let Some(krate) = unmaintained(package) else {
                continue;
            };
            // The whole `name = ...` entry, key to end of value.
            let start = k.span().start;
            let end = v.span().end.max(start).min(text.len());
            let span = Span::new(id, start..end);
            if !out
                .unmaintained
                .iter()
                .any(|(c, s)| *c == krate && s == &span)
            {
                out.unmaintained.push((krate, span));
            }
        }
    }
    out.unmaintained.sort_by_key(|(_, s)| s.range.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(RetryCrate, String)> {
        scan_manifest(text, SourceId(0))
            .unmaintained
            .into_iter()
            .map(|(k, s)| (k, text[s.range].to_string()))
            .collect()
    }

    #[test]
    fn every_dependency_table_and_renames() {
        let text = r#"
[package]
name = "x"

[dependencies]
backon = "1"
backoff = { version = "0.4", features = ["tokio"] }

[dev-dependencies]
retry = { package = "tokio-retry", version = "0.3" }

[target.'cfg(unix)'.build-dependencies]
backoff = "0.4"

[workspace.dependencies]
tokio-retry = "0.3"
"#;
        assert_eq!(
            found(text),
            vec![
                (
                    RetryCrate::Backoff,
                    r#"backoff = { version = "0.4", features = ["tokio"] }"#.to_string()
                ),
                (
                    RetryCrate::TokioRetry,
                    r#"retry = { package = "tokio-retry", version = "0.3" }"#.to_string()
                ),
                (RetryCrate::Backoff, r#"backoff = "0.4""#.to_string()),
                (RetryCrate::TokioRetry, r#"tokio-retry = "0.3""#.to_string()),
            ]
        );
    }

    #[test]
    fn clean_and_invalid_manifests_find_nothing() {
        assert!(found("[dependencies]\nbackon = \"1\"\n").is_empty());
        assert!(found("[dependencies\nbackoff = ").is_empty());
        // `backoff` as a feature name or a package's own name is not a dependency.
        assert!(found("[package]\nname = \"backoff\"\n[features]\nbackoff = []\n").is_empty());
    }
}
