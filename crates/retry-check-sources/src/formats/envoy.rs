//! Envoy configuration (a bootstrap, an HTTP connection manager's
//! `route_config`, a `RouteConfiguration`, xDS resources or a config dump,
//! in YAML or JSON): every route with a retry policy (its own, or its
//! virtual host's) is a proxy client of its cluster; a cluster's
//! `circuit_breakers.thresholds[].retry_budget` is the budget of the routes
//! to it. Fields are read in both proto spellings (`retry_on`, `retryOn`).

use retry_check_contract::{Budget, Client, Duration, Method, Sp, Status};

use super::{conditions, envoy_backoff, forwarded_key, ENVOY_BASE_INTERVAL};
use crate::durations;
use crate::import::{client, Imported, ImportedClient, Operations, Placement, RawTarget};
use crate::read::Reader;
use crate::tree::{Node, Value};

const RETRY_POLICY_FIELDS: &[&str] = &[
    "retry_on",
    "num_retries",
    "per_try_timeout",
    "per_try_idle_timeout",
    "retry_back_off",
    "rate_limited_retry_back_off",
    "retriable_status_codes",
    "retriable_headers",
    "retriable_request_headers",
    "retry_host_predicate",
    "host_selection_retry_max_attempts",
    "retry_priority",
    "retry_options_predicates",
];

/// Envoy keeps only the conditions it knows (`RetryStateImpl::parseRetryOn`
/// returns the valid bits; the route config uses them and drops the rest).
const RULE_RETRY_ON: &str = "unknown `retry_on` conditions are dropped without an error (RetryStateImpl::parseRetryOn keeps only the ones it knows), so this one retries nothing";

/// The route timeout when a route sets none (RouteAction.timeout).
const DEFAULT_ROUTE_TIMEOUT: Duration = Duration(15_000);

/// Keys that only Envoy configuration has at the top of a document.
pub fn is_envoy(doc: &Node) -> bool {
    if !doc.is_map() || doc.get(&["apiVersion", "kind"]).is_some() {
        return false;
    }
    if doc
        .get(&[
            "static_resources",
            "staticResources",
            "virtual_hosts",
            "virtualHosts",
            "route_config",
            "routeConfig",
        ])
        .is_some()
    {
        return true;
    }
    // xDS responses and config dumps: typed resources.
    doc.get(&["resources", "configs"]).is_some_and(|list| {
        list.items().iter().any(|r| {
            r.get(&["@type"])
                .and_then(Node::as_str)
                .is_some_and(|t| t.contains("envoy."))
        })
    })
}

/// `snake_case` or its proto3 JSON `lowerCamelCase`.
fn field<'n>(node: &'n Node<'n>, snake: &str) -> Option<&'n Node<'n>> {
    node.field(snake)
}

/// Keys in both spellings, for `unknown_keys`.
fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every map in the tree that has `key` (in either spelling).
fn find_all<'n>(node: &'n Node<'n>, key: &str, out: &mut Vec<&'n Node<'n>>) {
    if field(node, key).is_some() {
        out.push(node);
    }
    match &node.value {
        Value::Map(entries) => entries.iter().for_each(|e| find_all(&e.value, key, out)),
        Value::Seq(items) => items.iter().for_each(|i| find_all(i, key, out)),
        _ => {}
    }
}

