//! YAML text to [`Node`] trees, one per document of the stream, through
//! `saphyr-parser`'s events (whose markers count characters: converted to
//! byte offsets here).
//!
//! Plain scalars are resolved with the YAML 1.2 core schema (`null`, `true`,
//! numbers); quoted scalars and `!!str` are strings. Aliases are expanded
//! (bounded by [`MAX_NODES`]); nesting is bounded by [`MAX_DEPTH`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use crate::tree::{Entry, Node, SyntaxError, Value, MAX_DEPTH, MAX_NODES};

/// Character index to byte offset (identity for ASCII text).
struct Offsets {
    bytes: Option<Vec<usize>>,
    len: usize,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let bytes = (!text.is_ascii()).then(|| text.char_indices().map(|(b, _)| b).collect());
        Offsets {
            bytes,
            len: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.bytes {
            None => char_index.min(self.len),
            Some(v) => v.get(char_index).copied().unwrap_or(self.len),
        }
    }

    fn range(&self, span: &Span) -> Range<usize> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        start..end
    }
}

/// A collection being built: where its children start on the shared
/// stacks (moved into one exactly sized `Vec` when it closes: no growth
/// per collection), a key waiting for its value, its start, its anchor.
enum Open<'a> {
    Seq(usize, usize, usize),
    Map(usize, Option<Node<'a>>, usize, usize),
}

/// Parse every document of a YAML stream.
pub fn parse(text: &str) -> Result<Vec<Node<'_>>, SyntaxError> {
    let offsets = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut docs = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut items: Vec<Node<'_>> = Vec::new();
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut anchors: HashMap<usize, (Node<'_>, usize)> = HashMap::new();
    let mut nodes = 0usize;
    let mut root: Option<Node<'_>> = None;
    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let at = offsets.byte(e.marker().index());
            SyntaxError {
                range: at..at,
                message: e.info().to_string(),
            }
        })?;
        let range = offsets.range(&span);
        let (node, anchor) = match event {
            Event::DocumentStart(_) => {
                root = None;
                continue;
            }
            Event::DocumentEnd => {
                docs.push(
                    root.take()
                        .unwrap_or_else(|| Node::new(range.clone(), Value::Null)),
                );
                continue;
            }
            Event::StreamEnd => break,
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError {
                        range: range.start..range.start,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(items.len(), range.start, anchor)
                } else {
                    Open::Map(entries.len(), None, range.start, anchor)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(base, start, anchor)) => {
                    let mine = items.split_off(base);
                    let end = mine.last().map_or(range.end, |n| n.span.end.max(start));
                    (Node::new(start..end, Value::Seq(mine)), anchor)
                }
                Some(Open::Map(base, _, start, anchor)) => {
                    let mine = entries.split_off(base);
                    let end = mine
                        .last()
                        .map_or(range.end, |e| e.value.span.end.max(start));
                    (Node::new(start..end, Value::Map(mine)), anchor)
                }
                None => continue,
            },
            Event::Scalar(text, style, anchor, tag) => (
                Node::new(range, scalar(text, style, tag.as_deref())),
                anchor,
            ),
            Event::Alias(id) => {
                let Some((node, size)) = anchors.get(&id) else {
                    return Err(SyntaxError {
                        range,
                        message: "alias to an unknown anchor".to_string(),
                    });
                };
                nodes = nodes.saturating_add(*size);
                if nodes > MAX_NODES {
                    return Err(SyntaxError {
                        range,
                        message: format!("aliases expand to more than {MAX_NODES} values"),
                    });
                }
                // The alias stands where it is written.
                let mut copy = node.clone();
                copy.span = range;
                (copy, 0)
            }
            Event::Nothing | Event::StreamStart => continue,
        };
        nodes = nodes.saturating_add(1);
        if nodes > MAX_NODES {
            return Err(SyntaxError {
                range: node.span.clone(),
                message: format!("document has more than {MAX_NODES} values"),
            });
        }
        if anchor > 0 {
            let size = count(&node);
            anchors.insert(anchor, (node.clone(), size));
        }
        match stack.last_mut() {
            Some(Open::Seq(..)) => items.push(node),
            Some(Open::Map(_, key, ..)) => match key.take() {
                Some(k) => entries.push(Entry {
                    key: k,
                    value: node,
                }),
                None => *key = Some(node),
            },
            None => root = Some(node),
        }
    }
    if let Some(node) = root.take() {
        docs.push(node);
    }
    Ok(docs)
}

