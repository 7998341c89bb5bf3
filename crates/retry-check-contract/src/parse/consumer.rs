//! `[consumer.NAME]`: stream consumers and task workers, with their
//! `dedup = { .. }` table and its `store = { .. }`.

use toml::de::DeValue;

use super::values::{describe, inline, Inline};
use super::{Cx, Key, Value, CONSUMER_FIELDS, DEDUP_FIELDS, DEDUP_STORE_FIELDS};
use crate::model::*;

/// The largest `partitions` the parser accepts.
const MAX_PARTITIONS: i64 = 1_000_000;
/// The largest `dedup.max_entries` the parser accepts.
const MAX_ENTRIES: i64 = 1_000_000_000_000;

pub(super) fn parse_consumer(
    cx: &mut Cx<'_>,
    name: &Key<'_>,
    body: &Value<'_>,
) -> Option<Consumer> {
    let table = cx.table(name, body, "a table")?;
    let mut c = Consumer {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        source: None,
        delivery: None,
        redelivery_window: None,
        ordering: None,
        partitions: None,
        rate_per_sec: None,
        dedup: None,
        commit: None,
        side_effects: None,
        lease: None,
        fencing: None,
        handler_timeout: None,
        allow: Vec::new(),
    };
    let mut source_seen = false;
    let place = format!("in consumer `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "source" => {
                source_seen = true;
                c.source = parse_source(cx, k, v);
            }
            "delivery" => c.delivery = parse_delivery(cx, k, v),
            "redelivery_window" => {
                c.redelivery_window = cx.nonzero_duration(k, v, "no redelivery can arrive", None)
            }
            "ordering" => c.ordering = cx.enumerated(k, v, Ordering::from_name, Ordering::NAMES),
            "partitions" => c.partitions = cx.at_least(k, v, 1, MAX_PARTITIONS),
            "rate_per_sec" => c.rate_per_sec = cx.positive(k, v, "events per second"),
            "dedup" => c.dedup = inline(cx, k, v, &DEDUP, dedup_field),
            "commit" => c.commit = cx.enumerated(k, v, CommitOrder::from_name, CommitOrder::NAMES),
            "side_effects" => {
                c.side_effects = cx.enumerated(k, v, SideEffects::from_name, SideEffects::NAMES)
            }
            "lease" => c.lease = cx.nonzero_duration(k, v, "a lease that is over at once", None),
            "fencing" => c.fencing = cx.bool(k, v),
            "handler_timeout" => c.handler_timeout = cx.duration(k, v),
            "allow" => c.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, CONSUMER_FIELDS),
        }
    }
    if !source_seen {
        let d = cx.push(
            "missing_field",
            format!("consumer `{}` has no `source`", name.get_ref()),
            name.span(),
            "expected a `source` in this table",
        );
        d.help.push(
            "name what it reads, like `source = \"kafka:payments.events\"` (kinds: \
             kafka, kinesis, sqs, nats, pubsub, rabbitmq, or queue for a task queue)"
                .to_string(),
        );
    }
    Some(c)
}

/// `"kafka:payments.events"`: a kind the format knows, then the name.
fn parse_source(cx: &mut Cx<'_>, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<SourceRef>> {
    let DeValue::String(s) = value.get_ref() else {
        cx.wrong_type(key, value, "a string like \"kafka:payments.events\"");
        return None;
    };
    let kinds = SourceKind::NAMES
        .iter()
        .map(|n| format!("\"{n}:...\""))
        .collect::<Vec<_>>()
        .join(", ");
    let Some((kind, name)) = s.split_once(':') else {
        cx.invalid(
            value.span(),
            format!("`source` must be `kind:name`, found `{s}`"),
            "expected a kind, `:` and a name",
            Some(format!(
                "write it like \"kafka:payments.events\" or \"queue:invoices\" ({kinds})"
            )),
        );
        return None;
    };
    let kind_name = kind.trim();
    let Some(kind) = SourceKind::from_name(kind_name) else {
        let label = match crate::did_you_mean(kind_name, SourceKind::NAMES) {
            Some(k) => format!("did you mean `{k}`?"),
            None => "unknown source kind".to_string(),
        };
        let d = cx.push(
            "invalid_value",
            format!("`{kind_name}` is not a known source kind"),
            value.span(),
            &label,
        );
        d.help.push(format!("expected one of: {kinds}"));
        return None;
    };
    let name = name.trim();
    if name.is_empty() {
        cx.invalid(
            value.span(),
            format!("`source` names no {kind} topic, queue or stream"),
            "expected a name after `:`",
            None,
        );
        return None;
    }
    Some(cx.sp(
        SourceRef {
            kind,
            name: name.to_string(),
        },
        value.span(),
    ))
}