pub fn import(r: &mut Reader<'_>, doc: &Node, placement: &Placement, out: &mut Imported) {
    let budgets = cluster_budgets(r, doc);
    let mut route_configs = Vec::new();
    find_all(doc, "virtual_hosts", &mut route_configs);
    for rc in route_configs {
        let Some(vhosts) = field(rc, "virtual_hosts") else {
            continue;
        };
        let Some(vhosts) = r.seq("virtual_hosts", vhosts) else {
            continue;
        };
        for (vi, vh) in vhosts.iter().enumerate() {
            let Some(vh) = r.map("virtual_hosts", vh) else {
                continue;
            };
            let vh_name = vh
                .get(&["name"])
                .and_then(Node::as_str)
                .map_or_else(|| format!("virtual_hosts[{vi}]"), str::to_string);
            let vh_policy = field(vh, "retry_policy");
            let Some(routes) = vh.get(&["routes"]) else {
                continue;
            };
            let Some(routes) = r.seq("routes", routes) else {
                continue;
            };
            for (ri, route) in routes.iter().enumerate() {
                let Some(route) = r.map("routes", route) else {
                    continue;
                };
                let route_name = route
                    .get(&["name"])
                    .and_then(Node::as_str)
                    .map_or_else(|| format!("routes[{ri}]"), str::to_string);
                let name = format!("{}/{vh_name}/{route_name}", placement.name);
                route_client(r, route, vh_policy, name, &budgets, placement, out);
            }
        }
    }
}

/// Cluster name -> its retry budget.
fn cluster_budgets(r: &mut Reader<'_>, doc: &Node) -> Vec<(String, Sp<Budget>)> {
    let mut clusters = Vec::new();
    find_all(doc, "circuit_breakers", &mut clusters);
    let mut out = Vec::new();
    for cluster in clusters {
        let Some(name) = cluster.get(&["name"]).and_then(Node::as_str) else {
            continue;
        };
        let thresholds = field(cluster, "circuit_breakers").and_then(|cb| cb.get(&["thresholds"]));
        for t in thresholds.map(Node::items).unwrap_or_default() {
            let Some(b) = field(t, "retry_budget") else {
                continue;
            };
            let Some(b) = r.map("retry_budget", b) else {
                continue;
            };
            // budget_percent is a Percent message ({value: 20.0}); 20% by default.
            let percent = field(b, "budget_percent").map(|p| p.get(&["value"]).unwrap_or(p));
            let ratio = match percent {
                Some(p) => match r.number("budget_percent", p) {
                    Some(v) if (0.0..=100.0).contains(&v) => r.sp(v / 100.0, p),
                    Some(v) => {
                        r.reject(
                            p,
                            format!("`budget_percent` is {v}"),
                            "not a percentage",
                            "type.v3.Percent value must be between 0 and 100",
                        );
                        continue;
                    }
                    None => continue,
                },
                None => r.sp(0.2, b),
            };
            out.push((
                name.to_string(),
                r.sp(
                    Budget {
                        ratio: Some(ratio),
                        min_per_sec: None,
                    },
                    b,
                ),
            ));
        }
    }
    out
}

