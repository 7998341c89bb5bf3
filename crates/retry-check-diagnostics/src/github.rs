//! GitHub Actions output: workflow-command annotations (`::error ...::`)
//! and the markdown summary table for `$GITHUB_STEP_SUMMARY`.
//!
//! Escaping follows `@actions/core` (`command.ts`): in the message `%`,
//! `\r` and `\n` are percent-encoded; in property values `:` and `,` too.

use std::collections::BTreeMap;

use crate::render::Summary;
use crate::{Diagnostic, Severity, SourceMap};

/// Escape the data (message) part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command for a severity.
pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// One annotation line (no newline). `uri_of` makes the path relative to
/// the repository root, which is what GitHub matches against the diff.
pub fn annotation(
    diag: &Diagnostic,
    sources: &SourceMap,
    uri_of: &dyn Fn(&str) -> String,
) -> String {
    let mut props: Vec<String> = Vec::new();
    if let Some(p) = &diag.primary {
        let start = sources.line_col(&p.span);
        let end = sources.end_line_col(&p.span);
        let end_column = if end <= start {
            start.column + 1
        } else {
            end.column
        };
        props.push(format!(
            "file={}",
            escape_property(&uri_of(sources.path(p.span.source)))
        ));
        props.push(format!("line={}", start.line));
        props.push(format!("col={}", start.column));
        props.push(format!("endLine={}", end.line.max(start.line)));
        props.push(format!("endColumn={end_column}"));
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{} {}", diag.code, diag.name))
    ));
    let message = diag.text_with_notes();
    format!(
        "::{} {}::{}",
        command(diag.severity),
        props.join(","),
        escape_data(&message)
    )
}

/// Every annotation, one per line.
pub fn annotations(
    diags: &[Diagnostic],
    sources: &SourceMap,
    uri_of: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&annotation(d, sources, uri_of));
        out.push('\n');
    }
    out
}

/// Escape text for a markdown table cell.
pub fn markdown_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ").replace('\r', "")
}

/// A markdown summary: a heading, the summary line, and a table of the
/// findings by rule and level (empty table omitted).
pub fn markdown_summary(title: &str, diags: &[Diagnostic], files: usize) -> String {
    let mut out = format!(
        "## {title}\n\n{}\n",
        markdown_cell(&Summary::of(diags, files).line())
    );
    let mut by_rule: BTreeMap<(&str, &str), [usize; 3]> = BTreeMap::new();
    for d in diags {
        let counts = by_rule.entry((&d.code, &d.name)).or_default();
        match d.severity {
            Severity::Error => counts[0] += 1,
            Severity::Warning => counts[1] += 1,
            Severity::Info => counts[2] += 1,
        }
    }
    if !by_rule.is_empty() {
        out.push_str("\n| rule | name | errors | warnings | notes |\n|---|---|---:|---:|---:|\n");
        for ((code, name), [e, w, i]) in &by_rule {
            out.push_str(&format!(
                "| {} | `{}` | {e} | {w} | {i} |\n",
                markdown_cell(code),
                markdown_cell(name)
            ));
        }
    }
    out
}

/// A fenced ```` ```mermaid ```` block of a diagram's source (GitHub draws
/// it in comments, step summaries and markdown files).
pub fn mermaid_block(diagram: &str) -> String {
    format!("```mermaid\n{}\n```\n", diagram.trim_end())
}

