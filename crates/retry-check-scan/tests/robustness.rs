//! No input makes the scanner panic: garbage gives an `RC100` error or an
//! empty scan.

use proptest::prelude::*;
use retry_check_diagnostics::SourceMap;
use retry_check_scan::{lint_scan_at_defaults, scan_source};

fn scan_text(text: &str) {
    let mut sources = SourceMap::new();
    let id = sources.add("fuzz.rs", text.to_string());
    match scan_source(&sources, id) {
        Ok(scan) => {
            let _ = lint_scan_at_defaults(&scan);
        }
        Err(d) => {
            assert_eq!(d.code, "RC100");
            let p = d.primary.expect("parse errors are located");
            assert!(p.span.range.end <= text.len());
        }
    }
}

fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn known_garbage_is_an_error_not_a_panic() {
    for text in [
        "fn",
        "fn f() { loop { std::thread::sleep(",
        "\u{feff}#!/usr/bin/env run\nfn main() {}",
        "#!/bin/x\n fn f( {",
        "const X: u64 = 1 / 0; fn f() { ExponentialBuilder::default().with_max_times(X); }",
        "fn f() { ExponentialBackoff::from_millis(u64::MAX).factor(u64::MAX); }",
        "fn f() { for _ in 5..1 { sleep(Duration::from_secs(u64::MAX)); x?; } }",
        "fn f() { let a = Duration::from_secs_f64(-1.0e300); loop { sleep(a); x?; } }",
        "é",
        "",
    ] {
        scan_text(text);
    }
}

#[test]
fn parse_error_points_into_the_file() {
    let mut sources = SourceMap::new();
    let id = sources.add("bad.rs", "fn ok() {}\nfn bad( {\n".to_string());
    let d = scan_source(&sources, id).unwrap_err();
    assert_eq!(d.code, "RC100");
    let lc = sources.line_col(&d.primary.unwrap().span);
    assert_eq!(lc.line, 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        scan_text(&text);
    }

    #[test]
    fn mutated_corpus_never_panics(file in 0usize..6, cut in 0usize..4000, insert in "[{}()\\[\\];.?a-z0-9 ]{0,4}") {
        let files = corpus();
        let text = &files[file % files.len()];
        let mut cut = cut.min(text.len());
        while !text.is_char_boundary(cut) { cut -= 1; }
        let mutated = format!("{}{}{}", &text[..cut], insert, &text[cut..]);
        scan_text(&mutated);
        // Truncation too.
        scan_text(&text[..cut]);
    }
}
