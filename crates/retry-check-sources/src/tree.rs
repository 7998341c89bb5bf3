//! One spanned document tree for YAML and JSON, so every format module reads
//! its configuration the same way and every value keeps the byte range it
//! was written at.

use std::borrow::Cow;
use std::ops::Range;

/// A value of a YAML or JSON document and where it was written. Text is
/// borrowed from the file wherever the file spells it as it is (most
/// keys and scalars): no copy to make, none to free.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub span: Range<usize>,
    pub value: Value<'a>,
}

/// What a node holds. Numbers keep their text: each format decides what a
/// number may be (an integer count, a ratio).
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(Cow<'a, str>),
    String(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<Entry<'a>>),
}

/// One `key: value` of a map.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub key: Node<'a>,
    pub value: Node<'a>,
}

impl Entry<'_> {
    /// The key as text (`"?"` for a key that is not a scalar).
    pub fn name(&self) -> &str {
        self.key.scalar_text().unwrap_or("?")
    }
}

impl<'a> Node<'a> {
    pub fn new(span: Range<usize>, value: Value<'a>) -> Self {
        Node { span, value }
    }

    /// How to name this kind of value in a message: "a string", "a map", ...
    pub fn describe(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    pub fn entries(&self) -> &[Entry<'a>] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node<'a>] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entry of a map whose key is one of `names` (several spellings of
    /// one field: proto3 JSON accepts `retry_on` and `retryOn`).
    pub fn entry(&self, names: &[&str]) -> Option<&Entry<'a>> {
        self.entries().iter().find(|e| names.contains(&e.name()))
    }

    /// The value of [`Node::entry`].
    pub fn get(&self, names: &[&str]) -> Option<&Node<'a>> {
        self.entry(names).map(|e| &e.value)
    }

    /// The value of a proto field written in either spelling proto3 JSON
    /// accepts: `snake_case` (`retry_on`) or `lowerCamelCase` (`retryOn`),
    /// `name` being either. No allocation: configs are walked a lot.
    pub fn field(&self, name: &str) -> Option<&Node<'a>> {
        self.entries()
            .iter()
            .find(|e| same_field(e.name(), name))
            .map(|e| &e.value)
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Text of a string, number or boolean scalar.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) | Value::Number(s) => Some(s),
            Value::Bool(true) => Some("true"),
            Value::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// Follow a path of map keys (first spelling of each step only).
    pub fn at(&self, path: &[&str]) -> Option<&Node<'a>> {
        path.iter().try_fold(self, |node, key| node.get(&[key]))
    }
}

/// `retry_on` and `retryOn` (and `maxAttempts` and `max_attempts`) are the
/// same field: equal once every `_x` is read as `X`.
pub fn same_field(a: &str, b: &str) -> bool {
    /// The bytes of `s` with every `_` dropped and the byte after it in
    /// upper case (`_` is ASCII, so this is the same per byte as per char).
    fn folded(s: &str) -> impl Iterator<Item = u8> + '_ {
        let mut upper = false;
        s.bytes().filter_map(move |c| {
            if c == b'_' {
                upper = true;
                None
            } else if std::mem::take(&mut upper) {
                Some(c.to_ascii_uppercase())
            } else {
                Some(c)
            }
        })
    }
    // Most keys compared differ in their first letter (which folding keeps
    // unless it is a `_`).
    let (fa, fb) = (a.as_bytes().first(), b.as_bytes().first());
    let may_match = fa == fb || fa == Some(&b'_') || fb == Some(&b'_');
    a == b || (may_match && folded(a).eq(folded(b)))
}

/// A document that could not be read at all: the parser's message and the
/// byte range it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: Range<usize>,
    pub message: String,
}

/// Deeper nesting than this is refused before any recursive code sees it:
/// no configuration of these formats comes near it, and unbounded depth
/// would let a hostile file overflow the stack.
pub const MAX_DEPTH: usize = 128;

/// Most nodes a document may expand to (YAML aliases can multiply a small
/// file: the "billion laughs").
pub const MAX_NODES: usize = 1_000_000;

#[cfg(test)]
mod tests {
    use super::same_field;

    #[test]
    fn proto_spellings_are_one_field() {
        assert!(same_field("retry_on", "retryOn"));
        assert!(same_field("maxAttempts", "max_attempts"));
        assert!(same_field("retry_on", "retry_on"));
        assert!(!same_field("retry_on", "retryon"));
        assert!(!same_field("num_retries", "retry_on"));
        assert!(same_field("_retry", "Retry"));
        assert!(same_field("per__try", "perTry"));
        // Only ASCII letters are raised, as before; a trailing `_` folds away.
        assert!(!same_field("zahl_über", "zahlÜber"));
        assert!(same_field("retry_on_", "retryOn"));
    }
}
