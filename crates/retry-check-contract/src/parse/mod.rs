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

mod chunks;
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
///
/// The files are parsed on every core (each file on its own) and joined in
/// file order, so the result does not depend on the threads.
pub fn load(sources: &SourceMap) -> (ContractSet, Vec<Diagnostic>) {
    let files: Vec<(SourceId, &str)> = sources
        .files()
        .map(|(id, file)| (id, file.text.as_str()))
        .collect();
    let mut set = ContractSet::default();
    let mut errors = Vec::new();
    for (part, part_errors) in parse_files(&files) {
        set.append(part);
        errors.extend(part_errors);
    }
    check_duplicates(&set, &mut errors);
    errors.sort_by(Diagnostic::cmp_by_location);
    (set, errors)
}

/// One file parsed: its servers and clients, and its errors.
pub type Parsed = (ContractSet, Vec<Diagnostic>);

/// Each file parsed into a set of its own, in file order: on every core
/// when there is enough to share (chunks of files of about equal size).
pub fn parse_files(files: &[(SourceId, &str)]) -> Vec<Parsed> {
    let parse_one = |&(id, text): &(SourceId, &str)| {
        let mut set = ContractSet::default();
        let mut errors = Vec::new();
        parse_file(id, text, &mut set, &mut errors);
        (set, errors)
    };
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below ~256 KB a thread costs more than it saves.
    if threads <= 1 || files.len() < 2 || bytes < 256 * 1024 {
        return files.iter().map(parse_one).collect();
    }
    let per_chunk = bytes.div_ceil(threads * 4).max(1);
    let mut chunks: Vec<&[(SourceId, &str)]> = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (i, (_, text)) in files.iter().enumerate() {
        size += text.len();
        if size >= per_chunk {
            chunks.push(&files[start..=i]);
            (start, size) = (i + 1, 0);
        }
    }
    if start < files.len() {
        chunks.push(&files[start..]);
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Vec<Parsed>>> =
        chunks.iter().map(|_| Default::default()).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(chunks.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(chunk) = chunks.get(i) else { break };
                let parsed = chunk.iter().map(parse_one).collect();
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = parsed;
                }
            });
        }
    });
    slots
        .into_iter()
        .flat_map(|slot| slot.into_inner().unwrap_or_default())
        .collect()
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
/// A large file is parsed in pieces when that gives the same result (see
/// `chunks.rs`): its memory is then the model's, not the TOML parser's.
pub fn parse_file(
    source: SourceId,
    text: &str,
    set: &mut ContractSet,
    errors: &mut Vec<Diagnostic>,
) {
    if text.len() >= 2 * chunks::PIECE_BYTES {
        if let Some(part) = parse_in_pieces(source, text) {
            set.append(part);
            return;
        }
    }
    parse_whole(source, text, 0, set, errors);
}

/// The file's items, parsed piece by piece; `None` when it cannot be cut
/// or a piece has any error (the whole file then reports them).
fn parse_in_pieces(source: SourceId, text: &str) -> Option<ContractSet> {
    let ranges = chunks::pieces(text, chunks::PIECE_BYTES)?;
    if ranges.len() < 2 {
        return None;
    }
    let mut set = ContractSet::default();
    for (i, range) in ranges.into_iter().enumerate() {
        let mut part = ContractSet::default();
        let mut errors = Vec::new();
        let start = range.start;
        let version = parse_whole(source, &text[range], start, &mut part, &mut errors);
        if !errors.is_empty() || (i == 0 && !version) {
            return None;
        }
        set.append(part);
    }
    chunks::sort_as_tree(&mut set);
    Some(set)
}

/// Parse `text`, which starts at byte `offset` of the file, into `set`;
/// reports a missing `version` only for the start of a file. Returns
/// whether `version` was seen.
fn parse_whole(
    source: SourceId,
    text: &str,
    offset: usize,
    set: &mut ContractSet,
    errors: &mut Vec<Diagnostic>,
) -> bool {
    let (doc, syntax_errors) = DeTable::parse_recoverable(text);
    let mut cx = Cx::new(source, errors).at(offset);
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
        return false;
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
    if !version_seen && offset == 0 {
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
    version_seen
}
