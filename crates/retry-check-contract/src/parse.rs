//! From TOML text to the [`ContractSet`] model, collecting every error with
//! its span instead of stopping at the first.
//!
//! We parse with `toml::de::DeTable::parse_recoverable` (all syntax errors of
//! a file at once, and a spanned tree) and then walk the tree by hand. A
//! hand-written walk, rather than serde, is what lets us report every
//! unknown field, wrong type and bad value of a file in one run, each with a
//! precise span and a suggestion.

use std::borrow::Cow;
use std::ops::Range;

use retry_check_diagnostics::{Diagnostic, Severity, SourceId, SourceMap, Span};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::model::*;
use crate::suggest::did_you_mean;

mod mapping;
use crate::{Duration, Status};

/// Code of every "this contract is not valid" diagnostic.
pub const INVALID_CONTRACT: &str = "RC000";

/// The contract format version this parser reads.
pub const FORMAT_VERSION: i64 = 1;

type Key<'i> = Spanned<Cow<'i, str>>;
type Value<'i> = Spanned<DeValue<'i>>;

pub(crate) const ROOT_FIELDS: &[&str] = &["version", "$schema", "server", "client", "source"];
pub(crate) const SERVER_FIELDS: &[&str] = &[
    "key_source",
    "key_required",
    "key_ttl",
    "key_scope",
    "fingerprint",
    "in_progress_lease",
    "handler_timeout",
    "store",
    "fencing",
    "on_mismatch",
    "on_in_progress",
    "on_missing_key",
    "capacity_per_sec",
    "max_load_factor",
    "operations",
    "allow",
];
pub(crate) const OPERATION_FIELDS: &[&str] = &["method", "idempotency", "side_effects", "allow"];
pub(crate) const STORE_FIELDS: &[&str] = &["kind", "durability", "same_txn_as_effect"];
pub(crate) const CLIENT_FIELDS: &[&str] = &[
    "calls",
    "runs_in",
    "layer",
    "max_attempts",
    "deadline",
    "per_attempt_timeout",
    "retry_window",
    "backoff",
    "retry_on",
    "honor_retry_after",
    "budget",
    "hedging",
    "idempotency_key",
    "on_exhausted",
    "fleet",
    "breaker",
    "allow",
];
pub(crate) const BACKOFF_FIELDS: &[&str] = &["initial", "multiplier", "max", "jitter"];
pub(crate) const BUDGET_FIELDS: &[&str] = &["ratio", "min_per_sec"];
pub(crate) const HEDGING_FIELDS: &[&str] = &["max_attempts", "delay", "non_fatal_codes"];
pub(crate) const IDEMPOTENCY_KEY_FIELDS: &[&str] = &["header", "reused_across_retries"];
pub(crate) const FLEET_FIELDS: &[&str] = &["clients", "rate_per_sec"];
pub(crate) const BREAKER_FIELDS: &[&str] = &[
    "failure_ratio",
    "min_requests",
    "open_for",
    "half_open_probes",
    "counts",
];
pub(crate) const ALLOW_FIELDS: &[&str] = &["rule", "reason"];

/// The keys every table of the format accepts, by table: `root` (the top
/// level), `server`, `operation`, `store`, `client`, `backoff`, `budget`,
/// `hedging`, `idempotency_key` and `allow` (a table entry of an `allow`
/// list). Any other key is an `unknown_field` error with a "did you mean".
/// The JSON Schema ([`crate::schema`]) is tested against this list.
pub const KNOWN_KEYS: &[(&str, &[&str])] = &[
    ("root", ROOT_FIELDS),
    ("server", SERVER_FIELDS),
    ("operation", OPERATION_FIELDS),
    ("store", STORE_FIELDS),
    ("client", CLIENT_FIELDS),
    ("backoff", BACKOFF_FIELDS),
    ("budget", BUDGET_FIELDS),
    ("hedging", HEDGING_FIELDS),
    ("idempotency_key", IDEMPOTENCY_KEY_FIELDS),
    ("fleet", FLEET_FIELDS),
    ("breaker", BREAKER_FIELDS),
    ("allow", ALLOW_FIELDS),
    ("source", mapping::SOURCE_FIELDS),
];

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
}

