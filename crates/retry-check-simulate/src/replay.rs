//! `replay FILE`: re-run a replay file step by step against the reference
//! store it records (or, for files without one, the one its configuration
//! implies), and render the timeline and the verdict. A file written by a
//! harness test of the user's own store (it has a recorded verdict and no
//! reference store) cannot be re-run here, where that store does not
//! exist: its report shows what the test recorded, says that it was not
//! re-run, and prints the command that re-runs the test.

use std::fmt::Write as _;
use std::path::Path;

use retry_check_harness::{Mode, ReferenceStore, ReferenceStoreKind, ReplayFile, Trace, Verdict};

use crate::store::{replay_on, DurableReplay};
use crate::DEFAULT_KEY_TTL;

/// How a replay is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The numbered timeline and the verdict.
    Human,
    /// Markdown with the timeline as a Mermaid sequence diagram.
    Markdown,
}

/// What a replay found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Re-run: the violation reproduced.
    Reproduced,
    /// Re-run: no property violated.
    Passed,
    /// A user's store: not re-run here; the report says how to.
    NotRerun,
}

/// A replay's report and outcome.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub report: String,
    pub outcome: Outcome,
}

/// The store to replay against, and whether the file named it.
fn store_of(file: &ReplayFile) -> (ReferenceStore, bool) {
    match file.reference_store {
        Some(s) => (s, true),
        // A file written for a durable store keeps store restarts on; a
        // volatile store's run turns them off.
        None => (
            ReferenceStore {
                kind: if file.config.faults.store_restarts {
                    ReferenceStoreKind::Sqlite
                } else {
                    ReferenceStoreKind::Memory
                },
                key_ttl: file.config.key_ttl.unwrap_or(DEFAULT_KEY_TTL),
            },
            false,
        ),
    }
}

fn store_name(store: &ReferenceStore) -> &'static str {
    match store.kind {
        ReferenceStoreKind::Memory => "in-memory reference store (volatile across restarts)",
        ReferenceStoreKind::Sqlite => "sqlite reference store (durable, WAL, synchronous=OFF)",
    }
}

