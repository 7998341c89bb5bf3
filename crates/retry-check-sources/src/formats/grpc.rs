//! gRPC service config (gRFC A6): each `methodConfig` entry with a
//! `retryPolicy` or `hedgingPolicy` is a client of the methods its `name`
//! list selects (`{service, method}`, `{service}` for every method of the
//! service, `{}` for every method of the channel's target); the channel's
//! `retryThrottling` is every entry's budget. Validation follows A6 and
//! grpc-go's `service_config.go`.

use retry_check_contract::{Backoff, Budget, Duration, GrpcCode, Hedging, Jitter, Sp, Status};

use crate::durations;
use crate::import::{client, Imported, ImportedClient, Operations, Placement, RawTarget};
use crate::read::Reader;
use crate::tree::{Node, Value};

const METHOD_CONFIG: &[&str] = &["methodConfig", "method_config"];
const RETRY_POLICY_FIELDS: &[&str] = &[
    "maxAttempts",
    "initialBackoff",
    "maxBackoff",
    "backoffMultiplier",
    "retryableStatusCodes",
    "perAttemptRecvTimeout",
];
const HEDGING_POLICY_FIELDS: &[&str] = &["maxAttempts", "hedgingDelay", "nonFatalStatusCodes"];
const THROTTLING_FIELDS: &[&str] = &["maxTokens", "tokenRatio"];
const NAME_FIELDS: &[&str] = &["service", "method"];

/// Client-side cap on `maxAttempts` (A6: "higher values will be treated as
/// equal to the maximum value").
const MAX_ATTEMPTS_CAP: i64 = 5;

/// Does this document look like a service config?
pub fn is_service_config(doc: &Node) -> bool {
    doc.is_map()
        && doc
            .get(&[
                "methodConfig",
                "method_config",
                "retryThrottling",
                "retry_throttling",
            ])
            .is_some()
}

/// A field by its JSON name or its proto name (`maxAttempts`, `max_attempts`).
fn field<'n>(node: &'n Node<'n>, camel: &str) -> Option<&'n Node<'n>> {
    node.field(camel)
}

fn snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn check_keys(r: &mut Reader<'_>, node: &Node, fields: &[&'static str], place: &str) {
    // Most configs spell every key right: only build the list of both
    // spellings (`maxAttempts`, `max_attempts`) when one is not known.
    let known = |name: &str| fields.iter().any(|f| crate::tree::same_field(f, name));
    if node.entries().iter().all(|e| known(e.name())) {
        return;
    }
    let both: Vec<String> = fields
        .iter()
        .flat_map(|f| [f.to_string(), snake(f)])
        .collect();
    let both: Vec<&str> = both.iter().map(String::as_str).collect();
    r.unknown_keys(node, &both, place);
}

pub fn import(r: &mut Reader<'_>, doc: &Node, placement: &Placement, out: &mut Imported) {
    let Some(doc) = r.map("service config", doc) else {
        return;
    };
    let budget = field(doc, "retryThrottling").and_then(|t| throttling(r, t));
    let Some(configs) = doc.get(METHOD_CONFIG) else {
        return;
    };
    let Some(configs) = r.seq("methodConfig", configs) else {
        return;
    };
    let mut seen: Vec<(String, String, std::ops::Range<usize>)> = Vec::new();
    for (i, mc) in configs.iter().enumerate() {
        let Some(mc) = r.map("methodConfig", mc) else {
            continue;
        };
        let targets = names(r, mc, &mut seen);
        method_config(r, mc, i, targets, budget.clone(), placement, out);
    }
}