/// Parse one file and append its servers and clients to `set`.
pub fn parse_file(
    source: SourceId,
    text: &str,
    set: &mut ContractSet,
    errors: &mut Vec<Diagnostic>,
) {
    let (doc, syntax_errors) = DeTable::parse_recoverable(text);
    let mut cx = Cx { source, errors };
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

struct Cx<'e> {
    source: SourceId,
    errors: &'e mut Vec<Diagnostic>,
}

fn describe(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl Cx<'_> {
    fn span(&self, range: Range<usize>) -> Span {
        Span::new(self.source, range)
    }

    fn sp<T>(&self, value: T, range: Range<usize>) -> Sp<T> {
        Sp::new(value, self.span(range))
    }

    fn push(
        &mut self,
        name: &str,
        message: String,
        range: Range<usize>,
        label: &str,
    ) -> &mut Diagnostic {
        let d = Diagnostic::new(INVALID_CONTRACT, name, Severity::Error, message)
            .with_primary(self.span(range), label);
        self.errors.push(d);
        let last = self.errors.len() - 1;
        &mut self.errors[last]
    }

    fn unknown_field(&mut self, key: &Key<'_>, place: &str, known: &[&str]) {
        let name = key.get_ref().as_ref();
        let suggestion = did_you_mean(name, known);
        let label = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "unknown field".to_string(),
        };
        let d = self.push(
            "unknown_field",
            format!("unknown field `{name}` {place}"),
            key.span(),
            &label,
        );
        if suggestion.is_none() {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            d.help.push(format!("expected one of: {}", list.join(", ")));
        }
    }

    fn wrong_type(&mut self, key: &Key<'_>, value: &Value<'_>, expected: &str) {
        let name = key.get_ref().as_ref();
        self.push(
            "wrong_type",
            format!(
                "`{name}` must be {expected}, found {}",
                describe(value.get_ref())
            ),
            value.span(),
            &format!("expected {expected}"),
        );
    }

    fn invalid(&mut self, range: Range<usize>, message: String, label: &str, help: Option<String>) {
        let d = self.push("invalid_value", message, range, label);
        if let Some(h) = help {
            d.help.push(h);
        }
    }

    fn table<'a, 'i>(
        &mut self,
        key: &Key<'_>,
        value: &'a Value<'i>,
        expected: &str,
    ) -> Option<&'a DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(key, value, expected);
                None
            }
        }
    }

    fn string(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(self.sp(s.to_string(), value.span())),
            _ => {
                self.wrong_type(key, value, "a string");
                None
            }
        }
    }

    fn bool(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<bool>> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(self.sp(*b, value.span())),
            _ => {
                self.wrong_type(key, value, "`true` or `false`");
                None
            }
        }
    }

    fn int(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<i64>> {
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(self.sp(n, value.span())),
                Err(_) => {
                    self.invalid(
                        value.span(),
                        format!("`{}` is too large", key.get_ref()),
                        "does not fit in a 64-bit integer",
                        None,
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(key, value, "an integer");
                None
            }
        }
    }

    fn number(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<f64>> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => {
                self.wrong_type(key, value, "a number");
                return None;
            }
        };
        match parsed {
            Some(n) if n.is_finite() => Some(self.sp(n, value.span())),
            _ => {
                self.invalid(
                    value.span(),
                    format!("`{}` must be a finite number", key.get_ref()),
                    "not a finite number",
                    None,
                );
                None
            }
        }
    }

    /// A finite number above zero.
    fn positive(&mut self, key: &Key<'_>, value: &Value<'_>, what: &str) -> Option<Sp<f64>> {
        let n = self.number(key, value)?;
        if n.value > 0.0 {
            return Some(n);
        }
        self.invalid(
            value.span(),
            format!(
                "`{}` must be greater than zero, found {}",
                key.get_ref(),
                n.value
            ),
            &format!("expected {what} above zero"),
            None,
        );
        None
    }

    /// A number in `(0, 1]`.
    fn ratio(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<f64>> {
        let n = self.number(key, value)?;
        if n.value > 0.0 && n.value <= 1.0 {
            return Some(n);
        }
        self.invalid(
            value.span(),
            format!(
                "`{}` must be a ratio above 0 and at most 1, found {}",
                key.get_ref(),
                n.value
            ),
            "expected a share like 0.5",
            None,
        );
        None
    }

    /// An integer in `min..=max`.
    fn at_least(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        min: i64,
        max: i64,
    ) -> Option<Sp<i64>> {
        let n = self.int(key, value)?;
        if (min..=max).contains(&n.value) {
            return Some(n);
        }
        self.invalid(
            value.span(),
            format!(
                "`{}` must be between {min} and {max}, found {}",
                key.get_ref(),
                n.value
            ),
            "out of range",
            None,
        );
        None
    }

    fn duration(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Duration>> {
        match value.get_ref() {
            DeValue::String(s) => match s.parse::<Duration>() {
                Ok(d) => Some(self.sp(d, value.span())),
                Err(e) => {
                    self.invalid(value.span(), e.message, "invalid duration", e.help);
                    None
                }
            },
            DeValue::Integer(_) | DeValue::Float(_) => {
                let raw = match value.get_ref() {
                    DeValue::Integer(i) => i.as_str().to_string(),
                    DeValue::Float(f) => f.as_str().to_string(),
                    _ => String::new(),
                };
                self.invalid(
                    value.span(),
                    format!("`{}` needs a unit", key.get_ref()),
                    "a bare number is ambiguous",
                    Some(format!(
                        "write it as a string with a unit, like \"{raw}s\" or \"{raw}ms\""
                    )),
                );
                None
            }
            _ => {
                self.wrong_type(key, value, "a duration string like \"30s\"");
                None
            }
        }
    }

    fn status(&mut self, value: &Value<'_>) -> Option<Sp<Status>> {
        let result = match value.get_ref() {
            DeValue::String(s) => Status::parse_str(s).map_err(|msg| {
                let help = did_you_mean(s, &Status::known_names())
                    .map(|k| format!("did you mean `{k}`?"))
                    .unwrap_or_else(|| {
                        "use a gRPC code name (\"UNAVAILABLE\"), an HTTP code (503) or class (\"5xx\"), \
                         or a transport class (\"connect-failure\", \"reset\", \"timeout\", \"refused-stream\")"
                            .to_string()
                    });
                (msg, Some(help))
            }),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Status::from_http(n).map_err(|m| (m, None)),
                Err(_) => Err(("status code is too large".to_string(), None)),
            },
            other => Err((
                format!("a status must be a string or an HTTP code, found {}", describe(other)),
                None,
            )),
        };
        match result {
            Ok(s) => Some(self.sp(s, value.span())),
            Err((msg, help)) => {
                self.invalid(value.span(), msg, "unknown status", help);
                None
            }
        }
    }

    fn array<'a, 'i>(
        &mut self,
        key: &Key<'_>,
        value: &'a Value<'i>,
        expected: &str,
    ) -> Option<&'a [Value<'i>]> {
        match value.get_ref() {
            DeValue::Array(a) => Some(&a[..]),
            _ => {
                self.wrong_type(key, value, expected);
                None
            }
        }
    }

    fn status_list(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Vec<Sp<Status>>>> {
        let items = self.array(key, value, "an array of statuses")?;
        let list: Vec<Sp<Status>> = items.iter().filter_map(|v| self.status(v)).collect();
        Some(self.sp(list, value.span()))
    }

    fn string_list(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Vec<Sp<String>>>> {
        let items = self.array(key, value, "an array of strings")?;
        let mut list = Vec::new();
        for v in items {
            match v.get_ref() {
                DeValue::String(s) => list.push(self.sp(s.to_string(), v.span())),
                other => {
                    let d = describe(other);
                    self.push(
                        "wrong_type",
                        format!("`{}` items must be strings, found {d}", key.get_ref()),
                        v.span(),
                        "expected a string",
                    );
                }
            }
        }
        Some(self.sp(list, value.span()))
    }

    fn enumerated<E: Copy>(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        from_name: fn(&str) -> Option<E>,
        names: &[&str],
    ) -> Option<Sp<E>> {
        let s = match value.get_ref() {
            DeValue::String(s) => s,
            _ => {
                self.wrong_type(key, value, "a string");
                return None;
            }
        };
        match from_name(s) {
            Some(e) => Some(self.sp(e, value.span())),
            None => {
                let label = match did_you_mean(s, names) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => "unknown value".to_string(),
                };
                let d = self.push(
                    "invalid_value",
                    format!("`{s}` is not a valid `{}`", key.get_ref()),
                    value.span(),
                    &label,
                );
                d.help.push(format!(
                    "expected one of: {}",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                None
            }
        }
    }

    fn allow(&mut self, key: &Key<'_>, value: &Value<'_>) -> Vec<AllowEntry> {
        let Some(items) = self.array(key, value, "an array of rule codes or names") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for v in items {
            match v.get_ref() {
                DeValue::String(s) => out.push(AllowEntry {
                    rule: self.sp(s.to_string(), v.span()),
                    reason: None,
                }),
                DeValue::Table(t) => {
                    let mut rule = None;
                    let mut reason = None;
                    for (k, fv) in t.iter() {
                        match k.get_ref().as_ref() {
                            "rule" => rule = self.string(k, fv),
                            "reason" => reason = self.string(k, fv),
                            _ => self.unknown_field(k, "in an `allow` entry", ALLOW_FIELDS),
                        }
                    }
                    match rule {
                        Some(rule) => out.push(AllowEntry { rule, reason }),
                        None => {
                            self.push(
                                "missing_field",
                                "`allow` entry has no `rule`".to_string(),
                                v.span(),
                                "expected `{ rule = \"RC017\", reason = \"...\" }`",
                            );
                        }
                    }
                }
                other => {
                    let d = describe(other);
                    self.push(
                        "wrong_type",
                        format!("`allow` items must be rule codes or tables, found {d}"),
                        v.span(),
                        "expected a string like \"RC017\"",
                    );
                }
            }
        }
        out
    }
}

fn parse_server(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<Server> {
    let table = cx.table(name, body, "a table")?;
    let mut server = Server {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        key_source: None,
        key_required: None,
        key_ttl: None,
        key_scope: None,
        fingerprint: None,
        in_progress_lease: None,
        handler_timeout: None,
        store: None,
        fencing: None,
        on_mismatch: None,
        on_in_progress: None,
        on_missing_key: None,
        capacity_per_sec: None,
        max_load_factor: None,
        operations: Vec::new(),
        allow: Vec::new(),
    };
    let place = format!("in server `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "key_source" => server.key_source = cx.string(k, v),
            "key_required" => server.key_required = cx.bool(k, v),
            "key_ttl" => server.key_ttl = cx.duration(k, v),
            "key_scope" => {
                if let Some(items) = cx.array(k, v, "an array of scopes") {
                    let scopes = items
                        .iter()
                        .filter_map(|item| {
                            cx.enumerated(k, item, KeyScope::from_name, KeyScope::NAMES)
                        })
                        .collect();
                    server.key_scope = Some(cx.sp(scopes, v.span()));
                }
            }
            "fingerprint" => server.fingerprint = cx.string_list(k, v),
            "in_progress_lease" => server.in_progress_lease = cx.duration(k, v),
            "handler_timeout" => server.handler_timeout = cx.duration(k, v),
            "store" => {
                if let Some(t) = cx.table(
                    k,
                    v,
                    "a table like { kind = \"postgres\", durability = \"durable\" }",
                ) {
                    let mut store = Store::default();
                    for (sk, sv) in t.iter() {
                        match sk.get_ref().as_ref() {
                            "kind" => {
                                store.kind =
                                    cx.enumerated(sk, sv, StoreKind::from_name, StoreKind::NAMES)
                            }
                            "durability" => {
                                store.durability =
                                    cx.enumerated(sk, sv, Durability::from_name, Durability::NAMES)
                            }
                            "same_txn_as_effect" => store.same_txn_as_effect = cx.bool(sk, sv),
                            _ => cx.unknown_field(sk, "in `store`", STORE_FIELDS),
                        }
                    }
                    server.store = Some(cx.sp(store, v.span()));
                }
            }
            "fencing" => server.fencing = cx.bool(k, v),
            "on_mismatch" => server.on_mismatch = cx.status(v),
            "on_in_progress" => server.on_in_progress = cx.status(v),
            "on_missing_key" => server.on_missing_key = cx.status(v),
            "capacity_per_sec" => {
                server.capacity_per_sec = cx.positive(k, v, "requests per second")
            }
            "max_load_factor" => {
                server.max_load_factor = cx.number(k, v).and_then(|n| {
                    if n.value >= 1.0 {
                        Some(n)
                    } else {
                        cx.invalid(
                            n.span.range.clone(),
                            format!("`max_load_factor` must be at least 1.0, found {}", n.value),
                            "below 1.0",
                            Some("it is offered load divided by `capacity_per_sec`: 1.0 is exactly at capacity, 1.5 allows 50% over".to_string()),
                        );
                        None
                    }
                })
            }
            "operations" => {
                if let Some(ops) = cx.table(k, v, "a table of operations") {
                    for (op_name, op_body) in ops.iter() {
                        if let Some(op) = parse_operation(cx, op_name, op_body) {
                            server.operations.push(op);
                        }
                    }
                }
            }
            "allow" => server.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, SERVER_FIELDS),
        }
    }
    Some(server)
}

fn parse_operation(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<Operation> {
    let table = cx.table(name, body, "a table")?;
    let mut op = Operation {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        method: None,
        idempotency: None,
        side_effects: None,
        allow: Vec::new(),
    };
    let place = format!("in operation `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "method" => op.method = cx.enumerated(k, v, Method::from_name, Method::NAMES),
            "idempotency" => {
                op.idempotency = cx.enumerated(k, v, Idempotency::from_name, Idempotency::NAMES)
            }
            "side_effects" => {
                op.side_effects = cx.enumerated(k, v, SideEffects::from_name, SideEffects::NAMES)
            }
            "allow" => op.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, OPERATION_FIELDS),
        }
    }
    Some(op)
}

