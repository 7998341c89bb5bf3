//! The storm fields of the format: fleet, breaker, capacity.

use super::*;
use crate::Duration;

/// Each error of `text` as `name message @line:col`.
pub(super) fn errors_of(text: &str) -> Vec<String> {
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
