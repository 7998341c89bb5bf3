//! Lint 1,000 generated contract files, against parsing the same TOML with
//! the `toml` crate alone (the bar from issue 8: at most 2x).
//!
//! `cargo bench -p retry-check-tests --bench lint [-- FILES]`. Both sides are
//! timed in the same run, best of five, so the ratio holds on a noisy box.

use std::time::Instant;

use retry_check_contract::load;
use retry_check_diagnostics::SourceMap;
use retry_check_rules::{lint, LintLevels};
use retry_check_tests::generate::numbered_contract;

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let files: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let texts: Vec<String> = (0..files).map(|i| numbered_contract(i).to_toml()).collect();
    let bytes: usize = texts.iter().map(String::len).sum();

    let (toml_only, tables) = best_of(5, || {
        texts
            .iter()
            .filter(|t| t.parse::<toml::Table>().is_ok())
            .count()
    });
    assert_eq!(tables, files, "every generated file is valid TOML");

    let (parse_only, servers) = best_of(5, || {
        let mut sources = SourceMap::new();
        for (i, t) in texts.iter().enumerate() {
            sources.add(format!("contracts/c{i}.toml"), t.as_str());
        }
        let (set, errors) = load(&sources);
        assert!(errors.is_empty(), "{errors:#?}");
        set.servers.len()
    });

    let (full, findings) = best_of(5, || {
        let mut sources = SourceMap::new();
        for (i, t) in texts.iter().enumerate() {
            sources.add(format!("contracts/c{i}.toml"), t.as_str());
        }
        let (set, errors) = load(&sources);
        assert!(errors.is_empty(), "{errors:#?}");
        lint(&set, &LintLevels::new()).len()
    });

    println!(
        "{files} generated contract files, {:.1} MB, {servers} servers, {findings} findings",
        bytes as f64 / 1e6
    );
    println!("toml::Table parse alone     {:>9.1} ms", toml_only * 1e3);
    println!(
        "retry-check parse (load)    {:>9.1} ms   {:.2}x toml",
        parse_only * 1e3,
        parse_only / toml_only
    );
    println!(
        "retry-check parse + lint    {:>9.1} ms   {:.2}x toml   (bar: at most 2x)",
        full * 1e3,
        full / toml_only
    );
}
