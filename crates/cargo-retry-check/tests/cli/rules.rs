//! `rules` and `explain`, and the README's rule table.

use super::*;

#[test]
fn help_rules() {
    assert_cmd_snapshot!(cmd(&["rules", "--help"]));
}

#[test]
fn help_explain() {
    assert_cmd_snapshot!(cmd(&["explain", "--help"]));
}

#[test]
fn rules_table() {
    assert_cmd_snapshot!(cmd(&["rules"]));
}

#[test]
fn rules_json() {
    assert_cmd_snapshot!(cmd(&["rules", "--format", "json"]));
}

#[test]
fn explain_rc001() {
    assert_cmd_snapshot!(cmd(&["explain", "RC001"]));
}

#[test]
fn explain_by_name_matches_code() {
    let a = cmd(&["explain", "RC001"]).output().unwrap();
    let b = cmd(&["explain", "key_ttl_shorter_than_retry_window"])
        .output()
        .unwrap();
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn explain_unknown() {
    assert_cmd_snapshot!(cmd(&["explain", "RC0001"]));
}

#[test]
fn readme_rule_table_is_current() {
    let out = cmd(&["rules", "--format", "markdown"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    if readme.contains(&table) {
        return;
    }
    // The table is generated: outside CI, write the current one (from its
    // header to the blank line after it) and fail once.
    let start = readme
        .find("| code | name | group |")
        .expect("README has a rule table");
    let end = readme[start..]
        .find("\n\n")
        .map_or(readme.len(), |i| start + i + 1);
    if !retry_check_test_support::in_ci() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        panic!("README.md's rule table was stale and has been regenerated; test again");
    }
    panic!(
        "README.md's rule table is stale; run the tests locally to regenerate it, or \
         replace it with the output of `cargo run -p cargo-retry-check -- rules --format \
         markdown`:\n{table}"
    );
}

/// `cargo retry-check ARGS` runs the binary as `cargo-retry-check
/// retry-check ARGS`; run directly, without the word, it parses the same.
#[test]
fn both_spellings_parse_the_same() {
    let as_cargo = cmd(&["explain", "RC001"]).output().unwrap();
    let direct = Command::new(env!("CARGO_BIN_EXE_cargo-retry-check"))
        .current_dir(root())
        .env("NO_COLOR", "1")
        .args(["explain", "RC001"])
        .output()
        .unwrap();
    assert_eq!(as_cargo.status.code(), Some(0));
    assert_eq!(direct.status.code(), Some(0));
    assert_eq!(direct.stdout, as_cargo.stdout);
    assert!(String::from_utf8_lossy(&direct.stdout).contains("RC001"));
    // The word is dropped only in the first place: as a value it stays.
    let late = cmd(&["explain", "retry-check"]).output().unwrap();
    assert_ne!(
        late.status.code(),
        Some(0),
        "no rule is named `retry-check`"
    );
}
