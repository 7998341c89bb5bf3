//! The CI and pull-request formats: SARIF (validated against the official
//! SARIF 2.1.0 schema in tests/data/), GitHub annotations and the step
//! summary, JUnit, markdown, `-o FILE`, and the example GitHub workflow.

use serde_json::Value;

use super::*;

fn run(mut c: Command) -> Output {
    c.output().expect("the binary runs")
}

fn sarif_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("SARIF is JSON")
}

/// The official SARIF 2.1.0 schema (draft-07), as shipped by OASIS.
///
/// The pattern of its `language` properties ends in an unescaped `]`:
/// ECMA-262 reads it as a literal, the `jsonschema` crate's check of the
/// `regex` format rejects the schema for it. We escape that character in
/// memory (same meaning; we never write `language`) and keep the file as
/// shipped.
fn sarif_validator() -> jsonschema::Validator {
    const LANGUAGE: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    fn escape_language(v: &mut Value, fixed: &mut usize) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if k == "pattern" && v == LANGUAGE {
                        *v = Value::from(LANGUAGE.replace("}]?", "}\\]?"));
                        *fixed += 1;
                    } else {
                        escape_language(v, fixed);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| escape_language(v, fixed)),
            _ => {}
        }
    }
    let mut schema: Value = serde_json::from_str(include_str!("../data/sarif-schema-2.1.0.json"))
        .expect("the schema is JSON");
    let mut fixed = 0;
    escape_language(&mut schema, &mut fixed);
    assert!(fixed > 0, "the schema changed: review this workaround");
    jsonschema::draft7::new(&schema).expect("the schema compiles")
}

fn assert_valid_sarif(log: &Value) {
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

#[test]
fn schema_validator_rejects_invalid_sarif() {
    // The validation below can fail: a log without `runs` and with a bad
    // level is rejected.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } },
                   "results": [{ "message": { "text": "m" }, "level": "fatal" }] }]
    });
    assert!(!sarif_validator().is_valid(&bad));
}

#[test]
fn sarif_of_every_broken_contract_is_valid_and_complete() {
    let out = run(cmd(&["lint", "contracts/broken", "--format", "sarif"]));
    assert_eq!(out.status.code(), Some(1));
    let log = sarif_of(&out);
    assert_valid_sarif(&log);
    let run0 = &log["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    // Every contract rule of the catalogue fires in contracts/broken/ (code
    // rules, RC100 and up, fire on Rust sources: the scan module; storm rules
    // are in the catalogue but only `storm` reports them).
    let contract_rule =
        |r: &&serde_json::Value| r["id"] != "RC000" && r["id"].as_str() < Some("RC100");
    assert!(rules.iter().any(|r| r["id"] == "RC109"));
    for rule in rules.iter().filter(contract_rule) {
        let storm_only = storm_codes().iter().any(|c| rule["id"] == *c);
        assert!(
            storm_only || results.iter().any(|r| r["ruleId"] == rule["id"]),
            "no result for {}",
            rule["id"]
        );
        for field in ["shortDescription", "fullDescription", "help"] {
            assert!(
                !rule[field]["text"].as_str().unwrap_or("").is_empty(),
                "{} has no {field}",
                rule["id"]
            );
        }
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## How to fix"));
    }
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("contracts/broken/"), "{uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(loc["region"][k].as_u64().unwrap() >= 1);
        }
        assert!(r["partialFingerprints"]["retryCheck/v1"].is_string());
    }
    // Fingerprints tell findings apart.
    let mut prints: Vec<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["retryCheck/v1"].as_str().unwrap())
        .collect();
    prints.sort_unstable();
    prints.dedup();
    assert_eq!(prints.len(), results.len());
}