/// A scalar's value: plain ones through the core schema, quoted ones and
/// `!!str` as strings.
fn scalar<'a>(text: Cow<'a, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value<'a> {
    let is_str_tag = tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
    if style == ScalarStyle::Plain && !is_str_tag {
        resolve_plain(text)
    } else {
        Value::String(text)
    }
}

/// Nodes in a tree, iteratively (trees may be deep).
fn count(node: &Node<'_>) -> usize {
    let mut n = 0;
    let mut todo = vec![node];
    while let Some(node) = todo.pop() {
        n += 1;
        match &node.value {
            Value::Seq(items) => todo.extend(items),
            Value::Map(entries) => {
                for e in entries {
                    todo.push(&e.key);
                    todo.push(&e.value);
                }
            }
            _ => {}
        }
    }
    n
}

/// YAML 1.2 core schema for plain scalars.
fn resolve_plain(text: Cow<'_, str>) -> Value<'_> {
    match &*text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if is_number(&text) {
        Value::Number(text)
    } else {
        Value::String(text)
    }
}

fn is_number(text: &str) -> bool {
    // Every form below starts with a digit, a sign or a dot: most plain
    // scalars (keys, names) are decided by their first byte.
    if !matches!(
        text.as_bytes().first(),
        Some(b'0'..=b'9' | b'-' | b'+' | b'.')
    ) {
        return false;
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if unsigned.is_empty() {
        return false;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(text, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let digits_ok = {
        let mut parts = mantissa.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        int.bytes().all(|b| b.is_ascii_digit())
            && frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()))
            && (!int.is_empty() || frac.is_some_and(|f| !f.is_empty()))
    };
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    digits_ok && exp_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_byte_ranges_even_after_multibyte_text() {
        let text = "# é\nkind: VirtualService\nspec:\n  n: 3\n  s: \"3\"\n";
        let docs = parse(text).unwrap();
        let kind = docs[0].get(&["kind"]).unwrap();
        assert_eq!(&text[kind.span.clone()], "VirtualService");
        let n = docs[0].at(&["spec", "n"]).unwrap();
        assert_eq!(n.value, Value::Number("3".into()));
        let s = docs[0].at(&["spec", "s"]).unwrap();
        assert_eq!(s.value, Value::String("3".into()));
    }

    #[test]
    fn every_document_of_a_stream() {
        let docs = parse("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert!(docs[2].is_null());
    }

    #[test]
    fn aliases_expand_and_are_bounded() {
        let docs = parse("a: &x {b: 1}\nc: *x\n").unwrap();
        assert_eq!(
            docs[0].at(&["c", "b"]).unwrap().value,
            Value::Number("1".into())
        );
        let mut bomb = String::from("a: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("*a{}", i - 1);
            let list = [prev.as_str(); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{list}]\n"));
        }
        let err = parse(&bomb).unwrap_err();
        assert!(err.message.contains("expand"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "[".repeat(10_000);
        assert!(parse(&text).is_err());
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        for n in [
            "1", "-2", "0x1F", "0o7", "1.5", ".5", "1e3", ".inf", "-.inf", ".nan",
        ] {
            assert!(is_number(n), "{n}");
        }
        for s in ["5xx", "1.2.3", "2s", "0x", "e3", ".", "-", "1e"] {
            assert!(!is_number(s), "{s}");
        }
    }
}
