//! `[client.NAME]` and the references in its `calls`.

use toml::de::DeValue;

use super::values::describe;
use super::{
    Cx, Key, Value, BACKOFF_FIELDS, BREAKER_FIELDS, BUDGET_FIELDS, CLIENT_FIELDS, FLEET_FIELDS,
    HEDGING_FIELDS, IDEMPOTENCY_KEY_FIELDS,
};
use crate::model::*;

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

pub(super) fn parse_client(cx: &mut Cx<'_>, name: &Key<'_>, body: &Value<'_>) -> Option<Client> {
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