fn parse_call(cx: &mut Cx<'_>, value: &Value<'_>) -> Option<Sp<CallRef>> {
    let DeValue::String(s) = value.get_ref() else {
        let d = describe(value.get_ref());
        cx.push(
            "wrong_type",
            format!("`calls` items must be strings like \"payments.Charge\", found {d}"),
            value.span(),
            "expected a string",
        );
        return None;
    };
    let mut parts = s.splitn(2, '.');
    let server = parts.next().unwrap_or_default().trim();
    let operation = parts.next().map(|o| o.trim().to_string());
    if server.is_empty() || operation.as_deref() == Some("") {
        cx.invalid(
            value.span(),
            format!("invalid call reference `{s}`"),
            "expected \"server\" or \"server.Operation\"",
            None,
        );
        return None;
    }
    Some(cx.sp(
        CallRef {
            server: server.to_string(),
            operation,
        },
        value.span(),
    ))
}

fn parse_client(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<Client> {
    let table = cx.table(name, body, "a table")?;
    let mut c = Client {
        name: cx.sp(name.get_ref().to_string(), name.span()),
        calls: Vec::new(),
        runs_in: None,
        layer: None,
        max_attempts: None,
        deadline: None,
        per_attempt_timeout: None,
        retry_window: None,
        backoff: None,
        retry_on: None,
        honor_retry_after: None,
        budget: None,
        hedging: None,
        idempotency_key: None,
        on_exhausted: None,
        fleet: None,
        breaker: None,
        allow: Vec::new(),
    };
    let place = format!("in client `{}`", name.get_ref());
    for (k, v) in table.iter() {
        match k.get_ref().as_ref() {
            "calls" => {
                if let Some(items) = cx.array(k, v, "an array like [\"payments.Charge\"]") {
                    c.calls = items
                        .iter()
                        .filter_map(|item| parse_call(cx, item))
                        .collect();
                }
            }
            "runs_in" => c.runs_in = cx.string(k, v),
            "layer" => c.layer = cx.string(k, v),
            "max_attempts" => c.max_attempts = cx.int(k, v),
            "deadline" => c.deadline = cx.duration(k, v),
            "per_attempt_timeout" => c.per_attempt_timeout = cx.duration(k, v),
            "retry_window" => c.retry_window = cx.duration(k, v),
            "backoff" => {
                if let Some(t) = cx.table(
                    k,
                    v,
                    "a table like { initial = \"200ms\", multiplier = 2.0 }",
                ) {
                    let mut b = Backoff::default();
                    for (bk, bv) in t.iter() {
                        match bk.get_ref().as_ref() {
                            "initial" => b.initial = cx.duration(bk, bv),
                            "multiplier" => b.multiplier = cx.number(bk, bv),
                            "max" => b.max = cx.duration(bk, bv),
                            "jitter" => {
                                b.jitter = cx.enumerated(bk, bv, Jitter::from_name, Jitter::NAMES)
                            }
                            _ => cx.unknown_field(bk, "in `backoff`", BACKOFF_FIELDS),
                        }
                    }
                    c.backoff = Some(cx.sp(b, v.span()));
                }
            }
            "retry_on" => c.retry_on = cx.status_list(k, v),
            "honor_retry_after" => c.honor_retry_after = cx.bool(k, v),
            "budget" => {
                if let Some(t) = cx.table(k, v, "a table like { ratio = 0.1, min_per_sec = 10 }") {
                    let mut b = Budget::default();
                    for (bk, bv) in t.iter() {
                        match bk.get_ref().as_ref() {
                            "ratio" => b.ratio = cx.number(bk, bv),
                            "min_per_sec" => b.min_per_sec = cx.number(bk, bv),
                            _ => cx.unknown_field(bk, "in `budget`", BUDGET_FIELDS),
                        }
                    }
                    c.budget = Some(cx.sp(b, v.span()));
                }
            }
            "hedging" => {
                if let Some(t) =
                    cx.table(k, v, "a table like { max_attempts = 2, delay = \"100ms\" }")
                {
                    let mut h = Hedging::default();
                    for (hk, hv) in t.iter() {
                        match hk.get_ref().as_ref() {
                            "max_attempts" => h.max_attempts = cx.int(hk, hv),
                            "delay" => h.delay = cx.duration(hk, hv),
                            "non_fatal_codes" => h.non_fatal_codes = cx.status_list(hk, hv),
                            _ => cx.unknown_field(hk, "in `hedging`", HEDGING_FIELDS),
                        }
                    }
                    c.hedging = Some(cx.sp(h, v.span()));
                }
            }
            "idempotency_key" => {
                if let Some(t) = cx.table(k, v, "a table like { reused_across_retries = true }") {
                    let mut key = IdempotencyKey::default();
                    for (ik, iv) in t.iter() {
                        match ik.get_ref().as_ref() {
                            "header" => key.header = cx.string(ik, iv),
                            "reused_across_retries" => key.reused_across_retries = cx.bool(ik, iv),
                            _ => {
                                cx.unknown_field(ik, "in `idempotency_key`", IDEMPOTENCY_KEY_FIELDS)
                            }
                        }
                    }
                    c.idempotency_key = Some(cx.sp(key, v.span()));
                }
            }
            "on_exhausted" => c.on_exhausted = cx.string(k, v),
            "fleet" => {
                if let Some(t) =
                    cx.table(k, v, "a table like { clients = 500, rate_per_sec = 2.0 }")
                {
                    let mut f = Fleet::default();
                    for (fk, fv) in t.iter() {
                        match fk.get_ref().as_ref() {
                            "clients" => f.clients = cx.at_least(fk, fv, 1, 10_000_000),
                            "rate_per_sec" => {
                                f.rate_per_sec = cx.positive(fk, fv, "logical requests per second")
                            }
                            _ => cx.unknown_field(fk, "in `fleet`", FLEET_FIELDS),
                        }
                    }
                    c.fleet = Some(cx.sp(f, v.span()));
                }
            }
            "breaker" => {
                if let Some(t) = cx.table(
                    k,
                    v,
                    "a table like { failure_ratio = 0.5, open_for = \"5s\" }",
                ) {
                    let mut b = Breaker::default();
                    for (bk, bv) in t.iter() {
                        match bk.get_ref().as_ref() {
                            "failure_ratio" => b.failure_ratio = cx.ratio(bk, bv),
                            "min_requests" => b.min_requests = cx.at_least(bk, bv, 1, 1_000_000),
                            "open_for" => {
                                b.open_for = cx.duration(bk, bv).and_then(|d| {
                                    if d.value.as_millis() > 0 {
                                        Some(d)
                                    } else {
                                        cx.invalid(
                                            d.span.range.clone(),
                                            "`open_for` must be longer than zero".to_string(),
                                            "a breaker that is never open",
                                            None,
                                        );
                                        None
                                    }
                                })
                            }
                            "half_open_probes" => {
                                b.half_open_probes = cx.at_least(bk, bv, 1, 1_000_000)
                            }
                            "counts" => b.counts = cx.status_list(bk, bv),
                            _ => cx.unknown_field(bk, "in `breaker`", BREAKER_FIELDS),
                        }
                    }
                    c.breaker = Some(cx.sp(b, v.span()));
                }
            }
            "allow" => c.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, CLIENT_FIELDS),
        }
    }
    Some(c)
}

