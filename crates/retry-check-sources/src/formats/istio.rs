//! Istio `VirtualService` (`networking.istio.io`): every HTTP route is a
//! proxy client of its destinations. A route without `retries` gets Istio's
//! default policy (retry-semantics 2.4: 2 retries, i.e. 3 attempts, on
//! `connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes`,
//! whatever the HTTP method); `attempts: 0` turns retries off.

use retry_check_contract::{Client, Duration, Method, Sp, Status};

use super::{conditions, envoy_backoff, forwarded_key, ENVOY_BASE_INTERVAL};
use crate::durations;
use crate::import::{client, Imported, ImportedClient, Operations, Placement, RawTarget};
use crate::read::Reader;
use crate::tree::Node;

const RETRY_FIELDS: &[&str] = &[
    "attempts",
    "perTryTimeout",
    "retryOn",
    "retryRemoteLocalities",
    "retryIgnorePreviousHosts",
    "backoff",
];

/// Istio's `validateHTTPRetry` (pilot/pkg/config/validation).
const RULE_RETRY_ON: &str = "validateHTTPRetry accepts in `retryOn` only the retry conditions Envoy supports and HTTP status codes";

/// Istio's default retry conditions (pilot route/retry/retry.go).
const DEFAULT_RETRY_ON: &str =
    "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

/// Is this document a VirtualService?
pub fn is_virtual_service(doc: &Node) -> bool {
    doc.get(&["kind"]).and_then(Node::as_str) == Some("VirtualService")
        && doc
            .get(&["apiVersion"])
            .and_then(Node::as_str)
            .is_some_and(|v| v.starts_with("networking.istio.io/"))
}

pub fn import(r: &mut Reader<'_>, doc: &Node, placement: &Placement, out: &mut Imported) {
    let Some(spec) = doc.get(&["spec"]) else {
        r.missing(
            doc,
            "VirtualService has no `spec`",
            "expected `spec.hosts` and `spec.http`",
            "a VirtualService needs a spec",
        );
        return;
    };
    let Some(spec) = r.map("spec", spec) else {
        return;
    };
    let kind_span = doc
        .get(&["kind"])
        .map_or(doc.span.clone(), |k| k.span.clone());
    let gateway_only = spec.get(&["gateways"]).is_some_and(|g| {
        !g.items().is_empty() && !g.items().iter().any(|i| i.as_str() == Some("mesh"))
    });
    let default_layer = if gateway_only { "gateway" } else { "mesh" };
    let hosts: Vec<&Node> = spec
        .get(&["hosts"])
        .map(|h| h.items().iter().collect())
        .unwrap_or_default();
    let Some(http) = spec.get(&["http"]) else {
        return;
    };
    let Some(routes) = r.seq("http", http) else {
        return;
    };
    for (i, route) in routes.iter().enumerate() {
        let Some(route) = r.map("http", route) else {
            continue;
        };
        route_client(
            r,
            route,
            i,
            &hosts,
            placement,
            default_layer,
            &kind_span,
            out,
        );
    }
}

/// The span that stands for a route: its `name`, else its first key.
fn route_span(route: &Node) -> std::ops::Range<usize> {
    route
        .get(&["name"])
        .map(|n| n.span.clone())
        .or_else(|| route.entries().first().map(|e| e.key.span.clone()))
        .unwrap_or_else(|| route.span.clone())
}

