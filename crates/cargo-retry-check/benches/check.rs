//! Wall time of the README's main job, `cargo retry-check check contracts/`,
//! after the build (the bar from issue 8: under 1 s), with `lint` alone on
//! the same files for comparison.
//!
//! `cargo bench -p cargo-retry-check --bench check [-- RUNS]` (default 5;
//! best and median are printed). The binary is the release build cargo
//! made for this bench.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn time(args: &[&str], runs: usize) -> (f64, f64, i32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut times = Vec::with_capacity(runs);
    let mut code = -1;
    for _ in 0..runs {
        let t = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_cargo-retry-check"))
            .arg("retry-check")
            .args(args)
            .current_dir(&root)
            .env("CI", "true")
            .output()
            .expect("the cargo-retry-check binary runs");
        times.push(t.elapsed().as_secs_f64());
        code = out.status.code().unwrap_or(-1);
    }
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2], code)
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let (lint_best, lint_median, lint_code) =
        time(&["lint", "contracts/", "--format", "short"], runs);
    let (check_best, check_median, check_code) =
        time(&["check", "contracts/", "--format", "short"], runs);
    println!("{runs} runs each, wall time after build (best / median):");
    println!(
        "lint  contracts/   {:>8.1} ms / {:>8.1} ms   exit {lint_code}",
        lint_best * 1e3,
        lint_median * 1e3
    );
    println!(
        "check contracts/   {:>8.1} ms / {:>8.1} ms   exit {check_code}   {:.1}x lint   (bar: under 1 s: {})",
        check_best * 1e3,
        check_median * 1e3,
        check_median / lint_median,
        if check_median < 1.0 { "met" } else { "missed" }
    );
}
