//! Scan time against `syn::parse_file` alone over the same files (the bar
//! from issue 6: at most 1.5x).
//!
//! `cargo bench -p retry-check-scan --bench scan -- [DIR]`; without DIR it
//! scans the crates vendored in `$CARGO_HOME/registry/src`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use retry_check_diagnostics::SourceMap;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var("CARGO_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo")
                });
            home.join("registry/src")
        });
    let mut paths = Vec::new();
    collect(&dir, &mut paths);
    let mut sources = SourceMap::new();
    let mut bytes = 0usize;
    for p in &paths {
        if let Ok(t) = std::fs::read_to_string(p) {
            bytes += t.len();
            sources.add(p.display().to_string(), t);
        }
    }
    let ids: Vec<_> = sources.files().map(|(id, _)| id).collect();
    let mb = bytes as f64 / 1e6;

    let mut best_parse = f64::MAX;
    let mut best_scan = f64::MAX;
    let (mut parsed, mut policies, mut errors) = (0, 0, 0);
    for _ in 0..3 {
        let t = Instant::now();
        parsed = 0;
        for &id in &ids {
            if syn::parse_file(sources.text(id)).is_ok() {
                parsed += 1;
            }
            proc_macro2::extra::invalidate_current_thread_spans();
        }
        best_parse = best_parse.min(t.elapsed().as_secs_f64());

        let t = Instant::now();
        policies = 0;
        errors = 0;
        for &id in &ids {
            match retry_check_scan::scan_source(&sources, id) {
                Ok(s) => policies += s.policies.len(),
                Err(_) => errors += 1,
            }
        }
        best_scan = best_scan.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{} files, {mb:.1} MB ({parsed} parsed, {errors} unparsable), {policies} policies found",
        ids.len()
    );
    println!(
        "syn::parse_file alone: {best_parse:.3} s ({:.1} MB/s)",
        mb / best_parse
    );
    println!(
        "scan_source:           {best_scan:.3} s ({:.1} MB/s)",
        mb / best_scan
    );
    println!("ratio scan / parse:    {:.2}x", best_scan / best_parse);
}