#[allow(clippy::too_many_arguments)]
fn route_client(
    r: &mut Reader<'_>,
    route: &Node,
    index: usize,
    hosts: &[&Node],
    placement: &Placement,
    default_layer: &str,
    kind_span: &std::ops::Range<usize>,
    out: &mut Imported,
) {
    let route_name = route
        .get(&["name"])
        .and_then(Node::as_str)
        .map_or_else(|| format!("http[{index}]"), str::to_string);
    let at = route_span(route);
    let name = Sp::new(format!("{}/{route_name}", placement.name), r.span(&at));
    let mut c = client(name);
    let Some(retry_on_text) = read_retries(r, route, &at, &route_name, &mut c, out) else {
        return;
    };
    let (statuses, span) = match &retry_on_text {
        Some((node, text)) => (
            conditions(r, node, text, true, RULE_RETRY_ON).0,
            node.span.clone(),
        ),
        None => {
            let list = super::conditions::tokens(DEFAULT_RETRY_ON, &(0..0), "")
                .into_iter()
                .filter_map(|(t, _)| super::conditions::statuses(t))
                .flatten()
                .map(|s| Sp::new(*s, r.span(&at)))
                .collect();
            (list, at.clone())
        }
    };
    let statuses: Vec<Sp<Status>> = dedup(statuses);
    c.retry_on = Some(Sp::new(statuses, r.span(&span)));
    if c.backoff.is_none() {
        let base = Sp::new(ENVOY_BASE_INTERVAL, r.span(&at));
        c.backoff = Some(Sp::new(envoy_backoff(base, None), r.span(&at)));
    }
    if let Some(t) = route.get(&["timeout"]) {
        // Istio disables the route timeout by default; "0s" keeps it off.
        c.deadline = go_duration(r, "timeout", t, false).filter(|d| d.value > Duration::ZERO);
    }
    c.idempotency_key = Some(forwarded_key(r.span(&at)));
    c.layer = placement
        .layer
        .clone()
        .or_else(|| Some(Sp::new(default_layer.to_string(), r.span(kind_span))));
    c.runs_in = placement.runs_in.clone();
    c.allow = placement.allow.clone();
    let Some(targets) = route_targets(r, route, hosts) else {
        return;
    };
    out.clients.push(ImportedClient {
        client: c,
        proxy: true,
        targets,
    });
}

/// The route's `retries` (or Istio's default when it has none) into `c`;
/// the `retryOn` text to read, if any. `None`: the route defines no client
/// (retries turned off, or an invalid `retries`).
fn read_retries<'n>(
    r: &mut Reader<'_>,
    route: &'n Node<'n>,
    at: &std::ops::Range<usize>,
    route_name: &str,
    c: &mut Client,
    out: &mut Imported,
) -> Option<Option<(&'n Node<'n>, String)>> {
    let mut retry_on_text: Option<(&Node, String)> = None;
    match route.get(&["retries"]) {
        None => {
            c.max_attempts = Some(Sp::new(3, r.span(at)));
            out.implicit.push((
                r.span(at),
                format!(
                    "route `{route_name}` has no `retries`, so Istio applies its default: 2 retries \
                     (3 attempts) on {DEFAULT_RETRY_ON} (503 too before Istio 1.24), whatever the \
                     HTTP method; `retries: {{attempts: 0}}` turns them off"
                ),
            ));
        }
        Some(node) => {
            let node = r.map("retries", node)?;
            r.unknown_keys(node, RETRY_FIELDS, "in an Istio `retries`");
            let attempts = match node.get(&["attempts"]) {
                Some(a) => match r.integer("attempts", a, false) {
                    Some(n) if n < 0 => {
                        r.reject(
                            a,
                            format!("`attempts` is {n}"),
                            "negative",
                            "validateHTTPRetry: \"attempts cannot be negative\"",
                        );
                        return None;
                    }
                    Some(n) => Some((n, a)),
                    None => return None,
                },
                None => None,
            };
            if let Some((0, a)) = attempts {
                let others: Vec<&str> = ["perTryTimeout", "retryOn", "retryRemoteLocalities"]
                    .into_iter()
                    .filter(|k| node.get(&[k]).is_some())
                    .collect();
                if !others.is_empty() {
                    r.reject(
                        a,
                        format!("retries are disabled (`attempts: 0`) but `{}` is set", others.join("`, `")),
                        "disables retries",
                        "validateHTTPRetry: \"http retry policy configured when attempts are set to 0 (disabled)\"",
                    );
                }
                return None;
            }
            // A `retries` block without `attempts` keeps Istio's 2 retries.
            let (n, span) = attempts.map_or((2, at.clone()), |(n, a)| (n, a.span.clone()));
            c.max_attempts = Some(Sp::new(n.saturating_add(1), r.span(&span)));
            if let Some(t) = node.get(&["perTryTimeout"]) {
                c.per_attempt_timeout = go_duration(r, "perTryTimeout", t, true);
            }
            if let Some(b) = node.get(&["backoff"]) {
                if let Some(d) = go_duration(r, "backoff", b, true) {
                    c.backoff = Some(Sp::new(envoy_backoff(d, None), r.span(&b.span)));
                }
            }
            if let Some(on) = node.get(&["retryOn"]) {
                if let Some(text) = r.string("retryOn", on) {
                    retry_on_text = Some((on, text.to_string()));
                }
            }
        }
    }
    Some(retry_on_text)
}

