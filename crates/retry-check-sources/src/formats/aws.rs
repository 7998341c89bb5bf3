//! The AWS SDKs' shared config file (`~/.aws/config`): every `[default]`
//! or `[profile NAME]` section that sets `retry_mode` or `max_attempts` is
//! a client (AWS SDKs and Tools reference, "Retry behavior").
//!
//! The file is INI with AWS's additions (a `key =` line followed by
//! indented `sub_key = value` lines is a nested setting); no crate reads it
//! with positions, so a small line reader lives here.

use std::ops::Range;

use retry_check_contract::{Backoff, Budget, Client, Duration, Jitter, Sp, Status, Transport};
use retry_check_diagnostics::Span;

use crate::import::{client, Imported, ImportedClient, Operations, Placement, RawTarget};
use crate::read::Reader;

const MODES: &[&str] = &["standard", "adaptive", "legacy"];

/// One `key = value` of a section.
struct Setting {
    value: Range<usize>,
}

struct Section {
    name: String,
    header: Range<usize>,
    settings: Vec<(String, Setting)>,
}

/// Does this text look like an AWS config file (a `[default]` or
/// `[profile ...]` section)?
pub fn looks_like_aws_config(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        l == "[default]" || (l.starts_with("[profile ") && l.ends_with(']'))
    })
}

/// Lines to sections; a line that is none of section, setting, comment or
/// blank is a syntax error.
fn sections(r: &mut Reader<'_>, text: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim();
        let lead = body.len() - body.trim_start().len();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let at = start + lead..start + lead + trimmed.len();
        if let Some(inner) = trimmed.strip_prefix('[') {
            let Some(name) = inner.strip_suffix(']') else {
                r.error(
                    "syntax_error",
                    "invalid AWS config: a section header must end with `]`",
                    &at,
                    "unclosed section header",
                );
                continue;
            };
            out.push(Section {
                name: name.trim().to_string(),
                header: at,
                settings: Vec::new(),
            });
            continue;
        }
        // Indented lines are the sub-settings of the `key =` above them.
        if lead > 0 && out.last().is_some_and(|s| !s.settings.is_empty()) {
            continue;
        }
        let Some(eq) = trimmed.find('=') else {
            r.error(
                "syntax_error",
                "invalid AWS config: expected `key = value`",
                &at,
                "not a setting",
            );
            continue;
        };
        let Some(section) = out.last_mut() else {
            r.error(
                "syntax_error",
                "invalid AWS config: a setting before any section",
                &at,
                "expected `[default]` or `[profile NAME]` above",
            );
            continue;
        };
        let key = trimmed[..eq].trim_end();
        let value = trimmed[eq + 1..].trim();
        let value_start = at.start + trimmed.len() - trimmed[eq + 1..].trim_start().len();
        let value_at = value_start..value_start + value.len();
        section
            .settings
            .push((key.to_string(), Setting { value: value_at }));
    }
    out
}

/// The profile's `retry_mode` (`standard` when unset); `None` after
/// reporting an unknown one.
fn retry_mode<'t>(r: &mut Reader<'_>, text: &'t str, mode: Option<&Setting>) -> Option<&'t str> {
    let Some(m) = mode else {
        return Some("standard");
    };
    let v = &text[m.value.clone()];
    if MODES.contains(&v) {
        return Some(v);
    }
    let label = match retry_check_contract::did_you_mean(v, MODES) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "unknown retry mode".to_string(),
    };
    let d = r.error(
        "invalid_value",
        format!("`{v}` is not a retry mode"),
        &m.value,
        label,
    );
    d.notes.push("AWS SDK config rule: retry_mode is `standard`, `adaptive` or `legacy` (AWS SDKs and Tools reference, \"Retry behavior\")".to_string());
    None
}

/// What the SDK does in `mode` beyond the attempts: backoff, retried
/// errors and (standard, adaptive) the retry quota.
fn sdk_policy(c: &mut Client, mode: &str, at_mode: &Span) {
    // Standard mode as botocore implements it: full jitter, 1 s base,
    // 20 s cap; transient 500/502/503/504, throttling, connection errors.
    c.backoff = Some(Sp::new(
        Backoff {
            initial: Some(Sp::new(Duration(1000), at_mode.clone())),
            multiplier: Some(Sp::new(2.0, at_mode.clone())),
            max: Some(Sp::new(Duration(20_000), at_mode.clone())),
            jitter: Some(Sp::new(Jitter::Full, at_mode.clone())),
        },
        at_mode.clone(),
    ));
    let statuses = [
        Status::Http(500),
        Status::Http(502),
        Status::Http(503),
        Status::Http(504),
        Status::Http(429),
        Status::Transport(Transport::Timeout),
        Status::Transport(Transport::Reset),
        Status::Transport(Transport::ConnectFailure),
    ];
    c.retry_on = Some(Sp::new(
        statuses
            .iter()
            .map(|s| Sp::new(*s, at_mode.clone()))
            .collect(),
        at_mode.clone(),
    ));
    if mode != "legacy" {
        // The retry quota: 500 tokens, 5 per retry, 1 back per success.
        c.budget = Some(Sp::new(
            Budget {
                ratio: Some(Sp::new(0.2, at_mode.clone())),
                min_per_sec: None,
            },
            at_mode.clone(),
        ));
    }
}

pub fn import(r: &mut Reader<'_>, text: &str, placement: &Placement, out: &mut Imported) {
    for section in sections(r, text) {
        let profile = match section.name.as_str() {
            "default" => "default",
            name => match name.strip_prefix("profile ") {
                Some(p) => p.trim(),
                None => continue, // sso-session, services: no retry settings
            },
        };
        let get = |k: &str| {
            section
                .settings
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, s)| s)
        };
        let mode = get("retry_mode");
        let attempts = get("max_attempts");
        if mode.is_none() && attempts.is_none() {
            continue;
        }
        let Some(mode_text) = retry_mode(r, text, mode) else {
            continue;
        };
        let header = r.span(&section.header);
        let mut c = client(Sp::new(
            format!("{}/{profile}", placement.name),
            header.clone(),
        ));
        let at_mode = mode.map_or(header.clone(), |m| r.span(&m.value));
        c.max_attempts = match attempts {
            Some(a) => {
                let v = &text[a.value.clone()];
                match v.parse::<i64>() {
                    Ok(n) if n >= 1 => Some(Sp::new(n, r.span(&a.value))),
                    _ => {
                        let d = r.error(
                            "invalid_value",
                            format!("`max_attempts` must be a positive whole number, found `{v}`"),
                            &a.value,
                            "not a positive integer",
                        );
                        d.notes.push("AWS SDK config rule: max_attempts is the number of attempts, the first one included (1 means no retries)".to_string());
                        continue;
                    }
                }
            }
            // Standard and adaptive: 3 attempts; legacy depends on the SDK
            // (5 in the AWS CLI v1 and botocore): assume the larger.
            None => Some(Sp::new(
                if mode_text == "legacy" { 5 } else { 3 },
                at_mode.clone(),
            )),
        };
        sdk_policy(&mut c, mode_text, &at_mode);
        c.layer = placement
            .layer
            .clone()
            .or_else(|| Some(Sp::new("aws-sdk".to_string(), header.clone())));
        c.runs_in = placement.runs_in.clone();
        c.allow = placement.allow.clone();
        let targets = placement
            .server
            .iter()
            .map(|s| RawTarget {
                name: s.value.clone(),
                span: s.span.clone(),
                operations: Operations::All,
            })
            .collect();
        out.clients.push(ImportedClient {
            client: c,
            proxy: false,
            targets,
        });
    }
}
