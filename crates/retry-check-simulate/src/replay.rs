//! `replay FILE`: re-run a replay file step by step against the reference
//! store it records (or, for files without one, the one its configuration
//! implies), and render the timeline and the verdict.

use std::fmt::Write as _;
use std::path::Path;

use retry_check_harness::{ReferenceStore, ReferenceStoreKind, ReplayFile, Trace};

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

/// A replay's report, and whether the violation reproduced.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub report: String,
    pub reproduced: bool,
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
    let (store, recorded) = store_of(&file);
    let trace = replay_on(store, DurableReplay::Sqlite, &file)
        .map_err(|e| format!("replaying `{shown}` failed: store error: {e}"))?;
    let path = Path::new(shown);
    let report = match format {
        Format::Human => human(&file, &store, recorded, &trace, path),
        Format::Markdown => markdown(&file, &store, recorded, &trace, path),
    };
    Ok(Replayed {
        report,
        reproduced: trace.violation.is_some(),
    })
}

fn header(
    file: &ReplayFile,
    store: &ReferenceStore,
    recorded: bool,
    path: &Path,
    out: &mut String,
) {
    let _ = writeln!(out, "replay:    {}", path.display());
    if let Some(c) = &file.contract {
        let _ = writeln!(out, "contract:  {c}");
    }
    let implied = if recorded {
        ""
    } else {
        " (not recorded in the file; implied by its configuration)"
    };
    let _ = writeln!(
        out,
        "store:     {}, key TTL {}{implied}",
        store_name(store),
        format_ttl(store.key_ttl)
    );
    let _ = writeln!(out, "seed:      {}", file.seed);
    let _ = writeln!(
        out,
        "scenario:  {} event(s), {} operation(s)",
        file.scenario.events.len(),
        file.scenario.operations.len()
    );
}

fn verdict(trace: &Trace, out: &mut String) {
    match &trace.violation {
        Some(v) => {
            let _ = writeln!(
                out,
                "verdict:   reproduced: property `{}` violated ({}) at line {}",
                v.property, v.class, v.line
            );
            if !v.because.is_empty() {
                out.push_str("because:\n");
                for b in &v.because {
                    let _ = writeln!(out, "  - {b}");
                }
            }
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
    header(file, store, recorded, path, &mut out);
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
    header(file, store, recorded, path, &mut out);
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
