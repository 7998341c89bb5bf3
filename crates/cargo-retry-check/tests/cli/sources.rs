//! Contract sources end to end (issue 19): the bundled Istio and gRPC
//! examples, discovery by extension and content in a scratch workspace,
//! `source_kind` in `--format json`, located parse errors, and
//! `init --from PATH`.

use super::*;

/// A scratch workspace with `files` (path, contents).
fn scratch(test: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("retry-check-sources-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn istio_default_retries_in_front_of_a_post() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "contracts/broken/rc002_istio_default_retries.toml"
    ]));
}

#[test]
fn grpc_hedging_without_a_key_json_names_the_source_kind() {
    let out = cmd(&[
        "lint",
        "contracts/broken/rc030_grpc_hedging.toml",
        "--format",
        "json",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let rc030 = lines.iter().find(|v| v["code"] == "RC030").expect("RC030");
    assert_eq!(
        rc030["file"],
        "contracts/broken/imported/rc030-bank-service-config.json"
    );
    assert_eq!(rc030["source_kind"], "grpc-service-config");
    assert_eq!(rc030["line"], 6);
    let summary = lines.last().unwrap();
    assert_eq!(summary["files"], 2, "the contract and the service config");
}

#[test]
fn mesh_amplification_names_both_layers() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "contracts/broken/rc019_mesh_amplification.toml",
        "--format",
        "short"
    ]));
}

#[test]
fn the_bundled_examples_are_clean() {
    assert_cmd_snapshot!(cmd(&[
        "lint",
        "contracts/payments.toml",
        "contracts/ledger.toml"
    ]));
}

const ORDERS_VS: &str = "apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: orders
spec:
  hosts: [orders]
  http:
    - name: create
      route:
        - destination: {host: orders}
";

const ORDERS_TOML: &str = "version = 1
[server.orders.operations.Create]
method = \"POST\"
";

/// Discovery: a directory is searched for contracts and sources; a YAML
/// file counts only when its kind says so, JSON only by its shape.
#[test]
fn discovery_by_extension_and_content() {
    let dir = scratch(
        "discovery",
        &[
            ("contracts/orders.toml", ORDERS_TOML),
            ("contracts/mesh/orders.yaml", ORDERS_VS),
            (
                "contracts/mesh/deployment.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: orders}\n",
            ),
            ("contracts/package.json", "{\"name\": \"not-a-contract\"}\n"),
            ("contracts/notes.md", "# not a contract\n"),
        ],
    );
    let out = cmd_in(&dir, &["lint", "contracts", "--format", "json"])
        .output()
        .unwrap();
    let lines = json_lines(&out);
    let summary = lines.last().unwrap();
    assert_eq!(summary["files"], 2, "{lines:?}");
    let rc002 = lines.iter().find(|v| v["code"] == "RC002").expect("RC002");
    assert_eq!(rc002["file"], "contracts/mesh/orders.yaml");
    assert_eq!(rc002["source_kind"], "istio");
    assert_eq!(
        (rc002["line"].as_u64(), rc002["column"].as_u64()),
        (Some(8), Some(13))
    );
    let toml = lines.iter().find(|v| v["file"] == "contracts/orders.toml");
    assert!(toml.is_none_or(|v| v["source_kind"] == "contract"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn parse_errors_are_located() {
    let dir = scratch(
        "parse-errors",
        &[
            (
                "contracts/mesh.yaml",
                "apiVersion: networking.istio.io/v1\nkind: VirtualService\nspec:\n  http: [\n",
            ),
            (
                "contracts/grpc.json",
                "{\"methodConfig\": [{\"name\": [], \"retryPolicy\": {\"maxAttempts\": 1,}}]}\n",
            ),
            ("contracts/config", "[profile ci]\nretry_mode = fast\n"),
        ],
    );
    assert_cmd_snapshot!(cmd_in(&dir, &["lint", "contracts"]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn init_from_writes_a_starter_contract() {
    let dir = scratch(
        "init-from",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"shop\"\nversion = \"0.1.0\"\n",
            ),
            ("deploy/orders.yaml", ORDERS_VS),
            ("deploy/values.yaml", "replicas: 3\n"),
        ],
    );
    assert_cmd_snapshot!(cmd_in(&dir, &["init", "--from", "deploy"]));
    let written = std::fs::read_to_string(dir.join("contracts/imported.toml")).unwrap();
    insta::assert_snapshot!("init_from_contract", written);
    // The starter is a contract: it loads with the file it imports, and the
    // server stub (no key yet) makes the mesh's default retries a finding.
    let out = cmd_in(&dir, &["lint", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("deploy/orders.yaml:8:13: error[RC002]"),
        "{stdout}"
    );
    // A second run does not overwrite it.
    let again = cmd_in(&dir, &["init", "--from", "deploy"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A path that holds no contract and no configuration retry-check reads is
/// a usage error, not a clean run.
#[test]
fn a_path_with_no_source_is_an_error() {
    let out = cmd(&["lint", "README.md"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no contract files found in the given paths"),
        "{stderr}"
    );
}