/// The `name` list of one entry: targets, with A6's and grpc-go's checks
/// (a method needs a service; a name may appear in one entry only).
fn names(
    r: &mut Reader<'_>,
    mc: &Node,
    seen: &mut Vec<(String, String, std::ops::Range<usize>)>,
) -> Vec<(Option<String>, Option<String>, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let Some(list) = mc.get(&["name"]) else {
        return out;
    };
    let Some(list) = r.seq("name", list) else {
        return out;
    };
    for n in list {
        let Some(n) = r.map("name", n) else { continue };
        check_keys(r, n, NAME_FIELDS, "in a method config `name`");
        let service = n
            .get(&["service"])
            .and_then(|s| r.string("service", s))
            .filter(|s| !s.is_empty());
        let method = n
            .get(&["method"])
            .and_then(|m| r.string("method", m))
            .filter(|m| !m.is_empty());
        if method.is_some() && service.is_none() {
            r.reject(
                n,
                "a method config name has a `method` but no `service`",
                "`service` is missing",
                "gRFC A6 / grpc-go: \"service\" is required when \"method\" is set; only the empty name `{}` matches every service",
            );
            continue;
        }
        let key = (
            service.unwrap_or("").to_string(),
            method.unwrap_or("").to_string(),
        );
        if let Some((_, _, first)) = seen.iter().find(|(s, m, _)| (s, m) == (&key.0, &key.1)) {
            let first = r.span(first);
            let d = r.error(
                "duplicate_name",
                format!(
                    "method config name `{}/{}` appears twice",
                    key.0,
                    if key.1.is_empty() { "*" } else { &key.1 }
                ),
                &n.span,
                "named again here",
            );
            d.secondary.push(retry_check_diagnostics::Label::new(
                first,
                "first named here",
            ));
            d.notes.push("gRPC service config rule: grpc-go rejects a service config in which a name appears in two method configs".to_string());
            continue;
        }
        seen.push((key.0.clone(), key.1.clone(), n.span.clone()));
        out.push((
            service.map(str::to_string),
            method.map(str::to_string),
            n.span.clone(),
        ));
    }
    out
}

fn method_config(
    r: &mut Reader<'_>,
    mc: &Node,
    index: usize,
    targets: Vec<(Option<String>, Option<String>, std::ops::Range<usize>)>,
    budget: Option<Sp<Budget>>,
    placement: &Placement,
    out: &mut Imported,
) {
    let retry = field(mc, "retryPolicy");
    let hedge = field(mc, "hedgingPolicy");
    if let (Some(_), Some(h)) = (retry, hedge) {
        r.reject(
            h,
            "a method config sets both `retryPolicy` and `hedgingPolicy`",
            "second policy",
            "gRFC A6: \"Only one of retryPolicy or hedgingPolicy may be set\"",
        );
        return;
    }
    if retry.is_none() && hedge.is_none() {
        return;
    }
    let label = targets
        .first()
        .map(|(s, m, _)| match (s, m) {
            (Some(s), Some(m)) => format!("{s}/{m}"),
            (Some(s), None) => s.clone(),
            _ => "*".to_string(),
        })
        .unwrap_or_else(|| format!("methodConfig[{index}]"));
    let name_node = mc.get(&["name"]).unwrap_or(mc);
    let mut c = client(Sp::new(
        format!("{}/{label}", placement.name),
        r.span(&name_node.span),
    ));
    if let Some(t) = field(mc, "timeout") {
        c.deadline = duration(r, "timeout", t, false);
    }
    if let Some(p) = retry {
        if !retry_policy(r, p, &mut c) {
            return;
        }
    }
    if let Some(h) = hedge {
        if !hedging_policy(r, h, &mut c) {
            return;
        }
    }
    for policy in [retry, hedge].into_iter().flatten() {
        let Some(n) = field(policy, "maxAttempts") else {
            continue;
        };
        let raw = n.scalar_text().and_then(crate::read::parse_integer);
        if raw.is_some_and(|v| v > MAX_ATTEMPTS_CAP) {
            out.implicit.push((
                r.span(&n.span),
                format!(
                    "gRPC treats a `maxAttempts` above {MAX_ATTEMPTS_CAP} as {MAX_ATTEMPTS_CAP} \
                     (gRFC A6: the service config may come from DNS, so clients cap it)"
                ),
            ));
        }
    }
    c.budget = budget;
    if retry.is_some() {
        // A6: clients honour `grpc-retry-pushback-ms`.
        c.honor_retry_after = Some(Sp::new(true, r.span(&name_node.span)));
    }
    c.layer = placement
        .layer
        .clone()
        .or_else(|| Some(Sp::new("grpc".to_string(), r.span(&name_node.span))));
    c.runs_in = placement.runs_in.clone();
    c.allow = placement.allow.clone();
    let targets = targets
        .into_iter()
        .filter_map(|(service, method, span)| {
            let operations = method.map_or(Operations::All, Operations::Named);
            // `{}`: every service of the channel's target.
            let name = service.or_else(|| placement.server.as_ref().map(|s| s.value.clone()))?;
            Some(RawTarget {
                name,
                span: r.span(&span),
                operations,
            })
        })
        .collect();
    out.clients.push(ImportedClient {
        client: c,
        proxy: false,
        targets,
    });
}

