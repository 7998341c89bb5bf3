//! Output formats for diagnostics. Every function returns a `String` so the
//! caller decides where it goes (stdout, a file, a snapshot).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::{json, Value};

use crate::{Diagnostic, Label, Severity, SourceId, SourceMap, Span};

/// Counts of what a run reported, for the closing summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub files: usize,
}

impl Summary {
    pub fn of(diagnostics: &[Diagnostic], files: usize) -> Self {
        let mut s = Summary {
            files,
            ..Summary::default()
        };
        for d in diagnostics {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }

    /// `checked 3 files: 2 errors, 1 warning` (or `no findings`).
    pub fn line(&self) -> String {
        let files = plural(self.files as u64, "file");
        if self.errors + self.warnings + self.infos == 0 {
            return format!("checked {files}: no findings");
        }
        let mut parts = vec![
            plural(self.errors as u64, "error"),
            plural(self.warnings as u64, "warning"),
        ];
        if self.infos > 0 {
            parts.push(plural(self.infos as u64, "info"));
        }
        format!("checked {files}: {}", parts.join(", "))
    }

    /// The `summary` object that ends a JSON Lines report.
    pub fn json(&self) -> Value {
        json!({
            "reason": "summary",
            "files": self.files,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "success": self.errors == 0,
        })
    }
}

/// `1 file`, `2 files`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Widen an empty span to one character so the caret has something to point
/// at; keep it inside the text.
fn visible_range(text: &str, span: &Span) -> std::ops::Range<usize> {
    let start = span.range.start.min(text.len());
    let end = span.range.end.min(text.len()).max(start);
    if end > start {
        return start..end;
    }
    match text[start..].chars().next() {
        Some(c) if c != '\n' => start..start + c.len_utf8(),
        _ => start..start,
    }
}

/// rustc-style rendering of one diagnostic (`annotate-snippets`).
pub fn human(diag: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let title = level(diag.severity)
        .primary_title(diag.message.as_str())
        .id(diag.code.as_ref());

    // One snippet per file, the primary's file first, then in label order.
    let mut labels: Vec<(&Label, bool)> = Vec::new();
    if let Some(p) = &diag.primary {
        labels.push((p, true));
    }
    labels.extend(diag.secondary.iter().map(|l| (l, false)));
    let mut order: Vec<SourceId> = Vec::new();
    for (l, _) in &labels {
        if !order.contains(&l.span.source) {
            order.push(l.span.source);
        }
    }
    let mut group: Group<'_> =
        title.elements(Vec::<Snippet<'_, annotate_snippets::Annotation<'_>>>::new());
    for source in order {
        let text = sources.text(source);
        let mut snippet = Snippet::source(text).path(sources.path(source));
        for (l, primary) in labels.iter().filter(|(l, _)| l.span.source == source) {
            let kind = if *primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            snippet = snippet.annotation(
                kind.span(visible_range(text, &l.span))
                    .label(l.message.as_str()),
            );
        }
        group = group.element(snippet);
    }
    for n in &diag.notes {
        group = group.element(Level::NOTE.message(n.as_str()));
    }
    for h in &diag.help {
        group = group.element(Level::HELP.message(h.as_str()));
    }
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    renderer.render(&[group])
}

/// Several diagnostics in the human format, separated by blank lines, then
/// the summary line.
pub fn human_report(
    diags: &[Diagnostic],
    sources: &SourceMap,
    files: usize,
    color: bool,
) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&human(d, sources, color));
        out.push_str("\n\n");
    }
    out.push_str(&Summary::of(diags, files).line());
    out.push('\n');
    out
}

/// `path:line:col: level[CODE]: message`, one line, grep- and editor-friendly.
pub fn short(diag: &Diagnostic, sources: &SourceMap) -> String {
    let location = match &diag.primary {
        Some(l) => {
            let lc = sources.line_col(&l.span);
            format!(
                "{}:{}:{}: ",
                sources.path(l.span.source),
                lc.line,
                lc.column
            )
        }
        None => String::new(),
    };
    format!(
        "{location}{}[{}]: {}",
        diag.severity.as_str(),
        diag.code,
        diag.message
    )
}

pub fn short_report(diags: &[Diagnostic], sources: &SourceMap, files: usize) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&short(d, sources));
        out.push('\n');
    }
    out.push_str(&Summary::of(diags, files).line());
    out.push('\n');
    out
}

