//! RC016 `unreachable_attempts`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC016",
    name: "unreachable_attempts",
    group: Group::Suspicious,
    default_level: Level::Warn,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
