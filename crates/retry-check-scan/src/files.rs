//! Scanning many files: each read and parsed on a worker thread (std
//! scoped threads: the work is one independent job per file, so a shared
//! counter is all the scheduling it needs), then added to the run's
//! `SourceMap` and linted in file order, so the output never depends on
//! which thread finished first. A file that cannot be read or parsed is an
//! `RC100` finding (at its error's line and column) and is not checked.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use retry_check_contract::ContractSet;
use retry_check_diagnostics::{Diagnostic, Severity, SourceId, SourceMap, Span};
use retry_check_rules::Engine;

use crate::{lint_scan, scan_file_with, scan_manifest, FileScan, ScanOptions, UNPARSABLE_SOURCE};

/// What a worker made of one file.
struct Scanned {
    shown: String,
    text: String,
    result: Result<FileScan, Box<Diagnostic>>,
}

fn is_manifest(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "Cargo.toml")
}

fn unparsable(message: String) -> Diagnostic {
    Diagnostic::new(
        UNPARSABLE_SOURCE.code,
        UNPARSABLE_SOURCE.name,
        Severity::Error,
        message,
    )
}

/// Read and scan one file as source `id`.
fn scan_one(path: &Path, shown: String, id: SourceId, options: &ScanOptions) -> Scanned {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            let d = unparsable(format!(
                "cannot read `{shown}`: {e}; the file was not checked"
            ));
            return Scanned {
                shown,
                text: String::new(),
                result: Err(Box::new(d)),
            };
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = unparsable(format!(
                "`{shown}` is not UTF-8 text; the file was not checked"
            ))
            .with_primary(Span::new(id, at..at), "invalid UTF-8 here");
            return Scanned {
                shown,
                text,
                result: Err(Box::new(d)),
            };
        }
    };
    let result = if is_manifest(path) {
        Ok(scan_manifest(&text, id))
    } else {
        scan_file_with(&shown, &text, id, options)
    };
    Scanned {
        shown,
        text,
        result,
    }
}

/// Scan `files` (Rust files and Cargo.toml manifests) in parallel, add them
/// to `sources` in order under the path `shown` gives each, and lint each
/// through `engine` against `set`, with `options`. Sorted by location.
pub fn scan_files(
    files: &[PathBuf],
    shown: &(dyn Fn(&Path) -> String + Sync),
    sources: &mut SourceMap,
    set: Option<&ContractSet>,
    engine: &mut Engine<'_>,
    options: &ScanOptions,
) -> Vec<Diagnostic> {
    let base = sources.files().count();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len())
        .max(1);
    let mut results: Vec<(usize, Scanned)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let id = SourceId(u32::try_from(base + i).unwrap_or(u32::MAX));
                        done.push((i, scan_one(path, shown(path), id, options)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);

    let mut out = Vec::new();
    for (_, s) in results {
        let id = sources.add(s.shown, s.text);
        match s.result {
            Ok(scan) => {
                debug_assert_eq!(scan.source, id);
                out.extend(lint_scan(&scan, set, engine));
            }
            Err(d) => out.extend(engine.level_diagnostic(&UNPARSABLE_SOURCE, *d)),
        }
    }
    out.sort_by_key(|d| d.sort_key());
    out
}
