//! The JSON Schema of the contract file format, for editors (Even Better
//! TOML / taplo complete and check a contract that starts with
//! `#:schema ./schema/contract.schema.json`) and other tools.
//!
//! The parser ([`crate::parse`]) walks the TOML tree by hand, so the schema
//! is generated with `schemars` from *mirror types* here, shaped like the
//! file (not like the span-carrying model): one struct per table, doc
//! comments as descriptions, enums listing the names the parser accepts
//! (taken from the model's `NAMES`), durations and statuses as strings with
//! a pattern. A test checks that every table of the schema has exactly the
//! keys the parser accepts ([`crate::parse::KNOWN_KEYS`]), so the two cannot
//! drift; `cargo retry-check schema` prints [`contract_schema`], and the
//! committed `schema/contract.schema.json` must equal it byte for byte.
//!
//! The schema is JSON Schema draft-07 (taplo's validator does not read the
//! newer drafts). It accepts everything the parser accepts, and rejects
//! unknown keys, wrong types, unknown enum names and malformed durations
//! and statuses. It cannot check what needs the whole file set (references
//! between files, duplicate names) or arithmetic (a duration that
//! overflows); the linter does.

// The mirror types only exist to derive their schema: nothing reads them.
#![allow(dead_code)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::model::{
    Durability, Idempotency, Jitter, KeyScope, Method, SideEffects, SourceFormat, StoreKind,
};
use crate::parse::FORMAT_VERSION;
use crate::status::{GrpcCode, Transport};

/// Where the schema is committed in this repository, and what a contract's
/// `#:schema` line points at.
pub const SCHEMA_PATH: &str = "schema/contract.schema.json";

/// The `$id` of the schema.
pub const SCHEMA_ID: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/raw/main/schema/contract.schema.json"
);

/// A duration string: `"250ms"`, `"3s"`, `"1.5s"`, `"1m"`, `"24h"`, `"7d"` or a sum.
pub const DURATION_PATTERN: &str = r"^\s*(([0-9]+(\.[0-9]*)?|\.[0-9]+) *(ms|s|m|h|d) *)+\s*$";

/// The JSON Schema of one contract file (draft-07), as a JSON value with a
/// fixed key order.
pub fn contract_schema() -> serde_json::Value {
    let settings = SchemaSettings::draft07();
    let schema = settings
        .into_generator()
        .into_root_schema_for::<ContractFile>();
    let mut value = schema.to_value();
    strip_null(&mut value);
    if let serde_json::Value::Object(map) = &mut value {
        // `$schema` first, then our identity, then the rest as generated.
        let mut out = serde_json::Map::new();
        if let Some(meta) = map.remove("$schema") {
            out.insert("$schema".into(), meta);
        }
        out.insert("$id".into(), SCHEMA_ID.into());
        map.remove("title");
        out.insert("title".into(), "retry-check contract (format v1)".into());
        out.append(map);
        value = serde_json::Value::Object(out);
    }
    value
}

/// The schema as the committed file holds it: pretty JSON and a newline.
pub fn contract_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&contract_schema())
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// TOML has no null: an absent key is how a contract leaves a value out.
/// schemars lets `Option` fields be null; take that back out.
fn strip_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(alts)) = map.get_mut(key) {
                    alts.retain(|a| a.get("type").and_then(Value::as_str) != Some("null"));
                }
            }
            // An `anyOf` left with one alternative is that alternative.
            for key in ["anyOf", "oneOf"] {
                let single = match map.get(key) {
                    Some(Value::Array(alts)) if alts.len() == 1 => alts.first().cloned(),
                    _ => None,
                };
                if let Some(Value::Object(inner)) = single {
                    map.remove(key);
                    for (k, v) in inner {
                        map.entry(k).or_insert(v);
                    }
                }
            }
            // Draft-07 ignores the siblings of a `$ref`: keep the
            // description beside it and the reference in an `allOf`.
            if map.len() > 1 {
                if let Some(reference) = map.remove("$ref") {
                    map.insert(
                        "allOf".into(),
                        Value::Array(vec![serde_json::json!({ "$ref": reference })]),
                    );
                }
            }
            for v in map.values_mut() {
                strip_null(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null),
        _ => {}
    }
}

