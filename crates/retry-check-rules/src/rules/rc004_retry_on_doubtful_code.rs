//! RC004 `retry_on_doubtful_code`.

use retry_check_contract::{GrpcCode, ItemId, Status};
use retry_check_diagnostics::Span;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule, Target};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC004",
        name: "retry_on_doubtful_code",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client retries on a gRPC code that may follow a completed operation or need a different response",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags every entry of a client's `retry_on` that is `INTERNAL`, `UNKNOWN`,
`ABORTED`, `RESOURCE_EXHAUSTED` or `DEADLINE_EXCEEDED`: codes that AIP-194
calls "generally non-retryable" or non-retryable. It is a warning; it is an
error when the client retries and calls an operation that is not safe to
repeat (not naturally idempotent) without the protection of a key: the
server has no key contract, or the client does not reuse its key across
retries.

## Why it matters
Each of these codes says something different from "the server did not
process the request":
- `DEADLINE_EXCEEDED` may be returned "even if the operation has completed
  successfully" (code.proto), so the retry runs it a second time.
- `INTERNAL` and `UNKNOWN` give no promise about what happened before the
  failure; gRFC A6's example is a delete that fails with `INTERNAL` after
  the user was already deleted.
- `ABORTED` means "retry at a higher level", e.g. restart the whole
  read-modify-write sequence, not repeat the one call that lost the race.
- `RESOURCE_EXHAUSTED` is often a quota that "may not be expected to work
  for several hours", and each retry may be billed and adds load to the
  resource that ran out.

## Example
```toml
[server.payments.operations.Charge]
method = "POST"
idempotency = "none"

[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
retry_on = ["UNAVAILABLE", "DEADLINE_EXCEEDED"]   # may charge twice
```

## How to fix
Retry only `UNAVAILABLE` and transport failures that prove the request was
not sent (`connect-failure`, `refused-stream`). If a doubtful code must be
retried, make the operation safe to repeat first: a server key contract and
`idempotency_key = { reused_across_retries = true }` on the client. Retry
`ABORTED` by restarting the transaction in the caller, and treat
`RESOURCE_EXHAUSTED` as pushback (`honor_retry_after = true`, a budget).

## Source
Google AIP-194 (`DEADLINE_EXCEEDED` non-retryable; `RESOURCE_EXHAUSTED`,
`INTERNAL`, `UNKNOWN`, `ABORTED` generally non-retryable);
google/rpc/code.proto (`DEADLINE_EXCEEDED` note; guideline (b) for
`ABORTED`); gRFC A6 (retry only codes that indicate the service did not
process the request; the `INTERNAL` delete example).
"#;

/// What is doubtful about retrying this code (for the message), why (for
/// the note), and what to do instead.
fn doubtful(code: GrpcCode) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match code {
        GrpcCode::DeadlineExceeded => (
            "which may arrive after the operation completed",
            "code.proto: `DEADLINE_EXCEEDED` \"may be returned even if the operation has completed \
             successfully\", so the retry may run it a second time; AIP-194 also says a deadline \
             the application set must be honored",
            "remove `DEADLINE_EXCEEDED` from `retry_on`; give each attempt a `per_attempt_timeout` \
             instead of retrying past the caller's deadline",
        ),
        GrpcCode::Aborted => (
            "which asks for a retry of the whole transaction, not of this call",
            "code.proto: `ABORTED` means the client should \"retry at a higher level\" (restart the \
             read-modify-write sequence), not repeat the one call that lost the conflict",
            "remove `ABORTED` from `retry_on` and retry the whole transaction in the caller",
        ),
        GrpcCode::ResourceExhausted => (
            "which often means a quota that stays exhausted for hours",
            "AIP-194: a quota behind `RESOURCE_EXHAUSTED` \"may not be expected to work for several \
             hours\", and retries may be billed and add load to the resource that ran out",
            "remove `RESOURCE_EXHAUSTED` from `retry_on`, or retry it only as pushback: \
             `honor_retry_after = true` and a retry `budget`",
        ),
        GrpcCode::Internal => (
            "which may arrive after the operation took effect",
            "`INTERNAL` says an invariant broke, not that the request was not processed; gRFC A6's \
             example is a delete that fails with `INTERNAL` after the user was already deleted",
            "remove `INTERNAL` from `retry_on`; retry only `UNAVAILABLE` and failures that prove \
             the request was not sent",
        ),
        GrpcCode::Unknown => (
            "which says nothing about whether the operation ran",
            "`UNKNOWN` carries no information about what happened; the handler may have failed \
             after its side effect",
            "remove `UNKNOWN` from `retry_on`; retry only `UNAVAILABLE` and failures that prove \
             the request was not sent",
        ),
        _ => return None,
    })
}

