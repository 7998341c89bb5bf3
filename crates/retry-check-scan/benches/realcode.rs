//! The scanner's precision report on published crates (issue 15).
//!
//! ```text
//! cargo bench -p retry-check-scan --bench realcode -- [--manifest FILE]
//!     [--verdicts FILE] [--sites FILE] [--fetch-dir DIR] [--offline] [--quiet]
//!     [--policies]
//! ```
//!
//! Not on CI's path: it downloads crates. For each `crate`/`version` of the
//! manifest (TSV: crate, version, file, why) it writes a throwaway package
//! that depends on `crate = "=version"` under the fetch directory and runs
//! `cargo fetch` there, then scans the listed files from cargo's registry
//! sources as `cargo retry-check scan` would (default options, default
//! levels, no contracts). It prints
//!
//! - the findings per rule and crate, each with its verdict from the
//!   verdicts file (TSV: rule, file, line, verdict, reason; `TP`, `FP` or
//!   `DEB`) or `??` when nobody judged it yet;
//! - precision per rule, TP / (TP + FP) (`DEB` counts on neither side);
//! - recall over the judged retry sites (TSV: file, line, scope, expect,
//!   note): a site is found when a policy starts on that line and every
//!   `key=value` of `expect` holds (`expect = none`: no policy may start
//!   there); `scope = out` sites are listed but not counted;
//! - scan time against `syn::parse_file` alone on the same files, in the
//!   same run: each file parsed then scanned back to back, 7 rounds
//!   (`REALCODE_ROUNDS`), per-file bests summed.
//!
//! The defaults are the files under `realcode/` next to this crate;
//! relative paths are relative to this crate (cargo runs benches there),
//! e.g. `--manifest realcode/check-manifest.tsv`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use retry_check_diagnostics::{Diagnostic, SourceMap};
use retry_check_scan::{
    lint_scan_at_defaults, scan_file_with, scan_manifest, Attempts, FileScan, Jitter, OptDur,
    Policy, Predicate, ScanOptions, Val,
};

struct Args {
    manifest: PathBuf,
    verdicts: PathBuf,
    sites: PathBuf,
    fetch_dir: PathBuf,
    offline: bool,
    quiet: bool,
    /// Print every extracted policy (for judging recall sites).
    policies: bool,
}

fn parse_args() -> Args {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("realcode");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let mut a = Args {
        manifest: here.join("dev-manifest.tsv"),
        verdicts: here.join("verdicts.tsv"),
        sites: here.join("recall-sites.tsv"),
        fetch_dir: target.join("realcode-fetch"),
        offline: false,
        quiet: false,
        policies: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .map(PathBuf::from)
                .expect("a value after the flag")
        };
        match arg.as_str() {
            "--manifest" => a.manifest = value(),
            "--verdicts" => a.verdicts = value(),
            "--sites" => a.sites = value(),
            "--fetch-dir" => a.fetch_dir = value(),
            "--offline" => a.offline = true,
            "--quiet" => a.quiet = true,
            "--policies" => a.policies = true,
            "--bench" => {}
            other => panic!("unknown argument `{other}` (see the file's docs)"),
        }
    }
    a
}

/// Rows of a TSV file, header skipped, blank and `#` lines ignored.
fn tsv(path: &Path) -> Vec<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("note: no {}", path.display());
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cargo"))
}

/// `registry/src/<index>/<crate>-<version>`, if cargo has it.
fn find_crate(name: &str, version: &str) -> Option<PathBuf> {
    let src = cargo_home().join("registry/src");
    let mut indexes: Vec<PathBuf> = std::fs::read_dir(src)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    indexes.sort();
    indexes
        .into_iter()
        .map(|i| i.join(format!("{name}-{version}")))
        .find(|p| p.is_dir())
}