/// A string that is one of `names`.
fn names_schema(description: &str, names: &[&str]) -> Schema {
    json_schema!({
        "description": description,
        "type": "string",
        "enum": names,
    })
}

macro_rules! name_type {
    ($(#[doc = $doc:literal])* $mirror:ident => $names:expr) => {
        $(#[doc = $doc])*
        pub struct $mirror;

        impl JsonSchema for $mirror {
            fn schema_name() -> Cow<'static, str> {
                stringify!($mirror).into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                names_schema(concat!($($doc),*).trim(), $names)
            }
        }
    };
}

name_type!(
    /// Where the server keeps idempotency records.
    StoreKindName => StoreKind::NAMES
);
name_type!(
    /// Does a record survive a restart of the process that wrote it?
    DurabilityName => Durability::NAMES
);
name_type!(
    /// How backoff delays are randomised: `full` (AWS), `equal`, `decorrelated`, or `none`.
    JitterName => Jitter::NAMES
);
name_type!(
    /// A component of the composite lookup key.
    KeyScopeName => KeyScope::NAMES
);
name_type!(
    /// How the operation is made safe to repeat.
    IdempotencyName => Idempotency::NAMES
);
name_type!(
    /// What running the operation changes (`money` is the most serious).
    SideEffectsName => SideEffects::NAMES
);
name_type!(
    /// HTTP method, or `rpc` for gRPC-style calls.
    MethodName => Method::NAMES
);
name_type!(
    /// The format of an imported configuration file.
    SourceFormatName => SourceFormat::NAMES
);

mod consumer;
use consumer::ConsumerTable;

/// `version = 1`.
pub struct FormatVersion;

impl JsonSchema for FormatVersion {
    fn schema_name() -> Cow<'static, str> {
        "FormatVersion".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The contract format version: 1. Every contract file starts with `version = 1`.",
            "type": "integer",
            "enum": [FORMAT_VERSION],
        })
    }
}

/// A duration string.
pub struct DurationString;

impl JsonSchema for DurationString {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a string with units, like \"250ms\", \"3s\", \"1m\", \"24h\", \"7d\", or a sum like \"1h30m\". A bare number is an error (which unit?).",
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["250ms", "30s", "24h", "7d", "1h30m"],
        })
    }
}

/// A status: gRPC name, HTTP code or class, or transport failure class.
pub struct StatusValue;

impl JsonSchema for StatusValue {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut names: Vec<&str> = GrpcCode::ALL.iter().map(|c| c.name()).collect();
        names.extend(Transport::ALL.iter().map(|t| t.name()));
        json_schema!({
            "description": "A status: a gRPC code name (\"UNAVAILABLE\"), an HTTP status code (503, or \"503\") or class (\"5xx\"), or a transport failure class (\"connect-failure\", \"refused-stream\", \"reset\", \"timeout\").",
            "anyOf": [
                { "type": "integer", "minimum": 100, "maximum": 599 },
                { "type": "string", "enum": names },
                { "type": "string", "pattern": "^[1-5][xX][xX]$" },
                { "type": "string", "pattern": "^[+]?0*[1-5][0-9][0-9]$" },
            ],
        })
    }
}

/// One contract file: servers (what side-effect owners promise) and clients
/// (how callers retry). Several files form one contract set.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractFile {
    /// The contract format version: 1.
    pub version: FormatVersion,
    /// The schema of this file (an alternative to a `#:schema` comment line).
    #[serde(rename = "$schema")]
    pub schema: Option<String>,
    /// Servers, by name: `[server.payments]`.
    pub server: Option<BTreeMap<String, ServerTable>>,
    /// Clients, by name: `[client.checkout]`.
    pub client: Option<BTreeMap<String, ClientTable>>,
    /// Stream consumers and task workers, by name: `[consumer.ledger-projector]`.
    pub consumer: Option<BTreeMap<String, ConsumerTable>>,
    /// Imported configuration files, by name: `[source.payments-mesh]`.
    pub source: Option<BTreeMap<String, SourceTable>>,
}

