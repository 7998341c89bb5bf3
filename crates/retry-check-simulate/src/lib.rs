//! `simulate`: run the sim-mode harness on every client -> server pair of
//! the contract set, against the built-in reference store the server's
//! contract describes, and report each counterexample as a diagnostic with
//! its timeline (through the run's lint engine, so levels and `allow`
//! entries apply as they do to lint findings).
//!
//! - Pairs ([`pairs`]): every client's `calls` targets, in file order, one
//!   pair per (client, server). A pair whose server is unknown (RC031
//!   reports it) or declares no key contract (`key_source` / `key_ttl`) is
//!   skipped and counted in the summary.
//! - Store: a `store.durability = "volatile"` or `kind = "memory"` server
//!   runs on [`MemoryStore`] with crashes on (the gap RC027 flags); any
//!   other on the durable [`SqliteStore`]. Both use the server's `key_ttl`
//!   (24h when absent). On the volatile store payload changes are off, so
//!   the counterexample is the duplicate side effect of a restart that lost
//!   the record (`at_most_once`), not the changed payload it also lets in.
//! - Codes ([`proof`]): a record expired inside the retry window proves
//!   RC001, a lease expired in flight RC022, a record lost on a crash of a
//!   volatile store RC027; anything else is `RC900 simulated_violation`.
//! - [`replay`]: a replay file re-run against the reference store it names.
//!
//! [`MemoryStore`]: retry_check_harness::stores::MemoryStore
//! [`SqliteStore`]: retry_check_harness::stores::SqliteStore

mod pairs;
mod proof;
mod rc900_simulated_violation;
pub mod replay;

use std::path::{Path, PathBuf};
use std::time::Duration;

use retry_check_contract::ContractSet;
use retry_check_diagnostics::render::plural;
use retry_check_diagnostics::{Diagnostic, Job, Lint};
use retry_check_harness::{Partition, ReferenceStoreKind};
use retry_check_rules::Engine;
use serde_json::{json, Value};

pub use pairs::{reference_kind, run_sim};
pub use rc900_simulated_violation::SIMULATED_VIOLATION;

/// The key TTL of the reference store when the contract declares none.
pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(24 * 3600);

/// The codes this crate declares.
pub fn lints() -> Vec<&'static Lint> {
    vec![&SIMULATED_VIOLATION]
}

/// How to simulate.
#[derive(Debug, Clone)]
pub struct Settings {
    pub seed: u64,
    /// Cases per pair.
    pub cases: u32,
    pub partition: Option<Partition>,
    /// Where replay files of counterexamples go.
    pub replay_dir: PathBuf,
    /// Paths in the findings are shown relative to it.
    pub cwd: PathBuf,
}

/// Told how many pairs there are, then about each pair as it starts and
/// ends (a progress bar).
pub trait Progress: Sync {
    fn planned(&self, pairs: usize);
    fn started(&self, pair: &str);
    fn finished(&self, pair: &str);
}

/// What one run found, ready to report.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub diagnostics: Vec<Diagnostic>,
    pub pairs: usize,
    pub cases: u64,
    pub skipped: Vec<String>,
    /// The partition simulated, when partitioned.
    pub partition: Option<Partition>,
}

