//! RC030 `hedging_non_idempotent`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC030",
    name: "hedging_non_idempotent",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
