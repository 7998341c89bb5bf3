//! `simulate`: run the sim-mode harness on every client -> server pair of
//! the contract set, against the built-in reference store the server's
//! contract describes, and report each counterexample as a diagnostic with
//! its timeline.
//!
//! - Pairs: every client's `calls` targets, in file order, one pair per
//!   (client, server). A pair whose server is unknown (RC031 reports it) or
//!   declares no key contract (`key_source` / `key_ttl`) is skipped and
//!   counted in the summary.
//! - Store: a `store.durability = "volatile"` or `kind = "memory"` server
//!   runs on [`MemoryStore`] with crashes on (the gap RC027 flags); any
//!   other on the durable [`SqliteStore`]. Both use the server's `key_ttl`
//!   (24h when absent). On the volatile store payload changes are off, so
//!   the counterexample is the duplicate side effect of a restart that lost
//!   the record (`at_most_once`), not the changed payload it also lets in.
//! - Codes: a record expired inside the retry window proves RC001, a lease
//!   expired in flight RC022, a record lost on a crash of a volatile store
//!   RC027; anything else is `RC900 simulated_violation`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use retry_check_catalog::SIMULATED_VIOLATION;
use retry_check_contract::{Client, ContractSet, Durability, ItemId, Server, StoreKind};
use retry_check_diagnostics::{render, Diagnostic, Job, Lint, SourceMap, Span};
use retry_check_harness::stores::{MemoryStore, SqliteStore};
use retry_check_harness::{
    Counterexample, Partition, ReferenceStore, ReferenceStoreKind, ReplayFile, Sim, SimConfig,
    SimReport, ViolationClass,
};
use retry_check_rules::{Engine, Finding};
use serde_json::json;

use crate::cli::{Format, SimulateArgs};
use crate::discover::display_path;
use crate::lint::{self, Loaded};
use crate::Exit;

/// The key TTL of the reference store when the contract declares none.
pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(24 * 3600);

/// One client -> server pair to simulate.
struct Pair<'a> {
    client: &'a Client,
    server: &'a Server,
    /// The items whose `allow` entries apply to its findings.
    items: [ItemId; 2],
}

/// The pairs to simulate, and a description of each skipped pair.
fn pairs(set: &ContractSet) -> (Vec<Pair<'_>>, Vec<String>) {
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (ci, client) in set.clients.iter().enumerate() {
        for call in &client.calls {
            let name = call.value.server.as_str();
            if seen.contains(&(client.name.value.as_str(), name)) {
                continue;
            }
            seen.push((client.name.value.as_str(), name));
            let label = format!("{} -> {}", client.name.value, name);
            match set.server(name) {
                None => skipped.push(format!("{label} (unknown server)")),
                Some((_, server)) if !server.is_keyed() => {
                    skipped.push(format!("{label} (no key contract)"))
                }
                Some((si, server)) => run.push(Pair {
                    client,
                    server,
                    items: [ItemId::Client(ci), ItemId::Server(si)],
                }),
            }
        }
    }
    (run, skipped)
}

/// The reference store a server's contract describes.
pub fn reference_kind(server: &Server) -> ReferenceStoreKind {
    let store = server.store.as_ref();
    let volatile = store
        .and_then(|s| s.durability.as_ref())
        .is_some_and(|d| d.value == Durability::Volatile)
        || store
            .and_then(|s| s.kind.as_ref())
            .is_some_and(|k| k.value == StoreKind::Memory);
    if volatile {
        ReferenceStoreKind::Memory
    } else {
        ReferenceStoreKind::Sqlite
    }
}

/// Run `config` (the cases of `partition`) against a reference store. The
/// durable store is [`SqliteStore::sim_factory`] (`synchronous=OFF`,
/// which loses nothing on the process crash the harness simulates; see its
/// docs): the fsync per commit of `synchronous=FULL` made simulation
/// minutes long on a loaded machine.
pub fn run_sim(
    store: ReferenceStore,
    config: SimConfig,
    contract: Option<String>,
    partition: Partition,
) -> Result<SimReport, Box<Counterexample>> {
    match store.kind {
        ReferenceStoreKind::Memory => {
            let sim = Sim::new(MemoryStore::factory(store.key_ttl))
                .config(config)
                .partition(partition);
            match contract {
                Some(c) => sim.contract(c).run(),
                None => sim.run(),
            }
        }
        ReferenceStoreKind::Sqlite => {
            let sim = Sim::new(SqliteStore::sim_factory(store.key_ttl))
                .config(config)
                .partition(partition);
            match contract {
                Some(c) => sim.contract(c).run(),
                None => sim.run(),
            }
        }
    }
}