/// Simulate every pair of `set` (in parallel; reported in pair order);
/// counterexamples go through `engine`, their replay files into
/// `settings.replay_dir`.
pub fn simulate_set(
    set: &ContractSet,
    settings: &Settings,
    engine: &mut Engine<'_>,
    progress: Option<&dyn Progress>,
) -> Result<Outcome, String> {
    engine.ran(Job::Simulate);
    let (pairs, skipped) = pairs::pairs(set);
    if let Some(p) = progress {
        p.planned(pairs.len());
    }
    let mut outcome = Outcome {
        diagnostics: Vec::new(),
        pairs: pairs.len(),
        cases: 0,
        skipped,
        partition: settings.partition.filter(|p| p.count > 1),
    };
    let runs = pairs::simulate_pairs(set, &pairs, settings, progress);
    for (pair, run) in pairs.iter().zip(runs) {
        let (store, result) = run?;
        let label = pair.label();
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
                let path = settings.replay_dir.join(format!(
                    "{}--{}-{}-seed{}.json",
                    file_part(pair.client_name()),
                    file_part(pair.server_name()),
                    cx.property,
                    cx.seed
                ));
                std::fs::create_dir_all(&settings.replay_dir)
                    .and_then(|()| std::fs::write(&path, replay.to_json()))
                    .map_err(|e| {
                        format!("cannot write the replay file `{}`: {e}", path.display())
                    })?;
                let volatile_gap = store.kind == ReferenceStoreKind::Memory
                    && proof::volatile_gap(&cx, &replay, store)?;
                let shown = shown_path(&path, &settings.cwd);
                let (lint, finding) = proof::finding(pair, volatile_gap, &cx, &shown);
                outcome.diagnostics.extend(engine.report(lint, finding));
            }
        }
    }
    Ok(outcome)
}

/// `path` relative to `cwd` when under it, with `/` separators.
fn shown_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let s = shown.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
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

impl Outcome {
    /// `simulated 2 pairs, 512 cases: 1 violation; skipped ...`.
    pub fn summary_line(&self) -> String {
        let mut line = format!(
            "simulated {}, {}: {}",
            plural(self.pairs as u64, "pair"),
            plural(self.cases, "case"),
            plural(self.diagnostics.len() as u64, "violation"),
        );
        if let Some(p) = self.partition {
            line.push_str(&format!(" (partition {p})"));
        }
        if self.skipped.len() > 3 {
            // A long list drowns the line: count by reason; JSON lists them all.
            let mut reasons: std::collections::BTreeMap<&str, u64> = Default::default();
            for s in &self.skipped {
                let reason = s
                    .rsplit_once(" (")
                    .map_or("other", |(_, r)| r.trim_end_matches(')'));
                *reasons.entry(reason).or_default() += 1;
            }
            let counts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
            line.push_str(&format!(
                "; skipped {} ({}; `--format json` lists them)",
                plural(self.skipped.len() as u64, "pair"),
                counts.join(", ")
            ));
        } else if !self.skipped.is_empty() {
            line.push_str(&format!(
                "; skipped {}: {}",
                plural(self.skipped.len() as u64, "pair"),
                self.skipped.join(", ")
            ));
        }
        line
    }

    /// The `simulation` object of `check`'s JSON summary.
    pub fn json(&self, seed: u64) -> Value {
        json!({
            "pairs": self.pairs,
            "cases": self.cases,
            "violations": self.diagnostics.len(),
            "skipped": self.skipped,
            "seed": seed,
        })
    }

    /// The JSON summary object of `simulate`.
    pub fn summary_json(&self, seed: u64) -> Value {
        let mut summary = json!({
            "reason": "summary",
            "pairs": self.pairs,
            "cases": self.cases,
            "violations": self.diagnostics.len(),
            "skipped": self.skipped,
            "seed": seed,
            "success": self.diagnostics.is_empty(),
        });
        if let Some(p) = self.partition {
            summary["partition"] = json!(p.to_string());
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_lists_few_skipped_pairs_and_counts_many() {
        let mut o = Outcome {
            pairs: 2,
            cases: 512,
            skipped: vec!["a -> b (unknown server)".to_string()],
            ..Outcome::default()
        };
        assert_eq!(
            o.summary_line(),
            "simulated 2 pairs, 512 cases: 0 violations; skipped 1 pair: a -> b (unknown server)"
        );
        o.skipped = (0..4)
            .map(|i| format!("c{i} -> s (no key contract)"))
            .collect();
        assert!(o
            .summary_line()
            .ends_with("skipped 4 pairs (4 no key contract; `--format json` lists them)"));
    }

    #[test]
    fn replay_file_names_are_portable() {
        assert_eq!(file_part("Checkout Web/EU"), "checkout_web_eu");
    }
}
