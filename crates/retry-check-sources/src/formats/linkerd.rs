//! Linkerd `ServiceProfile` (`linkerd.io`): the profile of the service named
//! by `metadata.name` (its FQDN); every route with `isRetryable: true` is a
//! proxy client of that service. Linkerd retries have no per-request attempt
//! limit: the `retryBudget` (default ratio 0.2, 10 per second, ttl 10s, the
//! profile translator's default) and the route `timeout` bound them.

use retry_check_contract::{Budget, Duration, Method, Sp, Status};

use super::forwarded_key;
use crate::durations;
use crate::import::{client, Imported, ImportedClient, Operations, Placement, RawTarget};
use crate::read::Reader;
use crate::tree::Node;

const BUDGET_FIELDS: &[&str] = &["retryRatio", "minRetriesPerSecond", "ttl"];

pub fn is_service_profile(doc: &Node) -> bool {
    doc.get(&["kind"]).and_then(Node::as_str) == Some("ServiceProfile")
        && doc
            .get(&["apiVersion"])
            .and_then(Node::as_str)
            .is_some_and(|v| v.starts_with("linkerd.io/"))
}

pub fn import(r: &mut Reader<'_>, doc: &Node, placement: &Placement, out: &mut Imported) {
    let Some(host) = doc.at(&["metadata", "name"]) else {
        r.missing(
            doc,
            "ServiceProfile has no `metadata.name`",
            "expected the service's FQDN",
            "a ServiceProfile is named after the FQDN of its service",
        );
        return;
    };
    let Some(host_name) = r.string("metadata.name", host) else {
        return;
    };
    let Some(spec) = doc.get(&["spec"]).and_then(|s| r.map("spec", s)) else {
        return;
    };
    let budget = budget(r, spec);
    let Some(routes) = spec.get(&["routes"]) else {
        return;
    };
    let Some(routes) = r.seq("routes", routes) else {
        return;
    };
    for (i, route) in routes.iter().enumerate() {
        let Some(route) = r.map("routes", route) else {
            continue;
        };
        let retryable = match route.get(&["isRetryable"]) {
            Some(n) => r.bool("isRetryable", n).map(|b| (b, n)),
            None => None,
        };
        let Some((true, flag)) = retryable else {
            continue;
        };
        let route_name = route
            .get(&["name"])
            .and_then(Node::as_str)
            .map_or_else(|| format!("routes[{i}]"), str::to_string);
        let name_span = route
            .get(&["name"])
            .map_or(flag.span.clone(), |n| n.span.clone());
        let mut c = client(Sp::new(
            format!("{}/{route_name}", placement.name),
            r.span(&name_span),
        ));
        // Linkerd retries the responses its response classes call failures
        // (by default every 5xx).
        let failures = failure_statuses(route);
        let failures = if failures.is_empty() {
            vec![Status::HttpClass(5)]
        } else {
            failures
        };
        c.retry_on = Some(Sp::new(
            failures
                .into_iter()
                .map(|s| Sp::new(s, r.span(&flag.span)))
                .collect(),
            r.span(&flag.span),
        ));
        out.implicit.push((
            r.span(&flag.span),
            "a ServiceProfile declares no backoff and no attempt limit: Linkerd bounds these \
             retries with the profile's retry budget and the route timeout"
                .to_string(),
        ));
        c.budget = Some(budget.clone());
        if let Some(t) = route.get(&["timeout"]) {
            if let Some(text) = r.string("timeout", t) {
                match durations::go(text) {
                    Ok(d) if d > Duration::ZERO => c.deadline = Some(r.sp(d, t)),
                    Ok(_) => {}
                    Err(e) => r.reject(
                        t,
                        e,
                        "invalid duration",
                        "route timeouts are Go durations (`time.ParseDuration`)",
                    ),
                }
            }
        }
        c.idempotency_key = Some(forwarded_key(r.span(&flag.span)));
        c.layer = placement
            .layer
            .clone()
            .or_else(|| Some(Sp::new("mesh".to_string(), r.span(&flag.span))));
        c.runs_in = placement.runs_in.clone();
        c.allow = placement.allow.clone();
        let operations = route.get(&["condition"]).map_or(Operations::All, methods);
        out.clients.push(ImportedClient {
            client: c,
            proxy: true,
            targets: vec![RawTarget {
                name: host_name.to_string(),
                span: r.span(&host.span),
                operations,
            }],
        });
    }
}

