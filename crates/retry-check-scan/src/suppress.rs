//! `// retry-check: allow(RC103, code_no_jitter) -- reason` and
//! `// retry-check: client = "checkout"` comments.
//!
//! A comment alone on its line covers the statement or item that starts
//! next; a comment after code covers its own line.

use std::ops::Range;

use retry_check_diagnostics::{SourceId, Span};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

/// One `allow` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Codes or names as written.
    pub codes: Vec<String>,
    pub reason: Option<String>,
    /// The comment.
    pub span: Span,
    /// Byte range of the code it covers.
    pub covers: Range<usize>,
}

/// A `// retry-check: client = "checkout"` comment: the policy it covers
/// is the one contract client `checkout` declares (drift, RC109).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The contract client's name.
    pub client: String,
    /// The comment.
    pub span: Span,
    /// Byte range of the code it covers.
    pub covers: Range<usize>,
}

const MARKER: &str = "// retry-check: allow(";
const CLIENT_MARKER: &str = "// retry-check: client";

/// What the statement or item after a comment (or the comment's own line,
/// after code) covers.
fn covered(ranges: &[Range<usize>], line: &str, pos: usize, line_start: usize) -> Range<usize> {
    let line_end = line_start + line.len();
    if !line[..pos].trim().is_empty() {
        return line_start..line_end;
    }
    ranges
        .iter()
        .filter(|r| r.start >= line_end)
        .min_by_key(|r| (r.start, usize::MAX - r.end))
        .cloned()
        .unwrap_or(line_start..line_end)
}

/// Byte ranges of every literal token (strings, doc comments, which the
/// tokenizer turns into `#[doc = "..."]`): a marker inside one is text,
/// not a comment of ours. Only computed for files that contain a marker.
fn literal_ranges(text: &str) -> Vec<Range<usize>> {
    fn walk(ts: proc_macro2::TokenStream, out: &mut Vec<Range<usize>>) {
        for tt in ts {
            match tt {
                proc_macro2::TokenTree::Group(g) => walk(g.stream(), out),
                proc_macro2::TokenTree::Literal(l) => out.push(l.span().byte_range()),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    if let Ok(ts) = text.parse::<proc_macro2::TokenStream>() {
        walk(ts, &mut out);
    }
    out
}

/// Start of `marker` on `line` when it begins a real line comment: not
/// inside a string or a doc comment, and not after another `//`.
fn marker_at(
    line: &str,
    marker: &str,
    line_start: usize,
    literals: &[Range<usize>],
) -> Option<usize> {
    let pos = line.find(marker)?;
    if line[..pos].contains("//") {
        return None;
    }
    let at = line_start + pos;
    if literals.iter().any(|r| r.contains(&at)) {
        return None;
    }
    Some(pos)
}

fn ranges_of(file: &syn::File) -> Vec<Range<usize>> {
    let mut ranges = Ranges(Vec::new());
    ranges.visit_file(file);
    ranges.0
}

/// `client = "name"` comments. A malformed one (no quoted name) is kept
/// with an empty name so that the caller can report it.
pub(crate) fn find_bindings(file: &syn::File, text: &str, source: SourceId) -> Vec<Binding> {
    if !text.contains(CLIENT_MARKER) {
        return Vec::new();
    }
    let ranges = ranges_of(file);
    let literals = literal_ranges(text);
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if let Some(pos) = marker_at(line, CLIENT_MARKER, line_start, &literals) {
            let after = line[pos + CLIENT_MARKER.len()..].trim_start();
            let client = after
                .strip_prefix('=')
                .map(str::trim_start)
                .and_then(|a| a.strip_prefix('"'))
                .and_then(|a| a.split_once('"'))
                .map(|(name, _)| name.trim().to_string())
                .unwrap_or_default();
            let start = line_start + pos;
            let end = line_start + line.trim_end().len();
            out.push(Binding {
                client,
                span: Span::new(source, start..end.max(start)),
                covers: covered(&ranges, line, pos, line_start),
            });
        }
        line_start += line.len();
    }
    out
}

pub(crate) fn find(file: &syn::File, text: &str, source: SourceId) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let ranges = ranges_of(file);
    let literals = literal_ranges(text);
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if let Some(pos) = marker_at(line, MARKER, line_start, &literals) {
            let after = &line[pos + MARKER.len()..];
            if let Some(close) = after.find(')') {
                let codes: Vec<String> = after[..close]
                    .split(',')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                let rest = after[close + 1..].trim();
                let reason = rest
                    .strip_prefix("--")
                    .map(|r| r.trim().to_string())
                    .filter(|r| !r.is_empty());
                let comment_start = line_start + pos;
                let covers = covered(&ranges, line, pos, line_start);
                let comment_end = line_start + line.trim_end().len();
                out.push(Suppression {
                    codes,
                    reason,
                    span: Span::new(source, comment_start..comment_end.max(comment_start)),
                    covers,
                });
            }
        }
        line_start = line_end;
    }
    out
}

/// Byte ranges of every statement and item.
struct Ranges(Vec<Range<usize>>);

impl<'ast> Visit<'ast> for Ranges {
    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        self.0.push(s.span().byte_range());
        visit::visit_stmt(self, s);
    }
    fn visit_item(&mut self, i: &'ast syn::Item) {
        self.0.push(i.span().byte_range());
        visit::visit_item(self, i);
    }
    fn visit_impl_item(&mut self, i: &'ast syn::ImplItem) {
        self.0.push(i.span().byte_range());
        visit::visit_impl_item(self, i);
    }
}
