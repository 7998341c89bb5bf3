//! RC027 `volatile_key_store`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC027",
    name: "volatile_key_store",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