/// `[source.NAME]`: a configuration file that is not a contract (gRPC
/// service config, Envoy, Istio, Linkerd, AWS SDK config, OpenAPI) and where
/// it sits: the clients and servers it defines join the contract set.
#[derive(JsonSchema)]
#[schemars(rename = "Source")]
#[serde(deny_unknown_fields)]
pub struct SourceTable {
    /// The file, relative to this contract file.
    pub path: String,
    /// The format, when the extension and content do not say.
    pub format: Option<SourceFormatName>,
    /// The layer of every client the file defines (default: `mesh` for
    /// Istio and Linkerd, `proxy` for Envoy, `grpc` and `aws-sdk`).
    pub layer: Option<String>,
    /// The server whose handler the file's clients run in (a gRPC
    /// channel's or an AWS SDK's application).
    pub runs_in: Option<String>,
    /// The server the file's clients call, or the server an OpenAPI
    /// document describes, when `servers` does not name one.
    pub server: Option<String>,
    /// Names in the file (Envoy cluster, Istio or Linkerd host, gRPC
    /// service) and the contract server each one is.
    pub servers: Option<BTreeMap<String, String>>,
    /// The request header that carries the idempotency key (OpenAPI;
    /// default `Idempotency-Key`).
    pub key_header: Option<String>,
    /// Rules that do not apply to the clients and servers of this file.
    pub allow: Option<Vec<AllowEntry>>,
}

/// `[server.NAME]`: what the owner of a side effect promises about
/// idempotency keys.
#[derive(JsonSchema)]
#[schemars(rename = "Server")]
#[serde(deny_unknown_fields)]
pub struct ServerTable {
    /// Where the idempotency key comes from, like "header:Idempotency-Key".
    pub key_source: Option<String>,
    /// Requests without a key are rejected (with `on_missing_key`).
    pub key_required: Option<bool>,
    /// How long a completed key is honoured; must cover every client's retry window.
    pub key_ttl: Option<DurationString>,
    /// Components of the composite lookup key, like ["tenant"].
    pub key_scope: Option<Vec<KeyScopeName>>,
    /// Request fields hashed to detect a reused key with another payload.
    pub fingerprint: Option<Vec<String>>,
    /// How long an in-progress claim lasts; then another worker may take the key over.
    pub in_progress_lease: Option<DurationString>,
    /// The longest run of the side effect (compare with `in_progress_lease`).
    pub handler_timeout: Option<DurationString>,
    /// Where idempotency records are kept.
    pub store: Option<StoreTable>,
    /// A stale owner (whose lease was taken over) cannot complete: fencing tokens.
    pub fencing: Option<bool>,
    /// Status answered for a reused key with a different payload (IETF draft: 422).
    pub on_mismatch: Option<StatusValue>,
    /// Status answered while the first request still runs (IETF draft: 409).
    pub on_in_progress: Option<StatusValue>,
    /// Status answered when a required key is missing (IETF draft: 400).
    pub on_missing_key: Option<StatusValue>,
    /// Requests per second the server can serve (`storm`; default: 25%
    /// headroom over the fleet's steady load).
    pub capacity_per_sec: Option<f64>,
    /// Peak offered load over normal load the owner accepts in an outage
    /// (`storm`, RC034; default 1.5).
    pub max_load_factor: Option<f64>,
    /// The server's operations, by name: `[server.NAME.operations.Charge]`.
    pub operations: Option<BTreeMap<String, OperationTable>>,
    /// Rules suppressed on this server: codes, names, or { rule, reason }.
    pub allow: Option<Vec<AllowEntry>>,
}

/// `store = { kind, durability, same_txn_as_effect }`.
#[derive(JsonSchema)]
#[schemars(rename = "Store")]
#[serde(deny_unknown_fields)]
pub struct StoreTable {
    /// The storage technology.
    pub kind: Option<StoreKindName>,
    /// `durable` records survive a restart; `volatile` ones do not.
    pub durability: Option<DurabilityName>,
    /// The record is written in the same transaction as the side effect.
    pub same_txn_as_effect: Option<bool>,
}