/// Where the route sends: its destinations, else the VirtualService's
/// hosts. `None`: a route that sends nothing upstream.
fn route_targets(r: &Reader<'_>, route: &Node, hosts: &[&Node]) -> Option<Vec<RawTarget>> {
    let operations = methods(route);
    let mut targets = Vec::new();
    for dest in route.get(&["route"]).map(Node::items).unwrap_or_default() {
        if let Some(host) = dest.at(&["destination", "host"]) {
            if let Some(h) = host.as_str() {
                targets.push(RawTarget {
                    name: h.to_string(),
                    span: r.span(&host.span),
                    operations: operations.clone(),
                });
            }
        }
    }
    if targets.is_empty() {
        // A route with no destination (a redirect, a direct response) sends
        // nothing upstream; a delegate's hosts are the VirtualService's.
        if route
            .get(&["redirect", "directResponse", "delegate"])
            .is_some()
        {
            return None;
        }
        for h in hosts {
            if let Some(name) = h.as_str() {
                targets.push(RawTarget {
                    name: name.to_string(),
                    span: r.span(&h.span),
                    operations: operations.clone(),
                });
            }
        }
    }
    Some(targets)
}

fn dedup(list: Vec<Sp<Status>>) -> Vec<Sp<Status>> {
    let mut out: Vec<Sp<Status>> = Vec::new();
    for s in list {
        if !out.iter().any(|o| o.value == s.value) {
            out.push(s);
        }
    }
    out
}

/// The HTTP methods a route matches (`match[].method.exact`); every method
/// when one match has no method condition.
fn methods(route: &Node) -> Operations {
    let matches = route.get(&["match"]).map(Node::items).unwrap_or_default();
    let mut methods = Vec::new();
    for m in matches {
        let Some(exact) = m.at(&["method", "exact"]).and_then(Node::as_str) else {
            return Operations::All;
        };
        match Method::from_name(&exact.to_ascii_uppercase()) {
            Some(method) if !methods.contains(&method) => methods.push(method),
            Some(_) => {}
            None => return Operations::All,
        }
    }
    if methods.is_empty() {
        Operations::All
    } else {
        Operations::Methods(methods)
    }
}

/// A Go duration; Istio requires at least 1 ms where `at_least_1ms`.
fn go_duration(
    r: &mut Reader<'_>,
    key: &str,
    node: &Node,
    at_least_1ms: bool,
) -> Option<Sp<Duration>> {
    let text = r.string(key, node)?;
    match durations::go(text) {
        Ok(d) if at_least_1ms && d == Duration::ZERO => {
            r.reject(
                node,
                format!("`{key}` must be at least 1ms, found `{text}`"),
                "below 1ms",
                "HTTPRetry.perTryTimeout \"MUST BE >=1ms\"",
            );
            None
        }
        Ok(d) => Some(r.sp(d, node)),
        Err(e) => {
            r.reject(
                node,
                e,
                "invalid duration",
                "durations are Go durations (`time.ParseDuration`)",
            );
            None
        }
    }
}
