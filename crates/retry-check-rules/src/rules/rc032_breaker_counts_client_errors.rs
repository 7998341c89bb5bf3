//! RC032 `breaker_counts_client_errors`.

use retry_check_contract::{GrpcCode, ItemId, Status};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC032",
        name: "breaker_counts_client_errors",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a circuit breaker counts client errors (4xx, INVALID_ARGUMENT) as failures of the dependency",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags every entry of a client's `breaker.counts` that is a client error: an
HTTP 4xx status other than 408 and 429 (including the class `"4xx"`), or one
of the gRPC codes the application returns for a bad request
(`INVALID_ARGUMENT`, `NOT_FOUND`, `ALREADY_EXISTS`, `PERMISSION_DENIED`,
`UNAUTHENTICATED`, `FAILED_PRECONDITION`, `OUT_OF_RANGE`).

## Why it matters
A circuit breaker should open when the dependency is unhealthy, not when
callers send bad requests. Counting client errors lets one tenant's
malformed traffic (or a bad deploy of a caller) open the breaker and fail
every other request to a perfectly healthy server. gRPC's retry throttling
counts only retryable failures for this reason: it "avoids conflating server
failure with responses to malformed requests (such as the
`INVALID_ARGUMENT` status code)".

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
breaker = { failure_ratio = 0.5, open_for = "10s", counts = ["UNAVAILABLE", "4xx"] }
```

## How to fix
Count only what says the server is struggling: `"UNAVAILABLE"`,
`"RESOURCE_EXHAUSTED"`, `503`, `429`, `"connect-failure"`, `"timeout"`.

## Source
gRFC A6, retryThrottling ("only failures with a retryable or non-fatal
code ... count"); google/rpc/code.proto (which codes mean a bad request);
RFC 9110 section 15.5 (4xx: the client seems to have erred).
"#;

/// gRPC codes the application returns for a request that is wrong.
const CLIENT_CODES: &[GrpcCode] = &[
    GrpcCode::InvalidArgument,
    GrpcCode::NotFound,
    GrpcCode::AlreadyExists,
    GrpcCode::PermissionDenied,
    GrpcCode::Unauthenticated,
    GrpcCode::FailedPrecondition,
    GrpcCode::OutOfRange,
];

fn client_error(s: Status) -> bool {
    match s {
        Status::Grpc(c) => CLIENT_CODES.contains(&c),
        Status::Http(c) => (400..500).contains(&c) && c != 408 && c != 429,
        Status::HttpClass(k) => k == 4,
        Status::Transport(_) => false,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let Some(counts) = client.breaker.as_ref().and_then(|b| b.counts.as_ref()) else {
            continue;
        };
        for entry in &counts.value {
            if !client_error(entry.value) {
                continue;
            }
            out.push(
                Finding::new(
                    format!(
                        "client `{}`'s breaker counts `{}`, a client error, as a failure of the dependency",
                        client.name.value, entry.value
                    ),
                    entry.span.clone(),
                    "a client error",
                )
                .note(
                    "bad requests from any caller can then open the breaker and cut every request \
                     off a healthy server",
                )
                .help("count only overload and unavailability: \"UNAVAILABLE\", \"RESOURCE_EXHAUSTED\", 503, 429, \"connect-failure\"")
                .item(ItemId::Client(ci)),
            );
        }
    }
}
