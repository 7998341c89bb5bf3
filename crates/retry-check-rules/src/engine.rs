//! Runs every rule over a contract set and turns findings into diagnostics:
//! applies levels, escalation, `warnings`, per-item `allow`, and reports
//! unknown and unused suppressions.

use std::collections::HashSet;

use retry_check_contract::{ContractSet, ItemId, INVALID_CONTRACT};
use retry_check_diagnostics::{Diagnostic, Severity};

use crate::level::{Level, LevelSource, LintLevels};
use crate::{all_rules, find_rule, Context, Escalation, Finding, Rule};

/// Run all rules and return the diagnostics to show, sorted by location.
pub fn lint(set: &ContractSet, levels: &LintLevels) -> Vec<Diagnostic> {
    let cx = Context::new(set);
    let mut used: HashSet<(ItemId, usize)> = HashSet::new();
    let mut out = Vec::new();
    for rule in all_rules() {
        let mut findings = Vec::new();
        (rule.check)(&cx, &mut findings);
        for f in findings {
            if let Some(hit) = suppressed_by(set, rule, &f) {
                used.insert(hit);
                continue;
            }
            if let Some(d) = to_diagnostic(rule, f, levels) {
                out.push(d);
            }
        }
    }
    check_suppressions(set, levels, &used, &mut out);
    out.sort_by(Diagnostic::cmp_by_location);
    out
}

/// Does `allow = [...]` on one of the finding's items name this rule?
fn suppressed_by(set: &ContractSet, rule: &Rule, f: &Finding) -> Option<(ItemId, usize)> {
    for item in &f.items {
        for (i, entry) in set.allows(*item).iter().enumerate() {
            if find_rule(&entry.rule.value).is_some_and(|r| r.code == rule.code) {
                return Some((*item, i));
            }
        }
    }
    None
}

/// The level a finding is reported at, or `None` when it is allowed.
fn effective(
    rule: &Rule,
    escalation: Escalation,
    levels: &LintLevels,
) -> Option<(Severity, String)> {
    let (configured, source) = levels.level_of(rule);
    let mut level = configured;
    match (escalation, configured) {
        (Escalation::Raise, Level::Warn) => level = Level::Deny,
        (Escalation::Lower, Level::Deny) => level = Level::Warn,
        _ => {}
    }
    let mut note = match &source {
        LevelSource::Default => format!("`{}` is set to `{}` by default", rule.name, configured),
        LevelSource::Config => format!(
            "`{}` is set to `{}` in [workspace.metadata.retry-check.lints]",
            rule.name, configured
        ),
        LevelSource::CommandLine(flag) => {
            format!("`{}` is set to `{}` by `{flag}`", rule.name, configured)
        }
    };
    if level != configured {
        note.push_str(&format!(", and this case is `{level}`"));
    }
    if level == Level::Warn {
        match levels.warnings() {
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
    let severity = match level {
        Level::Allow => return None,
        Level::Warn => Severity::Warning,
        Level::Deny => Severity::Error,
    };
    Some((severity, note))
}

fn to_diagnostic(rule: &Rule, f: Finding, levels: &LintLevels) -> Option<Diagnostic> {
    let (severity, level_note) = effective(rule, f.escalation, levels)?;
    let mut d = Diagnostic::new(rule.code, rule.name, severity, f.message)
        .with_primary(f.primary.span, f.primary.message);
    d.secondary = f.secondary;
    d.notes = f.notes;
    d.notes.push(level_note);
    d.help = f.help;
    d.help.push(format!(
        "for more information, run `cargo retry-check explain {}`",
        rule.code
    ));
    Some(d)
}

fn check_suppressions(
    set: &ContractSet,
    levels: &LintLevels,
    used: &HashSet<(ItemId, usize)>,
    out: &mut Vec<Diagnostic>,
) {
    let unused_rule = crate::rules::UNUSED_SUPPRESSION;
    for item in set.items() {
        for (i, entry) in set.allows(item).iter().enumerate() {
            if find_rule(&entry.rule.value).is_none() {
                let names: Vec<&str> = all_rules().iter().flat_map(|r| [r.code, r.name]).collect();
                let label = match retry_check_contract::did_you_mean(&entry.rule.value, &names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "not a retry-check rule".to_string(),
                };
                out.push(
                    Diagnostic::new(
                        INVALID_CONTRACT,
                        "unknown_rule",
                        Severity::Error,
                        format!("`allow` names unknown rule `{}`", entry.rule.value),
                    )
                    .with_primary(entry.rule.span.clone(), label)
                    .with_help("run `cargo retry-check rules` for the list of codes and names"),
                );
            } else if !used.contains(&(item, i)) {
                let f = Finding::new(
                    format!("unused suppression of `{}`", entry.rule.value),
                    entry.rule.span.clone(),
                    "nothing here triggers this rule",
                )
                .help("remove it, so that a future regression is reported");
                if let Some(d) = to_diagnostic(unused_rule, f, levels) {
                    out.push(d);
                }
            }
        }
    }
}
