use std::borrow::Cow;

use crate::{Fix, Span};

/// How bad a diagnostic is once lint levels have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    /// The word used in every output format (`error`, `warning`, `info`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A span with the text drawn under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// One finding or error, located in a [`crate::SourceMap`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, `RC001` for rules, `RC000` for invalid contracts:
    /// borrowed from the lint's declaration, so that a finding costs no
    /// allocation for it.
    pub code: Cow<'static, str>,
    /// snake_case name of the rule or of the error kind (borrowed, as
    /// `code` is).
    pub name: Cow<'static, str>,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` only for errors with no file (I/O).
    pub primary: Option<Label>,
    /// Other places involved, possibly in other files.
    pub secondary: Vec<Label>,
    /// Context lines (`= note: ...`).
    pub notes: Vec<String>,
    /// What to do about it (`= help: ...`).
    pub help: Vec<String>,
    /// A Mermaid diagram of the finding (its source, without fences), for
    /// reports that can draw one: the markdown report shows a simulated
    /// counterexample's timeline as a `sequenceDiagram`.
    pub diagram: Option<String>,
    /// The steps of a trace that proves the finding (a simulated
    /// counterexample), each at the contract item it concerns, in order:
    /// SARIF writes them as the result's `codeFlows`.
    pub flow: Vec<Label>,
    /// The mechanical fix `lint --fix` applies, when the rule has one.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// The message, then its notes and helps, one per line (`note: `,
    /// `help: `): the text of a SARIF result and of a GitHub annotation.
    pub fn text_with_notes(&self) -> String {
        let mut text = self.message.clone();
        for n in &self.notes {
            text.push_str("\nnote: ");
            text.push_str(n);
        }
        for h in &self.help {
            text.push_str("\nhelp: ");
            text.push_str(h);
        }
        text
    }

    pub fn new(
        code: impl Into<Cow<'static, str>>,
        name: impl Into<Cow<'static, str>>,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code: code.into(),
            name: name.into(),
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
            diagram: None,
            flow: Vec::new(),
            fix: None,
        }
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.primary = Some(Label::new(span, message));
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, message));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn with_diagram(mut self, mermaid: impl Into<String>) -> Self {
        self.diagram = Some(mermaid.into());
        self
    }

    /// Sort key giving a deterministic, file-then-position order.
    /// Order of a report: file, position, code, message; diagnostics
    /// without a location last. Compares in place, without the clones of
    /// [`Diagnostic::sort_key`] (a big run sorts tens of thousands).
    pub fn cmp_by_location(&self, other: &Self) -> std::cmp::Ordering {
        self.location_key()
            .cmp(&other.location_key())
            .then_with(|| self.code.cmp(&other.code))
            .then_with(|| self.message.cmp(&other.message))
    }

    /// The first part of [`Diagnostic::cmp_by_location`]: source, start and
    /// end of the primary label (`u32::MAX` for none).
    pub fn location_key(&self) -> (u32, usize, usize) {
        match &self.primary {
            Some(l) => (l.span.source.0, l.span.range.start, l.span.range.end),
            None => (u32::MAX, 0, 0),
        }
    }

    pub fn sort_key(&self) -> (u32, usize, usize, String, String) {
        match &self.primary {
            Some(l) => (
                l.span.source.0,
                l.span.range.start,
                l.span.range.end,
                self.code.to_string(),
                self.message.clone(),
            ),
            None => (u32::MAX, 0, 0, self.code.to_string(), self.message.clone()),
        }
    }
}
