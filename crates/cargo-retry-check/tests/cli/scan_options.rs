//! `scan` options (issue 15): test code is skipped unless asked for, a file
//! that does not parse fails the run unless its level is lowered, and
//! `--verbose` reports retry code that was not analysed.

use crate::{cmd_in, Path, PathBuf};

/// A scratch workspace with one package: production code with a finding,
/// a unit-test module, an integration test, and a retry macro.
fn workspace(name: &str, metadata: &str) -> PathBuf {
    let (dir, write) = crate::scratch_dir("rc-scan-options", name);
    write(
        "Cargo.toml",
        &format!("[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n{metadata}"),
    );
    write(
        "src/lib.rs",
        "use backon::ExponentialBuilder;\n\n\
         pub fn policy() -> ExponentialBuilder {\n    \
         ExponentialBuilder::default().with_max_times(3)\n}\n\n\
         #[cfg(test)]\nmod tests {\n    \
         #[test]\n    fn uses_a_policy() {\n        \
         let _ = backon::ExponentialBuilder::default().with_max_times(9);\n    }\n}\n\n\
         macro_rules! again {\n    ($op:expr) => {\n        \
         loop { match $op { Ok(v) => break v, Err(_) => std::thread::sleep(D) } }\n    };\n}\n",
    );
    write(
        "tests/it.rs",
        "#[test]\nfn it() {\n    \
         let _ = backon::ExponentialBuilder::default().with_max_times(9);\n}\n",
    );
    dir
}

fn scan(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["scan", "--format", "short", "--no-contracts"];
    all.extend_from_slice(args);
    let out = cmd_in(dir, &all).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn test_code_is_skipped_unless_included() {
    let dir = workspace("tests", "");
    let (code, stdout) = scan(&dir, &[]);
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(
        stdout,
        "src/lib.rs:4:5: warning[RC102]: backon retry policy retries on a fixed schedule \
         (no jitter)\nchecked 2 files: 0 errors, 1 warning\n"
    );
    let (_, stdout) = scan(&dir, &["--include-tests"]);
    assert!(
        stdout.contains("src/lib.rs:11:17: warning[RC102]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tests/it.rs:3:13: warning[RC102]"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("checked 3 files: 0 errors, 3 warnings\n"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();

    let dir = workspace(
        "tests-config",
        "[package.metadata.retry-check]\nscan-tests = true\n",
    );
    let (_, stdout) = scan(&dir, &[]);
    assert!(
        stdout.ends_with("checked 3 files: 0 errors, 3 warnings\n"),
        "{stdout}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unparsable_file_fails_the_run_unless_downgraded() {
    let dir = workspace("rc100", "");
    std::fs::write(dir.join("src/broken.rs"), "fn half( {\n").unwrap();
    let (code, stdout) = scan(&dir, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("src/broken.rs:1:10: error[RC100]"),
        "{stdout}"
    );
    for downgrade in [["-W", "unparsable_source"], ["-W", "RC100"]] {
        let (code, stdout) = scan(&dir, &downgrade);
        assert_eq!(code, Some(0), "{stdout}");
        assert!(
            stdout.contains("src/broken.rs:1:10: warning[RC100]"),
            "{stdout}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verbose_reports_retry_loops_in_macros() {
    let dir = workspace("verbose", "");
    let (_, quiet) = scan(&dir, &[]);
    assert!(!quiet.contains("RC119"), "{quiet}");
    let (code, loud) = scan(&dir, &["--verbose"]);
    assert_eq!(code, Some(0), "{loud}");
    assert!(
        loud.contains(
            "src/lib.rs:15:1: info[RC119]: not analysed: a retry loop in the body of \
             `macro_rules! again`"
        ),
        "{loud}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