/// `spec.retryBudget`, or Linkerd's default.
fn budget(r: &mut Reader<'_>, spec: &Node) -> Sp<Budget> {
    let Some(b) = spec.get(&["retryBudget"]) else {
        let at = spec
            .entries()
            .first()
            .map_or(spec.span.clone(), |e| e.key.span.clone());
        return r.sp(
            Budget {
                ratio: Some(Sp::new(0.2, r.span(&at))),
                min_per_sec: Some(Sp::new(10.0, r.span(&at))),
            },
            spec,
        );
    };
    let mut out = Budget::default();
    if let Some(b) = r.map("retryBudget", b) {
        r.unknown_keys(b, BUDGET_FIELDS, "in a Linkerd `retryBudget`");
        if let Some(n) = b.get(&["retryRatio"]) {
            match r.number("retryRatio", n) {
                Some(v) if v >= 0.0 => out.ratio = Some(r.sp(v, n)),
                Some(v) => r.reject(
                    n,
                    format!("`retryRatio` is {v}"),
                    "negative",
                    "retryRatio is the share of extra requests retries may add: at least 0",
                ),
                None => {}
            }
        }
        if let Some(n) = b.get(&["minRetriesPerSecond"]) {
            match r.integer("minRetriesPerSecond", n, false) {
                Some(v) if v >= 0 => out.min_per_sec = Some(r.sp(v as f64, n)),
                Some(v) => r.reject(
                    n,
                    format!("`minRetriesPerSecond` is {v}"),
                    "negative",
                    "minRetriesPerSecond is an unsigned count",
                ),
                None => {}
            }
        }
        if let Some(n) = b.get(&["ttl"]) {
            if let Some(text) = r.string("ttl", n) {
                if let Err(e) = durations::go(text) {
                    r.reject(
                        n,
                        e,
                        "invalid duration",
                        "ttl is a Go duration (`time.ParseDuration`)",
                    );
                }
            }
        }
    }
    r.sp(out, b)
}

/// The methods a route condition requires (`method`, or inside `all`).
fn methods(condition: &Node) -> Operations {
    if let Some(m) = condition.get(&["method"]).and_then(Node::as_str) {
        return Method::from_name(&m.to_ascii_uppercase())
            .map_or(Operations::All, |m| Operations::Methods(vec![m]));
    }
    for part in condition.get(&["all"]).map(Node::items).unwrap_or_default() {
        if let Operations::Methods(m) = methods(part) {
            return Operations::Methods(m);
        }
    }
    Operations::All
}

/// The statuses `responseClasses` mark `isFailure: true` (ranges of
/// `condition.status`; a whole hundred is its class).
fn failure_statuses(route: &Node) -> Vec<Status> {
    let mut out = Vec::new();
    let classes = route
        .get(&["responseClasses"])
        .map(Node::items)
        .unwrap_or_default();
    for class in classes {
        let failure = matches!(
            class.get(&["isFailure"]).map(|f| &f.value),
            Some(crate::tree::Value::Bool(true))
        );
        let Some(status) = class.at(&["condition", "status"]) else {
            continue;
        };
        if !failure {
            continue;
        }
        let bound = |k: &str, default: i64| {
            status
                .get(&[k])
                .and_then(Node::scalar_text)
                .and_then(crate::read::parse_integer)
                .unwrap_or(default)
                .clamp(100, 599)
        };
        let (min, max) = (bound("min", 100), bound("max", 599));
        let mut code = min;
        while code <= max {
            if code % 100 == 0 && code + 99 <= max {
                out.push(Status::HttpClass((code / 100) as u8));
                code += 100;
            } else {
                if let Ok(s) = Status::from_http(code) {
                    out.push(s);
                }
                code += 1;
            }
        }
    }
    out
}
