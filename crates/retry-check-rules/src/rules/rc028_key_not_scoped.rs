//! RC028 `key_not_scoped`.

use retry_check_contract::{ItemId, KeyScope};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC028",
        name: "key_not_scoped",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "idempotency keys are looked up globally, not per tenant or user",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a server with an idempotency-key contract whose `key_scope` has
neither `tenant` nor `user`: the scope is missing, empty, or made only of
`method`, `path` or `function`. The lookup key is then the client's key
alone (plus the route), shared by every caller.

## Why it matters
The key is chosen by the client. When it is the whole lookup key, two
tenants that send the same key (a weak generator, a hard-coded test key,
a copied example) collide: the second tenant's request is answered with
the first tenant's stored response, leaking its data, and its own
operation never runs. A caller who can guess or observe another tenant's
keys can read their results. Scoping the key to the authenticated tenant
or user makes such a collision harmless.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
key_ttl = "24h"
key_scope = ["method", "path"]   # same key from two tenants = same record
```

## How to fix
Add the authenticated principal to the composite lookup key:
`key_scope = ["tenant"]` (or `["user"]`), optionally with `"method"` and
`"path"`.

## Source
IETF draft-ietf-httpapi-idempotency-key-header, security considerations
("a unique composite key as the idempotent cache lookup key ... combining
the idempotency key sent by the client with other client specific
attributes"); Brandur Leach, "Implementing Stripe-like Idempotency Keys
in Postgres" (UNIQUE index on `(user_id, idempotency_key)`).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        if !server.is_keyed() {
            continue;
        }
        let (span, label, what, fix) = match &server.key_scope {
            None => (
                server.name.span.clone(),
                "keyed server with no `key_scope`".to_string(),
                "has no `key_scope`".to_string(),
                "key_scope = [\"tenant\"]".to_string(),
            ),
            Some(scope) => {
                let scoped = scope
                    .value
                    .iter()
                    .any(|s| matches!(s.value, KeyScope::Tenant | KeyScope::User));
                if scoped {
                    continue;
                }
                let what = if scope.value.is_empty() {
                    "has an empty `key_scope`".to_string()
                } else {
                    let parts: Vec<String> = scope
                        .value
                        .iter()
                        .map(|s| format!("`{}`", s.value))
                        .collect();
                    format!("scopes keys only by {}", parts.join(", "))
                };
                let mut fix: Vec<String> = vec!["\"tenant\"".to_string()];
                fix.extend(scope.value.iter().map(|s| format!("\"{}\"", s.value)));
                (
                    scope.span.clone(),
                    "no `tenant` or `user` in the scope".to_string(),
                    what,
                    format!("key_scope = [{}]", fix.join(", ")),
                )
            }
        };
        out.push(
            Finding::new(
                format!(
                    "server `{}` {what}: idempotency keys are shared by every tenant and user",
                    server.name.value
                ),
                span,
                label,
            )
            .note(
                "two callers that send the same key collide: the second gets the first one's \
                 stored response (leaking its data) and its own operation never runs",
            )
            .help(format!(
                "scope keys to the authenticated caller: `{fix}` on `{}` (or `\"user\"` \
                 instead of `\"tenant\"`)",
                server.name.value
            ))
            .item(ItemId::Server(si)),
        );
    }
}
