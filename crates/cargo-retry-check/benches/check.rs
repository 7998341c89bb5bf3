//! `check` against `lint` on the same files, measured side by side in one
//! run (issue 20): generated monorepos of 1,000 and 10,000 clean client ->
//! server pairs, and the bundled `contracts/`.
//!
//! `cargo bench -p cargo-retry-check --bench check [-- RUNS]` (default 5
//! runs of each command, alternating, wall time of the release binary;
//! best and median are printed, ratios from medians). The generated pairs
//! come from `retry_check_tests::generate::clean_pair`: each pair is one
//! file with its own names; the `configurations` column says how many
//! distinct configurations they share (a monorepo's services copy a few
//! templates), `all` that every pair differs.
//!
//! Bars: `check` on 1,000 clean pairs within 10x of `lint`, `check
//! contracts/` under 0.5 s.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use retry_check_tests::generate::clean_pair;

struct Timing {
    best: f64,
    median: f64,
    code: i32,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Run `args` once (wall time, exit code).
fn once(args: &[&str]) -> (f64, i32) {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-retry-check"))
        .arg("retry-check")
        .args(args)
        .current_dir(root())
        .env("CI", "true")
        .output()
        .expect("the cargo-retry-check binary runs");
    (t.elapsed().as_secs_f64(), out.status.code().unwrap_or(-1))
}

fn summarize(mut times: Vec<f64>, code: i32) -> Timing {
    times.sort_by(f64::total_cmp);
    Timing {
        best: times[0],
        median: times[times.len() / 2],
        code,
    }
}

/// `lint` and `check` on `path`, alternating, `runs` times each.
fn side_by_side(path: &str, replay_dir: &str, runs: usize) -> (Timing, Timing) {
    let (mut lint, mut check) = (Vec::new(), Vec::new());
    let (mut lint_code, mut check_code) = (-1, -1);
    for _ in 0..runs {
        let (t, c) = once(&["lint", path, "--format", "short"]);
        lint.push(t);
        lint_code = c;
        let (t, c) = once(&[
            "check",
            path,
            "--format",
            "short",
            "--replay-dir",
            replay_dir,
        ]);
        check.push(t);
        check_code = c;
    }
    (summarize(lint, lint_code), summarize(check, check_code))
}

/// A directory of `pairs` generated files sharing `configurations`.
fn generated(pairs: usize, configurations: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("check-bench-{pairs}-{configurations}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a bench directory");
    for i in 0..pairs {
        std::fs::write(
            dir.join(format!("svc{i:05}.toml")),
            clean_pair(i, configurations),
        )
        .expect("writes a contract");
    }
    dir
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5)
        .max(1);
    let replay = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("check-bench-replays");
    let replay = replay.display().to_string();
    let sets: Vec<(String, String, PathBuf)> = [(1_000, 24), (10_000, 24), (1_000, 1_000)]
        .iter()
        .map(|&(pairs, configurations)| {
            let label = if configurations >= pairs {
                "all".to_string()
            } else {
                configurations.to_string()
            };
            (
                format!("{pairs} clean pairs"),
                label,
                generated(pairs, configurations),
            )
        })
        .collect();
    println!("{runs} runs of each command, alternating; wall time after build (best / median)");
    println!();
    println!("| files | configurations | `lint` | `check` | check / lint | exit (lint, check) |");
    println!("|---|---|---|---|---|---|");
    let mut rows: Vec<(String, String, String)> = sets
        .iter()
        .map(|(name, configs, dir)| (name.clone(), configs.clone(), dir.display().to_string()))
        .collect();
    rows.push((
        "`contracts/`".to_string(),
        "12 pairs".to_string(),
        "contracts/".to_string(),
    ));
    for (name, configs, path) in rows {
        let (lint, check) = side_by_side(&path, &replay, runs);
        println!(
            "| {name} | {configs} | {:.0} / {:.0} ms | {:.0} / {:.0} ms | **{:.1}x** | {}, {} |",
            lint.best * 1e3,
            lint.median * 1e3,
            check.best * 1e3,
            check.median * 1e3,
            check.median / lint.median,
            lint.code,
            check.code,
        );
    }
    // `CHECK_BENCH_KEEP=1` keeps the generated files (to profile a run).
    if std::env::var_os("CHECK_BENCH_KEEP").is_none() {
        for (_, _, dir) in sets {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
