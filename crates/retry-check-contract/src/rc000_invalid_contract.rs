//! RC000 `invalid_contract`: every error of the contract parser. Not a lint
//! (no level applies: rules only run on valid files); declared here, next
//! to the parser that reports it, so that `explain RC000` and SARIF know it.
//! Each diagnostic's name is the kind of error (`unknown_field`,
//! `invalid_value`, `wrong_type`, `duplicate_name`, `unknown_rule`, ...).

use retry_check_diagnostics::{Group, Job, Level, Lint};

use crate::parse::INVALID_CONTRACT;

pub static LINT: Lint = Lint {
    code: INVALID_CONTRACT,
    name: "invalid_contract",
    group: Group::Correctness,
    default_level: Level::Deny,
    job: Job::Parse,
    summary: "a contract file is not valid TOML or not a valid contract",
    explain: EXPLAIN,
};

const EXPLAIN: &str = r#"## What it does
Reports every error of the contract files at once, each at its line and
column: TOML syntax errors, unknown fields and tables (with a "did you
mean"), values of the wrong type, invalid durations, statuses and enum
values, duplicate names, an unsupported `version`, and `allow` entries that
name no rule. The name of each diagnostic says which kind of error it is
(`unknown_field`, `invalid_value`, `wrong_type`, `duplicate_name`,
`unknown_rule`, ...).

## Why it matters
A contract the tool cannot read is a contract nobody checks: a misspelt
`key_tll` would otherwise silently leave the key TTL undeclared. The rules
do not run until every file is valid, so no finding is reported on a
half-read set.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempt = 5        # unknown field: did you mean `max_attempts`?
deadline = "3 seconds" # invalid duration: write "3s"
```

## How to fix
Fix the field or value the message names; the label suggests the closest
valid spelling when there is one. `cargo retry-check schema` prints the
JSON Schema of the format, which an editor (taplo, Even Better TOML) uses to
underline these errors as you type.

## Source
The contract format v1 (`cargo retry-check schema`, README "A contract").
"#;
