//! From TOML text to the [`ContractSet`] model, collecting every error with
//! its span instead of stopping at the first.
//!
//! We parse with `toml::de::DeTable::parse_recoverable` (all syntax errors of
//! a file at once, and a spanned tree) and then walk the tree by hand. A
//! hand-written walk, rather than serde, is what lets us report every
//! unknown field, wrong type and bad value of a file in one run, each with a
//! precise span and a suggestion.
//!
//! * this file: whole files (UTF-8, TOML syntax, `version`, the top-level
//!   tables) and names defined twice across files;
//! * `fields.rs`: the keys each table accepts (the JSON Schema is tested
//!   against them);
//! * `values.rs`: reading one typed value (durations, statuses, ratios,
//!   enums, `allow` lists), every error with its span and a suggestion;
//! * `server.rs`, `client.rs`, `consumer.rs`: the `[server.*]`,
//!   `[client.*]` and `[consumer.*]` tables;
//! * `mapping.rs`: the `[source.*]` tables (deployed configuration to import).

use std::borrow::Cow;

use retry_check_diagnostics::{Diagnostic, Severity, SourceId, SourceMap, Span};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::model::*;

mod client;
mod consumer;
mod fields;
mod mapping;
mod server;
#[cfg(test)]
mod tests;
mod values;

pub use fields::KNOWN_KEYS;
pub(crate) use fields::*;

use client::parse_client;
use consumer::parse_consumer;
use server::parse_server;
use values::Cx;

/// Code of every "this contract is not valid" diagnostic.
pub const INVALID_CONTRACT: &str = "RC000";

/// The contract format version this parser reads.
pub const FORMAT_VERSION: i64 = 1;

/// A key of the TOML tree, with its span.
type Key<'i> = Spanned<Cow<'i, str>>;
/// A value of the TOML tree, with its span.
type Value<'i> = Spanned<DeValue<'i>>;

/// Parse every file of `sources` into one contract set. Returns the set and
/// every error found; the set is only meaningful when there are no errors.
pub fn load(sources: &SourceMap) -> (ContractSet, Vec<Diagnostic>) {
    let mut set = ContractSet::default();
    let mut errors = Vec::new();
    for (id, file) in sources.files() {
        parse_file(id, &file.text, &mut set, &mut errors);
    }
    check_duplicates(&set, &mut errors);
    errors.sort_by(Diagnostic::cmp_by_location);
    (set, errors)
}

/// Read a file's bytes as UTF-8, or say where it stops being text.
pub fn decode(path: &str, bytes: &[u8], sources: &mut SourceMap) -> (SourceId, Option<Diagnostic>) {
    match std::str::from_utf8(bytes) {
        Ok(text) => (sources.add(path, text), None),
        Err(e) => {
            let text = String::from_utf8_lossy(bytes).into_owned();
            let at = e.valid_up_to();
            let id = sources.add(path, text);
            let d = Diagnostic::new(
                INVALID_CONTRACT,
                "not_utf8",
                Severity::Error,
                format!("contract file is not valid UTF-8 (byte {at})"),
            )
            .with_primary(Span::new(id, at..at), "invalid UTF-8 starts here")
            .with_note("contract files are TOML, which must be UTF-8 text");
            (id, Some(d))
        }
    }
}

/// Report servers and clients defined twice (names are global to a run).
pub fn check_duplicates(set: &ContractSet, errors: &mut Vec<Diagnostic>) {
    fn dup<'a>(
        kind: &str,
        names: impl Iterator<Item = &'a Sp<String>>,
        errors: &mut Vec<Diagnostic>,
    ) {
        let mut seen: std::collections::HashMap<&str, &Sp<String>> =
            std::collections::HashMap::new();
        for name in names {
            if let Some(first) = seen.get(name.value.as_str()) {
                errors.push(
                    Diagnostic::new(
                        INVALID_CONTRACT,
                        "duplicate_name",
                        Severity::Error,
                        format!("{kind} `{}` is defined more than once", name.value),
                    )
                    .with_primary(name.span.clone(), "defined again here")
                    .with_secondary(first.span.clone(), "first defined here")
                    .with_help(format!(
                        "{kind} names are global across all contract files; rename one"
                    )),
                );
            } else {
                seen.insert(&name.value, name);
            }
        }
    }
    dup("server", set.servers.iter().map(|s| &s.name), errors);
    dup("client", set.clients.iter().map(|c| &c.name), errors);
    dup("consumer", set.consumers.iter().map(|c| &c.name), errors);
}

/// Parse one file and append its servers, clients and consumers to `set`.
pub fn parse_file(
    source: SourceId,
    text: &str,
    set: &mut ContractSet,
    errors: &mut Vec<Diagnostic>,
) {
    let (doc, syntax_errors) = DeTable::parse_recoverable(text);
    let mut cx = Cx::new(source, errors);
    if !syntax_errors.is_empty() {
        for e in syntax_errors {
            let range = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_string();
            let first_line = msg.lines().next().unwrap_or("invalid TOML").to_string();
            cx.push(
                "syntax_error",
                format!("invalid TOML: {first_line}"),
                range,
                "here",
            );
        }
        return;
    }
    let root = doc.get_ref();
    let mut version_seen = false;
    for (key, value) in root.iter() {
        match key.get_ref().as_ref() {
            "version" => {
                version_seen = true;
                if let Some(v) = cx.int(key, value) {
                    if v.value != FORMAT_VERSION {
                        cx.push(
                            "unsupported_version",
                            format!("unsupported contract format version {}", v.value),
                            value.span(),
                            "this tool reads version 1",
                        );
                    }
                }
            }
            "$schema" => {
                cx.string(key, value);
            }
            "server" => {
                if let Some(t) = cx.table(key, value, "a table of servers, like [server.payments]")
                {
                    for (name, body) in t.iter() {
                        if let Some(server) = parse_server(&mut cx, name, body) {
                            set.servers.push(server);
                        }
                    }
                }
            }
            "client" => {
                if let Some(t) = cx.table(key, value, "a table of clients, like [client.checkout]")
                {
                    for (name, body) in t.iter() {
                        if let Some(client) = parse_client(&mut cx, name, body) {
                            set.clients.push(client);
                        }
                    }
                }
            }
            "consumer" => {
                if let Some(t) = cx.table(
                    key,
                    value,
                    "a table of consumers, like [consumer.ledger-projector]",
                ) {
                    for (name, body) in t.iter() {
                        if let Some(consumer) = parse_consumer(&mut cx, name, body) {
                            set.consumers.push(consumer);
                        }
                    }
                }
            }
            "source" => mapping::parse_sources(&mut cx, key, value, &mut set.sources),
            _ => cx.unknown_field(key, "at the top level of a contract", ROOT_FIELDS),
        }
    }
    if !version_seen {
        cx.errors.push(
            Diagnostic::new(
                INVALID_CONTRACT,
                "missing_version",
                Severity::Error,
                "contract file has no `version`",
            )
            .with_primary(Span::new(source, 0..0), "expected `version = 1` here")
            .with_help("start every contract file with `version = 1`"),
        );
    }
}