/// `[server.NAME.operations.OP]`.
#[derive(JsonSchema)]
#[schemars(rename = "Operation")]
#[serde(deny_unknown_fields)]
pub struct OperationTable {
    /// The HTTP method, or "rpc".
    pub method: Option<MethodName>,
    /// How the operation is made safe to repeat: natural, key, conditional or none.
    pub idempotency: Option<IdempotencyName>,
    /// What running it changes: none, local, foreign or money.
    pub side_effects: Option<SideEffectsName>,
    /// Rules suppressed on this operation.
    pub allow: Option<Vec<AllowEntry>>,
}

/// `[client.NAME]`: how a caller retries.
#[derive(JsonSchema)]
#[schemars(rename = "Client")]
#[serde(deny_unknown_fields)]
pub struct ClientTable {
    /// What it calls: "server.Operation", or "server" for all its operations.
    pub calls: Option<Vec<String>>,
    /// The server whose handler this client runs in (forms call paths).
    pub runs_in: Option<String>,
    /// A name for the layer of the call path, like "edge".
    pub layer: Option<String>,
    /// Attempts per request, the first one included.
    pub max_attempts: Option<i64>,
    /// Overall deadline across all attempts.
    pub deadline: Option<DurationString>,
    /// Timeout of each attempt.
    pub per_attempt_timeout: Option<DurationString>,
    /// How long the same logical operation may be retried (reconcilers, queues).
    pub retry_window: Option<DurationString>,
    /// The delay between attempts.
    pub backoff: Option<BackoffTable>,
    /// Statuses that are retried.
    pub retry_on: Option<Vec<StatusValue>>,
    /// Waits as long as a Retry-After header asks.
    pub honor_retry_after: Option<bool>,
    /// Retries allowed as a share of requests.
    pub budget: Option<BudgetTable>,
    /// Hedged requests (gRPC A6).
    pub hedging: Option<HedgingTable>,
    /// The idempotency key the client sends.
    pub idempotency_key: Option<IdempotencyKeyTable>,
    /// The state an operation is left in when retries run out.
    pub on_exhausted: Option<String>,
    /// How many instances of this client run, and how fast each sends (`storm`).
    pub fleet: Option<FleetTable>,
    /// A client-side circuit breaker.
    pub breaker: Option<BreakerTable>,
    /// Rules suppressed on this client.
    pub allow: Option<Vec<AllowEntry>>,
}

/// `backoff = { initial, multiplier, max, jitter }`.
#[derive(JsonSchema)]
#[schemars(rename = "Backoff")]
#[serde(deny_unknown_fields)]
pub struct BackoffTable {
    /// The first delay.
    pub initial: Option<DurationString>,
    /// Each delay is the previous one times this; absent means constant backoff.
    pub multiplier: Option<f64>,
    /// The cap on a delay.
    pub max: Option<DurationString>,
    /// How delays are randomised.
    pub jitter: Option<JitterName>,
}

/// `budget = { ratio, min_per_sec }`.
#[derive(JsonSchema)]
#[schemars(rename = "Budget")]
#[serde(deny_unknown_fields)]
pub struct BudgetTable {
    /// Retries allowed per request, like 0.1 (10% extra load).
    pub ratio: Option<f64>,
    /// Retries always allowed per second, whatever the ratio.
    pub min_per_sec: Option<f64>,
}

/// `hedging = { max_attempts, delay, non_fatal_codes }`.
#[derive(JsonSchema)]
#[schemars(rename = "Hedging")]
#[serde(deny_unknown_fields)]
pub struct HedgingTable {
    /// Requests in flight at most, the first one included.
    pub max_attempts: Option<i64>,
    /// Delay before each hedged request.
    pub delay: Option<DurationString>,
    /// Statuses after which hedging continues.
    pub non_fatal_codes: Option<Vec<StatusValue>>,
}

/// `idempotency_key = { header, reused_across_retries }`.
#[derive(JsonSchema)]
#[schemars(rename = "IdempotencyKey")]
#[serde(deny_unknown_fields)]
pub struct IdempotencyKeyTable {
    /// The header the key is sent in.
    pub header: Option<String>,
    /// Every attempt of one logical operation sends the same key.
    pub reused_across_retries: Option<bool>,
}

