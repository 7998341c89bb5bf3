//! The direct JSON reader (`json_direct`) must build exactly the tree that
//! `jsonc-parser`'s AST converts to, for every text it accepts, and leave
//! every other text to `jsonc-parser` (so what is accepted, and every error
//! message, stays that parser's).

use std::path::Path;

use retry_check_sources::{json, json_direct};

/// Every text the direct reader accepts, `jsonc-parser` accepts with the
/// same tree. Returns whether the direct reader accepted it.
fn agrees(text: &str) -> bool {
    match json_direct::parse(text) {
        Some(direct) => {
            let jsonc = json::parse_jsonc(text);
            assert_eq!(jsonc.as_ref(), Ok(&direct), "on {text:?}");
            true
        }
        None => false,
    }
}

fn json_files(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push(text);
            }
        }
    }
}

fn repo_json() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for dir in ["contracts", "crates/retry-check-sources/tests/fixtures"] {
        json_files(&root.join(dir), &mut out);
    }
    out
}

const SAMPLE: &str = r#"{
  "methodConfig": [
    {
      "name": [{ "service": "ledger.v1.Ledger", "method": "Post" }, {}],
      "timeout": "2.5s",
      "retryPolicy": {
        "maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "1s",
        "backoffMultiplier": -1.5e+2, "retryableStatusCodes": ["UNAVAILABLE", "Zahlung ✓"]
      },
      "waitForReady": true, "hedging": null, "flags": [false, 0, 10.25, 3E7, []]
    }
  ],
  "retryThrottling": { "maxTokens": 10, "tokenRatio": 0.1 }
}
"#;

#[test]
fn the_repository_json_reads_directly_and_the_same() {
    let files = repo_json();
    assert!(files.len() >= 8, "found {} files", files.len());
    let direct = files.iter().filter(|t| agrees(t)).count();
    // Only the files that are broken on purpose (a trailing comma) need
    // jsonc-parser.
    assert!(direct + 2 >= files.len(), "{direct} of {}", files.len());
    assert!(agrees(SAMPLE));
}

#[test]
fn texts_left_to_jsonc_parser() {
    for text in [
        "",
        "   ",
        "{\"a\": 1,}",
        "[1,]",
        "// c\n{}",
        "{\"a\": \"x\\ny\"}",
        "{\"a\": 01}",
        "{\"a\": 1.}",
        "{\"a\": .5}",
        "{\"a\": +1}",
        "{\"a\": 1e}",
        "{\"a\": 0x1F}",
        "{\"a\": truex}",
        "{\"a\": NaN}",
        "{a: 1}",
        "{'a': 1}",
        "\u{feff}{}",
        "{}\u{a0}",
        "{} {}",
        "{\"a\" 1}",
        "[1 2]",
        "[",
        "{\"a\": \"unterminated}",
    ] {
        assert!(json_direct::parse(text).is_none(), "{text:?}");
    }
}

#[test]
fn scalars_and_nesting_read_directly_and_the_same() {
    for text in [
        "0",
        "-0",
        "-12.5e-3",
        "1E+9",
        "true",
        "null",
        "\"\"",
        "\"é ✓\"",
        "[]",
        "{}",
        " [ [ [ ] ] , { } ] \n",
        "{\"a\":{\"a\":{\"a\":[1,{\"b\":false}]}}}",
        "{\"dup\": 1, \"dup\": 2}",
        "{\"ctl\": \"tab\there\"}",
    ] {
        assert!(agrees(text), "{text:?}");
    }
}

/// Every one-byte change of the sample (a byte dropped, or replaced by
/// each byte that matters to JSON): whatever the direct reader accepts,
/// jsonc-parser reads the same.
#[test]
fn every_one_byte_change_agrees() {
    let bytes = SAMPLE.as_bytes();
    let swaps = b"{}[],:\"\\ 0-.eE+tfnx\t\n";
    let mut accepted = 0;
    for i in 0..bytes.len() {
        let mut dropped = bytes.to_vec();
        dropped.remove(i);
        let mut variants = vec![dropped];
        for &b in swaps {
            let mut v = bytes.to_vec();
            v[i] = b;
            variants.push(v);
        }
        for v in variants {
            if let Ok(text) = std::str::from_utf8(&v) {
                accepted += usize::from(agrees(text));
            }
        }
    }
    // The changes inside strings and whitespace still read directly.
    assert!(accepted > 1000, "{accepted}");
}

/// The direct reader nests as deep as `json::parse`'s depth check allows
/// and no deeper: one level more is left to that check's error.
#[test]
fn nesting_limit_is_the_depth_checks() {
    let max = retry_check_sources::tree::MAX_DEPTH;
    let at_limit = format!("{}{}", "[".repeat(max), "]".repeat(max));
    assert!(agrees(&at_limit));
    let over = format!("{}{}", "[".repeat(max + 1), "]".repeat(max + 1));
    assert!(json_direct::parse(&over).is_none());
    let err = json::parse(&over).expect_err("too deep");
    assert!(err.message.contains("nesting deeper"), "{}", err.message);
}
