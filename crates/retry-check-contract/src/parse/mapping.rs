//! The `[source.NAME]` tables (see [`crate::SourceMapping`]), read with the same
//! helpers and error kinds as the rest of the contract.

use super::{Cx, Key, Value, SOURCE_FIELDS};
use crate::model::{SourceFormat, SourceMapping};

/// `source = { NAME = { ... } }`: every mapping of the file.
pub(super) fn parse_sources(
    cx: &mut Cx<'_>,
    key: &Key<'_>,
    value: &Value<'_>,
    out: &mut Vec<SourceMapping>,
) {
    let Some(table) = cx.table(
        key,
        value,
        "a table of sources, like [source.payments-mesh]",
    ) else {
        return;
    };
    for (name, body) in table.iter() {
        if let Some(mapping) = parse_source(cx, name, body) {
            out.push(mapping);
        }
    }
}

fn parse_source(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<SourceMapping> {
    let table = cx.table(name, body, "a table")?;
    let mut m = SourceMapping {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        path: None,
        format: None,
        layer: None,
        runs_in: None,
        server: None,
        servers: Vec::new(),
        key_header: None,
        allow: Vec::new(),
    };
    let place = format!("in source `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "path" => m.path = cx.string(k, v),
            "format" => {
                m.format = cx.enumerated(k, v, SourceFormat::from_name, SourceFormat::NAMES)
            }
            "layer" => m.layer = cx.string(k, v),
            "runs_in" => m.runs_in = cx.string(k, v),
            "server" => m.server = cx.string(k, v),
            "servers" => {
                if let Some(t) = cx.table(
                    k,
                    v,
                    "a table like { \"payments.prod.svc.cluster.local\" = \"payments\" }",
                ) {
                    for (from, to) in t.iter() {
                        if let Some(server) = cx.string(from, to) {
                            m.servers
                                .push((cx.sp(from.get_ref().to_string(), from.span()), server));
                        }
                    }
                }
            }
            "key_header" => m.key_header = cx.string(k, v),
            "allow" => m.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, SOURCE_FIELDS),
        }
    }
    if m.path.is_none() {
        cx.push(
            "missing_field",
            format!("source `{}` has no `path`", name.get_ref()),
            name.span(),
            "expected `path = \"mesh/payments.yaml\"`",
        );
    }
    Some(m)
}

#[cfg(test)]
mod tests {
    use crate::SourceFormat;

    #[test]
    fn reads_every_field_and_locates_errors() {
        let text = r#"version = 1
[source.mesh]
path = "mesh/payments.yaml"
format = "istio"
layer = "mesh"
runs_in = "checkout"
server = "payments"
servers = { "payments.prod.svc.cluster.local" = "payments" }
key_header = "Idempotency-Key"
allow = ["RC017"]

[source.bad]
format = "istoi"
servers = { a = 1 }
pth = "x"
"#;
        let (set, errors) = crate::load_str("c.toml", text);
        let m = set.sources.iter().find(|m| m.name.value == "mesh").unwrap();
        assert_eq!(m.name.value, "mesh");
        assert_eq!(m.path.as_ref().unwrap().value, "mesh/payments.yaml");
        assert_eq!(m.format.as_ref().unwrap().value, SourceFormat::Istio);
        assert_eq!(m.servers[0].0.value, "payments.prod.svc.cluster.local");
        assert_eq!(m.servers[0].1.value, "payments");
        assert_eq!(m.allow.len(), 1);
        let mut names: Vec<&str> = errors.iter().map(|e| e.name.as_ref()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "invalid_value",
                "missing_field",
                "unknown_field",
                "wrong_type"
            ]
        );
        let unknown = errors.iter().find(|e| e.name == "unknown_field").unwrap();
        assert!(unknown.primary.as_ref().unwrap().message.contains("`path`"));
    }
}
