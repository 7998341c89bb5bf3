//! OpenAPI 3 documents: the server the document describes, one operation
//! per path and method (named by `operationId`, else `METHOD /path`). An
//! operation with a header parameter named like the idempotency key
//! (`Idempotency-Key` unless the mapping's `key_header` says otherwise,
//! case-insensitive, local `$ref`s followed) is `idempotency = "key"`, and
//! the server gets `key_source = "header:NAME"`, `key_required` when every
//! such parameter is required, and `key_ttl` from an
//! `x-idempotency-key-ttl` or `x-idempotency-ttl` extension (on the
//! parameter, the operation or the document). Nothing else is assumed: no
//! lease, no fingerprint, no store.

use retry_check_contract::{Duration, Idempotency, Method, Operation, Server, Sp};

use crate::durations;
use crate::import::{server, Imported, Placement};
use crate::read::Reader;
use crate::tree::Node;

const METHODS: &[(&str, Method)] = &[
    ("get", Method::Get),
    ("put", Method::Put),
    ("post", Method::Post),
    ("delete", Method::Delete),
    ("options", Method::Options),
    ("head", Method::Head),
    ("patch", Method::Patch),
    ("trace", Method::Trace),
];

const TTL_KEYS: &[&str] = &["x-idempotency-key-ttl", "x-idempotency-ttl"];

pub fn is_openapi(doc: &Node) -> bool {
    doc.get(&["openapi"])
        .and_then(Node::scalar_text)
        .is_some_and(|v| v.starts_with("3."))
}

/// `#/components/parameters/X` and the like, inside this document.
fn resolve<'n>(root: &'n Node<'n>, node: &'n Node<'n>) -> Option<&'n Node<'n>> {
    let mut node = node;
    for _ in 0..16 {
        let Some(reference) = node.get(&["$ref"]).and_then(Node::as_str) else {
            return Some(node);
        };
        let path = reference.strip_prefix("#/")?;
        let steps: Vec<String> = path
            .split('/')
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
        node = root.at(&steps)?;
    }
    None
}

