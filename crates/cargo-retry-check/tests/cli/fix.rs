//! `lint --fix` on a copy of the bundled contracts: every fixable rule's
//! finding in `contracts/broken/` is fixed, the files still parse, their
//! comments stay, and nothing fixable is left; `--dry-run` shows the diff
//! and writes nothing.

use super::*;

/// The codes `lint --fix` can fix (an `## Autofix` section).
fn fixable() -> Vec<&'static str> {
    retry_check_catalog::all()
        .iter()
        .filter(|l| l.autofix().is_some())
        .map(|l| l.code)
        .collect()
}

/// The broken example of a rule: `broken/rc012_no_jitter.toml`.
fn broken_file(code: &str) -> String {
    let lint = retry_check_catalog::find(code).unwrap();
    format!("broken/{}_{}.toml", code.to_ascii_lowercase(), lint.name)
}

#[test]
fn fix_fixes_every_fixable_rule_in_contracts_broken() {
    let dir = scratch("fix-broken");
    copy_tree(&root().join("contracts"), &dir);
    let lint_json = || {
        cmd_in(&dir, &["lint", ".", "--format", "json"])
            .output()
            .unwrap()
    };
    let before = json_findings(&lint_json());
    let codes = fixable();
    assert!(codes.len() >= 6, "{codes:?}");
    for code in &codes {
        let file = broken_file(code);
        assert!(
            before.contains(&(code.to_string(), file.clone())),
            "{code} does not fire in {file}"
        );
    }
    let originals: Vec<(PathBuf, String)> = toml_files(&dir)
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();

    let fixed = cmd_in(&dir, &["lint", ".", "--fix", "--format", "short"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    let stdout = String::from_utf8_lossy(&fixed.stdout);
    assert_eq!(
        fixed.status.code(),
        Some(1),
        "other findings remain:\n{stdout}"
    );
    assert!(!stderr.contains("could not apply"), "{stderr}");
    for code in &codes {
        assert!(
            stderr.contains(&format!("fixed {}: {code}: ", broken_file(code))),
            "{code} was not fixed:\n{stderr}"
        );
    }
    assert!(stdout.contains("; fixed "), "{stdout}");

    let after = json_findings(&lint_json());
    assert!(
        !after.iter().any(|(code, _)| code == "RC000"),
        "every file still parses: {after:?}"
    );
    for code in &codes {
        let file = broken_file(code);
        assert!(
            !after.contains(&(code.to_string(), file.clone())),
            "{code} still fires in {file}"
        );
    }
    // Comments and the rest of each file stay: every comment line is still
    // there, and only fixed files changed.
    for (path, text) in &originals {
        let now = std::fs::read_to_string(path).unwrap();
        for line in text.lines().filter(|l| l.trim_start().starts_with('#')) {
            assert!(now.contains(line), "{}: lost `{line}`", path.display());
        }
    }
    // Nothing fixable is left: a second run changes nothing.
    let again = cmd_in(&dir, &["lint", ".", "--fix", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert!(again.stdout.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

fn toml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(toml_files(&p));
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// `--fix --dry-run`: the diff on stdout, exit 1, no file written.
#[test]
fn fix_dry_run_prints_the_diff() {
    let dir = scratch("fix-dry-run");
    copy_tree(&root().join("contracts/broken"), &dir.join("broken"));
    let before: Vec<String> = toml_files(&dir)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_cmd_snapshot!(cmd_in(&dir, &["lint", "broken", "--fix", "--dry-run"]));
    let after: Vec<String> = toml_files(&dir)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(before, after, "--dry-run writes nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dry_run_needs_fix() {
    let out = cmd(&["lint", "--dry-run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fix"));
}

/// `rules` and `explain` say which rules `--fix` fixes.
#[test]
fn fixable_rules_say_so() {
    let rules = cmd(&["rules", "--format", "json"]).output().unwrap();
    let rules = String::from_utf8(rules.stdout).unwrap();
    for line in rules.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let code = v["code"].as_str().unwrap();
        assert_eq!(
            v["fix"].is_string(),
            fixable().contains(&code),
            "{code}: {line}"
        );
    }
    let explain = cmd(&["explain", "RC012"]).output().unwrap();
    let explain = String::from_utf8(explain.stdout).unwrap();
    assert!(
        explain.contains("fixable with `cargo retry-check lint --fix`"),
        "{explain}"
    );
    assert!(explain.contains("## Autofix\n"), "{explain}");
}
