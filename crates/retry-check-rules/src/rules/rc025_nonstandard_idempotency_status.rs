//! RC025 `nonstandard_idempotency_status`.

use retry_check_contract::{GrpcCode, ItemId, Server, Sp, Status};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC025",
        name: "nonstandard_idempotency_status",
        group: Group::Pedantic,
        default_level: Level::Allow,
        job: Job::Lint,
        summary:
            "a keyed server answers key errors with other statuses than the IETF draft's 400/422/409",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
On a server with an idempotency-key contract, checks the three statuses it
declares for key errors against the IETF Idempotency-Key draft:
`on_missing_key` should be 400, `on_mismatch` (key reused with a different
payload) 422, and `on_in_progress` (the original request is still running)
409. Each differing field is reported on its own. A field that is not
written is not reported. A gRPC server may use gRPC codes instead; the
tool takes `INVALID_ARGUMENT`, `FAILED_PRECONDITION` and `ABORTED` as the
gRPC equivalents (a project convention, not part of the draft). The rule
is pedantic (allow by default).

## Why it matters
Clients, SDKs and retry middleware decide from the status alone whether
to retry. The draft makes 409 the one key error a client may retry
without changing the request, and 400 and 422 errors it must correct
first. A server that answers a payload mismatch with 409 (as Brandur
Leach's reference implementation does) is retried by every client that
treats 409 as "still in progress", and one that answers an in-progress
duplicate with a 5xx makes clients retry with load on, or give up on an
operation that is still running.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
on_mismatch = 409        # the draft says 422
on_in_progress = 503     # the draft says 409
on_missing_key = 400
```

## How to fix
Use `on_missing_key = 400`, `on_mismatch = 422` and `on_in_progress = 409`
(for gRPC: `"INVALID_ARGUMENT"`, `"FAILED_PRECONDITION"`, `"ABORTED"`), or,
when existing clients depend on the current statuses, allow the rule on
the server with the reason.

## Source
IETF draft-ietf-httpapi-idempotency-key-header, -06 (400 for a missing
key, 422 for a reused key with a different payload, 409 while the
original request is still being processed; "Clients MUST correct the
requests (with the exception of 409 ...) before performing a retry");
Brandur Leach, "Implementing Stripe-like Idempotency Keys in Postgres"
(409 for a mismatch).
"#;

/// One of the three status fields and what the draft expects of it.
struct Field {
    name: &'static str,
    http: u16,
    grpc: GrpcCode,
    /// What the situation is, for the message.
    situation: &'static str,
    /// What goes wrong with another status, for the note.
    consequence: &'static str,
}

const FIELDS: &[Field] = &[
    Field {
        name: "on_mismatch",
        http: 422,
        grpc: GrpcCode::FailedPrecondition,
        situation: "a key reused with a different payload",
        consequence: "422 tells the client to fix the request before retrying; with another \
                      status, a client may retry the mismatching request, or take it for an \
                      in-progress conflict and retry it forever",
    },
    Field {
        name: "on_in_progress",
        http: 409,
        grpc: GrpcCode::Aborted,
        situation: "a duplicate that arrives while the original is still running",
        consequence: "409 is the one key error the draft lets clients retry without changing \
                      the request; with another status, clients cannot tell \"still running, ask \
                      again later\" from a real failure, and either give up on an operation that \
                      is still running or retry it as an ordinary error",
    },
    Field {
        name: "on_missing_key",
        http: 400,
        grpc: GrpcCode::InvalidArgument,
        situation: "a request without an idempotency key",
        consequence: "400 tells the client the request itself is wrong; with another status, \
                      a client may retry it unchanged, still without a key",
    },
];

fn value_of<'s>(server: &'s Server, field: &str) -> Option<&'s Sp<Status>> {
    match field {
        "on_mismatch" => server.on_mismatch.as_ref(),
        "on_in_progress" => server.on_in_progress.as_ref(),
        "on_missing_key" => server.on_missing_key.as_ref(),
        _ => None,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        if !server.is_keyed() {
            continue;
        }
        for field in FIELDS {
            let Some(status) = value_of(server, field.name) else {
                continue;
            };
            // A gRPC server is held to the gRPC equivalent, anything else
            // to the draft's HTTP status.
            let expected = match status.value {
                Status::Grpc(_) => Status::Grpc(field.grpc),
                _ => Status::Http(field.http),
            };
            if status.value == expected {
                continue;
            }
            let (standard, label) = match expected {
                Status::Grpc(code) => (
                    format!("`{}` (the gRPC equivalent of {})", code.name(), field.http),
                    format!("the convention is `{}`", code.name()),
                ),
                _ => (
                    field.http.to_string(),
                    format!("the IETF Idempotency-Key draft uses {}", field.http),
                ),
            };
            out.push(
                Finding::new(
                    format!(
                        "server `{}` answers {} with `{}`, not the standard {}",
                        server.name.value, field.situation, status.value, standard
                    ),
                    status.span.clone(),
                    label,
                )
                .note(field.consequence)
                .help(format!(
                    "set `{} = {}`, or allow `nonstandard_idempotency_status` on `{}` with the \
                     reason if existing clients depend on `{}`",
                    field.name,
                    match expected {
                        Status::Grpc(code) => format!("\"{}\"", code.name()),
                        other => other.to_string(),
                    },
                    server.name.value,
                    status.value
                ))
                .item(ItemId::Server(si)),
            );
        }
    }
}
