//! RC002 `retry_without_idempotency_key`.

use retry_check_contract::{Client, Idempotency, ItemId, SideEffects, Status};
use retry_check_diagnostics::Span;

use crate::text::join_and;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule, Target};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC002",
        name: "retry_without_idempotency_key",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client repeats a non-idempotent operation without an idempotency key that makes the repeat safe",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Finds clients that send a second attempt (`max_attempts` > 1, or `hedging`)
of an operation that is not safe to repeat (`idempotency = "none"` or `"key"`,
or an undeclared non-idempotent method such as POST or PATCH, or a server
that declares no operations), when either the server has no idempotency-key
contract (no `key_source` and no `key_ttl`) or the client does not declare
`idempotency_key = { reused_across_retries = true }`. An operation declared
`idempotency = "none"` is reported even on a keyed server whose clients
reuse their key: the server's key contract does not cover it.

Operations declared `idempotency = "natural"` or `"conditional"` (ETag /
`If-Match`: a repeat fails its precondition instead of running twice) are
not reported. Neither is a client whose `retry_on` lists only failures that
prove the request never reached the server (`connect-failure`,
`refused-stream`); hedging is always reported, since hedges run concurrently.

## Why it matters
A timeout, a reset connection or a 503 from a proxy does not say whether the
server ran the operation. The retry then runs it a second time: a second
charge, a second order, a second email. Only a key that the server remembers,
sent unchanged on every attempt, lets the server recognise the repeat and
answer it with the first outcome.

## Example
```toml
[server.orders]            # no key_source, no key_ttl: no key contract

[server.orders.operations.Create]
method = "POST"
side_effects = "money"

[client.shop]
calls = ["orders.Create"]
max_attempts = 3
retry_on = ["UNAVAILABLE", "timeout"]
```

## How to fix
Give the server a key contract (`key_source = "header:Idempotency-Key"`,
`key_ttl`, an in-progress lease) and make the client send one key per
logical operation, the same on every attempt:
`idempotency_key = { header = "Idempotency-Key", reused_across_retries = true }`.
Otherwise retry only failures that prove the request was never sent
(`retry_on = ["connect-failure", "refused-stream"]`).

## Source
RFC 9110 section 9.2.2 (a client SHOULD NOT automatically retry a
non-idempotent request unless it knows the request was never applied; a proxy
MUST NOT); RFC 9113 section 8.7 (REFUSED_STREAM and GOAWAY streams can be
safely retried); Google AIP-194 (retry only requests whose repetition causes
no unintended state change); AWS Builders' Library, "Timeouts, retries, and
backoff with jitter" ("APIs with side effects aren't safe to retry unless they
provide idempotency"); IETF draft-ietf-httpapi-idempotency-key-header; Stripe
idempotency docs.
"#;

/// Hedging with more than one attempt (a missing count still hedges).
fn hedges(client: &Client) -> bool {
    client
        .hedging
        .as_ref()
        .is_some_and(|h| h.max_attempts.as_ref().is_none_or(|m| m.value > 1))
}

/// True when every `retry_on` entry proves the request never reached the
/// server (an empty list retries nothing).
fn only_never_executed(client: &Client) -> bool {
    client.retry_on.is_some()
        && client
            .retry_on()
            .iter()
            .all(|s| matches!(s.value, Status::Transport(t) if t.never_executed()))
}

/// Is repeating this target harmful unless a key protects it? Conditional
/// operations are protected by their precondition.
fn needs_key(cx: &Context<'_>, t: Target) -> bool {
    let conditional = cx
        .operation(t)
        .and_then(|op| op.idempotency.as_ref())
        .is_some_and(|i| i.value == Idempotency::Conditional);
    cx.target_unsafe(t) && !conditional
}

/// Where the target's (lack of) idempotency is written, and why it is unsafe.
fn why_unsafe(cx: &Context<'_>, t: Target) -> (Span, String) {
    let Some(op) = cx.operation(t) else {
        return (
            cx.server(t).name.span.clone(),
            "declares no operations, so every call counts as unsafe to repeat".to_string(),
        );
    };
    if let Some(i) = &op.idempotency {
        let what = match i.value {
            Idempotency::Key => "safe to repeat only with an idempotency key",
            _ => "not idempotent",
        };
        return (
            i.span.clone(),
            format!(
                "`{}` is declared `idempotency = \"{}\"`: {what}",
                op.name.value, i.value
            ),
        );
    }
    if let Some(m) = &op.method {
        return (
            m.span.clone(),
            format!(
                "{} is not an idempotent method (RFC 9110 section 9.2.2)",
                m.value
            ),
        );
    }
    (
        op.name.span.clone(),
        format!(
            "`{}` declares neither `idempotency` nor `method`",
            op.name.value
        ),
    )
}

/// The primary span and label: what makes this client send a second attempt.
fn repeat_label(client: &Client) -> (Span, String) {
    if client.retries() {
        let label = match &client.max_attempts {
            Some(m) => format!("retries: up to {} attempts", m.value),
            None => "retries with no attempt limit".to_string(),
        };
        return (client.retry_span(), label);
    }
    let span = client
        .hedging
        .as_ref()
        .map(|h| {
            h.max_attempts
                .as_ref()
                .map(|m| m.span.clone())
                .unwrap_or_else(|| h.span.clone())
        })
        .unwrap_or_else(|| client.name.span.clone());
    let label = match client
        .hedging
        .as_ref()
        .and_then(|h| h.max_attempts.as_ref())
    {
        Some(m) => format!("hedges: up to {} concurrent attempts", m.value),
        None => "hedges: sends concurrent attempts".to_string(),
    };
    (span, label)
}

