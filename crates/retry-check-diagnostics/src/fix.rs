//! A mechanical fix of a finding, as data: what it does (one line) and the
//! edits, each naming a table of a TOML file by its key path and a change
//! to one of its keys. The rule that reports a finding builds its fix
//! (next to its check); `retry_check_rules::fix` applies fixes with
//! toml_edit, so comments and layout stay as the user wrote them.

use crate::{SourceId, Span};

/// A change to one key of a TOML table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Set `key` to `value` (a TOML value as text: `"\"full\""`, `true`,
    /// `"\"72h\""`), adding it when absent; the table must exist.
    Set { key: String, value: String },
    /// Remove from the array `key` the element that starts at byte `at`
    /// of the file (the span of the finding's entry).
    RemoveElement { key: String, at: usize },
    /// Append `value` to the array `key` unless an element is written
    /// exactly so already.
    AddElement { key: String, value: String },
}

impl Change {
    /// The key the change applies to.
    pub fn key(&self) -> &str {
        match self {
            Change::Set { key, .. }
            | Change::RemoveElement { key, .. }
            | Change::AddElement { key, .. } => key,
        }
    }
}

/// One edit: a change to the table at `table` (key path, `["client",
/// "checkout", "backoff"]`) of file `file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub file: SourceId,
    pub table: Vec<String>,
    pub change: Change,
}

/// A fix: its one-line description and its edits, applied together or not
/// at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    /// What it does, as `--fix` reports it: "add `jitter = \"full\"` to the
    /// `backoff` of client `checkout`".
    pub summary: String,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn new(summary: impl Into<String>) -> Self {
        Fix {
            summary: summary.into(),
            edits: Vec::new(),
        }
    }

    /// Set `key = value` in `table` of `file` (`value` is TOML text).
    pub fn set(mut self, file: SourceId, table: &[&str], key: &str, value: &str) -> Self {
        self.edits.push(edit(
            file,
            table,
            Change::Set {
                key: key.to_string(),
                value: value.to_string(),
            },
        ));
        self
    }

    /// Remove the element at `span` from the array `key`.
    pub fn remove_element(mut self, span: &Span, table: &[&str], key: &str) -> Self {
        self.edits.push(edit(
            span.source,
            table,
            Change::RemoveElement {
                key: key.to_string(),
                at: span.range.start,
            },
        ));
        self
    }

    /// Append `value` to the array `key` unless it is there.
    pub fn add_element(mut self, file: SourceId, table: &[&str], key: &str, value: &str) -> Self {
        self.edits.push(edit(
            file,
            table,
            Change::AddElement {
                key: key.to_string(),
                value: value.to_string(),
            },
        ));
        self
    }
}

fn edit(file: SourceId, table: &[&str], change: Change) -> Edit {
    Edit {
        file,
        table: table.iter().map(|s| s.to_string()).collect(),
        change,
    }
}

/// A TOML basic string for `s` (quotes and escapes), for [`Change::Set`]
/// values built from user text.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_for_toml() {
        assert_eq!(toml_string("72h"), "\"72h\"");
        assert_eq!(toml_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn a_fix_collects_its_edits() {
        let f = Fix::new("x")
            .set(SourceId(0), &["client", "c"], "honor_retry_after", "true")
            .remove_element(&Span::new(SourceId(0), 5..8), &["client", "c"], "retry_on");
        assert_eq!(f.edits.len(), 2);
        assert_eq!(f.edits[1].change.key(), "retry_on");
        assert_eq!(f.edits[0].table, ["client", "c"]);
    }
}