fn format_ttl(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// Re-run the replay file at `path` (shown as `shown`, its JSON `text`)
/// against its reference store.
pub fn replay_file(shown: &str, text: &str, format: Format) -> Result<Replayed, String> {
    let file = ReplayFile::from_json(text).map_err(|e| format!("`{shown}`: {e}"))?;
    let path = Path::new(shown);
    if let (None, Some(verdict)) = (&file.reference_store, &file.verdict) {
        return Ok(Replayed {
            report: user_store_report(&file, verdict, path, format),
            outcome: Outcome::NotRerun,
        });
    }
    let (store, recorded) = store_of(&file);
    let trace = replay_on(store, DurableReplay::Sqlite, &file)
        .map_err(|e| format!("replaying `{shown}` failed: store error: {e}"))?;
    let report = match format {
        Format::Human => human(&file, &store, recorded, &trace, path),
        Format::Markdown => markdown(&file, &store, recorded, &trace, path),
    };
    Ok(Replayed {
        report,
        outcome: if trace.violation.is_some() {
            Outcome::Reproduced
        } else {
            Outcome::Passed
        },
    })
}

/// The store line of a reference store replay.
fn reference_store_line(store: &ReferenceStore, recorded: bool) -> String {
    let implied = if recorded {
        ""
    } else {
        " (not recorded in the file; implied by its configuration)"
    };
    format!(
        "{}, key TTL {}{implied}",
        store_name(store),
        format_ttl(store.key_ttl)
    )
}

/// The lines above the timeline: file, contract, store, seed, scenario.
fn header(file: &ReplayFile, store_line: &str, path: &Path, out: &mut String) {
    let _ = writeln!(out, "replay:    {}", path.display());
    if let Some(c) = &file.contract {
        let _ = writeln!(out, "contract:  {c}");
    }
    let _ = writeln!(out, "store:     {store_line}");
    let _ = writeln!(out, "seed:      {}", file.seed);
    let _ = writeln!(
        out,
        "scenario:  {} event(s), {} operation(s)",
        file.scenario.events.len(),
        file.scenario.operations.len()
    );
}

/// The "because" chain under a verdict, when there is one.
fn because(chain: &[String], out: &mut String) {
    if !chain.is_empty() {
        out.push_str("because:\n");
        for b in chain {
            let _ = writeln!(out, "  - {b}");
        }
    }
}

fn verdict(trace: &Trace, out: &mut String) {
    match &trace.violation {
        Some(v) => {
            let _ = writeln!(
                out,
                "verdict:   reproduced: property `{}` violated ({}) at line {}",
                v.property, v.class, v.line
            );
            because(&v.because, out);
        }
        None => out.push_str("verdict:   passed: no property violated\n"),
    }
}

fn human(
    file: &ReplayFile,
    store: &ReferenceStore,
    recorded: bool,
    trace: &Trace,
    path: &Path,
) -> String {
    let mut out = String::new();
    header(file, &reference_store_line(store, recorded), path, &mut out);
    out.push('\n');
    out.push_str(&trace.timeline.render());
    out.push('\n');
    verdict(trace, &mut out);
    out
}

fn markdown(
    file: &ReplayFile,
    store: &ReferenceStore,
    recorded: bool,
    trace: &Trace,
    path: &Path,
) -> String {
    let mut out = String::from("# retry-check replay\n\n```text\n");
    header(file, &reference_store_line(store, recorded), path, &mut out);
    out.push_str("```\n\n");
    out.push_str(&retry_check_diagnostics::github::mermaid_block(
        &trace.timeline.to_mermaid(),
    ));
    out.push_str("\n```text\n");
    out.push_str(&trace.timeline.render());
    out.push_str("```\n\n```text\n");
    verdict(trace, &mut out);
    out.push_str("```\n");
    out
}

/// The report of a file written by a harness test of the user's own store:
/// what it recorded, plainly not re-run, and the command that re-runs it.
fn user_store_report(file: &ReplayFile, verdict: &Verdict, path: &Path, format: Format) -> String {
    let mut found_by = Vec::new();
    if let Some(t) = &verdict.test {
        found_by.push(format!("test `{t}`"));
    }
    if let Some(r) = &file.rerun {
        found_by.push(format!("package `{}`", r.package));
        if let Some(t) = &r.target {
            found_by.push(format!("test target `{t}`"));
        }
    }
    let store_line = format!(
        "`{}`, your own store{}",
        verdict.store,
        if found_by.is_empty() {
            String::new()
        } else {
            format!(" (found by {})", found_by.join(", "))
        }
    );
    let mut head = String::new();
    header(file, &store_line, path, &mut head);
    let mut how = String::new();
    let _ = writeln!(
        how,
        "not re-run: a harness test found this counterexample against `{}`, which `replay` \
         cannot run (it runs only the built-in reference stores). Re-run the test that found it:",
        verdict.store
    );
    let manifest = file
        .rerun
        .as_ref()
        .and_then(|r| r.manifest.as_deref())
        .map(shown_manifest);
    let command = file.rerun_command(manifest.as_deref()).unwrap_or_default();
    let _ = writeln!(how, "\n    {command}\n");
    if file.rerun.is_none() {
        let _ = writeln!(
            how,
            "(the file does not name the test's package: it was written by an older harness; \
             `--workspace` runs the test wherever it is)"
        );
    }
    if file.mode == Mode::Threads || verdict.mode == Mode::Threads {
        let _ = writeln!(
            how,
            "(real threads found it: a re-run with the same seed tries the same rounds, but the \
             threads may interleave differently)"
        );
    }
    let _ = writeln!(
        how,
        "The same seed gives the same cases with the harness that wrote the file \
         (retry-check-harness {}); to re-run the recorded case itself step by step, call \
         `retry_check_harness::replay(factory, &file)` on it from a test.",
        file.tool_version
    );
    let mut verdict_text = String::new();
    let _ = writeln!(
        verdict_text,
        "verdict:   not re-run: the test recorded property `{}` violated ({}) after {} case(s)",
        verdict.property, verdict.class, verdict.cases_explored
    );
    because(&verdict.because, &mut verdict_text);
    let timeline = verdict.timeline.trim_end();
    match format {
        Format::Human => {
            format!("{head}\n{how}\nrecorded timeline (not re-run):\n{timeline}\n\n{verdict_text}")
        }
        Format::Markdown => format!(
            "# retry-check replay\n\n```text\n{head}```\n\n{how}\nRecorded timeline (not \
             re-run):\n\n```text\n{timeline}\n```\n\n```text\n{verdict_text}```\n"
        ),
    }
}

/// A manifest path as the command shows it: relative to the current
/// directory when it lies under it.
fn shown_manifest(manifest: &str) -> String {
    let path = Path::new(manifest);
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(|p| p.display().to_string()))
        .unwrap_or_else(|| manifest.to_string())
}