fn route_client(
    r: &mut Reader<'_>,
    route: &Node,
    vh_policy: Option<&Node>,
    name: String,
    budgets: &[(String, Sp<Budget>)],
    placement: &Placement,
    out: &mut Imported,
) {
    let Some(action) = route.get(&["route"]) else {
        return; // a redirect or direct response sends nothing upstream
    };
    // A route's own policy replaces its virtual host's.
    let Some(policy) = field(action, "retry_policy").or(vh_policy) else {
        return;
    };
    let Some(policy) = r.map("retry_policy", policy) else {
        return;
    };
    unknown_policy_keys(r, policy);
    let name_span = route.get(&["name"]).unwrap_or(route);
    let mut c = client(Sp::new(name, r.span(&name_span.span)));
    let Some(on) = field(policy, "retry_on") else {
        return; // "Envoy will not retry a failed request"
    };
    let Some(on_text) = r.string("retry_on", on) else {
        return;
    };
    let statuses = retry_statuses(r, policy, on, on_text);
    let before = r.errors.len();
    // num_retries defaults to 1 (it counts retries, not attempts).
    let retries =
        field(policy, "num_retries").and_then(|n| match r.integer("num_retries", n, true) {
            Some(v) if v >= 0 => Some((v, n.span.clone())),
            Some(v) => {
                r.reject(
                    n,
                    format!("`num_retries` is {v}"),
                    "negative",
                    "num_retries is a UInt32",
                );
                None
            }
            None => None,
        });
    let (retries, span) = retries.unwrap_or((1, on.span.clone()));
    c.per_attempt_timeout =
        field(policy, "per_try_timeout").and_then(|t| duration(r, "per_try_timeout", t));
    c.backoff = Some(back_off(r, policy, &on.span));
    if retries == 0 || r.errors.len() > before {
        return;
    }
    c.max_attempts = Some(Sp::new(retries.saturating_add(1), r.span(&span)));
    c.retry_on = Some(Sp::new(statuses, r.span(&on.span)));
    c.honor_retry_after = field(policy, "rate_limited_retry_back_off").map(|n| r.sp(true, n));
    c.deadline = match field(action, "timeout") {
        // "0s" disables the route timeout.
        Some(t) => duration(r, "timeout", t).filter(|d| d.value > Duration::ZERO),
        None => Some(Sp::new(DEFAULT_ROUTE_TIMEOUT, r.span(&name_span.span))),
    };
    if c.deadline
        .as_ref()
        .is_some_and(|d| d.span == r.span(&name_span.span))
    {
        out.implicit.push((
            r.span(&name_span.span),
            "the route sets no `timeout`, so Envoy's default of 15s bounds all its attempts"
                .to_string(),
        ));
    }
    c.idempotency_key = Some(forwarded_key(r.span(&policy.span)));
    c.layer = placement
        .layer
        .clone()
        .or_else(|| Some(Sp::new("proxy".to_string(), r.span(&name_span.span))));
    c.runs_in = placement.runs_in.clone();
    c.allow = placement.allow.clone();
    let targets = route_targets(r, route, action, budgets, &mut c);
    out.clients.push(ImportedClient {
        client: c,
        proxy: true,
        targets,
    });
}

/// Report keys of `retry_policy` Envoy does not know (in either spelling).
fn unknown_policy_keys(r: &mut Reader<'_>, policy: &Node) {
    let all_known = policy.entries().iter().all(|e| {
        RETRY_POLICY_FIELDS
            .iter()
            .any(|f| crate::tree::same_field(e.name(), f))
    });
    if !all_known {
        let known: Vec<String> = RETRY_POLICY_FIELDS
            .iter()
            .flat_map(|f| [f.to_string(), camel(f)])
            .collect();
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        r.unknown_keys(policy, &known, "in an Envoy `retry_policy`");
    }
}

/// The statuses `retry_on` (and `retriable_status_codes`, when
/// `retry_on` names `retriable-status-codes`) retry.
fn retry_statuses(r: &mut Reader<'_>, policy: &Node, on: &Node, on_text: &str) -> Vec<Sp<Status>> {
    let (mut statuses, with_codes) = conditions(r, on, on_text, false, RULE_RETRY_ON);
    if with_codes {
        if let Some(codes) = field(policy, "retriable_status_codes") {
            for code in r.seq("retriable_status_codes", codes).unwrap_or_default() {
                if let Some(n) = r.integer("retriable_status_codes", code, true) {
                    match Status::from_http(n) {
                        Ok(s) => statuses.push(r.sp(s, code)),
                        Err(e) => r.reject(
                            code,
                            e,
                            "not an HTTP status",
                            "retriable_status_codes are HTTP status codes",
                        ),
                    }
                }
            }
        }
    }
    statuses
}

/// The clusters the route sends to; the first with a circuit-breaker
/// budget gives the client its budget.
fn route_targets(
    r: &Reader<'_>,
    route: &Node,
    action: &Node,
    budgets: &[(String, Sp<Budget>)],
    c: &mut Client,
) -> Vec<RawTarget> {
    let operations = methods(route);
    let mut targets = Vec::new();
    let mut clusters: Vec<&Node> = Vec::new();
    if let Some(cl) = field(action, "cluster") {
        clusters.push(cl);
    }
    if let Some(w) = field(action, "weighted_clusters") {
        for wc in w.get(&["clusters"]).map(Node::items).unwrap_or_default() {
            if let Some(n) = wc.get(&["name"]) {
                clusters.push(n);
            }
        }
    }
    for cl in clusters {
        if let Some(cluster) = cl.as_str() {
            if c.budget.is_none() {
                c.budget = budgets
                    .iter()
                    .find(|(n, _)| n == cluster)
                    .map(|(_, b)| b.clone());
            }
            targets.push(RawTarget {
                name: cluster.to_string(),
                span: r.span(&cl.span),
                operations: operations.clone(),
            });
        }
    }
    targets
}

