//! RC027 `volatile_key_store`.

use retry_check_contract::{Durability, ItemId, StoreKind};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule, Target};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC027",
        name: "volatile_key_store",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary:
            "idempotency records of a side-effecting operation are kept in a store that forgets them",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a server whose idempotency store is declared volatile
(`store.durability = "volatile"`), or is an in-process store
(`store.kind = "memory"`) with no durability declared, when the server
has an operation with side effects. An operation counts as having side
effects unless it declares `side_effects = "none"`.

## Why it matters
The record of a key is the only thing that stops a retry from running
the side effect again. A volatile store loses it on every restart,
deploy, crash or eviction, and an in-process store is also not shared
between replicas: a retry that lands on another instance, or arrives
after a restart, finds no record and charges the card a second time.
Restarts happen exactly when retries happen, during incidents.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
key_ttl = "24h"
store = { kind = "memory" }     # forgotten on restart, not shared by replicas

[server.payments.operations.Charge]
method = "POST"
side_effects = "money"
```

## How to fix
Keep idempotency records in a durable store shared by every instance of
the server (Postgres, MySQL, DynamoDB, Redis with persistence), ideally
in the same transaction as the local effect, and declare it:
`store = { kind = "postgres", durability = "durable" }`.

## Source
Brandur Leach, "Implementing Stripe-like Idempotency Keys in Postgres"
(none of this is possible on a non-ACID store: every write to it becomes
a foreign state mutation); Powertools for AWS Lambda (the local cache is
"local to each Lambda execution environment"; records live in DynamoDB
or Redis).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        let Some(store) = &server.store else { continue };
        let (span, label, where_, when) = match (&store.durability, &store.kind) {
            (Some(d), _) if d.value == Durability::Volatile => (
                d.span.clone(),
                "records do not survive a restart",
                "a store declared volatile",
                "after a restart of the store, a failover or an eviction,",
            ),
            (None, Some(k)) if k.value == StoreKind::Memory => (
                k.span.clone(),
                "an in-process store forgets every record on restart",
                "process memory",
                "after a restart, deploy or crash, or on another replica,",
            ),
            _ => continue,
        };
        // Unknown side effects count as side effects, and a server with no
        // declared operations is one operation of unknown effect.
        let first_op = (0..server.operations.len()).find(|&oi| {
            cx.target_has_side_effects(Target {
                server: si,
                operation: Some(oi),
            })
        });
        if first_op.is_none() && !server.operations.is_empty() {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "server `{}` keeps its idempotency records in {where_}",
                server.name.value
            ),
            span,
            label,
        );
        let effect = match first_op.and_then(|oi| server.operations.get(oi)) {
            Some(op) => {
                let (span, label) = match &op.side_effects {
                    Some(s) => (
                        s.span.clone(),
                        format!("`{}` has `{}` side effects", op.name.value, s.value),
                    ),
                    None => (
                        op.name.span.clone(),
                        format!(
                            "`{}` declares no `side_effects`, so it may have some",
                            op.name.value
                        ),
                    ),
                };
                f = f.secondary(span, label);
                format!("runs `{}` a second time", op.name.value)
            }
            None => "runs the operation a second time".to_string(),
        };
        f = f
            .note(format!(
                "{when} a retry finds no record of its key and {effect}"
            ))
            .help(format!(
                "keep the records of `{}` in a durable store shared by every instance, e.g. \
                 `store = {{ kind = \"postgres\", durability = \"durable\" }}`",
                server.name.value
            ))
            .item(ItemId::Server(si));
        out.push(f);
    }
}
