//! Every code retry-check can print, in one catalogue.
//!
//! Each code is declared once, as a [`Lint`], next to the logic that
//! reports it: contract rules in `retry-check-rules`, code rules and RC100
//! in `retry-check-scan`, storm rules in `retry-check-storm`, RC000 with the
//! contract parser, RC900 in `retry-check-simulate`, RC901 in
//! `retry-check-model-tests`. This crate sits above
//! all of them and lists their declarations; `rules`, `explain`, the SARIF
//! rule list, the README table, `-A/-W/-D` and `[lints]` all read it.

use std::sync::OnceLock;

use retry_check_diagnostics::sarif::RuleMeta;
use retry_check_diagnostics::{find_lint, Lint};
use retry_check_rules::Selector;

/// Every declared code, in code order.
pub fn all() -> &'static [&'static Lint] {
    static ALL: OnceLock<Vec<&'static Lint>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = vec![&retry_check_contract::INVALID_CONTRACT_LINT];
        all.extend(retry_check_rules::lints());
        all.extend(retry_check_scan::lints());
        all.extend(retry_check_storm::rules::lints());
        all.extend(retry_check_simulate::lints());
        all.extend(retry_check_model_tests::lints());
        all.sort_by_key(|l| l.code);
        all
    })
}

/// A code by code (any case) or name (`-` may stand for `_`).
pub fn find(code_or_name: &str) -> Option<&'static Lint> {
    find_lint(all(), code_or_name)
}

/// Parse a lint selector (`-A/-W/-D` value or a `lints` key).
pub fn selector(s: &str) -> Result<Selector, String> {
    Selector::parse(s, all())
}

/// "no rule `X` (did you mean `Y`?)" for `explain`; lints are suggested
/// before the parser's errors.
pub fn unknown(written: &str) -> String {
    let mut lints: Vec<&Lint> = all().to_vec();
    lints.sort_by_key(|l| !l.is_configurable());
    let names: Vec<&str> = lints.iter().flat_map(|r| [r.code, r.name]).collect();
    let hint = retry_check_contract::did_you_mean(written, &names)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    format!("no rule `{written}`{hint}; run `cargo retry-check rules` for the list")
}

/// The repository's public address: the workspace's one `repository`
/// value, from which every link the tool prints is derived.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// Where the rule reference (`docs/rules.md`, [`reference_markdown`]) is
/// published.
pub fn reference_uri() -> String {
    format!("{REPOSITORY}/blob/main/docs/rules.md")
}

/// A code's section of the published rule reference: its SARIF `helpUri`.
pub fn help_uri(lint: &Lint) -> String {
    format!("{}#{}", reference_uri(), lint.code.to_ascii_lowercase())
}

/// The SARIF rule list, each rule linked to its documentation.
pub fn sarif_rules() -> Vec<RuleMeta> {
    all()
        .iter()
        .map(|l| RuleMeta {
            help_uri: Some(help_uri(l)),
            ..RuleMeta::of(l)
        })
        .collect()
}

/// `docs/rules.md`: every code's declaration and explain text, one section
/// per code (its anchor is the lower-case code, which [`help_uri`] links
/// to). A test keeps the committed file equal to this.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n<!-- generated from the catalogue (`retry-check-catalog`); \
         do not edit: `cargo test -p retry-check-catalog` rewrites it -->\n\n\
         Every code `cargo retry-check` can print. `cargo retry-check explain CODE` \
         prints the same text.\n\n",
    );
    out.push_str(&markdown_table());
    for lint in all() {
        let explain = lint.explain.trim().replace("\n## ", "\n### ");
        let explain = explain
            .strip_prefix("## ")
            .map_or(explain.clone(), |rest| format!("### {rest}"));
        out.push_str(&format!(
            "\n## {}\n\n`{}`: group {}, default level {}.\n\n{}\n\n{}\n",
            lint.code, lint.name, lint.group, lint.default_level, lint.summary, explain
        ));
    }
    out
}

/// `explain`: the whole declaration as markdown.
pub fn explain(lint: &Lint) -> String {
    let fixable = match lint.autofix() {
        Some(_) => ", fixable with `cargo retry-check lint --fix`",
        None => "",
    };
    format!(
        "# {} {}\n\ngroup: {}, default level: {}{fixable}\n\n{}\n\n{}",
        lint.code, lint.name, lint.group, lint.default_level, lint.summary, lint.explain
    )
}

/// What `rules` shows of each code: code, name, group, level, whether
/// `lint --fix` fixes it, summary.
fn rows() -> impl Iterator<Item = [&'static str; 6]> {
    all().iter().map(|r| {
        [
            r.code,
            r.name,
            r.group.as_str(),
            r.default_level.as_str(),
            if r.autofix().is_some() { "yes" } else { "" },
            r.summary,
        ]
    })
}

