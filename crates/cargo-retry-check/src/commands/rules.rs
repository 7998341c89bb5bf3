//! `rules` and `explain`: the catalogue (`retry-check-catalog`).

use crate::cli::{ExplainArgs, RulesArgs, RulesFormat};
use crate::report::print_stdout;
use crate::Exit;

pub fn rules(args: &RulesArgs) -> Result<Exit, String> {
    print_stdout(&match args.format {
        RulesFormat::Human => retry_check_catalog::table(),
        RulesFormat::Markdown => retry_check_catalog::markdown_table(),
        RulesFormat::Json => retry_check_catalog::json_lines(),
    });
    Ok(Exit::Clean)
}

pub fn explain(args: &ExplainArgs) -> Result<Exit, String> {
    let lint = retry_check_catalog::find(&args.rule)
        .ok_or_else(|| retry_check_catalog::unknown(&args.rule))?;
    print_stdout(&retry_check_catalog::explain(lint));
    Ok(Exit::Clean)
}