/// `delivery`, with a word for the promise no source can keep.
fn parse_delivery(cx: &mut Cx<'_>, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Delivery>> {
    if let DeValue::String(s) = value.get_ref() {
        if s.replace('_', "-").eq_ignore_ascii_case("exactly-once") {
            cx.invalid(
                value.span(),
                "`exactly-once` is not a delivery a consumer can declare".to_string(),
                "no source delivers exactly once across a side effect",
                Some(
                    "declare `delivery = \"at-least-once\"` and make the handling idempotent \
                     with `dedup`: exactly-once is what at-least-once delivery plus \
                     deduplication gives (Kafka's transactions cover only writes back to Kafka)"
                        .to_string(),
                ),
            );
            return None;
        }
    }
    cx.enumerated(key, value, Delivery::from_name, Delivery::NAMES)
}

const DEDUP: Inline = Inline {
    name: "dedup",
    example:
        "a table like { key = \"event_id\", store = { durability = \"durable\" }, window = \"7d\" }",
    known: DEDUP_FIELDS,
};
const DEDUP_STORE: Inline = Inline {
    name: "store",
    example: "a table like { kind = \"postgres\", durability = \"durable\" }",
    known: DEDUP_STORE_FIELDS,
};

fn dedup_field(cx: &mut Cx<'_>, d: &mut Dedup, name: &str, k: &Key<'_>, v: &Value<'_>) -> bool {
    match name {
        "key" => d.key = cx.enumerated(k, v, DedupKey::from_name, DedupKey::NAMES),
        "scope" => {
            d.scope = cx.enumerated_list(
                k,
                v,
                DedupScope::from_name,
                DedupScope::NAMES,
                "an array of scopes, like [\"partition\"]",
            )
        }
        "store" => d.store = inline(cx, k, v, &DEDUP_STORE, dedup_store_field),
        "window" => d.window = cx.nonzero_duration(k, v, "a seen-set that remembers nothing", None),
        "max_entries" => d.max_entries = cx.at_least(k, v, 1, MAX_ENTRIES),
        "same_txn_as_effect" => d.same_txn_as_effect = cx.bool(k, v),
        "pending" => d.pending = cx.bool(k, v),
        _ => return false,
    }
    true
}

fn dedup_store_field(
    cx: &mut Cx<'_>,
    s: &mut DedupStore,
    name: &str,
    k: &Key<'_>,
    v: &Value<'_>,
) -> bool {
    match name {
        "kind" => s.kind = cx.enumerated(k, v, StoreKind::from_name, StoreKind::NAMES),
        "durability" => {
            s.durability = cx.enumerated(k, v, Durability::from_name, Durability::NAMES)
        }
        // A server's `store` takes it; a consumer's belongs to `dedup`.
        "same_txn_as_effect" => {
            let d = cx.push(
                "unknown_field",
                "unknown field `same_txn_as_effect` in `dedup.store`".to_string(),
                k.span(),
                "a key of `dedup`, not of its store",
            );
            d.help.push(format!(
                "move it up a level: `dedup = {{ ..., same_txn_as_effect = {} }}`",
                match v.get_ref() {
                    DeValue::Boolean(b) => b.to_string(),
                    other => describe(other).to_string(),
                }
            ));
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests;
