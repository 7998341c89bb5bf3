//! RC003 `retry_on_permanent_code`.

use retry_check_contract::{GrpcCode, ItemId, Status};

use crate::{Context, Finding, Fix, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC003",
        name: "retry_on_permanent_code",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client retries on a gRPC code that repeating the same request cannot fix",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags every entry of a client's `retry_on` that is one of the gRPC codes that
say the request itself, the caller, or the server's state is wrong:
`INVALID_ARGUMENT`, `NOT_FOUND`, `ALREADY_EXISTS`, `PERMISSION_DENIED`,
`UNAUTHENTICATED`, `FAILED_PRECONDITION`, `OUT_OF_RANGE`, `UNIMPLEMENTED`,
`DATA_LOSS`, `CANCELLED`, and `OK`.

## Why it matters
A retry sends the same request again. If the answer was "this argument is
invalid", "you may not do this" or "this method does not exist", the next
attempt gets the same answer, so every failure costs `max_attempts` calls
and a backoff schedule of latency for nothing. Some entries are worse than
useless: `CANCELLED` undoes the caller's own cancellation, `ALREADY_EXISTS`
is often the answer to an earlier attempt that did succeed, and retrying on
`OK` repeats calls that already succeeded.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
retry_on = ["UNAVAILABLE", "NOT_FOUND", "FAILED_PRECONDITION"]
```

## How to fix
Remove the entry. Retry on codes that say the server did not process the
request (`UNAVAILABLE`, `connect-failure`, `refused-stream`). Fix the request
or the system state for the others: `FAILED_PRECONDITION` asks for an
explicit repair, `UNAUTHENTICATED` for fresh credentials.

## Autofix
`lint --fix` removes the entry from `retry_on`.

## Source
Google AIP-194 "Automatic retry configuration" (`OK`, `CANCELLED`,
`INVALID_ARGUMENT`, `DATA_LOSS` are non-retryable; `NOT_FOUND`,
`ALREADY_EXISTS`, `PERMISSION_DENIED`, `UNAUTHENTICATED`,
`FAILED_PRECONDITION`, `OUT_OF_RANGE`, `UNIMPLEMENTED` should not be
retried); google/rpc/code.proto guideline (c) (`FAILED_PRECONDITION`: do not
retry until the system state has been explicitly fixed); gRFC A6 (retry only
codes that indicate the service did not process the request).
"#;

/// Why repeating the same request cannot help, for each permanent code.
fn permanent(code: GrpcCode) -> Option<&'static str> {
    Some(match code {
        GrpcCode::InvalidArgument => {
            "the request itself is malformed; AIP-194: retrying it \"will never succeed\""
        }
        GrpcCode::NotFound => {
            "the resource does not exist; the same request finds the same nothing"
        }
        GrpcCode::AlreadyExists => {
            "the resource exists, often because an earlier attempt of this very call created it; \
             retrying cannot succeed and hides that the first attempt worked"
        }
        GrpcCode::PermissionDenied => {
            "the caller is not allowed to do this; permissions do not change between attempts"
        }
        GrpcCode::Unauthenticated => {
            "the credentials are missing or invalid; the retry sends the same credentials"
        }
        GrpcCode::FailedPrecondition => {
            "code.proto: the client \"should not retry until the system state has been explicitly fixed\""
        }
        GrpcCode::OutOfRange => {
            "the request reads or seeks past the valid range; the same request fails the same way"
        }
        GrpcCode::Unimplemented => {
            "the server does not implement this method; no number of attempts changes that"
        }
        GrpcCode::DataLoss => {
            "the server reports unrecoverable data loss or corruption; AIP-194 lists it as non-retryable"
        }
        GrpcCode::Cancelled => {
            "the call was cancelled, usually by the caller itself; retrying defeats the cancellation"
        }
        GrpcCode::Ok => "`OK` is success: retrying on it repeats calls that already succeeded",
        _ => return None,
    })
}

fn help(code: GrpcCode) -> String {
    let extra = match code {
        GrpcCode::Ok => "; nothing should ever be retried after a success",
        GrpcCode::Unauthenticated => "; refresh the credentials and send a new request instead",
        GrpcCode::FailedPrecondition => "; repair the state (or retry the whole workflow) instead",
        GrpcCode::AlreadyExists => {
            "; treat it as \"done\" if an earlier attempt created the resource"
        }
        _ => "",
    };
    format!("remove `{}` from `retry_on`{extra}", code.name())
}

fn consequence(code: GrpcCode) -> &'static str {
    match code {
        GrpcCode::Ok => "every successful call is sent again, up to `max_attempts` times",
        _ => "each such failure costs every attempt and the whole backoff schedule before the caller sees it",
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        for entry in client.retry_on() {
            let Status::Grpc(code) = entry.value else {
                continue;
            };
            let Some(why) = permanent(code) else { continue };
            out.push(
                Finding::new(
                    match code {
                        GrpcCode::Ok => format!(
                            "client `{}` retries on `OK`, which is a success, not a failure",
                            client.name.value
                        ),
                        _ => format!(
                            "client `{}` retries on `{}`, which repeating the request cannot fix",
                            client.name.value,
                            code.name()
                        ),
                    },
                    entry.span.clone(),
                    match code {
                        GrpcCode::Ok => "`OK` is success".to_string(),
                        _ => format!("`{}` is permanent", code.name()),
                    },
                )
                .note(why)
                .note(consequence(code))
                .help(help(code))
                .fix(
                    Fix::new(format!(
                        "remove `{}` from the `retry_on` of client `{}`",
                        code.name(),
                        client.name.value
                    ))
                    .remove_element(
                        &entry.span,
                        &["client", &client.name.value],
                        "retry_on",
                    ),
                )
                .item(ItemId::Client(ci)),
            );
        }
    }
}