fn label_json(label: &Label, sources: &SourceMap) -> Value {
    let start = sources.line_col(&label.span);
    let end = sources.end_line_col(&label.span);
    json!({
        "file": sources.path(label.span.source),
        "line": start.line,
        "column": start.column,
        "end_line": end.line,
        "end_column": end.column,
        "byte_start": label.span.range.start,
        "byte_end": label.span.range.end,
        "label": label.message,
    })
}

/// One JSON object (no newline) for a diagnostic. Location fields are those
/// of the primary label, `null` when there is none.
pub fn json_value(diag: &Diagnostic, sources: &SourceMap) -> Value {
    let primary = diag.primary.as_ref().map(|l| label_json(l, sources));
    let field = |name: &str| {
        primary
            .as_ref()
            .and_then(|p| p.get(name).cloned())
            .unwrap_or(Value::Null)
    };
    let mut value = json!({
        "reason": "diagnostic",
        "code": diag.code,
        "name": diag.name,
        "level": diag.severity.as_str(),
        "message": diag.message,
        "file": field("file"),
        "line": field("line"),
        "column": field("column"),
        "end_line": field("end_line"),
        "end_column": field("end_column"),
        "label": field("label"),
        "related": diag.secondary.iter().map(|l| label_json(l, sources)).collect::<Vec<_>>(),
        "notes": diag.notes,
        "help": diag.help,
    });
    // What the finding's file is, when its reader said (`contract`,
    // `istio`, ...): right after `file`.
    if let (Some(kind), Value::Object(map)) = (
        diag.primary
            .as_ref()
            .and_then(|l| sources.kind(l.span.source)),
        &mut value,
    ) {
        let mut out = serde_json::Map::new();
        for (k, v) in std::mem::take(map) {
            let is_file = k == "file";
            out.insert(k, v);
            if is_file {
                out.insert("source_kind".into(), kind.into());
            }
        }
        *map = out;
    }
    if !diag.flow.is_empty() {
        // The proving trace, step by step (only findings with a proof have it).
        value["trace"] = diag
            .flow
            .iter()
            .map(|l| label_json(l, sources))
            .collect::<Vec<_>>()
            .into();
    }
    value
}

/// JSON Lines: one object per diagnostic, then a `summary` object.
pub fn json_report(diags: &[Diagnostic], sources: &SourceMap, files: usize) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&json_value(d, sources).to_string());
        out.push('\n');
    }
    out.push_str(&Summary::of(diags, files).json().to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (SourceMap, Diagnostic) {
        let mut map = SourceMap::new();
        let server = map.add(
            "contracts/server.toml",
            "[server.payments]\nkey_ttl = \"24h\"\n",
        );
        let client = map.add(
            "contracts/client.toml",
            "[client.reconciler]\nretry_window = \"72h\"\n",
        );
        let d = Diagnostic::new(
            "RC001",
            "key_ttl_shorter_than_retry_window",
            Severity::Error,
            "key TTL 24h is shorter than the retry window 72h",
        )
        .with_primary(Span::new(server, 28..33), "keys are forgotten after 24h")
        .with_secondary(Span::new(client, 35..40), "retries the same key for 72h")
        .with_note("a retry after 24h executes the charge again")
        .with_help("raise `key_ttl` to at least 72h");
        (map, d)
    }

    #[test]
    fn human_names_both_files() {
        let (map, d) = sample();
        insta::assert_snapshot!(human(&d, &map, false));
    }

    #[test]
    fn short_and_json_carry_location() {
        let (map, d) = sample();
        assert_eq!(
            short(&d, &map),
            "contracts/server.toml:2:11: error[RC001]: key TTL 24h is shorter than the retry window 72h"
        );
        let v = json_value(&d, &map);
        assert_eq!(v["line"], 2);
        assert_eq!(v["column"], 11);
        assert_eq!(v["related"][0]["file"], "contracts/client.toml");
        let report = json_report(std::slice::from_ref(&d), &map, 2);
        let last = report.lines().last().unwrap();
        let summary: Value = serde_json::from_str(last).unwrap();
        assert_eq!(summary["errors"], 1);
        assert_eq!(summary["success"], false);
    }

    #[test]
    fn empty_span_at_end_of_file_does_not_panic() {
        let mut map = SourceMap::new();
        let id = map.add("e.toml", "");
        let d = Diagnostic::new("RC000", "syntax_error", Severity::Error, "empty")
            .with_primary(Span::new(id, 5..9), "here");
        let out = human(&d, &map, false);
        assert!(out.contains("e.toml"));
    }
}
