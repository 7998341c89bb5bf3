//! Envoy's retry conditions (`retry_on`, `x-envoy-retry-on` and
//! `x-envoy-retry-grpc-on`), which Istio's `retryOn` also uses, as the
//! statuses of the contract model.

use retry_check_contract::{GrpcCode, Status, Transport};

/// Every condition Envoy's router knows, and what it retries. `5xx` also
/// fires when no response came (reset, timeout), and covers connect
/// failures and refused streams; `reset-before-request` proves the request
/// was not sent.
pub const CONDITIONS: &[(&str, &[Status])] = &[
    (
        "5xx",
        &[
            Status::HttpClass(5),
            Status::Transport(Transport::Reset),
            Status::Transport(Transport::Timeout),
            Status::Transport(Transport::ConnectFailure),
            Status::Transport(Transport::RefusedStream),
        ],
    ),
    (
        "gateway-error",
        &[Status::Http(502), Status::Http(503), Status::Http(504)],
    ),
    (
        "reset",
        &[
            Status::Transport(Transport::Reset),
            Status::Transport(Transport::Timeout),
        ],
    ),
    (
        "reset-before-request",
        &[Status::Transport(Transport::ConnectFailure)],
    ),
    (
        "connect-failure",
        &[Status::Transport(Transport::ConnectFailure)],
    ),
    ("envoy-ratelimited", &[Status::Http(429)]),
    ("retriable-4xx", &[Status::Http(409)]),
    (
        "refused-stream",
        &[Status::Transport(Transport::RefusedStream)],
    ),
    // The codes come from `retriable_status_codes` (Istio: numbers in
    // `retryOn`); headers cannot be expressed as statuses.
    ("retriable-status-codes", &[]),
    ("retriable-headers", &[]),
    (
        "http3-post-connect-failure",
        &[Status::Transport(Transport::Reset)],
    ),
    ("cancelled", &[Status::Grpc(GrpcCode::Cancelled)]),
    (
        "deadline-exceeded",
        &[Status::Grpc(GrpcCode::DeadlineExceeded)],
    ),
    ("internal", &[Status::Grpc(GrpcCode::Internal)]),
    (
        "resource-exhausted",
        &[Status::Grpc(GrpcCode::ResourceExhausted)],
    ),
    ("unavailable", &[Status::Grpc(GrpcCode::Unavailable)]),
];

/// The condition names, for "did you mean".
pub fn names() -> Vec<&'static str> {
    CONDITIONS.iter().map(|(n, _)| *n).collect()
}

/// The statuses of one condition, if Envoy knows it.
pub fn statuses(condition: &str) -> Option<&'static [Status]> {
    CONDITIONS
        .iter()
        .find(|(n, _)| *n == condition)
        .map(|(_, s)| *s)
}

/// One `retry_on` token and where it is inside the string's node: the
/// byte range of the token when the node is a plain one-line scalar whose
/// text is the string as written, else the whole node.
pub fn tokens<'t>(
    text: &'t str,
    node_span: &std::ops::Range<usize>,
    source: &str,
) -> Vec<(&'t str, std::ops::Range<usize>)> {
    let written = source.get(node_span.clone());
    let offset = match written {
        Some(w) if w == text => Some(node_span.start),
        Some(w) if w.len() == text.len() + 2 && w.get(1..w.len() - 1) == Some(text) => {
            Some(node_span.start + 1)
        }
        _ => None,
    };
    let mut out = Vec::new();
    let mut at = 0;
    for part in text.split(',') {
        let trimmed = part.trim();
        let lead = part.len() - part.trim_start().len();
        let range = match offset {
            Some(o) => o + at + lead..o + at + lead + trimmed.len(),
            None => node_span.clone(),
        };
        if !trimmed.is_empty() {
            out.push((trimmed, range));
        }
        at += part.len() + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_point_inside_the_string() {
        let source = "retry_on: \"5xx, reset\"\n";
        let span = 10..22;
        let t = tokens("5xx, reset", &span, source);
        assert_eq!(&source[t[0].1.clone()], "5xx");
        assert_eq!(&source[t[1].1.clone()], "reset");
        let plain = "retry_on: 5xx,reset\n";
        let t = tokens("5xx,reset", &(10..19), plain);
        assert_eq!(&plain[t[1].1.clone()], "reset");
    }

    #[test]
    fn every_condition_is_known() {
        assert!(statuses("5xx").is_some());
        assert!(statuses("5xxx").is_none());
        assert_eq!(names().len(), CONDITIONS.len());
    }
}
