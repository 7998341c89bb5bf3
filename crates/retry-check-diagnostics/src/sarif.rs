//! SARIF 2.1.0 output for GitHub code scanning and other SARIF viewers.
//!
//! The rule catalogue comes from the caller (every declared [`Lint`], as
//! [`RuleMeta::of`] describes it). Every field GitHub code scanning
//! requires is written: the driver's `rules` (id, name, short and full
//! description, help text and markdown, default level), and for each result
//! `ruleId`, `ruleIndex`, `level`, `message.text`, a repo-relative
//! `artifactLocation.uri` with `uriBaseId` `%SRCROOT%`, a full `region`,
//! `partialFingerprints` and `relatedLocations` for secondary labels.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::{Diagnostic, Label, Lint, Severity, SourceMap, Span};

/// The key under which our fingerprint is stored in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "retryCheck/v1";

/// One rule of the catalogue, as SARIF describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    /// `RC001`.
    pub id: String,
    /// `key_ttl_shorter_than_retry_window`.
    pub name: String,
    /// One line.
    pub short_description: String,
    /// A paragraph.
    pub full_description: String,
    /// The explain text, markdown.
    pub help_markdown: String,
    /// The level a finding has when nothing configures it; `None` when the
    /// rule is off by default (allow).
    pub default_level: Option<Severity>,
    /// `properties.tags` (the rule's group, for instance).
    pub tags: Vec<String>,
    /// `helpUri`: where the rule's documentation is published.
    pub help_uri: Option<String>,
}

impl RuleMeta {
    /// The SARIF description of a declared code.
    pub fn of(lint: &Lint) -> RuleMeta {
        RuleMeta {
            id: lint.code.to_string(),
            name: lint.name.to_string(),
            short_description: lint.summary.to_string(),
            full_description: lint.what_it_does(),
            help_markdown: lint.explain.to_string(),
            default_level: lint.default_level.severity(),
            tags: vec![lint.group.to_string(), "retry".to_string()],
            help_uri: None,
        }
    }
}

/// The analysis tool, for `tool.driver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub information_uri: String,
}

/// SARIF's name for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a relative URI reference: forward slashes, and the characters
/// that cannot appear raw in a URI percent-encoded.
pub fn path_to_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.replace('\\', "/").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' | '+' | '@' | '=' => {
                out.push(c)
            }
            _ => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// The TOML item a byte offset belongs to, independent of line numbers:
/// the nearest table header at or above its line (`server.payments`), and
/// the key written on its line if any (`key_ttl`): `server.payments.key_ttl`.
pub fn item_path(text: &str, byte: usize) -> String {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[byte..].find('\n').map_or(text.len(), |i| byte + i);
    let line = text[line_start..line_end].trim();
    let header_of = |l: &str| -> Option<String> {
        let l = l.trim();
        let inner = l.strip_prefix('[')?;
        let inner = inner.split(']').next()?.trim_start_matches('[').trim();
        Some(inner.replace(' ', ""))
    };
    if let Some(h) = header_of(line) {
        return h;
    }
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('#'));
    let header = text[..line_start]
        .lines()
        .rev()
        .find_map(header_of)
        .unwrap_or_default();
    match (header.is_empty(), key) {
        (_, None) => header,
        (true, Some(k)) => k,
        (false, Some(k)) => format!("{header}.{k}"),
    }
}

/// A fingerprint that survives edits which only move the finding: a hash
/// of the code, the file, the TOML item and the message, never of a line
/// or column.
pub fn fingerprint(diag: &Diagnostic, sources: &SourceMap, uri: &str) -> String {
    let item = diag
        .primary
        .as_ref()
        .map(|l| item_path(sources.text(l.span.source), l.span.range.start))
        .unwrap_or_default();
    let mut hasher = Sha256::new();
    for part in [
        diag.code.as_ref(),
        uri,
        item.as_str(),
        diag.message.as_str(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}:{hex}", diag.code)
}

/// The fingerprint of a result as SARIF's `partialFingerprints` and a
/// baseline record it: [`fingerprint`] with the file as a URI relative to
/// the repository root (`uri_of` makes a shown path root-relative).
pub fn fingerprint_of(
    diag: &Diagnostic,
    sources: &SourceMap,
    uri_of: &dyn Fn(&str) -> String,
) -> String {
    let uri = diag
        .primary
        .as_ref()
        .map(|p| path_to_uri(&uri_of(sources.path(p.span.source))))
        .unwrap_or_default();
    fingerprint(diag, sources, &uri)
}

fn region(span: &Span, sources: &SourceMap) -> Value {
    let start = sources.line_col(span);
    let mut end = sources.end_line_col(span);
    // An empty span still marks one character, as the human output does.
    if end <= start {
        end = crate::LineCol {
            line: start.line,
            column: start.column + 1,
        };
    }
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn physical(span: &Span, sources: &SourceMap, uri_of: &dyn Fn(&str) -> String) -> Value {
    json!({
        "artifactLocation": {
            "uri": path_to_uri(&uri_of(sources.path(span.source))),
            "uriBaseId": "%SRCROOT%",
        },
        "region": region(span, sources),
    })
}

fn location(label: &Label, sources: &SourceMap, uri_of: &dyn Fn(&str) -> String) -> Value {
    let mut loc = json!({ "physicalLocation": physical(&label.span, sources, uri_of) });
    if !label.message.is_empty() {
        loc["message"] = json!({ "text": label.message });
    }
    loc
}

fn rule_json(rule: &RuleMeta) -> Value {
    let mut default = json!({
        "level": rule.default_level.map_or("note", level),
    });
    if rule.default_level.is_none() {
        default["enabled"] = json!(false);
    }
    let mut rule_object = json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": { "text": rule.short_description },
        "fullDescription": { "text": rule.full_description },
        "help": { "text": rule.help_markdown, "markdown": rule.help_markdown },
        "defaultConfiguration": default,
        "properties": { "tags": rule.tags },
    });
    if let Some(uri) = &rule.help_uri {
        rule_object["helpUri"] = json!(uri);
    }
    rule_object
}