/// A report for a pull-request comment: the summary table, then each
/// finding as a heading and its rustc-style snippet in a `text` block, and
/// its diagram (a simulated counterexample's timeline as a Mermaid
/// `sequenceDiagram`) when it has one.
pub fn markdown_report(
    title: &str,
    diags: &[Diagnostic],
    sources: &SourceMap,
    files: usize,
) -> String {
    let mut out = markdown_summary(title, diags, files);
    for d in diags {
        let rendered = crate::render::human(d, sources, false);
        // A fence longer than any backtick run inside keeps the block closed.
        let longest = rendered
            .split(|c| c != '`')
            .map(str::len)
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        out.push_str(&format!(
            "\n### {}[{}] `{}`\n\n{}\n\n{fence}text\n{}\n{fence}\n",
            d.severity.as_str(),
            d.code,
            d.name,
            markdown_cell(&d.message),
            rendered.trim_end()
        ));
        if let Some(diagram) = &d.diagram {
            out.push('\n');
            out.push_str(&mermaid_block(diagram));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    #[test]
    fn data_escaping_follows_actions_core() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
        // `:` and `,` stay in data.
        assert_eq!(escape_data("a: b, c"), "a: b, c");
    }

    #[test]
    fn property_escaping_adds_colon_and_comma() {
        assert_eq!(escape_property("C:\\a,b.toml"), "C%3A\\a%2Cb.toml");
        assert_eq!(escape_property("50%,\n"), "50%25%2C%0A");
    }

    #[test]
    fn annotation_has_location_title_and_escaped_message() {
        let mut map = SourceMap::new();
        let id = map.add("contracts/a,b.toml", "[client.x]\nmax_attempts = 0\n");
        let d = Diagnostic::new(
            "RC007",
            "invalid_attempts",
            Severity::Warning,
            "50% of\nretries",
        )
        .with_primary(Span::new(id, 26..27), "here")
        .with_help("set it to 3");
        let line = annotation(&d, &map, &|p| p.to_string());
        assert_eq!(
            line,
            "::warning file=contracts/a%2Cb.toml,line=2,col=16,endLine=2,endColumn=17,\
             title=RC007 invalid_attempts::50%25 of%0Aretries%0Ahelp: set it to 3"
        );
        let info = Diagnostic::new("RC099", "x", Severity::Info, "m");
        assert_eq!(
            annotation(&info, &map, &|p| p.to_string()),
            "::notice title=RC099 x::m"
        );
    }

    #[test]
    fn markdown_report_fences_snippets_safely() {
        let mut map = SourceMap::new();
        let id = map.add("c.toml", "a = \"```\"\n");
        let d = Diagnostic::new("RC000", "invalid_value", Severity::Error, "bad | value")
            .with_primary(Span::new(id, 4..9), "here");
        let md = markdown_report("t", std::slice::from_ref(&d), &map, 1);
        assert!(md.contains("### error[RC000] `invalid_value`\n\nbad \\| value\n\n````text\n"));
        assert!(md.trim_end().ends_with("````"));
    }

    #[test]
    fn markdown_report_draws_diagrams_after_the_snippet() {
        let mut map = SourceMap::new();
        let id = map.add("c.toml", "key_ttl = \"1h\"\n");
        let plain = Diagnostic::new("RC001", "a", Severity::Error, "m")
            .with_primary(Span::new(id, 10..14), "here");
        let drawn = plain
            .clone()
            .with_diagram("sequenceDiagram\n    participant c1 as c1\n");
        let md = markdown_report("t", &[plain, drawn], &map, 1);
        assert_eq!(md.matches("```mermaid\n").count(), 1, "{md}");
        assert!(md.ends_with("```\n\n```mermaid\nsequenceDiagram\n    participant c1 as c1\n```\n"));
    }

    #[test]
    fn summary_table_counts_by_rule_and_level() {
        let d = |code: &str, s| Diagnostic::new(code.to_string(), "n|m", s, "x");
        let diags = [
            d("RC002", Severity::Error),
            d("RC001", Severity::Warning),
            d("RC001", Severity::Error),
        ];
        let md = markdown_summary("retry-check", &diags, 2);
        assert_eq!(
            md,
            "## retry-check\n\nchecked 2 files: 2 errors, 1 warning\n\n\
             | rule | name | errors | warnings | notes |\n|---|---|---:|---:|---:|\n\
             | RC001 | `n\\|m` | 1 | 1 | 0 |\n| RC002 | `n\\|m` | 1 | 0 | 0 |\n"
        );
    }
}
