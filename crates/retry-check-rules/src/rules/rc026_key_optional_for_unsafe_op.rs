//! RC026 `key_optional_for_unsafe_op`.

use retry_check_contract::{Client, ItemId};
use retry_check_diagnostics::Span;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule, Target};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC026",
        name: "key_optional_for_unsafe_op",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary:
            "a server accepts requests without an idempotency key for an operation that clients retry",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags `key_required = false` on a server with an idempotency-key contract
when one of its operations is not naturally idempotent (not declared
`idempotency = "natural"`, and not an idempotent HTTP method without a
declaration) and some client retries or hedges it. There is one finding
per such operation. A server with no declared operations counts as one
unsafe operation.

## Why it matters
When the key is optional, a request without one is simply executed: the
server keeps no record, so a retry of it executes again. Every client
that forgets the header, or a proxy that strips it, silently loses the
protection the contract promises, and the retries of its callers turn
into duplicate side effects. Powertools' `raise_on_no_idempotency_key`
defaults to false for exactly this reason: the request is then "not
treated as idempotent".

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
key_required = false          # a charge without a key runs unprotected

[server.payments.operations.Charge]
method = "POST"
idempotency = "key"

[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
```

## How to fix
Set `key_required = true` and reject a request without a key with
`on_missing_key = 400`, so that a client that forgets the key finds out
at once instead of in a duplicate. If some operations of the server are
safe to repeat, declare them `idempotency = "natural"`.

## Source
IETF draft-ietf-httpapi-idempotency-key-header (400 when the key is
missing "for a documented idempotent operation requiring this header");
Powertools for AWS Lambda, Idempotency utility
(`raise_on_no_idempotency_key = False`: the request is not treated as
idempotent and nothing is stored); RFC 9110 section 9.2.2 (POST and PATCH
are not idempotent).
"#;

/// Does this client send the same request more than once?
fn repeats(client: &Client) -> bool {
    client.retries() || client.hedging.is_some()
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        let Some(required) = &server.key_required else {
            continue;
        };
        if required.value || !server.is_keyed() {
            continue;
        }
        let units: Vec<Option<usize>> = if server.operations.is_empty() {
            vec![None]
        } else {
            (0..server.operations.len()).map(Some).collect()
        };
        let callers = cx.callers(si);
        for oi in units {
            let target = Target {
                server: si,
                operation: oi,
            };
            if !cx.target_unsafe(target) {
                continue;
            }
            let clients: Vec<usize> = callers
                .iter()
                .filter(|(ci, t)| *t == target && repeats(cx.client(*ci)))
                .map(|(ci, _)| *ci)
                .collect();
            let Some(&first) = clients.first() else {
                continue;
            };
            let op = cx.operation(target);
            let what = match op {
                Some(op) => format!("`{}.{}`", server.name.value, op.name.value),
                None => format!("`{}`", server.name.value),
            };
            let first_client = cx.client(first);
            let verb = if first_client.retries() {
                "retries"
            } else {
                "hedges"
            };
            let mut f = Finding::new(
                format!(
                    "server `{}` does not require an idempotency key, but {what} is not \
                     idempotent and client `{}` {verb} it",
                    server.name.value, first_client.name.value
                ),
                required.span.clone(),
                "requests without a key are executed unprotected",
            );
            if let Some(op) = op {
                let (span, label): (Span, String) = match &op.idempotency {
                    Some(i) => (
                        i.span.clone(),
                        format!("`{}` relies on the key to be safe to repeat", op.name.value),
                    ),
                    None => (
                        op.method
                            .as_ref()
                            .map(|m| m.span.clone())
                            .unwrap_or_else(|| op.name.span.clone()),
                        format!("`{}` is not idempotent", op.name.value),
                    ),
                };
                f = f.secondary(span, label);
            }
            f = f.secondary(
                first_client.retry_span(),
                format!("`{}` {verb} {what}", first_client.name.value),
            );
            if clients.len() > 1 {
                let rest: Vec<String> = clients[1..]
                    .iter()
                    .map(|&ci| format!("`{}`", cx.client(ci).name.value))
                    .collect();
                f = f.note(format!("{what} is also repeated by {}", rest.join(", ")));
            }
            f = f
                .note(format!(
                    "a request that arrives without the key (a client that forgets the header, a \
                     proxy that strips it) leaves no record, so each retry of it runs {what} again"
                ))
                .help(format!(
                    "set `key_required = true` on `{}` and answer a missing key with \
                     `on_missing_key = 400`",
                    server.name.value
                ))
                .item(ItemId::Server(si));
            if let Some(oi) = oi {
                f = f.item(ItemId::Operation(si, oi));
            }
            out.push(f);
        }
    }
}
