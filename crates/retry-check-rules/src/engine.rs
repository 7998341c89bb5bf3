//! The one path from a finding to a diagnostic, for every job (lint, scan,
//! storm, simulate, model): suppressions, the configured level, escalation,
//! `warnings`, the level note and the pointer to `explain`; then the
//! contract's unknown and unused `allow` entries of the jobs that ran.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use retry_check_contract::{ContractSet, ItemId, INVALID_CONTRACT};
use retry_check_diagnostics::{find_lint, Diagnostic, Job, Lint, Severity};

use crate::level::{LevelSource, LintLevels};
use crate::Level;
use crate::{all_rules, Context, Escalation, Finding, Rule};

/// Suppressions other than a contract's `allow` entries (the scanner's
/// `// retry-check: allow(..)` comments), asked before a finding is
/// reported.
pub trait Suppressions {
    /// Does a suppression cover this finding of `lint`? Marks it used.
    fn suppresses(&mut self, lint: &Lint, finding: &Finding) -> bool;
}

/// The jobs whose findings a contract's `allow` entries may suppress.
const ALLOWABLE_BY_ITEM: &[Job] = &[Job::Lint, Job::Storm, Job::Simulate];

/// One run's levels and suppressions.
pub struct Engine<'a> {
    levels: &'a LintLevels,
    /// Every lint an `allow` entry may name; others are `unknown_rule`.
    known: &'a [&'static Lint],
    /// The contracts whose `allow` entries apply, when the run has them.
    set: Option<&'a ContractSet>,
    /// `allow` entries that suppressed something: (item, index).
    used: HashSet<(ItemId, usize)>,
    /// The jobs that ran: only their lints' `allow` entries are judged.
    ran: Vec<Job>,
    /// What [`Engine::effective`] and [`finish`] said for a lint (by the
    /// address of its declaration) and an escalation: the same for every
    /// finding of a run. A few dozen entries at most, searched in order
    /// (hashing the key for every finding cost more than the search).
    said: Vec<((usize, u8), Option<Said>)>,
}

/// A finding's severity, level note and `explain` pointer.
type Said = (Severity, String, String);