/// `--replay-dir`, else `$CARGO_TARGET_DIR/retry-check`, else
/// `target/retry-check` under the workspace root.
pub(crate) fn replay_dir(args: &SimulateArgs, root: &Path) -> PathBuf {
    default_replay_dir(args.replay_dir.as_deref(), root)
}

/// `dir`, else `$CARGO_TARGET_DIR/retry-check`, else `target/retry-check`
/// under the workspace root.
pub(crate) fn default_replay_dir(dir: Option<&Path>, root: &Path) -> PathBuf {
    if let Some(d) = dir {
        return d.to_path_buf();
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if !t.is_empty() => PathBuf::from(t).join("retry-check"),
        _ => root.join("target").join("retry-check"),
    }
}

fn file_part(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// What one run found, ready to report.
pub(crate) struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub pairs: usize,
    pub cases: u64,
    pub skipped: Vec<String>,
    /// The partition simulated, when partitioned.
    pub partition: Option<Partition>,
}

pub fn run(args: &SimulateArgs, matches: &clap::ArgMatches) -> Result<Exit, String> {
    let loaded = lint::load_contracts(
        &args.paths,
        args.manifest_path.as_deref(),
        "nothing was simulated because contract files have errors; fix them first",
    )?;
    let Loaded {
        sources,
        files,
        set,
        errors,
        config,
    } = loaded;
    let Some(set) = set else {
        crate::output::deliver(
            &lint::report(
                &errors,
                &sources,
                files,
                args.format,
                args.color,
                &config.root,
            ),
            &retry_check_diagnostics::render::Summary::of(&errors, files).line(),
            args.output.as_deref(),
        )?;
        return Ok(Exit::Findings);
    };
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let dir = replay_dir(args, &config.root);
    let levels = lint::levels(&config, &args.levels, matches)?;
    let mut engine = Engine::new(&levels, retry_check_catalog::all()).with_contracts(&set);
    let mut outcome = simulate_set(&set, args, &dir, &cwd, &mut engine)?;
    outcome.diagnostics.extend(engine.allow_diagnostics());
    if args.format == Format::Github {
        crate::output::step_summary("retry-check simulate", &outcome.diagnostics, files)?;
    }
    crate::output::deliver(
        &report(&outcome, &sources, args, &config.root),
        &summary_line(&outcome),
        args.output.as_deref(),
    )?;
    Ok(lint::exit_code(&outcome.diagnostics))
}