/// The trace that proves a finding as one `codeFlow` with one
/// `threadFlow`: each step at the contract item it concerns, its text as
/// the step's message, in execution order.
fn code_flows(diag: &Diagnostic, sources: &SourceMap, uri_of: &dyn Fn(&str) -> String) -> Value {
    let steps: Vec<Value> = diag
        .flow
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "location": location(l, sources, uri_of),
                "executionOrder": i + 1,
            })
        })
        .collect();
    json!([{
        "message": { "text": format!("the trace that proves {}", diag.code) },
        "threadFlows": [{ "locations": steps }],
    }])
}

/// The whole SARIF log (pretty-printed, with a final newline).
///
/// `uri_of` turns a path as shown to users into a path relative to the
/// repository root. Diagnostics whose code is not in `rules` (contract
/// errors, `RC000`) get a rule made from their code and name.
pub fn sarif_report(
    diags: &[Diagnostic],
    sources: &SourceMap,
    tool: &Tool,
    rules: &[RuleMeta],
    uri_of: &dyn Fn(&str) -> String,
) -> String {
    let mut catalogue: Vec<RuleMeta> = rules.to_vec();
    for d in diags {
        if !catalogue.iter().any(|r| r.id == d.code) {
            catalogue.push(RuleMeta {
                id: d.code.to_string(),
                name: d.name.to_string(),
                short_description: format!("{} ({})", d.name.replace('_', " "), d.code),
                full_description: format!(
                    "{} reports `{}`: see the message of each result.",
                    d.code, d.name
                ),
                help_markdown: "Fix the reported problem; see the result's message.".into(),
                default_level: Some(Severity::Error),
                tags: Vec::new(),
                help_uri: None,
            });
        }
    }
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let index = catalogue.iter().position(|r| r.id == d.code);
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": d.text_with_notes() },
            });
            if let Some(p) = &d.primary {
                result["locations"] = json!([location(p, sources, uri_of)]);
            }
            result["partialFingerprints"] =
                json!({ FINGERPRINT_KEY: fingerprint_of(d, sources, uri_of) });
            if !d.secondary.is_empty() {
                let related: Vec<Value> = d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut loc = location(l, sources, uri_of);
                        loc["id"] = json!(i + 1);
                        loc
                    })
                    .collect();
                result["relatedLocations"] = json!(related);
            }
            if !d.flow.is_empty() {
                result["codeFlows"] = code_flows(d, sources, uri_of);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": tool.name,
                    "informationUri": tool.information_uri,
                    "version": tool.version,
                    "semanticVersion": tool.version,
                    "rules": catalogue.iter().map(rule_json).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "The root of the repository." } }
            },
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "version = 1\n\n[server.payments]\nkey_ttl = \"24h\"\n[server.payments.operations.Charge]\nmethod = \"POST\"\n";

    #[test]
    fn item_path_names_table_and_key() {
        let at = |needle: &str| TEXT.find(needle).unwrap();
        assert_eq!(item_path(TEXT, at("\"24h\"")), "server.payments.key_ttl");
        assert_eq!(item_path(TEXT, at("[server.payments]")), "server.payments");
        assert_eq!(
            item_path(TEXT, at("\"POST\"")),
            "server.payments.operations.Charge.method"
        );
        assert_eq!(item_path(TEXT, at("1")), "version");
        assert_eq!(item_path(TEXT, 10_000), "server.payments.operations.Charge");
    }

    fn finding(text: &str) -> (SourceMap, Diagnostic) {
        let mut map = SourceMap::new();
        let id = map.add("contracts/p.toml", text);
        let start = text.find("\"24h\"").unwrap();
        let d = Diagnostic::new("RC001", "k", Severity::Error, "forgets keys")
            .with_primary(Span::new(id, start..start + 5), "here");
        (map, d)
    }

    #[test]
    fn fingerprint_ignores_line_shifts_but_not_the_message() {
        let (map, d) = finding(TEXT);
        let shifted = format!("# a comment\n\n\n{TEXT}");
        let (map2, d2) = finding(&shifted);
        assert_eq!(
            fingerprint(&d, &map, "contracts/p.toml"),
            fingerprint(&d2, &map2, "contracts/p.toml")
        );
        let mut other = d.clone();
        other.message = "something else".into();
        assert_ne!(
            fingerprint(&d, &map, "contracts/p.toml"),
            fingerprint(&other, &map, "contracts/p.toml")
        );
        assert_ne!(
            fingerprint(&d, &map, "contracts/p.toml"),
            fingerprint(&d, &map, "contracts/q.toml")
        );
    }

    #[test]
    fn uris_are_relative_references() {
        assert_eq!(path_to_uri("contracts\\a b.toml"), "contracts/a%20b.toml");
        assert_eq!(path_to_uri("contracts/ü.toml"), "contracts/%C3%BC.toml");
    }
}
