//! `schema`: print the JSON Schema of the contract format.
//!
//! The schema is generated from the mirror types of
//! `retry_check_contract::schema`; the repository commits the output as
//! `schema/contract.schema.json` (a test keeps the two equal), which is what
//! a contract's `#:schema ./schema/contract.schema.json` line points at.

use retry_check_contract::schema::contract_schema_text;

use crate::cli::SchemaArgs;
use crate::report::print_stdout;
use crate::Exit;

pub fn run(args: &SchemaArgs) -> Result<Exit, String> {
    let text = contract_schema_text();
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?,
        None => print_stdout(&text),
    }
    Ok(Exit::Clean)
}
