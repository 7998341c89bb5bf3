//! `[server.NAME]` and `[server.NAME.operations.OP]`.

use super::{Cx, Key, Value, OPERATION_FIELDS, SERVER_FIELDS, STORE_FIELDS};
use crate::model::*;

pub(super) fn parse_server(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<Server> {
    let table = cx.table(name, body, "a table")?;
    let mut server = Server {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        key_source: None,
        key_required: None,
        key_ttl: None,
        key_scope: None,
        fingerprint: None,
        in_progress_lease: None,
        handler_timeout: None,
        store: None,
        fencing: None,
        on_mismatch: None,
        on_in_progress: None,
        on_missing_key: None,
        capacity_per_sec: None,
        max_load_factor: None,
        operations: Vec::new(),
        allow: Vec::new(),
    };
    let place = format!("in server `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "key_source" => server.key_source = cx.string(k, v),
            "key_required" => server.key_required = cx.bool(k, v),
            "key_ttl" => {
                server.key_ttl =
                    cx.nonzero_duration(k, v, "a key forgotten at once protects nothing", None)
            }
            "key_scope" => {
                server.key_scope = cx.enumerated_list(
                    k,
                    v,
                    KeyScope::from_name,
                    KeyScope::NAMES,
                    "an array of scopes",
                )
            }
            "fingerprint" => server.fingerprint = cx.string_list(k, v),
            "in_progress_lease" => {
                server.in_progress_lease =
                    cx.nonzero_duration(k, v, "a claim that expires as it is made", None)
            }
            "handler_timeout" => {
                server.handler_timeout =
                    cx.nonzero_duration(k, v, "a handler with no time to run", None)
            }
            "store" => {
                if let Some(t) = cx.table(
                    k,
                    v,
                    "a table like { kind = \"postgres\", durability = \"durable\" }",
                ) {
                    let mut store = Store::default();
                    for (sk, sv) in t.iter() {
                        match sk.get_ref().as_ref() {
                            "kind" => {
                                store.kind =
                                    cx.enumerated(sk, sv, StoreKind::from_name, StoreKind::NAMES)
                            }
                            "durability" => {
                                store.durability =
                                    cx.enumerated(sk, sv, Durability::from_name, Durability::NAMES)
                            }
                            "same_txn_as_effect" => store.same_txn_as_effect = cx.bool(sk, sv),
                            _ => cx.unknown_field(sk, "in `store`", STORE_FIELDS),
                        }
                    }
                    server.store = Some(cx.sp(store, v.span()));
                }
            }
            "fencing" => server.fencing = cx.bool(k, v),
            "on_mismatch" => server.on_mismatch = cx.status(v),
            "on_in_progress" => server.on_in_progress = cx.status(v),
            "on_missing_key" => server.on_missing_key = cx.status(v),
            "capacity_per_sec" => {
                server.capacity_per_sec = cx.positive(k, v, "requests per second")
            }
            "max_load_factor" => {
                server.max_load_factor = cx.number(k, v).and_then(|n| {
                    if n.value >= 1.0 {
                        Some(n)
                    } else {
                        cx.invalid(
                            n.span.range.clone(),
                            format!("`max_load_factor` must be at least 1.0, found {}", n.value),
                            "below 1.0",
                            Some("it is offered load divided by `capacity_per_sec`: 1.0 is exactly at capacity, 1.5 allows 50% over".to_string()),
                        );
                        None
                    }
                })
            }
            "operations" => {
                if let Some(ops) = cx.table(k, v, "a table of operations") {
                    for (op_name, op_body) in ops.iter() {
                        if let Some(op) = parse_operation(cx, op_name, op_body) {
                            server.operations.push(op);
                        }
                    }
                }
            }
            "allow" => server.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, SERVER_FIELDS),
        }
    }
    Some(server)
}

fn parse_operation(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<Operation> {
    let table = cx.table(name, body, "a table")?;
    let mut op = Operation {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        method: None,
        idempotency: None,
        side_effects: None,
        allow: Vec::new(),
    };
    let place = format!("in operation `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "method" => op.method = cx.enumerated(k, v, Method::from_name, Method::NAMES),
            "idempotency" => {
                op.idempotency = cx.enumerated(k, v, Idempotency::from_name, Idempotency::NAMES)
            }
            "side_effects" => {
                op.side_effects = cx.enumerated(k, v, SideEffects::from_name, SideEffects::NAMES)
            }
            "allow" => op.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, OPERATION_FIELDS),
        }
    }
    Some(op)
}
