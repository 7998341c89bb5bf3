//! RC037 `runs_in_cycle`.

use retry_check_contract::derive::runs_in_cycles;
use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC037",
        name: "runs_in_cycle",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "clients run inside each other's servers in a circle: no request starts there",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Follows `runs_in` and `calls` from client to client: a client that runs in
server `a` and calls `b`, while the client that runs in `b` calls `a`
again (or a client that runs in the server it calls), forms a cycle. The
rule reports each cycle once, at the `runs_in` of its first client, with
the path around it.

## Why it matters
`runs_in` says which server's handler a client runs in, so a cycle says
that a request to `a` calls `b`, whose handler calls `a`, whose handler
calls `b`, without end. Either the services really call each other in a
loop (every request amplifies until something times out, and every retry
layer on the loop multiplies it), or a `runs_in` names the wrong server.
Either way no call path starts on the cycle, so `retry_amplification`
(RC019) and `child_deadline_exceeds_parent` (RC023) cannot follow it,
and `storm` finds no client that starts a request there.

## Example
```toml
[client.orders-to-payments]
runs_in = "orders"
calls = ["payments.Charge"]

[client.payments-to-orders]
runs_in = "payments"
calls = ["orders.Confirm"]     # orders -> payments -> orders -> ...
```

## How to fix
Correct the `runs_in` that names the wrong server (it names the server
whose handler runs the client, not the one it calls). If the services
really call each other, break the loop: one direction must not call back
synchronously (use a queue or an event), and only one layer should retry.

## Source
Google SRE book, "Addressing Cascading Failures" (retries at several
layers of a call graph multiply; a loop multiplies without bound);
gRFC A6 (retry at one layer).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for cycle in runs_in_cycles(cx.set) {
        let Some(&first) = cycle.clients.first() else {
            continue;
        };
        let client = cx.client(first);
        let Some(runs_in) = &client.runs_in else {
            continue;
        };
        let mut path: Vec<String> = Vec::new();
        for &ci in &cycle.clients {
            let c = cx.client(ci);
            let server = c.runs_in.as_ref().map_or("?", |r| r.value.as_str());
            path.push(format!("`{server}` (`{}`)", c.name.value));
        }
        path.push(format!("`{}`", runs_in.value));
        let mut f = if cycle.clients.len() == 1 {
            Finding::new(
                format!(
                    "client `{}` runs in `{}` and calls it: every request to `{}` calls `{}` again",
                    client.name.value, runs_in.value, runs_in.value, runs_in.value
                ),
                runs_in.span.clone(),
                format!("runs in `{}`", runs_in.value),
            )
        } else {
            Finding::new(
                format!(
                    "clients run inside each other's servers in a cycle: {}",
                    path.join(" -> ")
                ),
                runs_in.span.clone(),
                format!("`{}` runs in `{}`", client.name.value, runs_in.value),
            )
        };
        for &ci in cycle.clients.iter().skip(1) {
            if let Some(r) = &cx.client(ci).runs_in {
                f = f.secondary(
                    r.span.clone(),
                    format!("`{}` runs in `{}`", cx.client(ci).name.value, r.value),
                );
            }
        }
        f = f
            .note(
                "no call path starts on a cycle, so retry amplification (RC019) and deadline \
                 nesting (RC023) are not checked along it, and `storm` finds no client that \
                 starts its requests",
            )
            .help(
                "`runs_in` names the server whose handler runs the client; correct the one that \
                 names the wrong server, or break the loop (one direction must not call back)",
            );
        for &ci in &cycle.clients {
            f = f.item(ItemId::Client(ci));
        }
        out.push(f);
    }
}
