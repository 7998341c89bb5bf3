//! The retry shapes real code uses (issue 15), one file per pattern under
//! `tests/patterns/`. A file starts with `//! rule: RCnnn` (and optionally
//! `//! options: verbose` / `include_tests`); every function named `bad_*`
//! must trigger that rule at least once, and no function named `ok_*` (the
//! near misses) may. The extracted policies and every finding of each file
//! are snapshotted (`tests/snapshots/patterns__<file>.snap`).

use std::path::Path;

use retry_check_diagnostics::{render, Diagnostic, Severity, SourceMap};
use retry_check_scan::{lint_scan_at_defaults, scan_file_with, FileScan, ScanOptions};
use syn::spanned::Spanned;

struct Pattern {
    rule: String,
    options: ScanOptions,
}

fn header(text: &str) -> Pattern {
    let mut p = Pattern {
        rule: String::new(),
        options: ScanOptions::default(),
    };
    for line in text.lines().take_while(|l| l.starts_with("//!")) {
        let l = line.trim_start_matches("//!").trim();
        if let Some(r) = l.strip_prefix("rule:") {
            p.rule = r.trim().to_string();
        }
        if let Some(o) = l.strip_prefix("options:") {
            for opt in o.split(',').map(str::trim) {
                match opt {
                    "verbose" => p.options.verbose = true,
                    "include_tests" => p.options.include_tests = true,
                    other => panic!("unknown option `{other}`"),
                }
            }
        }
    }
    assert!(p.rule.starts_with("RC"), "the file names no `//! rule:`");
    p
}

/// Top-level functions of the fixture with their line ranges.
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let file = syn::parse_file(text).expect("fixtures parse");
    let mut out = Vec::new();
    for item in &file.items {
        let (name, span) = match item {
            syn::Item::Fn(f) => (f.sig.ident.to_string(), f.span()),
            syn::Item::Mod(m) => (m.ident.to_string(), m.span()),
            syn::Item::Impl(i) => match &*i.self_ty {
                syn::Type::Path(p) => match p.path.segments.last() {
                    Some(s) => (s.ident.to_string(), i.span()),
                    None => continue,
                },
                _ => continue,
            },
            syn::Item::Macro(m) => match &m.ident {
                Some(i) => (i.to_string(), m.span()),
                None => continue,
            },
            _ => continue,
        };
        out.push((name, span.start().line, span.end().line));
    }
    out
}

fn scan(name: &str) -> (SourceMap, FileScan, Pattern) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/patterns")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let pattern = header(&text);
    let mut sources = SourceMap::new();
    let id = sources.add(format!("tests/patterns/{name}"), text);
    let scan = scan_file_with(sources.path(id), sources.text(id), id, &pattern.options)
        .unwrap_or_else(|d| panic!("{}", d.message));
    (sources, scan, pattern)
}

fn render(sources: &SourceMap, scan: &FileScan, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for p in &scan.policies {
        let lc = sources.line_col(&p.span);
        out.push_str(&format!("{}:{} {p}\n\n", lc.line, lc.column));
    }
    out.push_str("--- findings ---\n");
    out.push_str(&render::short_report(diags, sources, 1));
    out
}

fn check_pattern(name: &str) {
    let (sources, scan, pattern) = scan(name);
    let diags = lint_scan_at_defaults(&scan);
    let fns = functions(sources.text(scan.source));
    let hits: Vec<usize> = diags
        .iter()
        .filter(|d| d.code == pattern.rule)
        .filter(|d| d.severity != Severity::Info || pattern.rule == "RC119")
        .filter_map(|d| d.primary.as_ref())
        .map(|l| sources.line_col(&l.span).line)
        .collect();
    let mut bad = 0;
    for (f, start, end) in &fns {
        let n = hits.iter().filter(|l| (*start..=*end).contains(*l)).count();
        if f.starts_with("bad_") {
            bad += 1;
            assert!(n > 0, "{name}: `{f}` does not trigger {}", pattern.rule);
        }
        if f.starts_with("ok_") {
            assert_eq!(n, 0, "{name}: near miss `{f}` triggers {}", pattern.rule);
        }
    }
    assert!(bad > 0, "{name}: no `bad_*` function");
    assert!(
        fns.iter().any(|(f, ..)| f.starts_with("ok_")),
        "{name}: no near miss (`ok_*`)"
    );
    let snap = name.trim_end_matches(".rs").to_string();
    insta::assert_snapshot!(snap, render(&sources, &scan, &diags));
}

/// `include_tests` brings test code back.
#[test]
fn test_code_is_scanned_with_include_tests() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/patterns/test_code.rs");
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = SourceMap::new();
    let id = sources.add("test_code.rs", text);
    let count = |include_tests| {
        let options = ScanOptions {
            include_tests,
            ..ScanOptions::default()
        };
        let scan = scan_file_with(sources.path(id), sources.text(id), id, &options).unwrap();
        scan.policies.len()
    };
    assert_eq!(count(false), 1);
    assert_eq!(count(true), 4);
}

macro_rules! pattern_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() { check_pattern(concat!(stringify!($name), ".rs")); })*

        #[test]
        fn every_pattern_file_has_a_test() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/patterns");
            let tested = [$(concat!(stringify!($name), ".rs")),*];
            for e in std::fs::read_dir(dir).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().to_string();
                assert!(tested.contains(&name.as_str()), "{name} has no pattern test");
            }
        }
    };
}

pattern_tests! {
    limit_counter,
    limit_elapsed,
    limit_policy_next,
    limit_policy_next_wrapped,
    classified_outcome,
    classify_guards_and_arms,
    classify_policy_calls,
    not_retry_loops,
    unknown_delay,
    local_delay_fn,
    policy_through_functions,
    retry_call_with_foreign_policy,
    exponential_backoff_attribution,
    local_mod_backoff,
    test_code,
    blocking_sleep_in_spawned_thread,
    immediate_loop,
    immediate_libraries,
    tryhard,
    macro_rules_not_analysed,
    conditional_builder,
}