/// A server name from the document's title: `Payments API` -> `payments-api`.
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The server the document describes: a new one, or facts to merge into
/// the contract server of the same name (the caller decides).
pub fn import(
    r: &mut Reader<'_>,
    doc: &Node,
    placement: &Placement,
    fallback_name: &str,
    out: &mut Imported,
) {
    let title = doc.at(&["info", "title"]).and_then(Node::as_str);
    let name_value = placement
        .server
        .as_ref()
        .map(|s| s.value.clone())
        .or_else(|| title.map(slug).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| fallback_name.to_string());
    let name_span = placement
        .server
        .as_ref()
        .map(|s| s.span.clone())
        .unwrap_or_else(|| r.span(&doc.at(&["info", "title"]).unwrap_or(doc).span));
    let mut s = server(Sp::new(name_value, name_span));
    let header = placement
        .key_header
        .as_ref()
        .map_or("Idempotency-Key", |h| h.value.as_str())
        .to_string();
    let mut key_params: Vec<(&Node, bool)> = Vec::new();
    let mut ttl: Option<Sp<Duration>> = ttl_of(r, doc);
    let Some(paths) = doc.get(&["paths"]) else {
        out.servers.push(s);
        return;
    };
    let Some(paths) = r.map("paths", paths) else {
        return;
    };
    for path in paths.entries() {
        let item = resolve(doc, &path.value).unwrap_or(&path.value);
        let shared = item
            .get(&["parameters"])
            .map(Node::items)
            .unwrap_or_default();
        for (method_name, method) in METHODS {
            let Some(op) = item.get(&[method_name]) else {
                continue;
            };
            let Some(op) = r.map(method_name, op) else {
                continue;
            };
            let op_params = op.get(&["parameters"]).map(Node::items).unwrap_or_default();
            let key = shared
                .iter()
                .chain(op_params)
                .filter_map(|p| resolve(doc, p))
                .find(|p| {
                    p.get(&["in"]).and_then(Node::as_str) == Some("header")
                        && p.get(&["name"])
                            .and_then(Node::as_str)
                            .is_some_and(|n| n.eq_ignore_ascii_case(&header))
                });
            let op_name = op.get(&["operationId"]).and_then(Node::as_str).map_or_else(
                || format!("{} {}", method_name.to_ascii_uppercase(), path.name()),
                str::to_string,
            );
            let name_node = op.get(&["operationId"]).unwrap_or(&path.key);
            let method_span =
                r.span(&op_key_span(item, method_name).unwrap_or(path.key.span.clone()));
            let mut operation = Operation {
                name: r.sp(op_name, name_node),
                method: Some(Sp::new(*method, method_span)),
                idempotency: None,
                side_effects: None,
                allow: placement.allow.clone(),
            };
            if let Some(param) = key {
                let required = param.get(&["required"]).and_then(|n| match n.value {
                    crate::tree::Value::Bool(b) => Some(b),
                    _ => None,
                });
                operation.idempotency =
                    Some(r.sp(Idempotency::Key, param.get(&["name"]).unwrap_or(param)));
                key_params.push((param, required.unwrap_or(false)));
                if ttl.is_none() {
                    ttl = ttl_of(r, param).or_else(|| ttl_of(r, op));
                }
            }
            s.operations.push(operation);
        }
    }
    if !key_params.is_empty() {
        // The key covers only the operations that take it: a POST or PATCH
        // without the header is not protected by it.
        for op in &mut s.operations {
            let unsafe_method = op.method.as_ref().is_some_and(|m| !m.value.is_idempotent());
            if op.idempotency.is_none() && unsafe_method {
                let at = op
                    .method
                    .as_ref()
                    .map_or(op.name.span.clone(), |m| m.span.clone());
                op.idempotency = Some(Sp::new(Idempotency::None, at));
            }
        }
    }
    if let Some((first, _)) = key_params.first() {
        let at = first.get(&["name"]).unwrap_or(first);
        s.key_source = Some(r.sp(format!("header:{header}"), at));
        let all_required = key_params.iter().all(|(_, req)| *req);
        let req_at = first.get(&["required"]).unwrap_or(at);
        s.key_required = Some(r.sp(all_required, req_at));
        s.key_ttl = ttl;
    }
    s.allow = placement.allow.clone();
    out.servers.push(s);
}

fn op_key_span(item: &Node, method: &str) -> Option<std::ops::Range<usize>> {
    item.entry(&[method]).map(|e| e.key.span.clone())
}

/// A TTL extension on `node`: a duration like "24h" or ISO 8601 "PT24H".
fn ttl_of(r: &mut Reader<'_>, node: &Node) -> Option<Sp<Duration>> {
    let (key, value) = TTL_KEYS
        .iter()
        .find_map(|k| node.get(&[k]).map(|v| (*k, v)))?;
    let text = r.string(key, value)?;
    let parsed = text
        .parse::<Duration>()
        .or_else(|_| durations::iso8601(text))
        .map_err(|_| format!("`{text}` is not a duration"));
    match parsed {
        Ok(d) => Some(r.sp(d, value)),
        Err(e) => {
            r.reject(
                value,
                e,
                "invalid duration",
                "write the TTL as a duration like \"24h\" or ISO 8601 \"PT24H\"",
            );
            None
        }
    }
}

/// Merge what a document says into a contract server of the same name:
/// operations it does not declare, and key facts it leaves out.
pub fn merge_into(target: &mut Server, from: Server) {
    for op in from.operations {
        if target.operation(&op.name.value).is_none() {
            target.operations.push(op);
        }
    }
    if target.key_source.is_none() {
        target.key_source = from.key_source;
    }
    if target.key_required.is_none() {
        target.key_required = from.key_required;
    }
    if target.key_ttl.is_none() {
        target.key_ttl = from.key_ttl;
    }
}
