//! RC030 `hedging_non_idempotent`.

use retry_check_contract::{Idempotency, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC030",
        name: "hedging_non_idempotent",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client hedges an operation that declares it is not safe to run twice",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client with a `hedging` policy that calls an operation declared
`idempotency = "none"`. A hedging policy with `max_attempts` of 1 or less
sends a single request and is not reported.

## Why it matters
Hedging does not wait for a failure: after `delay` it sends another copy
of the request while the first one is still running, and takes whichever
answer comes first. On a healthy but slow server every copy executes.
For an operation that declares it cannot be repeated, each hedge is a
second execution by design, not by accident: two orders, two emails, two
charges.

## Example
```toml
[server.mailer.operations.Send]
method = "POST"
idempotency = "none"

[client.notifier]
calls = ["mailer.Send"]
hedging = { max_attempts = 3, delay = "100ms", non_fatal_codes = ["UNAVAILABLE"] }
```

## How to fix
Remove `hedging` from the client (use a retry policy on codes that prove
the request was not processed), or make the operation safe to repeat: an
idempotency-key contract on the server (`idempotency = "key"`, with an
in-progress state that answers concurrent duplicates with 409) and a key
the client sends with every copy.

## Source
gRFC A6, hedgingPolicy ("it is important that hedging is only enabled for
methods that are safe to execute multiple times"); RFC 9110 section 9.2.2
(a client SHOULD NOT automatically retry a non-idempotent request).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let Some(hedging) = &client.hedging else {
            continue;
        };
        if hedging.max_attempts.as_ref().is_some_and(|m| m.value <= 1) {
            continue;
        }
        let copies = match &hedging.max_attempts {
            Some(m) => format!("up to {} times", m.value),
            None => "several times".to_string(),
        };
        for &t in cx.targets(ci) {
            let Some(op) = cx.operation(t) else { continue };
            let Some(idem) = &op.idempotency else {
                continue;
            };
            if idem.value != Idempotency::None {
                continue;
            }
            let name = format!("{}.{}", cx.server(t).name.value, op.name.value);
            let mut f = Finding::new(
                format!(
                    "client `{}` hedges `{name}`, which is declared not idempotent",
                    client.name.value
                ),
                hedging.span.clone(),
                format!("sends each request {copies}"),
            )
            .secondary(idem.span.clone(), format!("`{name}` must not run twice"))
            .note(format!(
                "hedging sends the next copy while the first is still running, so on a slow but \
                 healthy server every copy executes `{name}`"
            ))
            .help(format!(
                "remove `hedging` from `{}`, or give `{name}` an idempotency-key contract and \
                 send the same key with every copy",
                client.name.value
            ))
            .item(ItemId::Client(ci));
            if let Some(oi) = t.operation {
                f = f.item(ItemId::Operation(t.server, oi));
            }
            out.push(f);
        }
    }
}
