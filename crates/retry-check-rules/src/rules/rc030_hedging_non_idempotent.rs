//! RC030 `hedging_non_idempotent`.

use retry_check_contract::{Idempotency, ItemId};
use retry_check_diagnostics::Span;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC030",
        name: "hedging_non_idempotent",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client hedges an operation that is not safe to run twice: declared not idempotent, or with no idempotency key on its server",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client with a `hedging` policy that calls an operation declared
`idempotency = "none"`, or an operation that is not naturally idempotent
(a POST or PATCH, an undeclared `rpc`, a server with no operations) on a
server that declares no idempotency-key contract (no `key_source`, no
`key_ttl`). Operations declared `natural` or `conditional` are not
reported. A hedging policy with `max_attempts` of 1 or less sends a single
request and is not reported.

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

/// Why hedging `t` runs it more than once, if it does: the span and label
/// of what makes the target unsafe.
fn unsafe_target(cx: &Context<'_>, t: crate::Target) -> Option<(Span, String, String)> {
    let server = cx.server(t);
    let name = cx.target_name(t);
    let op = cx.operation(t);
    let declared = op.and_then(|o| o.idempotency.as_ref());
    match declared.map(|i| i.value) {
        Some(Idempotency::None) => {
            let idem = declared?;
            return Some((
                idem.span.clone(),
                format!("`{name}` must not run twice"),
                "which is declared not idempotent".to_string(),
            ));
        }
        Some(Idempotency::Natural | Idempotency::Conditional) => return None,
        _ => {}
    }
    if !cx.target_unsafe(t) || server.is_keyed() {
        return None;
    }
    let (span, what) = match op {
        Some(op) => match &op.method {
            Some(m) => (
                m.span.clone(),
                format!("{} is not an idempotent method", m.value),
            ),
            None => (
                op.name.span.clone(),
                format!(
                    "`{}` declares neither `idempotency` nor `method`",
                    op.name.value
                ),
            ),
        },
        None => (
            server.name.span.clone(),
            format!("`{}` declares no operations", server.name.value),
        ),
    };
    Some((
        span,
        format!(
            "{what}, and `{}` has no idempotency-key contract",
            server.name.value
        ),
        format!(
            "which is not idempotent, and server `{}` declares no idempotency key",
            server.name.value
        ),
    ))
}

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
            let Some((span, label, why)) = unsafe_target(cx, t) else {
                continue;
            };
            let name = cx.target_name(t);
            let mut f = Finding::new(
                format!("client `{}` hedges `{name}`, {why}", client.name.value),
                hedging.span.clone(),
                format!("sends each request {copies}"),
            )
            .secondary(span, label)
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
            f = match t.operation {
                Some(oi) => f.item(ItemId::Operation(t.server, oi)),
                None => f.item(ItemId::Server(t.server)),
            };
            out.push(f);
        }
    }
}
