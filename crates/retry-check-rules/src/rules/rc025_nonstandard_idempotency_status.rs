//! RC025 `nonstandard_idempotency_status`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC025",
    name: "nonstandard_idempotency_status",
    group: Group::Pedantic,
    default_level: Level::Allow,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
