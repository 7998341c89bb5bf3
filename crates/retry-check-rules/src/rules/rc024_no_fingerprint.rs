//! RC024 `no_fingerprint`.

use retry_check_contract::{ItemId, SideEffects};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC024",
        name: "no_fingerprint",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a keyed server does not check that a reused key comes with the same request",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a server with an idempotency-key contract (`key_source` or
`key_ttl`) that declares no `fingerprint` (or an empty one): the request
fields the server hashes and compares when a key comes back. It is a
warning, and an error when one of the server's operations has
`side_effects = "money"`.

## Why it matters
Without a fingerprint the server only looks at the key. A client bug that
reuses a key for a different request (another amount, another customer)
gets the stored response of the first request: the second payment is
silently dropped while the client believes it succeeded, or the first
response leaks to a request it does not belong to. The IETF draft answers
this case with 422, Stripe compares the parameters of every replay, and
Powertools raises `IdempotencyValidationError`.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
key_ttl = "24h"
# no fingerprint: a reused key with another amount replays the first charge

[server.payments.operations.Charge]
method = "POST"
idempotency = "key"
side_effects = "money"
```

## How to fix
List the request fields that define the operation, and answer a mismatch
with 422:
```toml
fingerprint = ["amount", "currency", "customer"]
on_mismatch = 422
```

## Source
IETF draft-ietf-httpapi-idempotency-key-header (an idempotency
fingerprint; 422 for a reused key with a different payload); Stripe
idempotency docs (the idempotency layer compares incoming parameters to
those of the original request); Powertools for AWS Lambda
(`payload_validation_jmespath`, `IdempotencyValidationError`).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        if !server.is_keyed() {
            continue;
        }
        let (span, label) = match &server.fingerprint {
            None => (
                server.name.span.clone(),
                "keyed server with no `fingerprint`".to_string(),
            ),
            Some(fp) if fp.value.is_empty() => (
                fp.span.clone(),
                "an empty fingerprint compares nothing".to_string(),
            ),
            Some(_) => continue,
        };
        let money = server.operations.iter().find_map(|op| {
            op.side_effects
                .as_ref()
                .filter(|s| s.value == SideEffects::Money)
                .map(|s| (op, s))
        });
        let mut f = Finding::new(
            format!(
                "server `{}` accepts idempotency keys but never checks that a reused key \
                 comes with the same request",
                server.name.value
            ),
            span,
            label,
        );
        if let Some((op, side_effects)) = money {
            f = f
                .secondary(
                    side_effects.span.clone(),
                    format!("`{}` moves money", op.name.value),
                )
                .note(format!(
                    "a key reused with another amount or customer replays the stored response of \
                     the first request: the second `{}` is silently dropped while its client \
                     believes it succeeded",
                    op.name.value
                ))
                .raise();
        } else {
            f = f.note(
                "a key reused with a different request replays the stored response of the first \
                 one: the second request is silently dropped while its client believes it succeeded",
            );
        }
        f = f
            .help(
                "list the request fields the server compares on a reused key, e.g. \
                 `fingerprint = [\"amount\", \"currency\", \"customer\"]`, and answer a mismatch \
                 with `on_mismatch = 422`",
            )
            .item(ItemId::Server(si));
        out.push(f);
    }
}
