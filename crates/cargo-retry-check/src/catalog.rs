//! Every rule the tool reports, contract rules (RC001-RC099) and code rules
//! of the scanner (RC101 and up), as one catalogue for `rules`, `explain`,
//! SARIF and lint-level selectors.

use retry_check_rules::{all_rules, Group, Level, Selector};
use retry_check_scan::all_code_rules;

/// What `rules`, `explain` and SARIF need of a rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub group: Group,
    pub default_level: Level,
    pub summary: &'static str,
    pub explain: &'static str,
}

/// Contract rules, then code rules, in code order.
pub fn all() -> Vec<RuleInfo> {
    let contract = all_rules().iter().map(|r| RuleInfo {
        code: r.code,
        name: r.name,
        group: r.group,
        default_level: r.default_level,
        summary: r.summary,
        explain: r.explain,
    });
    let code = all_code_rules().iter().map(|r| RuleInfo {
        code: r.code,
        name: r.name,
        group: r.group,
        default_level: r.default_level,
        summary: r.summary,
        explain: r.explain,
    });
    contract.chain(code).collect()
}

/// A rule by code (any case) or name (`-` may stand for `_`).
pub fn find(code_or_name: &str) -> Option<RuleInfo> {
    let s = code_or_name.trim();
    let n = s.replace('-', "_");
    all()
        .into_iter()
        .find(|r| r.code.eq_ignore_ascii_case(s) || r.name == n)
}

/// Parse a lint selector (`-A/-W/-D` value or a `lints` key) against both
/// catalogues.
pub fn selector(s: &str) -> Result<Selector, String> {
    let extra: Vec<(&'static str, &'static str)> =
        all_code_rules().iter().map(|r| (r.code, r.name)).collect();
    Selector::parse_with(s, &extra)
}
