//! One module per format: each reads its documents (validating them as the
//! real system does, citing its rule), and maps them onto servers and
//! clients ([`crate::import::Imported`]).

pub mod aws;
pub mod conditions;
pub mod envoy;
pub mod grpc;
pub mod istio;
pub mod linkerd;
pub mod openapi;

use retry_check_contract::{Backoff, Duration, IdempotencyKey, Jitter, Sp, Status};
use retry_check_diagnostics::Span;

use crate::read::Reader;
use crate::tree::Node;

/// Envoy's backoff when a policy sets none: 25 ms base, 10x cap, fully
/// jittered exponential (router docs; Istio inherits it).
pub const ENVOY_BASE_INTERVAL: Duration = Duration(25);

/// An Envoy-style backoff (`[0, (2^N - 1) * base)`, capped) at `span`.
pub fn envoy_backoff(base: Sp<Duration>, max: Option<Sp<Duration>>) -> Backoff {
    let span = base.span.clone();
    let cap = max.unwrap_or_else(|| Sp::new(base.value.saturating_mul(10), span.clone()));
    Backoff {
        initial: Some(base),
        multiplier: Some(Sp::new(2.0, span.clone())),
        max: Some(cap),
        jitter: Some(Sp::new(Jitter::Full, span)),
    }
}

/// A proxy resends the request it was given, headers included: whatever
/// idempotency key the caller sent reaches the server on every retry.
pub fn forwarded_key(span: Span) -> Sp<IdempotencyKey> {
    Sp::new(
        IdempotencyKey {
            header: None,
            reused_across_retries: Some(Sp::new(true, span.clone())),
        },
        span,
    )
}

/// Parse a comma-separated list of Envoy retry conditions. Unknown tokens
/// are reported with `rule`; with `codes_ok`, numbers are HTTP status codes
/// (Istio's `retryOn`). Returns the statuses and whether
/// `retriable-status-codes` was named.
pub fn conditions(
    r: &mut Reader<'_>,
    node: &Node,
    text: &str,
    codes_ok: bool,
    rule: &str,
) -> (Vec<Sp<Status>>, bool) {
    let mut out: Vec<Sp<Status>> = Vec::new();
    let mut status_codes = false;
    for (token, range) in conditions::tokens(text, &node.span, r.text) {
        let span = r.span(&range);
        if let Some(statuses) = conditions::statuses(token) {
            status_codes |= token == "retriable-status-codes";
            for s in statuses {
                if !out.iter().any(|o| o.value == *s) {
                    out.push(Sp::new(*s, span.clone()));
                }
            }
            continue;
        }
        if codes_ok {
            if let Some(s) = token
                .parse::<i64>()
                .ok()
                .and_then(|n| Status::from_http(n).ok())
            {
                out.push(Sp::new(s, span));
                continue;
            }
        }
        let names = conditions::names();
        let label = match retry_check_contract::did_you_mean(token, &names) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "unknown retry condition".to_string(),
        };
        let format = r.format;
        let d = r.error(
            "invalid_value",
            format!("`{token}` is not a retry condition {format} knows"),
            &range,
            label,
        );
        d.notes.push(format!("{format} rule: {rule}"));
        d.help.push(format!(
            "conditions are {}{}",
            names.join(", "),
            if codes_ok {
                ", or an HTTP status code"
            } else {
                ""
            }
        ));
    }
    (out, status_codes)
}
