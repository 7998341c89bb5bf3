//! JSON text to a [`Node`] tree through `jsonc-parser`'s AST, with the
//! extensions switched off: gRPC and Envoy read strict JSON, so a comment
//! or a trailing comma is an error here as it is there.

use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};

use crate::tree::{Entry, Node, SyntaxError, Value, MAX_DEPTH};

fn strict() -> ParseOptions {
    ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Parse one JSON document: plain strict JSON straight to the tree
/// ([`crate::json_direct`]), anything else (escapes, errors) through
/// `jsonc-parser`, which decides what is accepted and words every error.
pub fn parse(text: &str) -> Result<Node<'_>, SyntaxError> {
    // The direct reader nests no deeper than `check_depth` allows: what it
    // reads passes that check.
    if let Some(node) = crate::json_direct::parse(text) {
        return Ok(node);
    }
    parse_jsonc(text)
}

/// [`parse`] through `jsonc-parser`'s AST only.
pub fn parse_jsonc(text: &str) -> Result<Node<'_>, SyntaxError> {
    check_depth(text)?;
    let result =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &strict()).map_err(|e| {
            let r = e.range();
            SyntaxError {
                range: r.start.min(text.len())..r.end.min(text.len()),
                message: e.kind().to_string(),
            }
        })?;
    match result.value {
        Some(v) => Ok(convert(v)),
        None => Err(SyntaxError {
            range: 0..0,
            message: "the file holds no JSON value".to_string(),
        }),
    }
}

/// The parser recurses per level: refuse deep nesting before it runs.
fn check_depth(text: &str) -> Result<(), SyntaxError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(SyntaxError {
                        range: i..i + 1,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn range(r: jsonc_parser::common::Range) -> std::ops::Range<usize> {
    r.start..r.end.max(r.start)
}

fn convert(value: ast::Value<'_>) -> Node<'_> {
    match value {
        ast::Value::StringLit(s) => Node::new(range(s.range), Value::String(s.value)),
        ast::Value::NumberLit(n) => Node::new(range(n.range), Value::Number(n.value.into())),
        ast::Value::BooleanLit(b) => Node::new(range(b.range), Value::Bool(b.value)),
        ast::Value::NullKeyword(n) => Node::new(range(n.range), Value::Null),
        ast::Value::Array(a) => Node::new(
            range(a.range),
            Value::Seq(a.elements.into_iter().map(convert).collect()),
        ),
        ast::Value::Object(o) => {
            let entries = o
                .properties
                .into_iter()
                .map(|p| {
                    let key = match p.name {
                        ast::ObjectPropName::String(s) => {
                            Node::new(range(s.range), Value::String(s.value))
                        }
                        ast::ObjectPropName::Word(w) => {
                            Node::new(range(w.range), Value::String(w.value.into()))
                        }
                    };
                    Entry {
                        key,
                        value: convert(p.value),
                    }
                })
                .collect();
            Node::new(range(o.range), Value::Map(entries))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_byte_ranges() {
        let text = r#"{"methodConfig": [{"retryPolicy": {"maxAttempts": 4}}]}"#;
        let node = parse(text).unwrap();
        let list = node.get(&["methodConfig"]).unwrap();
        let n = list.items()[0].at(&["retryPolicy", "maxAttempts"]).unwrap();
        assert_eq!(&text[n.span.clone()], "4");
    }

    #[test]
    fn ranges_are_bytes_after_multibyte_text() {
        let text = "{\"title\": \"Zahlungsübersicht ✓\", \"n\": 5}";
        let node = parse(text).unwrap();
        let n = node.get(&["n"]).unwrap();
        assert_eq!(&text[n.span.clone()], "5");
    }

    #[test]
    fn strict_json_only() {
        assert!(parse("{\"a\": 1,}").is_err());
        assert!(parse("// c\n{}").is_err());
        assert!(parse("").is_err());
        assert!(parse(&"[".repeat(100_000)).is_err());
    }
}