fn back_off(
    r: &mut Reader<'_>,
    policy: &Node,
    fallback: &std::ops::Range<usize>,
) -> Sp<retry_check_contract::Backoff> {
    let Some(b) = field(policy, "retry_back_off") else {
        return Sp::new(
            envoy_backoff(Sp::new(ENVOY_BASE_INTERVAL, r.span(fallback)), None),
            r.span(fallback),
        );
    };
    let base = match field(b, "base_interval") {
        Some(n) => duration(r, "base_interval", n).map(|d| {
            // "Values less than 1 ms are rounded up to 1 ms."
            Sp::new(Duration(d.value.as_millis().max(1)), d.span)
        }),
        None => {
            r.missing(
                b,
                "`retry_back_off` has no `base_interval`",
                "`base_interval` is required",
                "RetryPolicy.RetryBackOff.base_interval is required and must be greater than zero",
            );
            None
        }
    };
    let base = base.unwrap_or_else(|| Sp::new(ENVOY_BASE_INTERVAL, r.span(&b.span)));
    let max = field(b, "max_interval").and_then(|n| {
        let d = duration(r, "max_interval", n)?;
        if d.value < base.value {
            r.reject(
                n,
                format!(
                    "`max_interval` ({}) is below `base_interval` ({})",
                    d.value, base.value
                ),
                "below base_interval",
                "RetryBackOff.max_interval \"must be greater than or equal to the base_interval\"",
            );
            return None;
        }
        Some(d)
    });
    Sp::new(envoy_backoff(base, max), r.span(&b.span))
}

/// The methods a route matches on (`:method` header matchers).
fn methods(route: &Node) -> Operations {
    let headers = route
        .at(&["match", "headers"])
        .map(Node::items)
        .unwrap_or_default();
    for h in headers {
        if h.get(&["name"]).and_then(Node::as_str) != Some(":method") {
            continue;
        }
        let exact = field(h, "exact_match")
            .or_else(|| field(h, "string_match").and_then(|m| m.get(&["exact"])))
            .and_then(Node::as_str);
        if let Some(m) = exact.and_then(|e| Method::from_name(&e.to_ascii_uppercase())) {
            return Operations::Methods(vec![m]);
        }
    }
    Operations::All
}

/// A proto3 Duration string (config dumps also write `{seconds, nanos}`).
fn duration(r: &mut Reader<'_>, key: &str, node: &Node) -> Option<Sp<Duration>> {
    if node.is_map() {
        let secs = node
            .get(&["seconds"])
            .and_then(|s| r.integer("seconds", s, true))
            .unwrap_or(0);
        let nanos = node
            .get(&["nanos"])
            .and_then(|s| r.integer("nanos", s, true))
            .unwrap_or(0);
        if secs < 0 || nanos < 0 {
            r.reject(
                node,
                format!("`{key}` is negative"),
                "negative",
                "a Duration must not be negative here",
            );
            return None;
        }
        let ms = (secs as u64)
            .saturating_mul(1000)
            .saturating_add((nanos as u64).div_ceil(1_000_000));
        return Some(r.sp(Duration(ms), node));
    }
    let text = r.string(key, node)?;
    match durations::proto(text) {
        Ok(d) => Some(r.sp(d, node)),
        Err(e) => {
            r.reject(node, e, "invalid duration", "a google.protobuf.Duration is written as seconds with an `s` suffix, like \"0.25s\"");
            None
        }
    }
}
