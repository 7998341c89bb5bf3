//! Reading a format's tree: typed accessors that report a located `RC000`
//! error (the same kinds as the TOML parser: `wrong_type`, `unknown_field`,
//! `invalid_value`, `missing_field`) instead of failing, so one run shows
//! every problem of a file.

use std::ops::Range;

use retry_check_contract::{did_you_mean, Sp, INVALID_CONTRACT};
use retry_check_diagnostics::{Diagnostic, Severity, SourceId, Span};

use crate::tree::{Node, Value};

/// Reads one file of one format, collecting its errors.
pub struct Reader<'e> {
    pub source: SourceId,
    /// The file's text (to point inside a string: one `retry_on` token).
    pub text: &'e str,
    /// How the format is named in messages: "gRPC service config", "Istio".
    pub format: &'static str,
    pub errors: &'e mut Vec<Diagnostic>,
}

impl Reader<'_> {
    pub fn span(&self, range: &Range<usize>) -> Span {
        Span::new(self.source, range.clone())
    }

    pub fn sp<T>(&self, value: T, node: &Node) -> Sp<T> {
        Sp::new(value, self.span(&node.span))
    }

    pub fn error(
        &mut self,
        name: &'static str,
        message: impl Into<String>,
        range: &Range<usize>,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = Diagnostic::new(INVALID_CONTRACT, name, Severity::Error, message)
            .with_primary(self.span(range), label);
        self.errors.push(d);
        let last = self.errors.len() - 1;
        &mut self.errors[last]
    }

    /// A value the real system rejects: the message, and the format's own
    /// rule as a note.
    pub fn reject(
        &mut self,
        node: &Node,
        message: impl Into<String>,
        label: impl Into<String>,
        rule: &str,
    ) {
        let format = self.format;
        let d = self.error("invalid_value", message, &node.span, label);
        d.notes.push(format!("{format} rule: {rule}"));
    }

    pub fn wrong_type(&mut self, key: &str, node: &Node, expected: &str) {
        let found = node.describe();
        self.error(
            "wrong_type",
            format!("`{key}` must be {expected}, found {found}"),
            &node.span,
            format!("expected {expected}"),
        );
    }

    pub fn missing(
        &mut self,
        at: &Node,
        message: impl Into<String>,
        label: impl Into<String>,
        rule: &str,
    ) {
        let format = self.format;
        let d = self.error("missing_field", message, &at.span, label);
        d.notes.push(format!("{format} rule: {rule}"));
    }

    /// Report every key of `map` that is not in `known`, with a "did you
    /// mean". Only used inside retry settings, where a misspelt key silently
    /// changes what the proxy does.
    pub fn unknown_keys(&mut self, map: &Node, known: &[&str], place: &str) {
        for entry in map.entries() {
            let name = entry.name();
            if known.contains(&name) {
                continue;
            }
            let suggestion = did_you_mean(name, known);
            let label = match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "unknown field".to_string(),
            };
            let format = self.format;
            let d = self.error(
                "unknown_field",
                format!("unknown field `{name}` {place}"),
                &entry.key.span,
                label,
            );
            if suggestion.is_none() {
                let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
                d.help.push(format!("{format} reads: {}", list.join(", ")));
            }
        }
    }

    pub fn map<'n>(&mut self, key: &str, node: &'n Node<'n>) -> Option<&'n Node<'n>> {
        if node.is_map() {
            Some(node)
        } else {
            self.wrong_type(key, node, "a map");
            None
        }
    }

    pub fn seq<'n>(&mut self, key: &str, node: &'n Node<'n>) -> Option<&'n [Node<'n>]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.wrong_type(key, node, "a list");
                None
            }
        }
    }

    pub fn string<'n>(&mut self, key: &str, node: &'n Node<'n>) -> Option<&'n str> {
        match &node.value {
            Value::String(s) => Some(s),
            _ => {
                self.wrong_type(key, node, "a string");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str, node: &Node) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(key, node, "`true` or `false`");
                None
            }
        }
    }

    /// A whole number. Proto3 JSON also accepts integers written as
    /// strings (`"5"`, how config dumps print 64-bit values):
    /// `strings_ok` says whether this format does.
    pub fn integer(&mut self, key: &str, node: &Node, strings_ok: bool) -> Option<i64> {
        let text = match &node.value {
            Value::Number(n) => &**n,
            Value::String(s) if strings_ok => &**s,
            _ => {
                self.wrong_type(key, node, "a whole number");
                return None;
            }
        };
        match parse_integer(text) {
            Some(n) => Some(n),
            None => {
                self.error(
                    "invalid_value",
                    format!("`{key}` must be a whole number, found `{text}`"),
                    &node.span,
                    "not a whole number",
                );
                None
            }
        }
    }

    /// A finite number.
    pub fn number(&mut self, key: &str, node: &Node) -> Option<f64> {
        let Value::Number(text) = &node.value else {
            self.wrong_type(key, node, "a number");
            return None;
        };
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.error(
                    "invalid_value",
                    format!("`{key}` must be a finite number, found `{text}`"),
                    &node.span,
                    "not a finite number",
                );
                None
            }
        }
    }
}

/// Decimal integers (a `.0` fraction is allowed, as JSON writers emit it).
pub fn parse_integer(text: &str) -> Option<i64> {
    let t = text.strip_suffix(".0").unwrap_or(text);
    t.parse::<i64>().ok()
}
