//! One analysis, many outputs: `--output FORMAT=FILE` (repeatable) beside
//! the `--format` report on stdout, and the job summary written once.

use super::*;

fn stdout_of(args: &[&str]) -> String {
    String::from_utf8(cmd(args).output().unwrap().stdout).unwrap()
}

/// Every file holds exactly what `--format` of that format prints, and
/// stdout the run's own format.
#[test]
fn every_output_equals_its_format() {
    let dir = scratch("outputs");
    let file = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (sarif, junit, md) = (file("r.sarif"), file("junit.xml"), file("r.md"));
    let out = cmd(&[
        "lint",
        "contracts/broken",
        "--format",
        "short",
        "--output",
        &format!("sarif={sarif}"),
        "-o",
        &format!("junit={junit}"),
        "--output",
        &format!("markdown={md}"),
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout,
        stdout_of(&["lint", "contracts/broken", "--format", "short"])
    );
    for (path, format) in [(&sarif, "sarif"), (&junit, "junit"), (&md, "markdown")] {
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            stdout_of(&["lint", "contracts/broken", "--format", format]),
            "{format}"
        );
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("wrote the junit report to `{junit}`")),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--format github` appends its table to `$GITHUB_STEP_SUMMARY`, unless
/// an output already writes the job summary: then it is written once.
#[test]
fn the_job_summary_is_written_once() {
    let dir = scratch("outputs-summary");
    let summary = dir.join("summary.md");
    let run = |extra: &[&str]| {
        std::fs::write(&summary, "").unwrap();
        let mut args = vec!["lint", RC001, "--format", "github"];
        args.extend(extra);
        let out = cmd(&args)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        std::fs::read_to_string(&summary).unwrap()
    };
    let table = run(&[]);
    assert_eq!(table.matches("## retry-check lint").count(), 1, "{table}");
    let target = format!("markdown={}", summary.display());
    let report = run(&["--output", &target]);
    assert_eq!(report.matches("## retry-check").count(), 1, "{report}");
    assert!(
        !report.contains("retry-check lint"),
        "the table is not added: {report}"
    );
    assert_eq!(
        report.trim_start(),
        stdout_of(&["lint", RC001, "--format", "markdown"])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_output_given_twice_is_a_usage_error() {
    let out = cmd(&["lint", RC001, "-o", "sarif=x.sarif", "-o", "junit=x.sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("given as an output twice"));
}
