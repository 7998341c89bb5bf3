//! RC002 `retry_without_idempotency_key`.

use crate::{Context, Finding, Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC002",
    name: "retry_without_idempotency_key",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary: "TODO",
    explain: EXPLAIN,
    check,
};

const EXPLAIN: &str = "TODO";

fn check(_cx: &Context<'_>, _out: &mut Vec<Finding>) {}