/// Where the target's idempotency is declared (or would be).
fn target_span(cx: &Context<'_>, t: Target) -> Span {
    match cx.operation(t) {
        Some(op) => op
            .idempotency
            .as_ref()
            .map(|i| i.span.clone())
            .or_else(|| op.method.as_ref().map(|m| m.span.clone()))
            .unwrap_or_else(|| op.name.span.clone()),
        None => cx.server(t).name.span.clone(),
    }
}

/// Where to point for an exposed target: the client's own key setting when
/// the server is keyed but the client sends a new key on every attempt,
/// else the operation's idempotency.
fn exposure_span(cx: &Context<'_>, ci: usize, t: Target) -> Span {
    let key = cx.client(ci).idempotency_key.as_ref();
    if cx.server(t).is_keyed() {
        if let Some(k) = key {
            return k
                .reused_across_retries
                .as_ref()
                .map(|r| r.span.clone())
                .unwrap_or_else(|| k.span.clone());
        }
    }
    target_span(cx, t)
}

/// Targets that repeat harmfully: unsafe, and no key protects them.
fn unprotected(cx: &Context<'_>, ci: usize) -> Vec<(Target, &'static str)> {
    let client = cx.client(ci);
    if !client.retries() {
        return Vec::new();
    }
    cx.targets(ci)
        .iter()
        .copied()
        .filter(|&t| cx.target_unsafe(t))
        .filter_map(|t| {
            if !cx.server(t).is_keyed() {
                Some((t, "its server has no idempotency-key contract"))
            } else if !client.reuses_key() {
                Some((
                    t,
                    "the client does not reuse its idempotency key across retries",
                ))
            } else {
                None
            }
        })
        .collect()
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let exposed = unprotected(cx, ci);
        for entry in client.retry_on() {
            let Status::Grpc(code) = entry.value else {
                continue;
            };
            let Some((what, why, fix)) = doubtful(code) else {
                continue;
            };
            let mut f = Finding::new(
                format!(
                    "client `{}` retries on `{}`, {what}",
                    client.name.value,
                    code.name()
                ),
                entry.span.clone(),
                format!("`{}` is doubtful", code.name()),
            )
            .note(why)
            .help(fix)
            .item(ItemId::Client(ci));
            if let Some(&(first, reason)) = exposed.first() {
                let name = cx.target_name(first);
                f = f
                    .secondary(
                        exposure_span(cx, ci, first),
                        format!("`{name}` is not safe to repeat, and {reason}"),
                    )
                    .note(format!(
                        "a retry after `{}` may run `{name}` a second time",
                        code.name()
                    ));
                if exposed.len() > 1 {
                    let rest: Vec<String> = exposed
                        .iter()
                        .skip(1)
                        .map(|&(t, _)| format!("`{}`", cx.target_name(t)))
                        .collect();
                    f = f.note(format!(
                        "the same holds for {} that `{}` also calls",
                        rest.join(", "),
                        client.name.value
                    ));
                }
                f = f
                    .help(format!(
                        "or make `{name}` safe to repeat: a key contract on `{}` and \
                         `idempotency_key = {{ reused_across_retries = true }}` on `{}`",
                        cx.server(first).name.value,
                        client.name.value
                    ))
                    .raise();
            }
            out.push(f);
        }
    }
}