pub(crate) fn simulate_set(
    set: &ContractSet,
    args: &SimulateArgs,
    dir: &Path,
    cwd: &Path,
    engine: &mut Engine<'_>,
) -> Result<Outcome, String> {
    engine.ran(Job::Simulate);
    let (pairs, skipped) = pairs(set);
    let partition = args.partition.unwrap_or(Partition::ALL);
    let mut outcome = Outcome {
        diagnostics: Vec::new(),
        pairs: pairs.len(),
        cases: 0,
        skipped,
        partition: args.partition.filter(|p| p.count > 1),
    };
    let bar = progress_bar(pairs.len(), args.format);
    // The pairs are independent and each one is seeded: simulate them on
    // every core, then report in pair order, so the output is the same
    // whatever the number of threads.
    let runs = simulate_pairs(set, &pairs, args, partition, bar.as_ref());
    for (pair, run) in pairs.iter().zip(runs) {
        let client = pair.client.name.value.as_str();
        let server = pair.server.name.value.as_str();
        let (store, result) = run?;
        let label = format!("{client} -> {server}");
        match result {
            Ok(report) => outcome.cases += u64::from(report.cases_run),
            Err(cx) => {
                if cx.cases_explored == 0 {
                    // Not a counterexample: the harness itself failed.
                    return Err(format!(
                        "simulating `{label}` failed: {}",
                        cx.violation.because.join("; ")
                    ));
                }
                outcome.cases += u64::from(cx.cases_explored);
                let mut replay = cx.replay.clone();
                replay.reference_store = Some(store);
                replay.contract = Some(label);
                let path = dir.join(format!(
                    "{}--{}-{}-seed{}.json",
                    file_part(client),
                    file_part(server),
                    cx.property,
                    cx.seed
                ));
                std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(&path, replay.to_json()))
                    .map_err(|e| {
                        format!("cannot write the replay file `{}`: {e}", path.display())
                    })?;
                let volatile_gap =
                    store.kind == ReferenceStoreKind::Memory && volatile_gap(&cx, &replay, store)?;
                let (lint, finding) = finding(pair, volatile_gap, &cx, &display_path(&path, cwd));
                outcome.diagnostics.extend(engine.report(lint, finding));
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(outcome)
}

/// What simulating one pair gives: the reference store it ran against and
/// the harness's verdict.
type PairRun = Result<(ReferenceStore, Result<SimReport, Box<Counterexample>>), String>;

/// Simulate every pair, on as many threads as there are cores (at most one
/// per pair); the results come back in pair order.
fn simulate_pairs(
    set: &ContractSet,
    pairs: &[Pair<'_>],
    args: &SimulateArgs,
    partition: Partition,
    bar: Option<&indicatif::ProgressBar>,
) -> Vec<PairRun> {
    let simulate = |pair: &Pair<'_>| -> PairRun {
        let client = pair.client.name.value.as_str();
        let server = pair.server.name.value.as_str();
        if let Some(bar) = bar {
            bar.set_message(format!("{client} -> {server}"));
        }
        let mut config = SimConfig::from_contract(set, client, server)?;
        config.seed = args.seed;
        config.cases = args.cases;
        let store = ReferenceStore {
            kind: reference_kind(pair.server),
            key_ttl: config.key_ttl.unwrap_or(DEFAULT_KEY_TTL),
        };
        if store.kind == ReferenceStoreKind::Memory {
            // A lost record also lets a changed payload in; with payload
            // changes off the trace found is the restart that charges twice.
            config.faults.payload_changes = false;
        }
        let label = format!("{client} -> {server}");
        let result = run_sim(store, config, Some(label), partition);
        if let Some(bar) = bar {
            bar.inc(1);
        }
        Ok((store, result))
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(pairs.len());
    if threads <= 1 {
        return pairs.iter().map(simulate).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<PairRun>>> =
        pairs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(pair) = pairs.get(i) else { break };
                let run = simulate(pair);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(run);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("a simulation thread panicked".to_string()))
        })
        .collect()
}

/// Progress is for a person watching: stderr is a terminal, `CI` is unset
/// and the format is the human one.
fn wants_progress(format: Format, ci: bool, terminal: bool) -> bool {
    format == Format::Human && !ci && terminal
}

/// A bar over the pairs on stderr (cleared when done), or none.
fn progress_bar(pairs: usize, format: Format) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    if pairs == 0 || !wants_progress(format, ci, std::io::stderr().is_terminal()) {
        return None;
    }
    let style = indicatif::ProgressStyle::with_template(
        "simulating [{bar:30}] {pos}/{len} pairs ({elapsed}) {wide_msg}",
    )
    .ok()?
    .progress_chars("=> ");
    let bar = indicatif::ProgressBar::new(pairs as u64).with_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// Is a counterexample found on the volatile store the RC027 gap: a record
/// lost on a crash? Either the oracle says so, or the durable store passes
/// the same shrunk scenario (a lost record also lets a changed payload in,
/// so the property reported may be another one).
fn volatile_gap(
    cx: &Counterexample,
    replay: &ReplayFile,
    store: ReferenceStore,
) -> Result<bool, String> {
    if cx.violation.class == ViolationClass::RecordLostOnCrash {
        return Ok(true);
    }
    if matches!(
        cx.violation.class,
        ViolationClass::RecordExpiredInWindow | ViolationClass::LeaseExpiredInFlight
    ) {
        return Ok(false);
    }
    let durable = retry_check_harness::replay(SqliteStore::sim_factory(store.key_ttl), replay)
        .map_err(|e| format!("re-running a counterexample on the durable store failed: {e}"))?;
    Ok(durable.violation.is_none())
}

/// The lint rule a counterexample proves, with the span the gap comes from.
fn classify(
    pair: &Pair<'_>,
    volatile_gap: bool,
    class: ViolationClass,
) -> (&'static Lint, Span, String) {
    let server = pair.server;
    let rule =
        |code: &str| retry_check_rules::find_rule(code).map_or(&SIMULATED_VIOLATION, |r| r.lint);
    match class {
        ViolationClass::RecordExpiredInWindow => {
            if let Some(ttl) = &server.key_ttl {
                return (
                    rule("RC001"),
                    ttl.span.clone(),
                    format!("records expire after {}", ttl.value),
                );
            }
        }
        ViolationClass::LeaseExpiredInFlight => {
            if let Some(lease) = &server.in_progress_lease {
                return (
                    rule("RC022"),
                    lease.span.clone(),
                    format!("the lease ends after {}", lease.value),
                );
            }
        }
        _ if volatile_gap => {
            let span = server
                .store
                .as_ref()
                .map_or_else(|| server.name.span.clone(), |s| s.span.clone());
            return (
                rule("RC027"),
                span,
                "records live in volatile memory".to_string(),
            );
        }
        _ => {}
    }
    (
        &SIMULATED_VIOLATION,
        pair.client.name.span.clone(),
        "the simulated client".to_string(),
    )
}

/// A counterexample as a finding of the rule it proves.
fn finding(
    pair: &Pair<'_>,
    volatile_gap: bool,
    cx: &Counterexample,
    replay_path: &str,
) -> (&'static Lint, Finding) {
    let client = pair.client.name.value.as_str();
    let server = pair.server.name.value.as_str();
    let (lint, span, label) = classify(pair, volatile_gap, cx.violation.class);
    let mut f = Finding::new(
        format!(
            "simulating `{client}` -> `{server}` violates `{}`: {}",
            cx.property, cx.violation.class
        ),
        span.clone(),
        label,
    );
    if span != pair.client.name.span {
        f = f.secondary(pair.client.name.span.clone(), "the simulated client");
    }
    let mut timeline = format!(
        "counterexample (seed {}, {}):\n{}",
        cx.seed,
        cx.store,
        cx.timeline.render().trim_end()
    );
    if !cx.violation.because.is_empty() {
        timeline.push_str("\nbecause:");
        for b in &cx.violation.because {
            timeline.push_str("\n  - ");
            timeline.push_str(b);
        }
    }
    let f = f
        .note(timeline)
        .help(format!(
            "re-run it step by step: cargo retry-check replay {replay_path}"
        ))
        // The markdown report draws it, as `replay --format markdown` does.
        .diagram(cx.timeline.to_mermaid());
    let [client_item, server_item] = pair.items;
    (lint, f.item(client_item).item(server_item))
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(crate) fn summary_line(o: &Outcome) -> String {
    let mut line = format!(
        "simulated {}, {}: {}",
        plural(o.pairs as u64, "pair"),
        plural(o.cases, "case"),
        plural(o.diagnostics.len() as u64, "violation"),
    );
    if let Some(p) = o.partition {
        line.push_str(&format!(" (partition {p})"));
    }
    if o.skipped.len() > 3 {
        // A long list drowns the line: count by reason; JSON lists them all.
        let mut reasons: std::collections::BTreeMap<&str, u64> = Default::default();
        for s in &o.skipped {
            let reason = s
                .rsplit_once(" (")
                .map_or("other", |(_, r)| r.trim_end_matches(')'));
            *reasons.entry(reason).or_default() += 1;
        }
        let counts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        line.push_str(&format!(
            "; skipped {} ({}; `--format json` lists them)",
            plural(o.skipped.len() as u64, "pair"),
            counts.join(", ")
        ));
    } else if !o.skipped.is_empty() {
        line.push_str(&format!(
            "; skipped {}: {}",
            plural(o.skipped.len() as u64, "pair"),
            o.skipped.join(", ")
        ));
    }
    line
}

fn report(o: &Outcome, sources: &SourceMap, args: &SimulateArgs, root: &Path) -> String {
    let mut out = String::new();
    match args.format {
        Format::Human => {
            let color = lint::use_color(args.color);
            for d in &o.diagnostics {
                out.push_str(&render::human(d, sources, color));
                out.push_str("\n\n");
            }
            out.push_str(&summary_line(o));
            out.push('\n');
        }
        Format::Short => {
            for d in &o.diagnostics {
                out.push_str(&render::short(d, sources));
                out.push('\n');
            }
            out.push_str(&summary_line(o));
            out.push('\n');
        }
        Format::Json => {
            for d in &o.diagnostics {
                out.push_str(&render::json_value(d, sources).to_string());
                out.push('\n');
            }
            let mut summary = json!({
                "reason": "summary",
                "pairs": o.pairs,
                "cases": o.cases,
                "violations": o.diagnostics.len(),
                "skipped": o.skipped,
                "seed": args.seed,
                "success": o.diagnostics.is_empty(),
            });
            if let Some(p) = o.partition {
                summary["partition"] = json!(p.to_string());
            }
            out.push_str(&summary.to_string());
            out.push('\n');
        }
        Format::Sarif => {
            out = crate::output::sarif(&o.diagnostics, sources, root);
        }
        Format::Junit => {
            out = crate::output::junit(&o.diagnostics, sources, root);
        }
        Format::Markdown => {
            out = retry_check_diagnostics::github::markdown_report(
                "retry-check simulate",
                &o.diagnostics,
                sources,
                sources.files().count(),
            );
            out.push_str(&format!("\n{}\n", summary_line(o)));
        }
        Format::Github => {
            out = crate::output::github_annotations(&o.diagnostics, sources, root);
            let human = SimulateArgs {
                format: Format::Human,
                ..args.clone()
            };
            out.push_str(&report(o, sources, &human, root));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_only_for_a_person_at_a_terminal() {
        assert!(wants_progress(Format::Human, false, true));
        assert!(!wants_progress(Format::Human, true, true), "not under CI");
        assert!(
            !wants_progress(Format::Human, false, false),
            "not when piped"
        );
        assert!(
            !wants_progress(Format::Json, false, true),
            "not for machines"
        );
        assert!(!wants_progress(Format::Short, false, true));
    }
}
