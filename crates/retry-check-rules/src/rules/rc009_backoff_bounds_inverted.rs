//! RC009 `backoff_bounds_inverted`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC009",
    name: "backoff_bounds_inverted",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
