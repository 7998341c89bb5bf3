//! `rules` and `explain`.

use crate::catalog::{self, all as all_rules};
use crate::cli::{ExplainArgs, RulesArgs, RulesFormat};
use crate::lint::print_stdout;
use crate::Exit;

pub fn rules(args: &RulesArgs) -> Result<Exit, String> {
    let mut out = String::new();
    match args.format {
        RulesFormat::Human => {
            let width = all_rules().iter().map(|r| r.name.len()).max().unwrap_or(0);
            out.push_str(&format!(
                "{:<6} {:<width$} {:<11} {:<5} summary\n",
                "code", "name", "group", "level"
            ));
            for r in all_rules() {
                out.push_str(&format!(
                    "{:<6} {:<width$} {:<11} {:<5} {}\n",
                    r.code,
                    r.name,
                    r.group.as_str(),
                    r.default_level.as_str(),
                    r.summary
                ));
            }
        }
        RulesFormat::Markdown => out.push_str(&markdown_table()),
        RulesFormat::Json => {
            for r in all_rules() {
                let line = serde_json::json!({
                    "code": r.code,
                    "name": r.name,
                    "group": r.group.as_str(),
                    "level": r.default_level.as_str(),
                    "summary": r.summary,
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
        }
    }
    print_stdout(&out);
    Ok(Exit::Clean)
}

pub fn explain(args: &ExplainArgs) -> Result<Exit, String> {
    let Some(rule) = catalog::find(&args.rule) else {
        let names: Vec<&str> = all_rules().iter().flat_map(|r| [r.code, r.name]).collect();
        let hint = retry_check_contract::did_you_mean(&args.rule, &names)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(format!(
            "no rule `{}`{hint}; run `cargo retry-check rules` for the list",
            args.rule
        ));
    };
    print_stdout(&format!(
        "# {} {}\n\ngroup: {}, default level: {}\n\n{}\n\n{}",
        rule.code, rule.name, rule.group, rule.default_level, rule.summary, rule.explain
    ));
    Ok(Exit::Clean)
}

/// The rule table as markdown; the README embeds exactly this (a test checks).
pub fn markdown_table() -> String {
    let mut out =
        String::from("| code | name | group | default | what it flags |\n|---|---|---|---|---|\n");
    for r in all_rules() {
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            r.code,
            r.name,
            r.group.as_str(),
            r.default_level.as_str(),
            r.summary.replace('|', "\\|")
        ));
    }
    out
}
