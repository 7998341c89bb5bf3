//! RC022 `lease_shorter_than_handler`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC022",
    name: "lease_shorter_than_handler",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