impl<'a> Engine<'a> {
    pub fn new(levels: &'a LintLevels, known: &'a [&'static Lint]) -> Self {
        Engine {
            levels,
            known,
            set: None,
            used: HashSet::new(),
            ran: Vec::new(),
            said: Vec::new(),
        }
    }

    /// Honour the `allow` entries of `set`'s servers, operations and clients.
    pub fn with_contracts(mut self, set: &'a ContractSet) -> Self {
        self.set = Some(set);
        self
    }

    pub fn levels(&self) -> &LintLevels {
        self.levels
    }

    /// Record that `job` ran, so that the `allow` entries naming its lints
    /// are judged by [`Engine::allow_diagnostics`].
    pub fn ran(&mut self, job: Job) {
        if !self.ran.contains(&job) {
            self.ran.push(job);
        }
    }

    /// Whether `lint` is reported at all (its level is not `allow`): a job
    /// may skip a check that would only produce allowed findings.
    pub fn is_enabled(&self, lint: &Lint) -> bool {
        self.levels.level_of(lint).0 != Level::Allow
    }

    /// The diagnostic for `finding` of `lint`, or `None` when an `allow`
    /// entry of one of its items suppresses it or its level is `allow`.
    pub fn report(&mut self, lint: &'static Lint, finding: Finding) -> Option<Diagnostic> {
        if let Some(hit) = self.allowed_by_item(lint, &finding) {
            self.used.insert(hit);
            return None;
        }
        let key = (std::ptr::from_ref(lint) as usize, finding.escalation as u8);
        let said = match self.said.iter().find(|(k, _)| *k == key) {
            Some((_, said)) => said.clone(),
            None => {
                let said = self
                    .effective(lint, finding.escalation)
                    .map(|(severity, note)| (severity, note, explain_help(lint)));
                self.said.push((key, said.clone()));
                said
            }
        };
        let (severity, level_note, help) = said?;
        let mut d = diagnostic(lint, severity, finding);
        d.notes.push(level_note);
        d.help.push(help);
        Some(d)
    }

    /// [`Engine::report`], after asking `other` suppressions first.
    pub fn report_unless(
        &mut self,
        lint: &'static Lint,
        finding: Finding,
        other: &mut dyn Suppressions,
    ) -> Option<Diagnostic> {
        if other.suppresses(lint, &finding) {
            return None;
        }
        self.report(lint, finding)
    }

    /// Does `allow = [...]` on one of the finding's items name this lint?
    fn allowed_by_item(&self, lint: &Lint, f: &Finding) -> Option<(ItemId, usize)> {
        let set = self.set?;
        for item in &f.items {
            for (i, entry) in set.allows(*item).iter().enumerate() {
                if lint.is_named(&entry.rule.value) {
                    return Some((*item, i));
                }
            }
        }
        None
    }

    /// The severity a finding is reported at and the note that says why,
    /// or `None` when it is allowed.
    fn effective(&self, lint: &Lint, escalation: Escalation) -> Option<(Severity, String)> {
        let (configured, source) = self.levels.level_of(lint);
        let mut level = configured;
        match (escalation, configured) {
            (Escalation::Raise, Level::Warn) => level = Level::Deny,
            (Escalation::Lower, Level::Deny) => level = Level::Warn,
            _ => {}
        }
        let mut note = match &source {
            LevelSource::Default => {
                format!("`{}` is set to `{}` by default", lint.name, configured)
            }
            LevelSource::Config => format!(
                "`{}` is set to `{}` in [workspace.metadata.retry-check.lints]",
                lint.name, configured
            ),
            LevelSource::CommandLine(flag) => {
                format!("`{}` is set to `{}` by `{flag}`", lint.name, configured)
            }
        };
        if configured == Level::Allow {
            return None;
        }
        if escalation == Escalation::Info {
            note.push_str(", and this case is `info`");
            return Some((Severity::Info, note));
        }
        if level != configured {
            note.push_str(&format!(", and this case is `{level}`"));
        }
        if level == Level::Warn {
            match self.levels.warnings() {
                Some((Level::Allow, _)) => return None,
                Some((Level::Deny, src)) => {
                    level = Level::Deny;
                    if let LevelSource::CommandLine(flag) = src {
                        note.push_str(&format!("; `{flag}` turns warnings into errors"));
                    } else {
                        note.push_str("; `warnings` is set to `deny`");
                    }
                }
                _ => {}
            }
        }
        Some((level.severity()?, note))
    }

    fn to_diagnostic(&self, lint: &Lint, f: Finding) -> Option<Diagnostic> {
        let (severity, level_note) = self.effective(lint, f.escalation)?;
        Some(finish(lint, diagnostic(lint, severity, f), level_note))
    }

    /// Apply `lint`'s level to a diagnostic a job built itself (the
    /// scanner's RC100, made on a worker thread); `None` when allowed.
    pub fn level_diagnostic(&self, lint: &Lint, mut d: Diagnostic) -> Option<Diagnostic> {
        let (severity, level_note) = self.effective(lint, Escalation::AsConfigured)?;
        d.severity = severity;
        Some(finish(lint, d, level_note))
    }

    /// The contract's `allow` entries that name no lint a contract can
    /// suppress (`RC000 unknown_rule`, when lint ran), and those naming a
    /// lint of a job that ran that suppressed nothing (`RC099
    /// unused_suppression`).
    pub fn allow_diagnostics(&self) -> Vec<Diagnostic> {
        let Some(set) = self.set else {
            return Vec::new();
        };
        let allowable: Vec<&'static Lint> = self
            .known
            .iter()
            .copied()
            .filter(|l| ALLOWABLE_BY_ITEM.contains(&l.job))
            .collect();
        let mut out = Vec::new();
        for item in set.items() {
            for (i, entry) in set.allows(item).iter().enumerate() {
                let written = &entry.rule.value;
                let Some(lint) = find_lint(&allowable, written) else {
                    // A contract error: the run that lints the contracts says so.
                    if self.ran.contains(&Job::Lint) {
                        out.push(unknown_rule(entry, &allowable, self.known));
                    }
                    continue;
                };
                if !self.ran.contains(&lint.job) || self.used.contains(&(item, i)) {
                    continue;
                }
                let f = Finding::new(
                    format!("unused suppression of `{written}`"),
                    entry.rule.span.clone(),
                    "nothing here triggers this rule",
                )
                .help("remove it, so that a future regression is reported");
                out.extend(self.to_diagnostic(crate::rules::UNUSED_SUPPRESSION.lint, f));
            }
        }
        out
    }
}

/// A finding as a diagnostic of `lint`, before its level note and help.
fn diagnostic(lint: &Lint, severity: Severity, f: Finding) -> Diagnostic {
    let mut d = Diagnostic::new(lint.code, lint.name, severity, f.message)
        .with_primary(f.primary.span, f.primary.message);
    d.secondary = f.secondary;
    d.notes = f.notes;
    d.help = f.help;
    d.diagram = f.diagram;
    d.flow = f.flow;
    d.fix = f.fix;
    d
}

/// Where to read more about `lint`.
fn explain_help(lint: &Lint) -> String {
    format!(
        "for more information, run `cargo retry-check explain {}`",
        lint.code
    )
}

/// The level note, and where to read more.
fn finish(lint: &Lint, mut d: Diagnostic, level_note: String) -> Diagnostic {
    d.notes.push(level_note);
    d.help.push(explain_help(lint));
    d
}

/// `allow` names a lint no contract entry can suppress.
fn unknown_rule(
    entry: &retry_check_contract::AllowEntry,
    allowable: &[&'static Lint],
    known: &[&'static Lint],
) -> Diagnostic {
    let written = &entry.rule.value;
    let (message, label) = match find_lint(known, written) {
        Some(other) => (
            format!(
                "`allow` names `{written}`, which a contract cannot suppress ({} is reported by {})",
                other.code,
                job_name(other.job)
            ),
            match other.job {
                Job::Scan => format!(
                    "suppress it in the code: `// retry-check: allow({})`",
                    other.code
                ),
                _ => "not a rule an `allow` entry applies to".to_string(),
            },
        ),
        None => {
            let names: Vec<&str> = allowable.iter().flat_map(|l| [l.code, l.name]).collect();
            (
                format!("`allow` names unknown rule `{written}`"),
                match retry_check_contract::did_you_mean(written, &names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "not a retry-check rule".to_string(),
                },
            )
        }
    };
    Diagnostic::new(INVALID_CONTRACT, "unknown_rule", Severity::Error, message)
        .with_primary(entry.rule.span.clone(), label)
        .with_help("run `cargo retry-check rules` for the list of codes and names")
}

fn job_name(job: Job) -> &'static str {
    match job {
        Job::Parse => "the contract parser",
        Job::Lint => "`lint`",
        Job::Scan => "`scan`",
        Job::Simulate => "`simulate`",
        Job::Storm => "`storm`",
        Job::Model => "`model`",
    }
}

/// Run every contract rule through `engine` (which marks [`Job::Lint`] as
/// run); diagnostics in rule order, unsorted, without the `allow` report.
pub fn lint_with(set: &ContractSet, engine: &mut Engine<'_>) -> Vec<Diagnostic> {
    report_findings(findings(set), engine)
}

/// Report `findings` (of [`findings`], perhaps with proofs attached)
/// through `engine`, which marks [`Job::Lint`] as run.
pub fn report_findings(
    findings: Vec<(&'static Lint, Finding)>,
    engine: &mut Engine<'_>,
) -> Vec<Diagnostic> {
    engine.ran(Job::Lint);
    // Sized up front: a `filter_map` collect grows by doubling, copying
    // every diagnostic (a few hundred bytes) again at each step.
    let mut out = Vec::with_capacity(findings.len());
    out.extend(
        findings
            .into_iter()
            .filter_map(|(lint, f)| engine.report(lint, f)),
    );
    out
}

/// Every contract rule's findings, before levels and suppressions, in rule
/// order. The rules run on every core (each rule is independent and reads
/// one shared [`Context`]); the order does not depend on the threads.
pub fn findings(set: &ContractSet) -> Vec<(&'static Lint, Finding)> {
    let cx = Context::new(set);
    let rules = all_rules();
    let run = |rule: &Rule| {
        let mut out = Vec::new();
        (rule.check)(&cx, &mut out);
        out
    };
    // Small sets are not worth a thread: the rules read the whole set, and
    // a thread on another core reads it cold (and on a busy machine waits
    // for that core). Measured 2026-12-02 (sources bench, 1,100 clients and
    // servers, two shared cores): the rules took 2.5-3.1 ms on the calling
    // thread against 3.8-6.6 ms on two threads.
    let threads = if set.clients.len() + set.servers.len() < 4096 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let per_rule: Vec<Vec<Finding>> = if threads <= 1 {
        rules.iter().map(|r| run(r)).collect()
    } else {
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Vec<Finding>>> = rules.iter().map(|_| Mutex::default()).collect();
        std::thread::scope(|scope| {
            for _ in 0..threads.min(rules.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(rule) = rules.get(i) else { break };
                    let found = run(rule);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = found;
                    }
                });
            }
        });
        slots
            .into_iter()
            .map(|s| s.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect()
    };
    // Sized up front, as in `report_findings`.
    let mut out = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    for (rule, found) in rules.iter().zip(per_rule) {
        out.extend(found.into_iter().map(|f| (rule.lint, f)));
    }
    out
}

/// Run all contract rules and return the diagnostics to show, sorted by
/// location, with the unknown and unused `allow` entries. `allow` entries
/// may name the contract rules only; the CLI's engine knows every lint.
pub fn lint(set: &ContractSet, levels: &LintLevels) -> Vec<Diagnostic> {
    let known = crate::lints();
    let mut engine = Engine::new(levels, &known).with_contracts(set);
    let mut out = lint_with(set, &mut engine);
    out.extend(engine.allow_diagnostics());
    sort_by_location(&mut out);
    out
}

/// `diagnostics.sort_by(Diagnostic::cmp_by_location)`, the same order,
/// sorting indices and then moving each diagnostic once: a diagnostic is
/// a few hundred bytes, and a run may have hundreds of thousands.
pub fn sort_by_location(diagnostics: &mut [Diagnostic]) {
    // The locations with the index last, sorted unstably: as fast as
    // sorting integers, and as stable as `sort_by` (the index breaks ties).
    let mut keyed: Vec<((u32, usize, usize), usize)> = diagnostics
        .iter()
        .enumerate()
        .map(|(i, d)| (d.location_key(), i))
        .collect();
    keyed.sort_unstable();
    let mut order: Vec<usize> = keyed.iter().map(|&(_, i)| i).collect();
    // Diagnostics at one location: by code and message, then index.
    let mut run = 0;
    while run < keyed.len() {
        let end = run + keyed[run..].partition_point(|(k, _)| *k == keyed[run].0);
        if end - run > 1 {
            order[run..end].sort_by(|&a, &b| {
                let (x, y) = (&diagnostics[a], &diagnostics[b]);
                x.code
                    .cmp(&y.code)
                    .then_with(|| x.message.cmp(&y.message))
                    .then(a.cmp(&b))
            });
        }
        run = end;
    }
    // Position `i` takes the diagnostic first at `order[i]`; one moved
    // away by an earlier swap is found by following `order` from there.
    for i in 0..order.len() {
        let mut from = order[i];
        while from < i {
            from = order[from];
        }
        diagnostics.swap(i, from);
    }
}

#[cfg(test)]
mod sort_tests {
    use super::*;
    use retry_check_diagnostics::{SourceId, Span};

    #[test]
    fn sorting_by_index_gives_the_stable_sort_order() {
        let mut diagnostics: Vec<Diagnostic> = (0..500u32)
            .map(|i| {
                let at = ((i * 7919) % 97) as usize;
                Diagnostic::new("RC001", "x", Severity::Warning, format!("m{}", i % 3))
                    .with_primary(Span::new(SourceId(i % 4), at..at + 1), "here")
            })
            .collect();
        // Equal keys in several places: stability is observable.
        let copies: Vec<Diagnostic> = diagnostics[..50]
            .iter()
            .map(|d| d.clone().with_note("a copy"))
            .collect();
        diagnostics.extend(copies);
        let mut expected = diagnostics.clone();
        expected.sort_by(Diagnostic::cmp_by_location);
        sort_by_location(&mut diagnostics);
        assert_eq!(diagnostics, expected);
    }
}
