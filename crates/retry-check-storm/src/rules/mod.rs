//! The storm rules, one file per rule (`rcNNN_<name>.rs`, each a
//! `pub static RULE: StormRule`): their declaration and their check over
//! the simulated report. The registry below is generated from the files of
//! this directory: `cargo test` rewrites it when a file is added or removed
//! (`registry_lists_every_rule_file`).

use retry_check_contract::ContractSet;
use retry_check_diagnostics::Diagnostic;
use retry_check_rules::{Engine, Finding, Job, Lint};

use crate::{Figures, Incident, Scenario, StormReport, Topology};

// @generated registry: begin
pub mod rc034_storm_overload;
pub mod rc035_retry_herd;
pub mod rc036_unbounded_storm_amplification;

/// Every rule, in code order.
pub static ALL: &[&StormRule] = &[
    &rc034_storm_overload::RULE,
    &rc035_retry_herd::RULE,
    &rc036_unbounded_storm_amplification::RULE,
];
// @generated registry: end

/// What a storm rule looks at: the contracts, the simulated topology and
/// the report of both runs (as written, with the fix).
pub struct StormContext<'a> {
    pub set: &'a ContractSet,
    pub topo: &'a Topology,
    pub report: &'a StormReport,
}

/// A storm rule: its declaration and its check.
#[derive(Debug)]
pub struct StormRule {
    pub lint: &'static Lint,
    pub check: fn(&StormContext<'_>, &mut Vec<Finding>),
}

/// The declarations of the storm rules, in code order.
pub fn lints() -> Vec<&'static Lint> {
    ALL.iter().map(|r| r.lint).collect()
}

/// Run every storm rule through `engine` (levels, `allow` entries);
/// sorted by location.
pub fn findings(cx: &StormContext<'_>, engine: &mut Engine<'_>) -> Vec<Diagnostic> {
    engine.ran(Job::Storm);
    let mut out = Vec::new();
    for rule in ALL {
        let mut found = Vec::new();
        (rule.check)(cx, &mut found);
        for f in found {
            out.extend(engine.report(rule.lint, f));
        }
    }
    out.sort_by_key(|d| d.sort_key());
    out
}

pub(crate) fn incident_word(sc: &Scenario) -> &'static str {
    match sc.incident {
        Incident::Outage => "outage",
        Incident::Brownout(_) => "brownout",
        Incident::Slowdown(_) => "slowdown",
    }
}

pub(crate) fn recovery_text(r: Option<usize>) -> String {
    match r {
        Some(s) => format!("recovered {s}s after the incident"),
        None => "did not recover within the scenario".to_string(),
    }
}

/// The recommended fix of the clients reaching `server`, and the figure it
/// gives there.
pub(crate) fn fix_help(
    cx: &StormContext<'_>,
    server: usize,
    figure: impl Fn(&Figures) -> String,
) -> String {
    let report = cx.report;
    let fixes: Vec<String> = report
        .fixes
        .iter()
        .enumerate()
        .filter(|(ci, (_, f))| !f.is_empty() && cx.topo.reaches[*ci].contains(&(server as u32)))
        .map(|(_, (name, f))| format!("`{name}`: {}", f.describe()))
        .collect();
    let with = report
        .servers
        .iter()
        .find(|s| s.index == server)
        .map(|s| figure(&s.with_fix))
        .unwrap_or_default();
    if fixes.is_empty() {
        "lower the attempts, add a retry budget or a breaker, or raise `capacity_per_sec`".into()
    } else {
        format!(
            "with the recommended fix ({}), the peak is {with}",
            fixes.join("; ")
        )
    }
}
