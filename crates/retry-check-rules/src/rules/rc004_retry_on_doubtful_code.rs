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
retries. On a keyed call (the server has a key contract and the client
reuses its key) the diagnostic says so: the key makes the retry safe from
a second side effect, and the note names what the retry still risks.

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

/// What is doubtful about retrying a code.
struct Doubt {
    /// For the message.
    what: &'static str,
    /// Why, for the note.
    why: &'static str,
    /// On a keyed call: what the retry still risks once the key protects
    /// the side effect.
    remains: &'static str,
    /// What to do instead.
    fix: &'static str,
}

fn doubtful(code: GrpcCode) -> Option<Doubt> {
    Some(match code {
        GrpcCode::DeadlineExceeded => Doubt {
            what: "which may arrive after the operation completed",
            why: "code.proto: `DEADLINE_EXCEEDED` \"may be returned even if the operation has \
                  completed successfully\", so the retry may run it a second time; AIP-194 also \
                  says a deadline the application set must be honored",
            remains: "what remains: a retry while the first attempt still runs gets \"in \
                      progress\", and retrying past the deadline spends time the caller no \
                      longer waits for",
            fix: "remove `DEADLINE_EXCEEDED` from `retry_on`; give each attempt a \
                  `per_attempt_timeout` instead of retrying past the caller's deadline",
        },
        GrpcCode::Aborted => Doubt {
            what: "which asks for a retry of the whole transaction, not of this call",
            why: "code.proto: `ABORTED` means the client should \"retry at a higher level\" \
                  (restart the read-modify-write sequence), not repeat the one call that lost the \
                  conflict",
            remains: "what remains: the retry repeats the call, not the transaction that lost \
                      the conflict, so it may conflict again (or get the stored `ABORTED` back)",
            fix: "remove `ABORTED` from `retry_on` and retry the whole transaction in the caller",
        },
        GrpcCode::ResourceExhausted => Doubt {
            what: "which often means a quota that stays exhausted for hours",
            why: "AIP-194: a quota behind `RESOURCE_EXHAUSTED` \"may not be expected to work for \
                  several hours\", and retries may be billed and add load to the resource that \
                  ran out",
            remains: "what remains: retries of an exhausted quota may be billed and add load to \
                      the resource that ran out",
            fix: "remove `RESOURCE_EXHAUSTED` from `retry_on`, or retry it only as pushback: \
                  `honor_retry_after = true` and a retry `budget`",
        },
        GrpcCode::Internal => Doubt {
            what: "which may arrive after the operation took effect",
            why: "`INTERNAL` says an invariant broke, not that the request was not processed; \
                  gRFC A6's example is a delete that fails with `INTERNAL` after the user was \
                  already deleted",
            remains: "what remains: a broken invariant may break again, and if the server \
                      recorded the failure under the key the retry only gets it back",
            fix: "remove `INTERNAL` from `retry_on`; retry only `UNAVAILABLE` and failures that \
                  prove the request was not sent",
        },
        GrpcCode::Unknown => Doubt {
            what: "which says nothing about whether the operation ran",
            why: "`UNKNOWN` carries no information about what happened; the handler may have \
                  failed after its side effect",
            remains: "what remains: nothing says the failure is transient, so the retries may \
                      only repeat it",
            fix: "remove `UNKNOWN` from `retry_on`; retry only `UNAVAILABLE` and failures that \
                  prove the request was not sent",
        },
        _ => return None,
    })
}

/// The first unsafe target a reused key protects: the server has a key
/// contract and the client sends the same key on every retry.
fn keyed_target(cx: &Context<'_>, ci: usize) -> Option<Target> {
    let client = cx.client(ci);
    if !client.retries() || !client.reuses_key() {
        return None;
    }
    cx.targets(ci)
        .iter()
        .copied()
        .find(|&t| cx.target_unsafe(t) && cx.server(t).is_keyed())
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
            let Some(doubt) = doubtful(code) else {
                continue;
            };
            let mut f = Finding::new(
                format!(
                    "client `{}` retries on `{}`, {}",
                    client.name.value,
                    code.name(),
                    doubt.what
                ),
                entry.span.clone(),
                format!("`{}` is doubtful", code.name()),
            )
            .item(ItemId::Client(ci));
            match keyed_target(cx, ci).filter(|_| exposed.is_empty()) {
                Some(t) => {
                    let name = cx.target_name(t);
                    f = f
                        .note(format!(
                            "the key makes this retry safe from a second side effect: `{}` \
                             answers a retry of the same key with the first attempt's stored \
                             result, or \"in progress\" while it runs, instead of running \
                             `{name}` again",
                            cx.server(t).name.value
                        ))
                        .note(doubt.remains);
                }
                None => f = f.note(doubt.why),
            }
            f = f.help(doubt.fix);
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
