//! Lint 1,000 generated contract files, against parsing the same TOML with
//! the `toml` crate alone (the bar from issue 8: at most 2x).
//!
//! `cargo bench -p retry-check-tests --bench lint [-- FILES]`. Both sides are
//! timed in the same run, interleaved, best of five each, so the ratio holds
//! on a noisy box.
//!
//! `cargo bench -p retry-check-tests --bench lint -- memory [MB]` instead
//! reports bytes: the peak heap that `load` + `lint` of one generated
//! contract file of MB megabytes (default 50) holds beyond the text itself,
//! counted by a global allocator, beside the peak of `toml::Table` parsing
//! the same file (issue 20: under 10x the file's size); once for a file
//! whose items the rules find fault with, once for a clean one.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use retry_check_contract::load;
use retry_check_diagnostics::SourceMap;
use retry_check_rules::{lint, LintLevels};
use retry_check_tests::generate::{large_contract, numbered_contract};

/// The `cargo-retry-check` binary's allocator (mimalloc), counting the
/// bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `MiMalloc` unchanged; only counters are
// added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The peak heap `f` holds beyond what was live when it started.
fn peak_of<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let base = LIVE.load(Ordering::Relaxed);
    // Nests: the peak of an outer call still counts this one's.
    let outer = PEAK.swap(base, Ordering::Relaxed);
    let out = f();
    let peak = PEAK.load(Ordering::Relaxed);
    PEAK.fetch_max(outer, Ordering::Relaxed);
    (peak - base, out)
}

/// `-- memory [MB]`: peak bytes of one large file, ours against `toml`.
fn memory(mb: usize, clean: bool) {
    let text = large_contract(mb * 1_000_000, clean);
    let size = text.len();
    // For measuring the binary's peak RSS on the same file
    // (`/usr/bin/time -v cargo-retry-check retry-check lint FILE`).
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "large-{mb}mb{}.toml",
        if clean { "-clean" } else { "" }
    ));
    if std::fs::write(&path, &text).is_ok() {
        println!("written to {}", path.display());
    }
    let (toml_peak, ok) = peak_of(|| text.parse::<toml::Table>().is_ok());
    assert!(ok, "the generated file is valid TOML");
    let base = LIVE.load(Ordering::Relaxed);
    let (load_peak, (servers, clients, findings, held, lint_peak)) = peak_of(|| {
        let mut sources = SourceMap::new();
        sources.add("contracts/large.toml", text.as_str());
        let (set, errors) = load(&sources);
        assert!(errors.is_empty(), "{:#?}", &errors[..errors.len().min(3)]);
        let held = LIVE.load(Ordering::Relaxed) - base;
        let (lint_peak, diags) = peak_of(|| lint(&set, &LintLevels::new()));
        (
            set.servers.len(),
            set.clients.len(),
            diags.len(),
            held,
            lint_peak,
        )
    });
    let ratio = |b: usize| b as f64 / size as f64;
    println!(
        "one generated contract file of {:.1} MB: {servers} servers, {clients} clients, {findings} findings",
        size as f64 / 1e6
    );
    println!(
        "toml::Table parse, peak heap     {:>8.1} MB   {:.1}x the file",
        toml_peak as f64 / 1e6,
        ratio(toml_peak)
    );
    println!(
        "the loaded set holds             {:>8.1} MB   {:.1}x; lint adds at most {:.1} MB ({:.1}x)",
        held as f64 / 1e6,
        ratio(held),
        lint_peak as f64 / 1e6,
        ratio(lint_peak)
    );
    println!(
        "load + lint, peak heap           {:>8.1} MB   {:.1}x the file   (bar: under 10x)",
        load_peak as f64 / 1e6,
        ratio(load_peak)
    );
}

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

