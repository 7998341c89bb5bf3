//! `[client.NAME]` and the references in its `calls`.

use toml::de::DeValue;

use super::values::{describe, inline, Inline};
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
            "deadline" => {
                c.deadline =
                    cx.nonzero_duration(k, v, "no attempt could be sent before it passes", None)
            }
            "per_attempt_timeout" => {
                c.per_attempt_timeout =
                    cx.nonzero_duration(k, v, "every attempt would time out at once", None)
            }
            "retry_window" => {
                c.retry_window = cx.nonzero_duration(
                    k,
                    v,
                    "no retry could be sent inside it",
                    Some("to never retry the same key, set `max_attempts = 1`"),
                )
            }
            "backoff" => c.backoff = inline(cx, k, v, &BACKOFF, backoff_field),
            "retry_on" => c.retry_on = cx.status_list(k, v),
            "honor_retry_after" => c.honor_retry_after = cx.bool(k, v),
            "budget" => c.budget = inline(cx, k, v, &BUDGET, budget_field),
            "hedging" => c.hedging = inline(cx, k, v, &HEDGING, hedging_field),
            "idempotency_key" => c.idempotency_key = inline(cx, k, v, &KEY, key_field),
            "on_exhausted" => c.on_exhausted = cx.string(k, v),
            "fleet" => c.fleet = inline(cx, k, v, &FLEET, fleet_field),
            "breaker" => c.breaker = inline(cx, k, v, &BREAKER, breaker_field),
            "allow" => c.allow = cx.allow(k, v),
            _ => cx.unknown_field(k, &place, CLIENT_FIELDS),
        }
    }
    Some(c)
}

const BACKOFF: Inline = Inline {
    name: "backoff",
    example: "a table like { initial = \"200ms\", multiplier = 2.0 }",
    known: BACKOFF_FIELDS,
};
const BUDGET: Inline = Inline {
    name: "budget",
    example: "a table like { ratio = 0.1, min_per_sec = 10 }",
    known: BUDGET_FIELDS,
};
const HEDGING: Inline = Inline {
    name: "hedging",
    example: "a table like { max_attempts = 2, delay = \"100ms\" }",
    known: HEDGING_FIELDS,
};
const KEY: Inline = Inline {
    name: "idempotency_key",
    example: "a table like { reused_across_retries = true }",
    known: IDEMPOTENCY_KEY_FIELDS,
};
const FLEET: Inline = Inline {
    name: "fleet",
    example: "a table like { clients = 500, rate_per_sec = 2.0 }",
    known: FLEET_FIELDS,
};
const BREAKER: Inline = Inline {
    name: "breaker",
    example: "a table like { failure_ratio = 0.5, open_for = \"5s\" }",
    known: BREAKER_FIELDS,
};

fn backoff_field(cx: &mut Cx<'_>, b: &mut Backoff, name: &str, k: &Key<'_>, v: &Value<'_>) -> bool {
    match name {
        "initial" => b.initial = cx.duration(k, v),
        "multiplier" => b.multiplier = cx.number(k, v),
        "max" => b.max = cx.duration(k, v),
        "jitter" => b.jitter = cx.enumerated(k, v, Jitter::from_name, Jitter::NAMES),
        _ => return false,
    }
    true
}

fn budget_field(cx: &mut Cx<'_>, b: &mut Budget, name: &str, k: &Key<'_>, v: &Value<'_>) -> bool {
    match name {
        "ratio" => b.ratio = cx.non_negative(k, v, "a share of the request rate"),
        "min_per_sec" => b.min_per_sec = cx.non_negative(k, v, "retries per second"),
        _ => return false,
    }
    true
}

fn hedging_field(cx: &mut Cx<'_>, h: &mut Hedging, name: &str, k: &Key<'_>, v: &Value<'_>) -> bool {
    match name {
        "max_attempts" => h.max_attempts = cx.int(k, v),
        "delay" => h.delay = cx.duration(k, v),
        "non_fatal_codes" => h.non_fatal_codes = cx.status_list(k, v),
        _ => return false,
    }
    true
}

fn key_field(
    cx: &mut Cx<'_>,
    key: &mut IdempotencyKey,
    name: &str,
    k: &Key<'_>,
    v: &Value<'_>,
) -> bool {
    match name {
        "header" => key.header = cx.string(k, v),
        "reused_across_retries" => key.reused_across_retries = cx.bool(k, v),
        _ => return false,
    }
    true
}

fn fleet_field(cx: &mut Cx<'_>, f: &mut Fleet, name: &str, k: &Key<'_>, v: &Value<'_>) -> bool {
    match name {
        "clients" => f.clients = cx.at_least(k, v, 1, 10_000_000),
        "rate_per_sec" => f.rate_per_sec = cx.positive(k, v, "logical requests per second"),
        _ => return false,
    }
    true
}

fn breaker_field(cx: &mut Cx<'_>, b: &mut Breaker, name: &str, k: &Key<'_>, v: &Value<'_>) -> bool {
    match name {
        "failure_ratio" => b.failure_ratio = cx.ratio(k, v),
        "min_requests" => b.min_requests = cx.at_least(k, v, 1, 1_000_000),
        "open_for" => b.open_for = cx.nonzero_duration(k, v, "a breaker that is never open", None),
        "half_open_probes" => b.half_open_probes = cx.at_least(k, v, 1, 1_000_000),
        "counts" => b.counts = cx.status_list(k, v),
        _ => return false,
    }
    true
}