fn required<'n>(
    r: &mut Reader<'_>,
    policy: &'n Node<'n>,
    key: &str,
    what: &str,
) -> Option<&'n Node<'n>> {
    let found = field(policy, key);
    if found.is_none() {
        r.missing(
            policy,
            format!("{what} has no `{key}`"),
            format!("`{key}` is required"),
            &format!("gRFC A6: `{key}` is required in a {what}; grpc-go rejects the whole service config without it"),
        );
    }
    found
}

/// `retryPolicy`: false when the policy is invalid (gRPC would not use it).
fn retry_policy(r: &mut Reader<'_>, p: &Node, c: &mut retry_check_contract::Client) -> bool {
    let Some(p) = r.map("retryPolicy", p) else {
        return false;
    };
    check_keys(r, p, RETRY_POLICY_FIELDS, "in a gRPC `retryPolicy`");
    let before = r.errors.len();
    let attempts = required(r, p, "maxAttempts", "retryPolicy").and_then(|n| max_attempts(r, n));
    let initial = required(r, p, "initialBackoff", "retryPolicy")
        .and_then(|n| duration(r, "initialBackoff", n, true));
    let max = required(r, p, "maxBackoff", "retryPolicy")
        .and_then(|n| duration(r, "maxBackoff", n, true));
    let multiplier = required(r, p, "backoffMultiplier", "retryPolicy").and_then(|n| {
        let m = r.number("backoffMultiplier", n)?;
        if m <= 0.0 {
            r.reject(
                n,
                format!("`backoffMultiplier` is {m}"),
                "not above zero",
                "gRFC A6: backoffMultiplier \"Must be greater than zero\"",
            );
            return None;
        }
        Some(r.sp(m, n))
    });
    let codes = required(r, p, "retryableStatusCodes", "retryPolicy").and_then(|n| {
        let list = codes(r, "retryableStatusCodes", n)?;
        if n.items().is_empty() {
            r.reject(
                n,
                "`retryableStatusCodes` is empty",
                "empty",
                "gRFC A6: retryableStatusCodes \"is required and must be non-empty\"",
            );
            return None;
        }
        Some(list)
    });
    if r.errors.len() > before {
        return false;
    }
    c.max_attempts = attempts;
    c.backoff = Some(Sp::new(
        Backoff {
            initial,
            multiplier,
            max,
            // A6: the n-th retry waits random(0, min(initial * mult^(n-1), max)).
            jitter: Some(Sp::new(Jitter::Full, r.span(&p.span))),
        },
        r.span(&p.span),
    ));
    c.retry_on = codes;
    true
}

fn hedging_policy(r: &mut Reader<'_>, h: &Node, c: &mut retry_check_contract::Client) -> bool {
    let Some(h) = r.map("hedgingPolicy", h) else {
        return false;
    };
    check_keys(r, h, HEDGING_POLICY_FIELDS, "in a gRPC `hedgingPolicy`");
    let before = r.errors.len();
    let attempts = required(r, h, "maxAttempts", "hedgingPolicy").and_then(|n| max_attempts(r, n));
    let delay = field(h, "hedgingDelay").and_then(|n| duration(r, "hedgingDelay", n, false));
    let non_fatal =
        field(h, "nonFatalStatusCodes").and_then(|n| codes(r, "nonFatalStatusCodes", n));
    if r.errors.len() > before {
        return false;
    }
    c.hedging = Some(Sp::new(
        Hedging {
            max_attempts: attempts,
            delay,
            non_fatal_codes: non_fatal,
        },
        r.span(&h.span),
    ));
    true
}

/// `maxAttempts`: at least 2; above 5 it is treated as 5.
fn max_attempts(r: &mut Reader<'_>, n: &Node) -> Option<Sp<i64>> {
    let v = r.integer("maxAttempts", n, false)?;
    if v < 2 {
        r.reject(
            n,
            format!("`maxAttempts` is {v}"),
            "below 2",
            "gRFC A6: maxAttempts \"is required and must be two or greater\"",
        );
        return None;
    }
    Some(r.sp(v.min(MAX_ATTEMPTS_CAP), n))
}