/// `fleet = { clients, rate_per_sec }`: the fleet `storm` simulates.
#[derive(JsonSchema)]
#[schemars(rename = "Fleet")]
#[serde(deny_unknown_fields)]
pub struct FleetTable {
    /// Instances of the client (default 500).
    pub clients: Option<i64>,
    /// Logical requests per second per instance (default 2.0).
    pub rate_per_sec: Option<f64>,
}

/// `breaker = { failure_ratio, min_requests, open_for, half_open_probes, counts }`.
#[derive(JsonSchema)]
#[schemars(rename = "Breaker")]
#[serde(deny_unknown_fields)]
pub struct BreakerTable {
    /// Share of failed requests in the window that opens the breaker (default 0.5).
    pub failure_ratio: Option<f64>,
    /// Requests in the window before the ratio is judged (default 20).
    pub min_requests: Option<i64>,
    /// How long the breaker stays open before letting probes through (default 5s).
    pub open_for: Option<DurationString>,
    /// Requests let through while half-open; all must succeed to close (default 1).
    pub half_open_probes: Option<i64>,
    /// Statuses that count as failures (default: the client's `retry_on`).
    pub counts: Option<Vec<StatusValue>>,
}

/// An `allow` entry: a rule code or name ("RC017", "no_retry_budget"), or
/// `{ rule = "RC017", reason = "..." }`.
#[derive(JsonSchema)]
#[serde(untagged)]
pub enum AllowEntry {
    /// A rule code or name.
    Rule(String),
    /// A rule with the reason it is allowed.
    WithReason(AllowTable),
}

/// `{ rule = "RC017", reason = "..." }`.
#[derive(JsonSchema)]
#[schemars(rename = "AllowWithReason")]
#[serde(deny_unknown_fields)]
pub struct AllowTable {
    /// A rule code or name.
    pub rule: String,
    /// Why the rule does not apply here.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;
    use crate::parse::KNOWN_KEYS;