/// `cargo fetch` through a throwaway package that depends on the crate.
fn fetch(name: &str, version: &str, dir: &Path) -> Result<(), String> {
    let pkg = dir.join(format!("{name}-{version}"));
    std::fs::create_dir_all(pkg.join("src")).map_err(|e| e.to_string())?;
    let manifest = format!(
        "[package]\nname = \"fetch-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{name} = {{ version = \"={version}\", default-features = false }}\n\n[workspace]\n",
        format!("{name}-{version}").replace(['.', '_'], "-")
    );
    std::fs::write(pkg.join("Cargo.toml"), manifest).map_err(|e| e.to_string())?;
    std::fs::write(pkg.join("src/lib.rs"), "").map_err(|e| e.to_string())?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .arg("fetch")
        .arg("--manifest-path")
        .arg(pkg.join("Cargo.toml"))
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// One manifest file, read from the registry.
struct Input {
    krate: String,
    /// `<crate>-<version>/<file>`, as findings and verdicts name it.
    shown: String,
    text: String,
}

fn load_inputs(args: &Args) -> Vec<Input> {
    let rows = tsv(&args.manifest);
    let mut roots: BTreeMap<(String, String), Option<PathBuf>> = BTreeMap::new();
    for r in &rows {
        if r.len() >= 3 {
            roots.entry((r[0].clone(), r[1].clone())).or_insert(None);
        }
    }
    for ((name, version), root) in roots.iter_mut() {
        *root = find_crate(name, version);
        if root.is_none() && !args.offline {
            if let Err(e) = fetch(name, version, &args.fetch_dir) {
                eprintln!("warning: cannot fetch {name} {version}: {e}");
            }
            *root = find_crate(name, version);
        }
        if root.is_none() {
            eprintln!("warning: {name} {version} is not in the cargo registry");
        }
    }
    println!(
        "{} crates, {} files in the manifest",
        roots.len(),
        rows.len()
    );
    let mut inputs = Vec::new();
    for r in rows.iter().filter(|r| r.len() >= 3) {
        let Some(Some(root)) = roots.get(&(r[0].clone(), r[1].clone())) else {
            continue;
        };
        match std::fs::read_to_string(root.join(&r[2])) {
            Ok(text) => inputs.push(Input {
                krate: format!("{}-{}", r[0], r[1]),
                shown: format!("{}-{}/{}", r[0], r[1], r[2]),
                text,
            }),
            Err(e) => eprintln!("warning: {}-{}/{}: {e}", r[0], r[1], r[2]),
        }
    }
    inputs
}

/// A scanned file: its source id in `sources` and what the scan found.
struct Scanned {
    krate: String,
    scan: Option<FileScan>,
    diagnostics: Vec<Diagnostic>,
}

fn scan_all(inputs: &[Input], sources: &mut SourceMap, options: &ScanOptions) -> Vec<Scanned> {
    let mut out = Vec::new();
    for input in inputs {
        let rel = input.shown.split_once('/').map_or("", |(_, r)| r);
        if options.skips_path(Path::new(rel)) {
            continue;
        }
        let id = sources.add(input.shown.clone(), input.text.clone());
        let result = if rel.ends_with("Cargo.toml") {
            Ok(scan_manifest(&input.text, id))
        } else {
            scan_file_with(&input.shown, &input.text, id, options)
        };
        let (scan, diagnostics) = match result {
            Ok(scan) => {
                let d = lint_scan_at_defaults(&scan);
                (Some(scan), d)
            }
            Err(d) => (None, vec![*d]),
        };
        out.push(Scanned {
            krate: input.krate.clone(),
            scan,
            diagnostics,
        });
    }
    out
}

type Verdicts = BTreeMap<(String, String, u32), (String, String)>;

fn load_verdicts(path: &Path) -> Verdicts {
    tsv(path)
        .into_iter()
        .filter(|r| r.len() >= 4)
        .filter_map(|r| {
            let line = r[2].parse().ok()?;
            let reason = r.get(4).cloned().unwrap_or_default();
            Some(((r[0].clone(), r[1].clone(), line), (r[3].clone(), reason)))
        })
        .collect()
}

#[derive(Default)]
struct Tally {
    findings: usize,
    tp: usize,
    fp: usize,
    deb: usize,
    unjudged: usize,
}

fn report_findings(scanned: &[Scanned], sources: &SourceMap, verdicts: &Verdicts, quiet: bool) {
    let mut per_rule: BTreeMap<String, Tally> = BTreeMap::new();
    let mut per_crate: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut listing = Vec::new();
    for s in scanned {
        for d in &s.diagnostics {
            if d.severity == retry_check_diagnostics::Severity::Info {
                continue;
            }
            let (file, line) = match &d.primary {
                Some(l) => (
                    sources.path(l.span.source).to_string(),
                    sources.line_col(&l.span).line as u32,
                ),
                None => (String::new(), 0),
            };
            let t = per_rule.entry(d.code.to_string()).or_default();
            t.findings += 1;
            *per_crate
                .entry((s.krate.clone(), d.code.to_string()))
                .or_default() += 1;
            let key = (d.code.to_string(), file.clone(), line);
            let (verdict, reason) = verdicts
                .get(&key)
                .cloned()
                .unwrap_or_else(|| ("??".to_string(), String::new()));
            match verdict.as_str() {
                "TP" => t.tp += 1,
                "FP" => t.fp += 1,
                "DEB" => t.deb += 1,
                _ => t.unjudged += 1,
            }
            listing.push(format!(
                "{}\t{file}\t{line}\t{verdict}\t{reason}\t{}",
                d.code, d.message
            ));
        }
    }
    if !quiet {
        println!("\n## Findings (rule, file, line, verdict, reason, message)\n");
        for l in &listing {
            println!("{l}");
        }
        println!("\n## Findings per crate\n");
        for ((krate, code), n) in &per_crate {
            println!("{krate:<40} {code} {n}");
        }
    }
    println!("\n## Precision per rule\n");
    println!("| rule | findings | TP | FP | DEB | unjudged | precision TP/(TP+FP) |");
    println!("|---|---|---|---|---|---|---|");
    let mut all = Tally::default();
    for (code, t) in &per_rule {
        println!(
            "| {code} | {} | {} | {} | {} | {} | {} |",
            t.findings,
            t.tp,
            t.fp,
            t.deb,
            t.unjudged,
            ratio(t.tp, t.tp + t.fp)
        );
        if code != "RC100" {
            all.findings += t.findings;
            all.tp += t.tp;
            all.fp += t.fp;
            all.deb += t.deb;
            all.unjudged += t.unjudged;
        }
    }
    println!(
        "| RC101-RC1xx | {} | {} | {} | {} | {} | **{}** |",
        all.findings,
        all.tp,
        all.fp,
        all.deb,
        all.unjudged,
        ratio(all.tp, all.tp + all.fp)
    );
    let stale: Vec<_> = verdicts
        .keys()
        .filter(|(code, file, line)| {
            !listing
                .iter()
                .any(|l| l.starts_with(&format!("{code}\t{file}\t{line}\t")))
        })
        .collect();
    if !stale.is_empty() && !quiet {
        println!("\n{} judged findings are no longer reported:", stale.len());
        for (code, file, line) in stale {
            println!("  {code} {file}:{line}");
        }
    }
}

fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

/// Whether `p` meets one `key=value` expectation of a recall site.
fn meets(p: &Policy, key: &str, want: &str) -> bool {
    match key {
        "krate" => p.krate.as_str() == want.replace('_', " "),
        "attempts" => match (want, &p.max_attempts) {
            ("unbounded", v) => v.value() == Some(&Attempts::Unbounded),
            ("limited", v) => v.value() != Some(&Attempts::Unbounded),
            (n, v) => n.parse().ok().map(Attempts::Finite).as_ref() == v.value(),
        },
        "jitter" => match (want, &p.jitter) {
            ("unknown", Val::Unknown(_)) => true,
            ("none", v) => v.value() == Some(&Jitter::None),
            ("some", v) => v.value().is_some_and(|j| *j != Jitter::None),
            _ => false,
        },
        "predicate" => match (want, &p.predicate) {
            ("unknown", Val::Unknown(_)) => true,
            ("every", v) => v.value() == Some(&Predicate::EveryError),
            ("custom", v) => v.value() == Some(&Predicate::Custom),
            ("crate", v) => matches!(v.value(), Some(Predicate::CrateDefault(_))),
            _ => false,
        },
        "delay" => match (want, &p.initial_delay) {
            ("unknown", Val::Unknown(_)) => true,
            (d, v) => v.value().is_some_and(|v| v.to_string() == d),
        },
        "cap" => match (want, &p.max_delay) {
            ("unknown", Val::Unknown(_)) => true,
            ("none", v) => v.value() == Some(&OptDur(None)),
            (d, v) => v.value().is_some_and(|v| v.to_string() == d),
        },
        "schedule" => p.schedule.as_str() == want,
        _ => false,
    }
}

fn report_recall(scanned: &[Scanned], sources: &SourceMap, path: &Path, quiet: bool) {
    let sites = tsv(path);
    if sites.is_empty() {
        return;
    }
    let mut policies: BTreeMap<(String, u32), Vec<&Policy>> = BTreeMap::new();
    for s in scanned {
        for p in s.scan.iter().flat_map(|s| &s.policies) {
            let file = sources.path(p.span.source).to_string();
            let line = sources.line_col(&p.span).line as u32;
            policies.entry((file, line)).or_default().push(p);
        }
    }
    let (mut counted, mut found, mut extracted) = (0, 0, 0);
    let mut rows = Vec::new();
    for r in sites.iter().filter(|r| r.len() >= 4) {
        let (file, scope, expect) = (&r[0], &r[2], &r[3]);
        let Ok(line) = r[1].parse::<u32>() else {
            continue;
        };
        let at = policies.get(&(file.clone(), line));
        let (ok, seen) = if expect == "none" {
            (at.is_none(), at.is_none())
        } else {
            let wants: Vec<(&str, &str)> = expect
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let ok =
                at.is_some_and(|ps| ps.iter().any(|p| wants.iter().all(|(k, v)| meets(p, k, v))));
            (ok, at.is_some())
        };
        if scope == "in" {
            counted += 1;
            found += usize::from(ok);
            extracted += usize::from(seen);
        }
        let mark = if ok { "ok" } else { "MISS" };
        rows.push(format!("{mark:<4} {scope:<3} {file}:{line}  {expect}"));
    }
    if !quiet {
        println!("\n## Recall sites\n");
        for r in &rows {
            println!("{r}");
        }
    }
    println!(
        "\nrecall (in scope): {found}/{counted} sites right ({}), {extracted}/{counted} found at all",
        ratio(found, counted)
    );
}

fn timing(inputs: &[Input], options: &ScanOptions) {
    let files: Vec<&Input> = inputs
        .iter()
        .filter(|i| i.shown.ends_with(".rs"))
        .filter(|i| {
            let rel = i.shown.split_once('/').map_or("", |(_, r)| r);
            !options.skips_path(Path::new(rel))
        })
        .collect();
    let bytes: usize = files.iter().map(|i| i.text.len()).sum();
    // The machines these run on are shared and loaded: each file is parsed
    // and then scanned, back to back, in every round, and each file keeps
    // its best time of either; the totals are sums of per-file bests, which
    // a load spike during one round does not move.
    let rounds: usize = std::env::var("REALCODE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    let mut best = vec![(f64::MAX, f64::MAX); files.len()];
    for _ in 0..rounds {
        for (n, i) in files.iter().enumerate() {
            let t = Instant::now();
            let _ = std::hint::black_box(syn::parse_file(&i.text));
            proc_macro2::extra::invalidate_current_thread_spans();
            let parsed = t.elapsed().as_secs_f64();
            let id = retry_check_diagnostics::SourceId(n as u32);
            let t = Instant::now();
            let _ = std::hint::black_box(scan_file_with(&i.shown, &i.text, id, options));
            let scanned = t.elapsed().as_secs_f64();
            best[n] = (best[n].0.min(parsed), best[n].1.min(scanned));
        }
    }
    if files.is_empty() {
        return;
    }
    let parse: f64 = best.iter().map(|b| b.0).sum();
    let scan: f64 = best.iter().map(|b| b.1).sum();
    println!(
        "\n## Time ({} .rs files, {:.2} MB, per-file best of {rounds} interleaved rounds)\n\n\
         syn::parse_file alone: {parse:.3} s\nscan_file_with:        {scan:.3} s\n\
         ratio scan / parse:    {:.2}x",
        files.len(),
        bytes as f64 / 1e6,
        scan / parse
    );
}

fn main() {
    let args = parse_args();
    let inputs = load_inputs(&args);
    let options = ScanOptions::default();
    let mut sources = SourceMap::new();
    let scanned = scan_all(&inputs, &mut sources, &options);
    println!(
        "{} files scanned ({} skipped as test code)",
        scanned.len(),
        inputs.len() - scanned.len()
    );
    report_findings(
        &scanned,
        &sources,
        &load_verdicts(&args.verdicts),
        args.quiet,
    );
    if args.policies {
        println!("\n## Policies\n");
        for p in scanned
            .iter()
            .flat_map(|s| s.scan.iter().flat_map(|s| &s.policies))
        {
            let lc = sources.line_col(&p.span);
            let one_line = p
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            println!("{}:{} {one_line}", sources.path(p.span.source), lc.line);
        }
    }
    report_recall(&scanned, &sources, &args.sites, args.quiet);
    timing(&inputs, &options);
}