/// `rules`: an aligned table.
pub fn table() -> String {
    let width = all().iter().map(|r| r.name.len()).max().unwrap_or(0);
    let line = |[code, name, group, level, fix, summary]: [&str; 6]| {
        format!("{code:<6} {name:<width$} {group:<11} {level:<5} {fix:<3} {summary}\n")
    };
    let header = line(["code", "name", "group", "level", "fix", "summary"]);
    std::iter::once(header).chain(rows().map(line)).collect()
}

/// `rules --format json`: JSON Lines, one object per code (`fix`: what
/// `lint --fix` does, or null).
pub fn json_lines() -> String {
    all()
        .iter()
        .zip(rows())
        .map(|(lint, [code, name, group, level, _, summary])| {
            let line = serde_json::json!({
                "code": code,
                "name": name,
                "group": group,
                "level": level,
                "fix": lint.autofix(),
                "summary": summary,
            });
            format!("{line}\n")
        })
        .collect()
}

/// `rules --format markdown`; the README embeds exactly this (a test checks).
pub fn markdown_table() -> String {
    let header =
        "| code | name | group | default | fix | what it flags |\n|---|---|---|---|---|---|\n";
    let rows = rows().map(|[code, name, group, level, fix, summary]| {
        let summary = summary.replace('|', "\\|");
        format!("| {code} | `{name}` | {group} | {level} | {fix} | {summary} |\n")
    });
    std::iter::once(header.to_string()).chain(rows).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes: Vec<&str> = all().iter().map(|l| l.code).collect();
        let mut names: Vec<&str> = all().iter().map(|l| l.name).collect();
        codes.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!(codes.len(), all().len(), "a code is declared twice");
        assert_eq!(names.len(), all().len(), "a name is declared twice");
    }

    #[test]
    fn every_code_has_its_explain_sections() {
        for lint in all() {
            for heading in [
                "## What it does",
                "## Why it matters",
                "## Example",
                "## How to fix",
                "## Source",
            ] {
                assert!(
                    lint.explain.contains(heading),
                    "{}: explain lacks `{heading}`",
                    lint.code
                );
            }
            assert!(!lint.summary.is_empty(), "{}: no summary", lint.code);
            assert_eq!(
                lint.default_level,
                lint.group.default_level(),
                "{}: level differs from its group",
                lint.code
            );
        }
    }

    #[test]
    fn full_description_is_the_first_section() {
        let rc001 = sarif_rules().into_iter().find(|r| r.id == "RC001").unwrap();
        assert!(rc001
            .full_description
            .starts_with("Compares each keyed server's `key_ttl`"));
        assert!(!rc001.full_description.contains('\n'));
        assert!(!rc001.full_description.contains("Why it matters"));
        assert!(rc001.help_markdown.contains("## How to fix"));
    }

    /// Every `RCnnn` the sources of the workspace mention (codes they
    /// print, codes their docs cite) is a declared code, with `explain`.
    #[test]
    fn every_code_in_the_sources_is_declared() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        let crates = std::fs::read_dir(root.join("crates")).unwrap();
        for krate in crates {
            files.extend(retry_check_test_support::rust_files(
                &krate.unwrap().path().join("src"),
            ));
        }
        assert!(files.len() > 50, "found only {} source files", files.len());
        let mut undeclared = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let bytes = text.as_bytes();
            for (at, _) in text.match_indices("RC") {
                let digits = bytes.get(at + 2..at + 5).unwrap_or_default();
                let word_end = !bytes.get(at + 5).is_some_and(u8::is_ascii_alphanumeric);
                let word_start = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
                if digits.len() == 3
                    && digits.iter().all(u8::is_ascii_digit)
                    && word_end
                    && word_start
                {
                    let code = &text[at..at + 5];
                    if find(code).is_none() {
                        undeclared.push(format!("{}: {code}", file.display()));
                    }
                }
            }
        }
        assert!(undeclared.is_empty(), "undeclared codes: {undeclared:#?}");
    }

    /// `docs/rules.md` is the rule reference every SARIF `helpUri` links to.
    #[test]
    fn rule_reference_is_current() {
        let path = retry_check_test_support::workspace_root().join("docs/rules.md");
        retry_check_test_support::generated::check_file(
            &path,
            &reference_markdown(),
            "run `cargo test -p retry-check-catalog` locally to regenerate it",
        );
        for lint in all() {
            let uri = help_uri(lint);
            let anchor = uri.rsplit_once('#').map(|(_, a)| a).unwrap_or_default();
            assert!(
                reference_markdown().contains(&format!("\n## {}\n", anchor.to_uppercase())),
                "{uri} has no section"
            );
            assert!(uri.starts_with(REPOSITORY), "{uri}");
        }
    }

    #[test]
    fn parse_errors_take_no_level() {
        let e = selector("RC000").unwrap_err();
        assert!(e.contains("not a lint"), "{e}");
        assert!(selector("storm_overload").is_ok());
        assert!(selector("RC901").is_ok());
    }
}