/// Where `lint`'s time goes, step by step (`LINT_BENCH_SPLIT=1`).
fn split(texts: &[String]) {
    let mut sources = SourceMap::new();
    for (i, t) in texts.iter().enumerate() {
        sources.add(format!("contracts/c{i}.toml"), t.as_str());
    }
    let (set, _) = load(&sources);
    let (cx, _) = best_of(3, || retry_check_rules::Context::new(&set).windows.len());
    let (rules, found) = best_of(3, || retry_check_rules::findings(&set));
    let (report, diags) = best_of(3, || {
        let known = retry_check_rules::lints();
        let levels = LintLevels::new();
        let mut engine = retry_check_rules::Engine::new(&levels, &known).with_contracts(&set);
        retry_check_rules::report_findings(found.clone(), &mut engine)
    });
    let (sort, _) = best_of(3, || {
        let mut d = diags.clone();
        d.sort_by(retry_check_diagnostics::Diagnostic::cmp_by_location);
        d.len()
    });
    let (drop, _) = best_of(3, || drop(diags.clone()));
    let mut by_code: std::collections::BTreeMap<&str, (usize, usize, usize)> = Default::default();
    for d in &diags {
        let e = by_code.entry(&*d.code).or_default();
        e.0 += 1;
        e.1 += d.secondary.len() + d.notes.len() + d.help.len() + d.flow.len();
        e.2 += d.message.len()
            + d.notes.iter().map(String::len).sum::<usize>()
            + d.help.iter().map(String::len).sum::<usize>()
            + d.secondary.iter().map(|l| l.message.len()).sum::<usize>();
    }
    eprintln!("  per code (count, parts, bytes): {by_code:?}");
    eprintln!(
        "  context {:.1} ms, rules (incl. context) {:.1} ms, engine {:.1} ms (incl. clone), sort {:.1} ms (incl. clone), clone+drop {:.1} ms; {} findings",
        cx * 1e3,
        rules * 1e3,
        report * 1e3,
        sort * 1e3,
        drop * 1e3,
        found.len()
    );
}

fn main() {
    if std::env::args().any(|a| a == "memory") {
        let mb = std::env::args()
            .skip(1)
            .find_map(|a| a.parse().ok())
            .unwrap_or(50);
        // With findings on many items, then with none.
        memory(mb, false);
        return memory(mb, true);
    }
    let files: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000);
    let texts: Vec<String> = (0..files).map(|i| numbered_contract(i).to_toml()).collect();
    let bytes: usize = texts.iter().map(String::len).sum();

    let toml_side = || {
        texts
            .iter()
            .filter(|t| t.parse::<toml::Table>().is_ok())
            .count()
    };
    let load_side = || {
        let mut sources = SourceMap::new();
        for (i, t) in texts.iter().enumerate() {
            sources.add(format!("contracts/c{i}.toml"), t.as_str());
        }
        let (set, errors) = load(&sources);
        assert!(errors.is_empty(), "{errors:#?}");
        set.servers.len()
    };
    let lint_side = || {
        let mut sources = SourceMap::new();
        for (i, t) in texts.iter().enumerate() {
            sources.add(format!("contracts/c{i}.toml"), t.as_str());
        }
        let (set, errors) = load(&sources);
        assert!(errors.is_empty(), "{errors:#?}");
        lint(&set, &LintLevels::new()).len()
    };
    // Interleaved, best of each: a load spike on the shared machine hits
    // every side alike.
    let (mut toml_only, mut parse_only, mut full) = (f64::MAX, f64::MAX, f64::MAX);
    let (mut tables, mut servers, mut findings) = (0, 0, 0);
    for _ in 0..5 {
        let (t, n) = best_of(1, toml_side);
        (toml_only, tables) = (toml_only.min(t), n);
        let (t, n) = best_of(1, load_side);
        (parse_only, servers) = (parse_only.min(t), n);
        let (t, n) = best_of(1, lint_side);
        (full, findings) = (full.min(t), n);
    }
    assert_eq!(tables, files, "every generated file is valid TOML");

    if std::env::var_os("LINT_BENCH_SPLIT").is_some() {
        split(&texts);
    }
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
