//! `storm -o FILE`: the extension picks what is written and stderr says
//! which format; an unknown extension or a contradicting `--format` is a
//! usage error.

use super::*;

const BROKEN: &str = "contracts/broken/storm.toml";

/// Run storm on the broken example with `-o <dir>/<file>` and `extra`
/// flags; (exit code, stdout, stderr, the file's text if written).
fn storm_to(
    test: &str,
    file: &str,
    extra: &[&str],
) -> (Option<i32>, String, String, Option<String>) {
    let dir = replay_dir(test);
    std::fs::create_dir_all(root().join(&dir)).unwrap();
    let path = format!("{dir}/{file}");
    let mut args = vec!["storm", BROKEN, "--duration", "60s", "-o", &path];
    args.extend(extra);
    let out = cmd(&args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        std::fs::read_to_string(root().join(&path)).ok(),
    )
}

#[test]
fn the_extension_picks_the_report_format_and_stderr_names_it() {
    for (file, format, starts) in [
        ("r.txt", "human", "storm: outage of 30s"),
        ("r.md", "markdown", "## retry-check storm"),
        ("r.json", "JSON Lines", "{"),
        ("r.jsonl", "JSON Lines", "{"),
    ] {
        let (code, stdout, stderr, text) = storm_to("storm_output_ext", file, &[]);
        assert_eq!(code, Some(1), "{file}: {stderr}");
        assert!(stdout.is_empty(), "{file}: the report went to the file");
        let text = text.unwrap_or_else(|| panic!("{file} not written: {stderr}"));
        assert!(text.starts_with(starts), "{file}: {text}");
        assert!(
            stderr.contains(&format!("wrote the {format} report to `")),
            "{file}: {stderr}"
        );
        assert!(!text.contains('\u{1b}'), "{file}: no colour in a file");
    }
    let (_, _, stderr, text) = storm_to("storm_output_json", "r.json", &[]);
    for line in text.unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("JSON Lines");
    }
    insta::assert_snapshot!("storm_output_json_stderr", stderr);
}

#[test]
fn an_svg_file_gets_the_charts_and_the_report_goes_to_stdout() {
    let (code, stdout, stderr, text) = storm_to("storm_output_svg", "chart.svg", &[]);
    assert_eq!(code, Some(1), "{stderr}");
    let svg = text.expect("the SVG is written");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("bound: max_load_factor 1.5x"), "{svg}");
    assert!(stdout.starts_with("storm: outage of 30s"), "{stdout}");
    insta::assert_snapshot!("storm_output_svg_stderr", stderr);
}

#[test]
fn an_unknown_extension_is_a_usage_error_unless_format_is_given() {
    for file in ["r.html", "report"] {
        let (code, stdout, stderr, text) = storm_to("storm_output_unknown", file, &[]);
        assert_eq!(code, Some(2), "{file}: {stderr}");
        assert!(stdout.is_empty());
        assert!(text.is_none(), "{file}: nothing written");
        assert!(
            stderr.contains("cannot tell which format to write"),
            "{stderr}"
        );
    }
    let (_, _, stderr, _) = storm_to("storm_output_unknown", "r.html", &[]);
    insta::assert_snapshot!("storm_output_unknown_extension", stderr);
    // With --format, the format is used and stderr says why.
    let (code, _, stderr, text) = storm_to("storm_output_stated", "r.out", &["--format", "json"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(text.unwrap().starts_with('{'));
    assert!(
        stderr.contains("(as `--format json` asks; the extension `.out` is not one storm knows)"),
        "{stderr}"
    );
}

#[test]
fn a_format_that_contradicts_the_extension_is_a_usage_error() {
    let (code, _, stderr, text) = storm_to("storm_output_conflict", "r.md", &["--format", "json"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(text.is_none());
    insta::assert_snapshot!("storm_output_conflict", stderr);
    // Agreeing is fine.
    let (code, _, stderr, _) = storm_to("storm_output_agree", "r.md", &["--format", "markdown"]);
    assert_eq!(code, Some(1), "{stderr}");
}
