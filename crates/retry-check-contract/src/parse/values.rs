//! Reading one typed value of the TOML tree: every wrong type, bad value
//! and unknown key reported with its span (and a suggestion when there is
//! one), never a panic.

use std::ops::Range;

use retry_check_diagnostics::{Diagnostic, Severity, SourceId, Span};
use toml::de::{DeTable, DeValue};

use super::{Key, Value, ALLOW_FIELDS, INVALID_CONTRACT};
use crate::model::*;
use crate::suggest::did_you_mean;
use crate::{Duration, Status};

/// What the parser needs while it reads one file: where values come from
/// and where errors go.
pub(super) struct Cx<'e> {
    source: SourceId,
    /// Where the text parsed starts in the file (a piece of a large one).
    offset: usize,
    pub errors: &'e mut Vec<Diagnostic>,
}

pub(super) fn describe(v: &DeValue<'_>) -> &'static str {
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

impl<'e> Cx<'e> {
    pub fn new(source: SourceId, errors: &'e mut Vec<Diagnostic>) -> Self {
        Cx {
            source,
            offset: 0,
            errors,
        }
    }

    /// The same, for text that starts at byte `offset` of the file.
    pub fn at(self, offset: usize) -> Self {
        Cx { offset, ..self }
    }

    pub fn span(&self, range: Range<usize>) -> Span {
        Span::new(
            self.source,
            range.start + self.offset..range.end + self.offset,
        )
    }

    pub fn sp<T>(&self, value: T, range: Range<usize>) -> Sp<T> {
        Sp::new(value, self.span(range))
    }

    pub fn push(
        &mut self,
        name: &'static str,
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

    pub fn unknown_field(&mut self, key: &Key<'_>, place: &str, known: &[&str]) {
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

    pub fn wrong_type(&mut self, key: &Key<'_>, value: &Value<'_>, expected: &str) {
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

    pub fn invalid(
        &mut self,
        range: Range<usize>,
        message: String,
        label: &str,
        help: Option<String>,
    ) {
        let d = self.push("invalid_value", message, range, label);
        if let Some(h) = help {
            d.help.push(h);
        }
    }

    pub fn table<'a, 'i>(
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

    pub fn string(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(self.sp(s.to_string(), value.span())),
            _ => {
                self.wrong_type(key, value, "a string");
                None
            }
        }
    }

    pub fn bool(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<bool>> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(self.sp(*b, value.span())),
            _ => {
                self.wrong_type(key, value, "`true` or `false`");
                None
            }
        }
    }

    pub fn int(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<i64>> {
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

    pub fn number(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<f64>> {
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
    pub fn positive(&mut self, key: &Key<'_>, value: &Value<'_>, what: &str) -> Option<Sp<f64>> {
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

    /// A finite number, zero or more.
    pub fn non_negative(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        what: &str,
    ) -> Option<Sp<f64>> {
        let n = self.number(key, value)?;
        if n.value >= 0.0 {
            return Some(n);
        }
        self.invalid(
            value.span(),
            format!("`{}` cannot be negative, found {}", key.get_ref(), n.value),
            &format!("expected {what}, zero or more"),
            None,
        );
        None
    }

    /// A duration longer than zero; `zero_means` says why zero cannot be.
    pub fn nonzero_duration(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        zero_means: &str,
        help: Option<&str>,
    ) -> Option<Sp<Duration>> {
        let d = self.duration(key, value)?;
        if d.value.as_millis() > 0 {
            return Some(d);
        }
        self.invalid(
            value.span(),
            format!("`{}` must be longer than zero", key.get_ref()),
            zero_means,
            help.map(str::to_string),
        );
        None
    }

    /// A number in `(0, 1]`.
    pub fn ratio(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<f64>> {
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
    pub fn at_least(
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

    pub fn duration(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Duration>> {
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

    pub fn status(&mut self, value: &Value<'_>) -> Option<Sp<Status>> {
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

    pub fn array<'a, 'i>(
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

    pub fn status_list(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Vec<Sp<Status>>>> {
        let items = self.array(key, value, "an array of statuses")?;
        let list: Vec<Sp<Status>> = items.iter().filter_map(|v| self.status(v)).collect();
        Some(self.sp(list, value.span()))
    }

    pub fn string_list(&mut self, key: &Key<'_>, value: &Value<'_>) -> Option<Sp<Vec<Sp<String>>>> {
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

    pub fn enumerated<E: Copy>(
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

    /// An array of names of one enum (`key_scope`, `dedup.scope`).
    pub fn enumerated_list<E: Copy>(
        &mut self,
        key: &Key<'_>,
        value: &Value<'_>,
        from_name: fn(&str) -> Option<E>,
        names: &[&str],
        expected: &str,
    ) -> Option<Sp<Vec<Sp<E>>>> {
        let items = self.array(key, value, expected)?;
        let list = items
            .iter()
            .filter_map(|item| self.enumerated(key, item, from_name, names))
            .collect();
        Some(self.sp(list, value.span()))
    }

    pub fn allow(&mut self, key: &Key<'_>, value: &Value<'_>) -> Vec<AllowEntry> {
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

/// An inline table (`backoff = { .. }`, `dedup = { .. }`): its name, an
/// example for a value of the wrong type, and the keys it accepts.
pub(super) struct Inline {
    pub name: &'static str,
    pub example: &'static str,
    pub known: &'static [&'static str],
}

/// Read an inline table: each key through `field` (false: not a key of
/// this table, reported as unknown with a suggestion).
pub(super) fn inline<T: Default>(
    cx: &mut Cx<'_>,
    key: &Key<'_>,
    value: &Value<'_>,
    table: &Inline,
    field: fn(&mut Cx<'_>, &mut T, &str, &Key<'_>, &Value<'_>) -> bool,
) -> Option<Sp<T>> {
    let t = cx.table(key, value, table.example)?;
    let mut out = T::default();
    for (k, v) in t.iter() {
        if !field(cx, &mut out, k.get_ref().as_ref(), k, v) {
            cx.unknown_field(k, &format!("in `{}`", table.name), table.known);
        }
    }
    Some(cx.sp(out, value.span()))
}
