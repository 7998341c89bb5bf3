//! `// retry-check: allow(RC103, code_no_jitter) -- reason` comments.
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

const MARKER: &str = "// retry-check: allow(";

pub(crate) fn find(file: &syn::File, text: &str, source: SourceId) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut ranges = Ranges(Vec::new());
    ranges.visit_file(file);
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if let Some(pos) = line.find(MARKER) {
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
                let trailing = !line[..pos].trim().is_empty();
                let covers = if trailing {
                    line_start..line_end
                } else {
                    ranges
                        .0
                        .iter()
                        .filter(|r| r.start >= line_end)
                        .min_by_key(|r| (r.start, usize::MAX - r.end))
                        .cloned()
                        .unwrap_or(line_start..line_end)
                };
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
