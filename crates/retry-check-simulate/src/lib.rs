//! `simulate`: run the sim-mode harness on every client -> server pair of
//! the contract set, against an in-process reference store that behaves
//! as the server's contract declares, and turn each counterexample into
//! the proof of the lint finding it shows (or, when no rule stands for it,
//! an `RC900` finding of its own).
//!
//! - Pairs ([`pairs`]): every client's `calls` targets, in file order, one
//!   pair per (client, server). A pair whose server is unknown (RC031
//!   reports it) or declares no key contract (`key_source` / `key_ttl`) is
//!   skipped and counted in the summary. A pair is simulated with its own
//!   client's schedule and window only: the finding names the client whose
//!   retries break the promise.
//! - Budget ([`run`]): pairs with the same configuration (not the same
//!   names) are simulated once; a pair a lint finding says is broken in a
//!   way the simulation can prove gets [`Settings::cases`] to find its
//!   trace, any other [`Settings::clean_cases`].
//! - Store ([`store`]): a `store.durability = "volatile"` or `kind =
//!   "memory"` server runs on [`MemoryStore`] with crashes on (the gap RC027
//!   flags); any other on [`store::DurableModel`], the same decisions kept
//!   across a restart. Both use the server's `key_ttl` (24h when absent).
//!   On the volatile store payload changes are off, so the counterexample
//!   is the duplicate side effect of a restart that lost the record
//!   (`at_most_once`), not the changed payload it also lets in.
//! - Proofs ([`proof`], [`attach`]): a record expired inside the retry
//!   window proves RC001, a lease expired in flight RC022, a record lost on
//!   a crash of a volatile store RC027. [`Outcome::attach`] adds the trace
//!   to the lint finding it proves (one finding per gap); a counterexample
//!   no finding stands for is `RC900 simulated_violation`, once per root
//!   cause (server, property, class).
//! - [`progress`]: progress lines for a log while a long run goes on.
//! - [`replay`]: a replay file re-run against the reference store it names.
//!
//! [`MemoryStore`]: retry_check_harness::stores::MemoryStore

mod attach;
mod pairs;
pub mod progress;
mod proof;
mod rc900_simulated_violation;
pub mod replay;
mod run;
pub mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use retry_check_contract::ContractSet;
use retry_check_diagnostics::render::plural;
use retry_check_diagnostics::Lint;
use retry_check_harness::{Partition, ReferenceStoreKind, SimError};
use retry_check_rules::Finding;
use serde_json::{json, Value};

pub use attach::Attached;
pub use proof::{provable, Evidence, Proof};
pub use rc900_simulated_violation::SIMULATED_VIOLATION;
pub use store::{reference_kind, run_sim};

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
    /// Cases for a pair that a lint finding says is broken in a way the
    /// simulation can prove (the search for its trace).
    pub cases: u32,
    /// Cases for any other pair (`check` spends little on pairs lint finds
    /// clean; `simulate` gives every pair `cases`).
    pub clean_cases: u32,
    pub partition: Option<Partition>,
    /// Where replay files of counterexamples go.
    pub replay_dir: PathBuf,
    /// Paths in the findings are shown relative to it.
    pub cwd: PathBuf,
}

/// Told how many pairs and simulations there are, then about each
/// simulation as it starts and ends (a progress bar, a CI log line).
pub trait Progress: Sync {
    fn planned(&self, pairs: usize, simulations: usize);
    fn started(&self, pair: &str);
    /// A simulation standing for `pairs` pairs ran `cases` cases.
    fn finished(&self, pair: &str, pairs: usize, cases: u64);
}

/// What one run found, ready to attach to the lint findings.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// One per pair whose simulation found a counterexample, in pair order.
    pub proofs: Vec<Proof>,
    pub pairs: usize,
    /// Distinct configurations simulated (pairs sharing one run once).
    pub simulations: usize,
    pub cases: u64,
    pub skipped: Vec<String>,
    /// The partition simulated, when partitioned.
    pub partition: Option<Partition>,
    /// The budgets: (cases, pairs given it) for the search and for clean pairs.
    pub searched: (u32, usize),
    pub clean: (u32, usize),
    /// Once attached: findings proved, and counterexamples reported alone.
    pub proved: usize,
    pub standalone: usize,
}

