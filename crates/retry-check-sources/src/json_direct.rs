//! The common case of [`crate::json::parse`] without `jsonc-parser`'s AST:
//! strict JSON read straight into a [`Node`] tree, one pass, text
//! borrowed from the file, one allocation per container (children are gathered on a shared stack and
//! moved into an exactly sized `Vec` when the container closes).
//!
//! It reads a subset of what `jsonc-parser` (with the strict options of
//! [`crate::json`]) accepts, and builds the tree that parser's AST would
//! convert to, byte range for byte range: ASCII whitespace only, strings
//! without a backslash (taken verbatim, as that parser's fast path takes
//! them), numbers as RFC 8259 writes them (their text kept), `true`,
//! `false`, `null`. On anything else, well-formed or not (an escape, a
//! non-ASCII space, a syntax error), it answers `None` and the caller parses
//! the text with `jsonc-parser`, so what is accepted and every error message
//! stay that parser's. The `direct_matches_jsonc` tests hold the two to the
//! same trees.

use std::borrow::Cow;

use crate::tree::{Entry, Node, Value, MAX_DEPTH};

/// The tree of `text`, or `None` when `jsonc-parser` must decide.
pub fn parse(text: &str) -> Option<Node<'_>> {
    let mut p = Direct {
        text,
        bytes: text.as_bytes(),
        at: 0,
        items: Vec::new(),
        entries: Vec::new(),
    };
    p.skip_ws();
    let root = p.value(0)?;
    p.skip_ws();
    (p.at == p.bytes.len()).then_some(root)
}

struct Direct<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    /// Items of the open lists, innermost last.
    items: Vec<Node<'t>>,
    /// Entries of the open maps, innermost last.
    entries: Vec<Entry<'t>>,
}

impl<'t> Direct<'t> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn value(&mut self, depth: usize) -> Option<Node<'t>> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let start = self.at;
        match self.peek()? {
            b'{' => self.map(depth),
            b'[' => self.seq(depth),
            b'"' => {
                let s = self.string()?;
                Some(Node::new(start..self.at, Value::String(Cow::Borrowed(s))))
            }
            b't' => self.word("true", Value::Bool(true)),
            b'f' => self.word("false", Value::Bool(false)),
            b'n' => self.word("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A string without escapes: its text between the quotes.
    fn string(&mut self) -> Option<&'t str> {
        let start = self.at + 1;
        let len = self.bytes[start..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')?;
        let end = start + len;
        if self.bytes[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // Both ends sit next to an ASCII quote: char boundaries.
        let text: &'t str = self.text;
        text.get(start..end)
    }

    /// A keyword, ended where `jsonc-parser`'s word would end.
    fn word(&mut self, word: &str, value: Value<'t>) -> Option<Node<'t>> {
        let start = self.at;
        let end = start + word.len();
        if self.bytes.get(start..end)? != word.as_bytes() || !self.delimited(end) {
            return None;
        }
        self.at = end;
        Some(Node::new(start..end, value))
    }

    /// Is `at` the end of a token (whitespace, punctuation, end of text)?
    fn delimited(&self, at: usize) -> bool {
        matches!(
            self.bytes.get(at),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b']' | b'}' | b':')
        )
    }

    fn digits(&mut self) -> usize {
        let from = self.at;
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        self.at - from
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<Node<'t>> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        if !self.delimited(self.at) {
            return None;
        }
        let text: &'t str = self.text;
        let number = text.get(start..self.at)?;
        Some(Node::new(
            start..self.at,
            Value::Number(Cow::Borrowed(number)),
        ))
    }

    fn seq(&mut self, depth: usize) -> Option<Node<'t>> {
        let start = self.at;
        self.at += 1;
        let base = self.items.len();
        self.skip_ws();
        if self.peek()? != b']' {
            loop {
                let item = self.value(depth + 1)?;
                self.items.push(item);
                self.skip_ws();
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        self.skip_ws();
                    }
                    b']' => break,
                    _ => return None,
                }
            }
        }
        self.at += 1;
        let items = self.items.split_off(base);
        Some(Node::new(start..self.at, Value::Seq(items)))
    }

    fn map(&mut self, depth: usize) -> Option<Node<'t>> {
        let start = self.at;
        self.at += 1;
        let base = self.entries.len();
        self.skip_ws();
        if self.peek()? != b'}' {
            loop {
                if self.peek()? != b'"' {
                    return None;
                }
                let key_start = self.at;
                let name = self.string()?;
                let key = Node::new(key_start..self.at, Value::String(Cow::Borrowed(name)));
                self.skip_ws();
                if self.peek()? != b':' {
                    return None;
                }
                self.at += 1;
                self.skip_ws();
                let value = self.value(depth + 1)?;
                self.entries.push(Entry { key, value });
                self.skip_ws();
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        self.skip_ws();
                    }
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        self.at += 1;
        let entries = self.entries.split_off(base);
        Some(Node::new(start..self.at, Value::Map(entries)))
    }
}
