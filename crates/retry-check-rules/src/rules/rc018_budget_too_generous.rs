//! RC018 `budget_too_generous`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC018",
    name: "budget_too_generous",
    group: Group::Suspicious,
    default_level: Level::Warn,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