/// One client repeating one target it may not repeat: what the message
/// and the fix say.
struct Gap<'a> {
    client: &'a Client,
    server: &'a str,
    /// The target, as `server.operation`.
    name: &'a str,
    /// The server has a key contract.
    keyed: bool,
    /// The operation is `idempotency = "none"`: the key does not cover it.
    uncovered: bool,
    /// The client is a proxy (mesh, gateway, Envoy route).
    proxy: bool,
}

impl Gap<'_> {
    fn message(&self, fresh_key_per_attempt: bool) -> String {
        let (client, name, server) = (&self.client.name.value, self.name, self.server);
        if self.keyed && self.uncovered {
            format!(
                "client `{client}` repeats `{name}`, which is declared not idempotent: the key contract of server `{server}` does not cover it"
            )
        } else if !self.keyed {
            format!(
                "client `{client}` repeats `{name}`, which is not idempotent, but server `{server}` has no idempotency-key contract"
            )
        } else if fresh_key_per_attempt {
            format!(
                "client `{client}` repeats `{name}`, which is not idempotent, with a new idempotency key on every attempt"
            )
        } else if self.client.idempotency_key.is_some() {
            format!(
                "client `{client}` repeats `{name}`, which is not idempotent, without declaring that it reuses its idempotency key across attempts"
            )
        } else {
            format!(
                "client `{client}` repeats `{name}`, which is not idempotent, without sending an idempotency key"
            )
        }
    }

    /// The first help: what to change.
    fn fix(&self) -> String {
        let (client, name, server) = (&self.client.name.value, self.name, self.server);
        if self.proxy {
            // A mesh or gateway resends what its caller sent: the key has
            // to come from the caller and the server.
            format!(
                "turn off the retries of the proxy `{client}` for `{name}`, or give `{server}` a key \
                 contract (`key_source = \"header:Idempotency-Key\"`, `key_ttl`) and have \
                 its callers send the key"
            )
        } else if !self.keyed {
            format!(
                "give `{server}` a key contract (`key_source = \"header:Idempotency-Key\"`, `key_ttl`) \
                 and send `idempotency_key = {{ reused_across_retries = true }}` from `{client}`"
            )
        } else {
            format!(
                "set `idempotency_key = {{ reused_across_retries = true }}` on `{client}`: one key per \
                 logical operation, the same on every attempt"
            )
        }
    }
}

/// Which of the retried failures may come after the server executed.
fn retry_on_note(client: &Client) -> String {
    if client.retry_on.is_none() {
        return "no `retry_on` is declared, so any failure may be retried, including those \
                that arrive after the server executed the request"
            .to_string();
    }
    let doubtful: Vec<String> = client
        .retry_on()
        .iter()
        .filter(|s| !matches!(s.value, Status::Transport(t) if t.never_executed()))
        .map(|s| format!("`{}`", s.value))
        .collect();
    format!(
        "{} may arrive after the server executed the request",
        join_and(&doubtful)
    )
}

/// What a second execution costs, for the note.
fn consequence(cx: &Context<'_>, t: Target, name: &str) -> String {
    let effect = match cx.operation(t).map(|op| op.side_effects()) {
        Some(SideEffects::Money) => "the money moves twice",
        Some(SideEffects::Foreign) => "the foreign side effect happens twice",
        Some(SideEffects::Local) => "its state change is applied twice",
        _ => "its effect may happen twice",
    };
    format!(
        "the server cannot tell the repeat from a new request and runs `{name}` again: {effect}"
    )
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let retries = client.retries() && !only_never_executed(client);
        let hedging = hedges(client);
        if !retries && !hedging {
            continue;
        }
        for &t in cx.targets(ci) {
            if !needs_key(cx, t) {
                continue;
            }
            let server = cx.server(t);
            let keyed = server.is_keyed();
            // `idempotency = "none"`: the server's key contract does not
            // cover this operation (an API that takes the key elsewhere).
            let uncovered = cx
                .operation(t)
                .and_then(|op| op.idempotency.as_ref())
                .is_some_and(|i| i.value == Idempotency::None);
            if keyed && client.reuses_key() && !uncovered {
                continue;
            }
            let name = cx.target_name(t);
            let (span, label) = repeat_label(client);
            let (op_span, op_label) = why_unsafe(cx, t);
            let reused_false = client
                .idempotency_key
                .as_ref()
                .and_then(|k| k.reused_across_retries.as_ref())
                .filter(|r| !r.value);
            let gap = Gap {
                client,
                server: &server.name.value,
                name: &name,
                keyed,
                uncovered,
                proxy: cx.set.is_proxy(ci),
            };
            let message = gap.message(reused_false.is_some());
            let mut f = Finding::new(message, span, label).secondary(op_span, op_label);
            if !keyed {
                f = f.secondary(
                    server.name.span.clone(),
                    format!(
                        "`{}` has no `key_source` and no `key_ttl`",
                        server.name.value
                    ),
                );
            }
            if let Some(r) = reused_false {
                f = f.secondary(r.span.clone(), "every attempt gets a fresh key");
            }
            if retries {
                f = f.note(retry_on_note(client));
            }
            if hedging {
                f = f.note("hedged attempts run concurrently: each one may execute the operation");
            }
            f = f.note(consequence(cx, t, &name));
            f = f.help(gap.fix());
            if retries && !hedging && !gap.proxy {
                f = f.help(
                    "or retry only failures that prove the request was never sent: \
                     `retry_on = [\"connect-failure\", \"refused-stream\"]`",
                );
            }
            f = f.item(ItemId::Client(ci));
            f = match t.operation {
                Some(oi) => f.item(ItemId::Operation(t.server, oi)),
                None => f.item(ItemId::Server(t.server)),
            };
            out.push(f);
        }
    }
}
