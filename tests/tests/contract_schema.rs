//! The committed JSON Schema of the contract format
//! (`schema/contract.schema.json`) against real contracts: every bundled
//! contract the parser accepts is valid (converted TOML -> JSON, as taplo
//! does), and mistakes the parser rejects are rejected by the schema too.

use std::path::{Path, PathBuf};

use retry_check_contract::load_str;
use retry_check_contract::schema::{contract_schema, SCHEMA_PATH};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join(SCHEMA_PATH)).expect("committed schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    assert_eq!(schema, contract_schema(), "{SCHEMA_PATH} is stale");
    jsonschema::draft7::new(&schema).expect("a valid draft-07 schema")
}

fn to_json(text: &str) -> Value {
    toml::from_str::<Value>(text).expect("TOML")
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    validator
        .iter_errors(&to_json(text))
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn toml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("directory")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            toml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
}

/// The clean examples, and the broken ones too: `contracts/broken/` breaks
/// lint rules, not the format, so the parser accepts every file and so must
/// the schema. The other example contracts of the repository as well.
#[test]
fn every_bundled_contract_is_valid() {
    let validator = validator();
    let mut files = Vec::new();
    toml_files(&root().join("contracts"), &mut files);
    files.push(root().join("crates/retry-check-harness/examples/contracts/payments.toml"));
    files.push(root().join("crates/retry-check-workspace/scaffold/contracts/example.toml"));
    assert!(files.len() > 30, "{files:?}");
    for file in &files {
        let shown = file
            .strip_prefix(root())
            .unwrap_or(file)
            .display()
            .to_string();
        let text = std::fs::read_to_string(file).expect("readable");
        let (_, parse_errors) = load_str(&shown, &text);
        assert!(parse_errors.is_empty(), "{shown} does not parse");
        let found = errors(&validator, &text);
        assert!(found.is_empty(), "{shown}:\n{}", found.join("\n"));
    }
}

#[test]
fn the_clean_example_points_at_the_schema() {
    let text = std::fs::read_to_string(root().join("contracts/payments.toml")).unwrap();
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(first, "#:schema ../schema/contract.schema.json");
    let target = root()
        .join("contracts")
        .join("../schema/contract.schema.json");
    assert!(
        target.is_file(),
        "the #:schema path resolves from contracts/"
    );
}

/// Mistakes the parser reports are schema errors too (so an editor flags
/// them as you type), each at the right place.
#[test]
fn mistakes_are_rejected_where_they_are() {
    let validator = validator();
    let cases = [
        ("version = 2", "/version"),
        ("version = 1\nversoin = 1", ""),
        ("version = 1\n[server.p]\nkey_tll = \"1h\"", "/server/p"),
        (
            "version = 1\n[server.p]\nkey_ttl = 3600",
            "/server/p/key_ttl",
        ),
        (
            "version = 1\n[server.p]\nkey_ttl = \"24 hourz\"",
            "/server/p/key_ttl",
        ),
        (
            "version = 1\n[server.p]\nstore = { kind = \"postgress\" }",
            "/server/p/store/kind",
        ),
        (
            "version = 1\n[server.p]\non_mismatch = 99",
            "/server/p/on_mismatch",
        ),
        (
            "version = 1\n[server.p.operations.C]\nmethod = \"post\"",
            "/server/p/operations/C/method",
        ),
        (
            "version = 1\n[client.c]\nretry_on = [\"UNAVAILBLE\"]",
            "/client/c/retry_on/0",
        ),
        (
            "version = 1\n[client.c]\nbackoff = { initial = \"1s\", jitter = \"half\" }",
            "/client/c/backoff/jitter",
        ),
        (
            "version = 1\n[client.c]\nmax_attempts = \"3\"",
            "/client/c/max_attempts",
        ),
        (
            "version = 1\n[client.c]\nallow = [{ reason = \"no rule\" }]",
            "/client/c/allow/0",
        ),
        (
            "version = 1\n[consumer.l]\nsource = \"kafak:payments\"",
            "/consumer/l/source",
        ),
        (
            "version = 1\n[consumer.l]\nsource = \"payments.events\"",
            "/consumer/l/source",
        ),
        (
            "version = 1\n[consumer.l]\nsource = \"kafka:t\"\ncommit = \"after\"",
            "/consumer/l/commit",
        ),
        (
            "version = 1\n[consumer.l]\nsource = \"kafka:t\"\ndedup = { key = \"event-id\" }",
            "/consumer/l/dedup/key",
        ),
        (
            "version = 1\n[consumer.l]\nsource = \"kafka:t\"\ndedup = { store = { durability = \"durable\", same_txn_as_effect = true } }",
            "/consumer/l/dedup/store",
        ),
        (
            "version = 1\n[consumer.l]\nsource = \"kafka:t\"\ndedup = { scope = [\"partiton\"] }",
            "/consumer/l/dedup/scope/0",
        ),
    ];
    for (text, at) in cases {
        let (_, parse_errors) = load_str("t.toml", text);
        assert!(!parse_errors.is_empty(), "the parser accepts:\n{text}");
        let found = errors(&validator, text);
        assert!(!found.is_empty(), "the schema accepts:\n{text}");
        assert!(
            found.iter().any(|e| e.ends_with(&format!(" at {at}"))),
            "{text}\n{found:#?}"
        );
    }
}

/// The duration pattern and the status forms agree with the parser.
#[test]
fn durations_and_statuses_agree_with_the_parser() {
    let validator = validator();
    let durations = [
        ("250ms", true),
        ("3s", true),
        ("1h30m", true),
        ("24 h", true),
        ("1m 30s", true),
        ("7d", true),
        ("", false),
        ("30", false),
        ("3 sec", false),
        ("-3s", false),
        ("1.5s", true),
        ("0.5h", true),
        (".25m", true),
        ("1..5s", false),
        ("3S", false),
    ];
    // The schema cannot tell "1.5ms" (not whole milliseconds) or "0s" (a
    // zero deadline) from valid durations: only the parser rejects them.
    for (d, ok) in durations {
        let text = format!("version = 1\n[client.c]\ndeadline = \"{d}\"");
        assert_eq!(
            load_str("t.toml", &text).1.is_empty(),
            ok,
            "parser on {d:?}"
        );
        assert_eq!(errors(&validator, &text).is_empty(), ok, "schema on {d:?}");
    }
    let statuses = [
        ("\"UNAVAILABLE\"", true),
        ("503", true),
        ("\"503\"", true),
        ("\"5xx\"", true),
        ("\"4XX\"", true),
        ("\"connect-failure\"", true),
        ("600", false),
        ("\"6xx\"", false),
        ("\"unavailable\"", false),
        ("1.5", false),
    ];
    for (s, ok) in statuses {
        let text = format!("version = 1\n[client.c]\nretry_on = [{s}]");
        assert_eq!(load_str("t.toml", &text).1.is_empty(), ok, "parser on {s}");
        assert_eq!(errors(&validator, &text).is_empty(), ok, "schema on {s}");
    }
}