    /// Follow `$ref`s to `#/definitions/NAME`.
    fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
        loop {
            if let Some(r) = node.get("$ref").and_then(Value::as_str) {
                node = &root["definitions"][r.trim_start_matches("#/definitions/")];
            } else if let Some([only]) = node
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
            {
                node = only;
            } else {
                return node;
            }
        }
    }

    /// The object schema reached from the root by `path`: a property name,
    /// `*` (the values of a map), `[]` (the items of an array) or `{}` (the
    /// object alternative of an `anyOf`).
    fn table<'a>(root: &'a Value, path: &[&str]) -> &'a Value {
        let mut node = root;
        for step in path {
            node = resolve(root, node);
            node = match *step {
                "*" => &node["additionalProperties"],
                "[]" => &node["items"],
                "{}" => node["anyOf"]
                    .as_array()
                    .and_then(|alts| {
                        alts.iter()
                            .find(|a| resolve(root, a).get("properties").is_some())
                    })
                    .unwrap_or(&Value::Null),
                key => &node["properties"][key],
            };
        }
        resolve(root, node)
    }

    fn keys(object: &Value) -> BTreeSet<String> {
        object["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    fn path_of(table: &str) -> &'static [&'static str] {
        match table {
            "root" => &[],
            "server" => &["server", "*"],
            "operation" => &["server", "*", "operations", "*"],
            "store" => &["server", "*", "store"],
            "client" => &["client", "*"],
            "backoff" => &["client", "*", "backoff"],
            "budget" => &["client", "*", "budget"],
            "hedging" => &["client", "*", "hedging"],
            "idempotency_key" => &["client", "*", "idempotency_key"],
            "fleet" => &["client", "*", "fleet"],
            "breaker" => &["client", "*", "breaker"],
            "allow" => &["client", "*", "allow", "[]", "{}"],
            "consumer" => &["consumer", "*"],
            "dedup" => &["consumer", "*", "dedup"],
            "dedup_store" => &["consumer", "*", "dedup", "store"],
            "source" => &["source", "*"],
            other => panic!("no schema path for table `{other}`"),
        }
    }

    #[test]
    fn every_table_has_exactly_the_keys_the_parser_accepts() {
        let schema = contract_schema();
        for (name, parser_keys) in KNOWN_KEYS {
            let object = table(&schema, path_of(name));
            assert_eq!(
                object["additionalProperties"],
                Value::Bool(false),
                "table `{name}` must reject unknown keys"
            );
            let expected: BTreeSet<String> = parser_keys.iter().map(|k| k.to_string()).collect();
            assert_eq!(
                keys(object),
                expected,
                "table `{name}`: schema keys (left) != parser keys (right)"
            );
        }
        // The allow lists of servers and operations are the same type.
        for path in [
            &["server", "*", "allow", "[]", "{}"][..],
            &["server", "*", "operations", "*", "allow", "[]", "{}"],
            &["consumer", "*", "allow", "[]", "{}"],
        ] {
            assert_eq!(table(&schema, path), table(&schema, path_of("allow")));
        }
    }

    /// A document with `key` in table `name` (the value's type does not
    /// matter: a wrong type is another error than an unknown key).
    fn document_with(name: &str, key: &str) -> String {
        let k = format!("\"{key}\" = true");
        match name {
            "root" => format!("version = 1\n{k}\n"),
            "server" => format!("version = 1\n[server.s]\n{k}\n"),
            "operation" => format!("version = 1\n[server.s.operations.o]\n{k}\n"),
            "store" => format!("version = 1\n[server.s]\nstore = {{ {k} }}\n"),
            "client" => format!("version = 1\n[client.c]\n{k}\n"),
            "source" => format!("version = 1\n[source.s]\n{k}\n"),
            "allow" => format!("version = 1\n[client.c]\nallow = [{{ rule = \"RC017\", {k} }}]\n"),
            "consumer" => format!("version = 1\n[consumer.c]\n{k}\n"),
            "dedup" => format!("version = 1\n[consumer.c]\ndedup = {{ {k} }}\n"),
            "dedup_store" => {
                format!("version = 1\n[consumer.c]\ndedup = {{ store = {{ {k} }} }}\n")
            }
            table => format!("version = 1\n[client.c]\n{table} = {{ {k} }}\n"),
        }
    }

    fn unknown_fields(text: &str) -> usize {
        let (_, errors) = crate::load_str("t.toml", text);
        errors.iter().filter(|e| e.name == "unknown_field").count()
    }

    #[test]
    fn the_parser_accepts_every_key_of_the_schema_and_no_other() {
        let schema = contract_schema();
        for (name, _) in KNOWN_KEYS {
            for key in keys(table(&schema, path_of(name))) {
                if name == &"allow" && key == "rule" {
                    continue; // written in every allow document already
                }
                let doc = document_with(name, &key);
                assert_eq!(unknown_fields(&doc), 0, "`{key}` in `{name}`:\n{doc}");
            }
            let doc = document_with(name, "not_a_key");
            assert_eq!(unknown_fields(&doc), 1, "`not_a_key` in `{name}`:\n{doc}");
        }
    }

    #[test]
    fn enums_list_the_names_of_the_model() {
        let schema = contract_schema();
        let names = |def: &str| -> Vec<String> {
            schema["definitions"][def]["enum"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(names("JitterName"), Jitter::NAMES);
        assert_eq!(names("MethodName"), Method::NAMES);
        assert_eq!(names("StoreKindName"), StoreKind::NAMES);
        assert_eq!(names("SideEffectsName"), SideEffects::NAMES);
        assert!(schema["definitions"]["JitterName"]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("How backoff delays are randomised")));
    }

    #[test]
    fn is_draft_07_with_descriptions_and_no_null() {
        let schema = contract_schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["required"], serde_json::json!(["version"]));
        let text = contract_schema_text();
        assert!(!text.contains("\"null\""), "TOML has no null");
        let key_ttl = table(&schema, &["server", "*"])["properties"]["key_ttl"].clone();
        assert!(key_ttl["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("How long a completed key is honoured")));
        assert_eq!(contract_schema_text(), text, "deterministic");
    }
}
