//! libtest's output of one test binary, and where a test is in its file.

use retry_check_diagnostics::{SourceId, SourceMap, Span};

/// libtest's output of one test binary, parsed.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct TestRun {
    /// (test name, passed), in output order.
    pub results: Vec<(String, bool)>,
    /// The captured output of each failed test.
    pub failures: Vec<(String, String)>,
    /// A `test result:` line was seen.
    pub finished: bool,
}

pub(crate) fn parse_libtest(stdout: &str) -> TestRun {
    let mut run = TestRun::default();
    let mut current: Option<(String, Vec<&str>)> = None;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test ") {
            if let Some((name, verdict)) = rest.rsplit_once(" ... ") {
                match verdict.trim() {
                    "ok" => run.results.push((name.to_string(), true)),
                    "FAILED" => run.results.push((name.to_string(), false)),
                    _ => {}
                }
                continue;
            }
        }
        if line.starts_with("test result:") {
            run.finished = true;
        }
        let header = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"));
        if header.is_some() || line == "failures:" || line.starts_with("test result:") {
            if let Some((name, lines)) = current.take() {
                run.failures
                    .push((name, lines.join("\n").trim().to_string()));
            }
            current = header.map(|h| (h.to_string(), Vec::new()));
            continue;
        }
        if let Some((_, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    run
}

/// The span of `fn NAME` in a test file (the test's last path segment),
/// else the start of the file.
pub(crate) fn test_span(sources: &SourceMap, file: SourceId, test: &str) -> Span {
    let name = test.rsplit("::").next().unwrap_or(test);
    let text = sources.text(file);
    let pattern = format!("fn {name}");
    let mut from = 0;
    while let Some(at) = text[from..].find(&pattern) {
        let start = from + at + 3;
        let end = start + name.len();
        let next = text[end..].chars().next();
        if next.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Span::new(file, start..end);
        }
        from = end;
    }
    Span::new(file, 0..0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_output_is_parsed() {
        let out = "\nrunning 3 tests\ntest a ... ok\ntest m::b ... FAILED\ntest c ... ignored\n\n\
                   failures:\n\n---- m::b stdout ----\nboom\nreplay:    /x.json\n\n\
                   failures:\n    m::b\n\ntest result: FAILED. 1 passed; 1 failed; 1 ignored\n";
        let run = parse_libtest(out);
        assert_eq!(
            run.results,
            vec![("a".to_string(), true), ("m::b".to_string(), false)]
        );
        assert_eq!(
            run.failures,
            vec![("m::b".to_string(), "boom\nreplay:    /x.json".to_string())]
        );
        assert!(run.finished);
    }

    #[test]
    fn the_test_function_is_found() {
        let mut sources = SourceMap::new();
        let id = sources.add("t.rs", "fn ab_c() {}\n#[test]\nfn ab() {}\n");
        let span = test_span(&sources, id, "m::ab");
        assert_eq!(&sources.text(id)[span.range.clone()], "ab");
        assert_eq!(span.range.start, 24);
        let none = test_span(&sources, id, "zz");
        assert_eq!(none.range, 0..0);
    }
}