/// Simulate every pair of `set` (in parallel; reported in pair order),
/// each distinct configuration once. `findings` are the lint findings of
/// the set: a pair one of them says is broken in a way the simulation can
/// prove gets `settings.cases`, the others `settings.clean_cases`.
/// Replay files of counterexamples go into `settings.replay_dir`.
pub fn simulate_set(
    set: &ContractSet,
    settings: &Settings,
    findings: &[(&'static Lint, Finding)],
    progress: Option<&dyn Progress>,
) -> Result<Outcome, String> {
    let (pairs, skipped) = pairs::pairs(set);
    let suspect = |pair: &pairs::Pair<'_>| {
        findings.iter().any(|(lint, f)| {
            provable().iter().any(|p| p.code == lint.code)
                && proof::concerns(pair.client_index, pair.server_index, f)
        })
    };
    let plan = run::plan(&pairs, settings, &suspect)?;
    if let Some(p) = progress {
        p.planned(pairs.len(), plan.len());
    }
    let clean = settings.clean_cases.min(settings.cases);
    let searched = pairs.iter().filter(|p| suspect(p)).count();
    let mut outcome = Outcome {
        pairs: pairs.len(),
        simulations: plan.len(),
        skipped,
        partition: settings.partition.filter(|p| p.count > 1),
        searched: (settings.cases, searched),
        clean: (clean, pairs.len() - searched),
        ..Outcome::default()
    };
    let verdicts = run::run_all(&plan, &pairs, settings.partition, progress);
    for (sim, verdict) in plan.iter().zip(verdicts) {
        let first = &pairs[sim.pairs[0]];
        let cx = match verdict? {
            Ok(report) => {
                outcome.cases += u64::from(report.cases_run);
                continue;
            }
            Err(SimError::Violation(cx)) => cx,
            // Not a counterexample: the harness itself failed.
            Err(SimError::Harness(e)) => {
                return Err(format!(
                    "simulating `{}` failed: {}",
                    first.label(),
                    e.message
                ));
            }
        };
        outcome.cases += u64::from(cx.cases_explored);
        let mut replay = cx.replay.clone();
        replay.reference_store = Some(sim.store);
        replay.contract = Some(first.label());
        let path = settings.replay_dir.join(format!(
            "{}--{}-{}-seed{}.json",
            file_part(first.client_name()),
            file_part(first.server_name()),
            cx.property,
            cx.seed
        ));
        std::fs::create_dir_all(&settings.replay_dir)
            .and_then(|()| std::fs::write(&path, replay.to_json()))
            .map_err(|e| format!("cannot write the replay file `{}`: {e}", path.display()))?;
        let volatile_gap = sim.store.kind == ReferenceStoreKind::Memory
            && proof::volatile_gap(&cx, &replay, sim.store)?;
        let shown = shown_path(&path, &settings.cwd);
        for &i in &sim.pairs {
            outcome
                .proofs
                .push(proof::proof(&pairs[i], volatile_gap, &cx, &shown));
        }
    }
    // Pair order, whatever order the configurations were first met in.
    outcome.proofs.sort_by_key(|p| (p.client, p.server));
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
    /// Attach every proof to the lint finding it proves (see
    /// [`Attached`]); remembers the counts for the summary.
    pub fn attach(&mut self, findings: &mut [(&'static Lint, Finding)]) -> Attached {
        let attached = attach::attach(&self.proofs, findings);
        self.proved = attached.proven.len();
        self.standalone = attached.standalone.len();
        attached
    }

    /// Distinct gaps the simulation showed: findings proved and
    /// counterexamples reported alone.
    pub fn violations(&self) -> usize {
        self.proved + self.standalone
    }

    /// `simulated 2 pairs, 512 cases: 1 counterexample ...; skipped ...`.
    pub fn summary_line(&self) -> String {
        let mut line = format!("simulated {}", plural(self.pairs as u64, "pair"),);
        if self.simulations < self.pairs {
            line.push_str(&format!(
                " ({})",
                plural(self.simulations as u64, "distinct configuration")
            ));
        }
        line.push_str(&format!(
            ", {}: {}",
            plural(self.cases, "case"),
            plural(self.violations() as u64, "violation"),
        ));
        if self.proved > 0 {
            line.push_str(&format!(
                " ({} with a trace)",
                plural(self.proved as u64, "lint finding")
            ));
        }
        if let Some(p) = self.partition {
            line.push_str(&format!(" (partition {p})"));
        }
        if self.clean.1 > 0 && self.clean.0 < self.searched.0 {
            line.push_str(&format!(
                "; {} cases per pair with a provable finding, {} per lint-clean pair",
                self.searched.0, self.clean.0
            ));
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
            "configurations": self.simulations,
            "cases": self.cases,
            "violations": self.violations(),
            "proved": self.proved,
            "budget": {
                "cases": self.searched.0,
                "pairs": self.searched.1,
                "clean_cases": self.clean.0,
                "clean_pairs": self.clean.1,
            },
            "skipped": self.skipped,
            "seed": seed,
        })
    }

    /// The JSON summary object of `simulate`.
    pub fn summary_json(&self, seed: u64) -> Value {
        let mut summary = json!({
            "reason": "summary",
            "pairs": self.pairs,
            "configurations": self.simulations,
            "cases": self.cases,
            "violations": self.violations(),
            "proved": self.proved,
            "skipped": self.skipped,
            "seed": seed,
            "success": self.violations() == 0,
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
            simulations: 2,
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
    fn summary_line_states_shared_configurations_proofs_and_budgets() {
        let o = Outcome {
            pairs: 3,
            simulations: 2,
            cases: 40,
            searched: (256, 1),
            clean: (32, 2),
            proved: 1,
            standalone: 1,
            ..Outcome::default()
        };
        assert_eq!(
            o.summary_line(),
            "simulated 3 pairs (2 distinct configurations), 40 cases: 2 violations \
             (1 lint finding with a trace); 256 cases per pair with a provable finding, \
             32 per lint-clean pair"
        );
    }

    #[test]
    fn replay_file_names_are_portable() {
        assert_eq!(file_part("Checkout Web/EU"), "checkout_web_eu");
    }
}