#[test]
fn sarif_of_invalid_contracts_is_valid() {
    let out = run(cmd(&[
        "lint",
        "crates/cargo-retry-check/tests/fixtures/typo",
        "--format",
        "sarif",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let log = sarif_of(&out);
    assert_valid_sarif(&log);
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "RC000");
}

#[test]
fn sarif_rc001_has_related_location_for_the_client() {
    let out = run(cmd(&["lint", RC001, "--format", "sarif"]));
    let mut log = sarif_of(&out);
    assert_valid_sarif(&log);
    // The catalogue is the same for every run: keep the RC001 entry and the
    // list of ids in the snapshot, not 32 explain texts.
    let driver = &mut log["runs"][0]["tool"]["driver"];
    let rules = driver["rules"].as_array().unwrap().clone();
    driver["rules"] = Value::Array(
        rules
            .iter()
            .map(|r| {
                if r["id"] == "RC001" {
                    let mut r = r.clone();
                    r["help"] = serde_json::json!("<the explain text of RC001>");
                    r
                } else {
                    r["id"].clone()
                }
            })
            .collect(),
    );
    insta::assert_json_snapshot!(log);
}

#[test]
fn simulate_sarif_is_valid() {
    let out = run(cmd(&[
        "simulate",
        "contracts/broken/rc027_volatile_key_store.toml",
        "--format",
        "sarif",
        "--cases",
        "64",
    ]));
    let log = sarif_of(&out);
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(results.iter().any(|r| r["ruleId"] == "RC027"));
}

fn fingerprints(dir: &Path) -> Vec<(String, String)> {
    let out = run(cmd_in(dir, &["lint", "contracts", "--format", "sarif"]));
    let log = sarif_of(&out);
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["partialFingerprints"]["retryCheck/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

fn workspace_with(name: &str, contract: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("contracts")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[workspace]\n[workspace.metadata.retry-check]\n",
    )
    .unwrap();
    std::fs::write(dir.join("contracts/rc001.toml"), contract).unwrap();
    dir
}

#[test]
fn fingerprints_survive_reruns_and_line_shifts() {
    let text = std::fs::read_to_string(root().join(RC001)).unwrap();
    let a = workspace_with("fp-a", &text);
    let shifted = text.replacen(
        "[client.",
        "# an unrelated comment\n# and another\n\n[client.",
        1,
    );
    let b = workspace_with("fp-b", &format!("# header\n\n{shifted}"));
    let first = fingerprints(&a);
    assert!(!first.is_empty());
    assert_eq!(
        first,
        fingerprints(&a),
        "a second run gives other fingerprints"
    );
    assert_eq!(first, fingerprints(&b), "shifted lines change fingerprints");
    // A real change of the finding changes its fingerprint.
    let c = workspace_with("fp-c", &text.replace("\"72h\"", "\"96h\""));
    let changed = fingerprints(&c);
    assert_ne!(first[0], changed[0]);
}

#[test]
fn github_annotations_then_human_report() {
    assert_cmd_snapshot!(cmd(&["lint", RC001, "--format", "github"]));
}

#[test]
fn github_appends_a_step_summary() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("step-summary.md");
    std::fs::write(&path, "previous step\n").unwrap();
    let mut c = cmd(&["lint", RC001, "--format", "github"]);
    c.env("GITHUB_STEP_SUMMARY", &path);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let summary = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(summary);
}

#[test]
fn output_file_gets_the_report_and_stderr_the_summary() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("out.sarif");
    let _ = std::fs::remove_file(&path);
    let out = run(cmd(&[
        "lint",
        RC001,
        "--format",
        "sarif",
        "-o",
        path.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("checked 1 file: 1 error, 0 warnings\n"),
        "{stderr}"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_valid_sarif(&written);
    assert_eq!(written["runs"][0]["results"][0]["ruleId"], "RC001");
}

#[test]
fn unwritable_output_is_a_usage_error() {
    let out = run(cmd(&["lint", RC001, "-o", "no/such/directory/report.txt"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
}

const RC010: &str = "contracts/broken/rc010_no_backoff_cap.toml";

#[test]
fn junit_fails_a_case_per_rule_with_an_error() {
    assert_cmd_snapshot!(cmd(&["lint", RC001, RC010, "--format", "junit"]));
}

#[test]
fn markdown_report_for_a_pull_request() {
    assert_cmd_snapshot!(cmd(&["lint", RC001, RC010, "--format", "markdown"]));
}

#[test]
fn simulate_writes_its_report_to_a_file() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulate.xml");
    let _ = std::fs::remove_file(&path);
    let out = run(cmd(&[
        "simulate",
        "contracts/broken/rc027_volatile_key_store.toml",
        "--cases",
        "64",
        "--format",
        "junit",
        "--output",
        path.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 violation"), "{stderr}");
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains("type=\"RC027\""), "{xml}");
}

/// `scan` SARIF: valid, code findings located in Rust files and Cargo.toml,
/// drift related to the contract line, each with a fingerprint.
#[test]
fn scan_sarif_is_valid_and_relates_drift_to_the_contract() {
    let out = run(cmd(&[
        "scan",
        "tests/fixtures/scan-sample",
        "--format",
        "sarif",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let log = sarif_of(&out);
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(results
        .iter()
        .any(|r| r["ruleId"] == "RC107" && uri(r) == "tests/fixtures/scan-sample/Cargo.toml"));
    let drift = results
        .iter()
        .find(|r| r["ruleId"] == "RC109")
        .expect("an RC109 result");
    assert_eq!(uri(drift), "tests/fixtures/scan-sample/src/checkout.rs");
    let related: Vec<String> = drift["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        related.contains(&"contracts/payments.toml".to_string()),
        "{related:?}"
    );
    for r in results {
        assert!(r["partialFingerprints"]["retryCheck/v1"].is_string(), "{r}");
    }
}

/// A replay directory of its own per test, relative to the workspace root.
fn fresh_replay_dir(test: &str) -> String {
    replay_dir_in("retry-check-format-tests", test)
}

/// `simulate --format markdown`: each counterexample's timeline is drawn as
/// a Mermaid sequence diagram (the renderer of `replay --format markdown`).
#[test]
fn simulate_markdown_draws_counterexamples_as_mermaid() {
    let dir = fresh_replay_dir("simulate_markdown_draws_counterexamples_as_mermaid");
    assert_cmd_snapshot!(cmd(&[
        "simulate",
        "--format",
        "markdown",
        "--replay-dir",
        &dir,
        RC022
    ]));
}

/// `check --format markdown`: lint findings, the proven ones with the
/// diagram of their proof, in one report.
#[test]
fn check_markdown_report_has_a_diagram_per_proof() {
    let dir = fresh_replay_dir("check_markdown_report_has_a_diagram_per_proof");
    let out = run(cmd(&[
        "check",
        "--format",
        "markdown",
        "--replay-dir",
        &dir,
        RC001,
    ]));
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!(md);
    // One proof (RC001), one diagram, and it follows the proof's note.
    assert_eq!(
        md.matches("```mermaid\nsequenceDiagram\n").count(),
        1,
        "{md}"
    );
    let proof = md.find("simulating `").expect("a simulated finding");
    assert!(md[proof..].contains("```mermaid\n"), "{md}");
}

/// The two-client example in SARIF: one result for its one gap, the
/// reconciler's window as a related location, the proof as a code flow
/// whose steps are the timeline's lines; the log is valid SARIF.
#[test]
fn two_clients_give_one_sarif_result_with_its_trace() {
    let dir = fresh_replay_dir("two_clients_give_one_sarif_result_with_its_trace");
    let out = run(cmd(&[
        "check",
        "--format",
        "sarif",
        "--replay-dir",
        &dir,
        super::check::TWO_CLIENTS,
    ]));
    assert_eq!(out.status.code(), Some(1));
    let log = sarif_of(&out);
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:#?}");
    let result = &results[0];
    assert_eq!(result["ruleId"], "RC001");
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("client `reconciler` retries for up to 48h"));
    let related = result["relatedLocations"].as_array().unwrap();
    assert_eq!(
        related[0]["message"]["text"],
        "retries the same key for up to 48h"
    );
    let steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .expect("the trace as a code flow");
    assert!(steps.len() >= 4, "{steps:#?}");
    assert_eq!(steps[0]["executionOrder"], 1);
    let first = steps[0]["location"]["message"]["text"].as_str().unwrap();
    assert!(
        first.starts_with("1. t=0.000s c1: send attempt 1/20"),
        "{first}"
    );
    let last = steps.last().unwrap()["location"]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(last.contains("second execution"), "{last}");
    // A handler's step is at the server, the client's at the client.
    let line_of = |step: &serde_json::Value| {
        step["location"]["physicalLocation"]["region"]["startLine"].clone()
    };
    let begin = steps
        .iter()
        .find(|s| {
            s["location"]["message"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("store.begin"))
        })
        .expect("a handler's step");
    assert_ne!(line_of(begin), line_of(&steps[0]), "{begin:#?}");
}
