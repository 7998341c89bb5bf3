//! `schema`: the committed JSON Schema, byte for byte.

use super::*;

#[test]
fn help_schema() {
    assert_cmd_snapshot!(cmd(&["schema", "--help"]));
}

/// `schema` prints exactly the committed `schema/contract.schema.json`
/// (regenerate it with `cargo run -p cargo-retry-check -- schema -o
/// schema/contract.schema.json`).
#[test]
fn schema_prints_the_committed_file_byte_for_byte() {
    let out = cmd(&["schema"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = std::fs::read(root().join("schema/contract.schema.json"))
        .expect("schema/contract.schema.json is committed");
    assert!(
        out.stdout == committed,
        "schema/contract.schema.json is stale: run \
         `cargo run -p cargo-retry-check -- schema -o schema/contract.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
}

#[test]
fn schema_output_file() {
    let dir = replay_dir("schema_output_file");
    std::fs::create_dir_all(root().join(&dir)).unwrap();
    let file = format!("{dir}/contract.schema.json");
    let out = cmd(&["schema", "-o", &file]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(root().join(&file)).unwrap(),
        std::fs::read(root().join("schema/contract.schema.json")).unwrap()
    );
    let bad = cmd(&["schema", "-o", &format!("{dir}/missing/dir/x.json")])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).starts_with("error: cannot write `"));
}