#[cfg(test)]
mod storm_field_tests {
    use super::*;

    fn errors_of(text: &str) -> Vec<String> {
        let mut sources = SourceMap::new();
        sources.add("t.toml", text);
        let (_, errors) = load(&sources);
        errors
            .iter()
            .map(|d| {
                let at = d.primary.as_ref().map(|p| {
                    let lc = sources.line_col(&p.span);
                    format!("{}:{}", lc.line, lc.column)
                });
                format!("{} {} @{}", d.name, d.message, at.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn fleet_breaker_and_capacity_parse() {
        let (set, errors) = crate::load_str(
            "t.toml",
            r#"
version = 1
[server.payments]
capacity_per_sec = 800
max_load_factor = 1.5
[client.checkout]
calls = ["payments"]
fleet = { clients = 2000, rate_per_sec = 0.5 }
breaker = { failure_ratio = 0.5, min_requests = 10, open_for = "10s", half_open_probes = 3, counts = ["UNAVAILABLE", 503] }
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let s = &set.servers[0];
        assert_eq!(s.capacity_per_sec.as_ref().map(|c| c.value), Some(800.0));
        assert_eq!(s.max_load_factor.as_ref().map(|c| c.value), Some(1.5));
        let c = &set.clients[0];
        assert_eq!(c.fleet_clients(), 2000);
        assert_eq!(c.fleet_rate(), 0.5);
        let b = c
            .breaker
            .as_ref()
            .map(|b| &b.value)
            .cloned()
            .unwrap_or_default();
        assert_eq!(b.failure_ratio.map(|v| v.value), Some(0.5));
        assert_eq!(b.min_requests.map(|v| v.value), Some(10));
        assert_eq!(b.open_for.map(|v| v.value), Some(Duration(10_000)));
        assert_eq!(b.half_open_probes.map(|v| v.value), Some(3));
        assert_eq!(b.counts.map(|v| v.value.len()), Some(2));
    }

    #[test]
    fn defaults_when_fleet_is_absent() {
        let (set, errors) = crate::load_str("t.toml", "version = 1\n[client.c]\ncalls = [\"s\"]\n");
        assert!(errors.is_empty());
        assert_eq!(set.clients[0].fleet_clients(), Fleet::DEFAULT_CLIENTS);
        assert_eq!(set.clients[0].fleet_rate(), Fleet::DEFAULT_RATE_PER_SEC);
    }

    #[test]
    fn bad_values_are_located_errors() {
        let errors = errors_of(
            r#"version = 1
[server.s]
capacity_per_sec = 0
max_load_factor = 0.5
[client.c]
fleet = { clients = 0, rate_per_sec = -1, size = 3 }
breaker = { failure_ratio = 1.5, min_requests = 0, open_for = "0s", half_open_probes = "x", count = [] }
"#,
        );
        let expected = [
            "invalid_value `capacity_per_sec` must be greater than zero, found 0 @3:20",
            "invalid_value `max_load_factor` must be at least 1.0, found 0.5 @4:19",
            "invalid_value `clients` must be between 1 and 10000000, found 0 @6:21",
            "invalid_value `rate_per_sec` must be greater than zero, found -1 @6:39",
            "unknown_field unknown field `size` in `fleet` @6:43",
            "invalid_value `failure_ratio` must be a ratio above 0 and at most 1, found 1.5 @7:29",
            "invalid_value `min_requests` must be between 1 and 1000000, found 0 @7:49",
            "invalid_value `open_for` must be longer than zero @7:63",
            "wrong_type `half_open_probes` must be an integer, found a string @7:88",
            "unknown_field unknown field `count` in `breaker` @7:93",
        ];
        assert_eq!(errors, expected);
    }
}
