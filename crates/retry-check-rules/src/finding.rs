//! What a check function produces, whichever job runs it.

use retry_check_contract::ItemId;
use retry_check_diagnostics::{Fix, Label, Span};

/// Some rules are more serious in some cases (RC004 on a non-idempotent
/// operation, RC018 above 1.0, RC019 at 27x, a simulated counterexample)
/// and milder in others (RC011 between 0 and 1). The engine applies this on
/// top of the configured level: `Raise` turns warn into deny, `Lower` turns
/// deny into warn; allow always stays allow. `Info` is a case the check
/// could not decide (the scanner met a value it cannot evaluate): reported
/// as `info` whatever the level, unless the rule is at allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escalation {
    #[default]
    AsConfigured,
    Raise,
    Lower,
    Info,
}

/// One instance of a rule firing.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Vec<String>,
    /// Items whose `allow = [...]` may suppress this finding.
    pub items: Vec<ItemId>,
    pub escalation: Escalation,
    /// A Mermaid diagram for reports that draw one (a counterexample's
    /// timeline).
    pub diagram: Option<String>,
    /// The steps of the trace that proves it (SARIF `codeFlows`).
    pub flow: Vec<Label>,
    /// The mechanical fix (`lint --fix`), for a rule whose explain text
    /// has an `## Autofix` section.
    pub fix: Option<Fix>,
}

impl Finding {
    pub fn new(message: impl Into<String>, span: Span, label: impl Into<String>) -> Self {
        Finding {
            message: message.into(),
            primary: Label::new(span, label),
            secondary: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
            items: Vec::new(),
            escalation: Escalation::AsConfigured,
            diagram: None,
            flow: Vec::new(),
            fix: None,
        }
    }

    pub fn secondary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label::new(span, label));
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    pub fn item(mut self, item: ItemId) -> Self {
        self.items.push(item);
        self
    }

    pub fn raise(mut self) -> Self {
        self.escalation = Escalation::Raise;
        self
    }

    pub fn lower(mut self) -> Self {
        self.escalation = Escalation::Lower;
        self
    }

    /// Report at `info`: the check could not decide.
    pub fn info(mut self) -> Self {
        self.escalation = Escalation::Info;
        self
    }

    pub fn fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }

    pub fn diagram(mut self, mermaid: impl Into<String>) -> Self {
        self.diagram = Some(mermaid.into());
        self
    }
}