/// A proto3 Duration string; `positive` when A6 requires it above zero.
fn duration(r: &mut Reader<'_>, key: &str, node: &Node, positive: bool) -> Option<Sp<Duration>> {
    let text = match &node.value {
        Value::String(s) => &**s,
        Value::Number(n) => {
            r.reject(
                node,
                format!("`{key}` is a bare number: a duration needs units"),
                "no unit",
                &format!("a service config Duration is a string of seconds with an `s` suffix, like \"{n}s\""),
            );
            return None;
        }
        _ => {
            r.wrong_type(key, node, "a duration string like \"0.1s\"");
            return None;
        }
    };
    match durations::proto(text) {
        Ok(d) if positive && d == Duration::ZERO => {
            r.reject(
                node,
                format!("`{key}` is zero"),
                "not above zero",
                &format!("gRFC A6: {key} \"must be greater than zero\""),
            );
            None
        }
        Ok(d) => Some(r.sp(d, node)),
        Err(e) => {
            r.reject(node, e, "invalid duration", "a service config Duration is a string of seconds with an `s` suffix, like \"0.1s\"");
            None
        }
    }
}

/// A list of gRPC status codes: names (`"UNAVAILABLE"`) or numbers (14).
fn codes(r: &mut Reader<'_>, key: &str, node: &Node) -> Option<Sp<Vec<Sp<Status>>>> {
    let items = r.seq(key, node)?;
    let mut out = Vec::new();
    for item in items {
        let code = match &item.value {
            Value::String(s) => GrpcCode::from_name(s).ok_or_else(|| {
                let names: Vec<&str> = GrpcCode::ALL.iter().map(|c| c.name()).collect();
                let hint = retry_check_contract::did_you_mean(s, &names)
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                format!("`{s}` is not a gRPC status code name{hint}")
            }),
            Value::Number(n) => crate::read::parse_integer(n)
                .and_then(|v| usize::try_from(v).ok())
                .and_then(|v| GrpcCode::ALL.get(v).copied())
                .ok_or_else(|| format!("`{n}` is not a gRPC status code (0-16)")),
            _ => Err(format!(
                "a status code must be a name or a number, found {}",
                item.describe()
            )),
        };
        match code {
            Ok(c) => out.push(r.sp(Status::Grpc(c), item)),
            Err(message) => r.reject(item, message, "unknown status code", "codes are the names of google.rpc.Code in upper case (\"UNAVAILABLE\") or their numbers"),
        }
    }
    Some(r.sp(out, node))
}

/// `retryThrottling`: a token bucket; its ratio is the budget.
fn throttling(r: &mut Reader<'_>, node: &Node) -> Option<Sp<Budget>> {
    let node = r.map("retryThrottling", node)?;
    check_keys(r, node, THROTTLING_FIELDS, "in `retryThrottling`");
    let before = r.errors.len();
    if let Some(max_tokens) = required(r, node, "maxTokens", "retryThrottling") {
        if let Some(tokens) = r.number("maxTokens", max_tokens) {
            if !(tokens > 0.0 && tokens <= 1000.0) {
                let rule = "grpc-go: \"maxTokens out of range (0, 1000]\"";
                r.reject(
                    max_tokens,
                    format!("`maxTokens` is {tokens}"),
                    "out of range",
                    rule,
                );
            }
        }
    }
    let ratio_node = required(r, node, "tokenRatio", "retryThrottling")?;
    let ratio = r.number("tokenRatio", ratio_node)?;
    if ratio <= 0.0 {
        let rule = "gRFC A6: tokenRatio must be greater than zero";
        r.reject(
            ratio_node,
            format!("`tokenRatio` is {ratio}"),
            "not above zero",
            rule,
        );
    }
    if let Value::Number(text) = &ratio_node.value {
        if text
            .split_once('.')
            .is_some_and(|(_, f)| f.trim_end_matches('0').len() > 3)
        {
            let rule = "gRFC A6: tokenRatio \"Up to 3 decimal places are supported\"";
            r.reject(
                ratio_node,
                format!("`tokenRatio` {text} has more than three decimal places"),
                "too precise",
                rule,
            );
        }
    }
    if r.errors.len() > before {
        return None;
    }
    Some(r.sp(
        Budget {
            // A success earns `tokenRatio` tokens and a failure costs one:
            // sustained retries stay near this share of requests.
            ratio: Some(r.sp(ratio, ratio_node)),
            min_per_sec: None,
        },
        node,
    ))
}
