//! RC019 `retry_amplification`.

use retry_check_contract::derive::attempts;
use retry_check_contract::{Client, ItemId};

use crate::text::join_and;
use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC019",
        name: "retry_amplification",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary:
            "more than one layer of a call path retries, multiplying the load on the bottom layer",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Follows every call path formed by `runs_in` (a client that runs inside the
handler of a server that another client calls) and flags a path on which
more than one client retries. The amplification is the product of the
attempts of the retrying layers; at 27 (three layers of three attempts) or
more, or when a layer has no attempt limit, it is an error.

## Why it matters
Retries multiply across layers. When the bottom dependency fails, each
attempt of the outer layer makes every inner layer retry again: three layers
of three attempts send 27 requests to the bottom for one user request, five
layers send 243. The bottom layer receives this multiplied load exactly when
it is already failing, and the user waits for the whole nested schedule.

## Example
```toml
[client.web]                 # edge
calls = ["orders.Place"]
max_attempts = 3

[client.orders-payments]     # inside orders
runs_in = "orders"
calls = ["payments.Charge"]
max_attempts = 3

[client.payments-bank]       # inside payments
runs_in = "payments"
calls = ["bank.Transfer"]
max_attempts = 3             # 3 x 3 x 3 = 27 attempts reach bank
```

## How to fix
Retry at a single layer, usually the one immediately above the dependency
that fails, and set `max_attempts = 1` on the others. Outer layers that must
retry should do so only on an explicit "retryable" signal, never on an inner
layer's exhausted retries, and within a retry budget.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter" (a
five-deep stack with three retries per layer multiplies database load by
243x; "retry at a single point in the stack"); Google SRE book, "Handling
Overload" (retry only at the layer immediately above the one rejecting,
"overloaded; don't retry" to avoid a combinatorial retry explosion).
"#;

/// From this many attempts per user request on, the finding is an error.
const DENY_AT: u64 = 27;

fn attempts_text(client: &Client) -> String {
    match attempts(client) {
        Some(a) => a.to_string(),
        None => "unlimited".to_string(),
    }
}

fn who(client: &Client) -> String {
    match &client.layer {
        Some(l) => format!("`{}` (layer `{}`)", client.name.value, l.value),
        None => format!("`{}`", client.name.value),
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let set = cx.set;
    // Distinct chains of retrying layers, with the path they were found on.
    let mut chains: Vec<(Vec<usize>, &[usize])> = Vec::new();
    for path in &cx.paths {
        let layers: Vec<usize> = path.retrying_layers(set).collect();
        if layers.len() < 2 || chains.iter().any(|(l, _)| *l == layers) {
            continue;
        }
        chains.push((layers, path.clients.as_slice()));
    }
    for (layers, path) in &chains {
        // A chain that another one extends is reported with the longer one.
        if chains
            .iter()
            .any(|(other, _)| other.len() > layers.len() && other.starts_with(layers))
        {
            continue;
        }
        let clients: Vec<&Client> = layers.iter().filter_map(|&c| set.clients.get(c)).collect();
        let (Some(&inner_idx), Some(inner)) = (layers.last(), clients.last()) else {
            continue;
        };
        let bounded: Option<u64> = clients
            .iter()
            .map(|c| attempts(c))
            .try_fold(1u64, |acc, a| a.map(|a| acc.saturating_mul(a)));
        let total = match bounded {
            Some(p) => p.to_string(),
            None => "unlimited".to_string(),
        };
        let up_to = match bounded {
            Some(p) => format!("up to {p}"),
            None => "unlimited".to_string(),
        };
        let factors: Vec<String> = clients.iter().map(|c| attempts_text(c)).collect();
        // The clients of the path down to the innermost retrying layer.
        let shown: Vec<String> = path
            .iter()
            .take(
                path.iter()
                    .position(|&c| c == inner_idx)
                    .map_or(path.len(), |p| p + 1),
            )
            .filter_map(|&c| set.clients.get(c))
            .map(who)
            .collect();
        let mut bottom: Vec<String> = Vec::new();
        for call in &inner.calls {
            let s = format!("`{}`", call.value.server);
            if !bottom.contains(&s) {
                bottom.push(s);
            }
        }
        let bottom = if bottom.is_empty() {
            "the bottom layer".to_string()
        } else {
            join_and(&bottom)
        };
        let mut f = Finding::new(
            format!(
                "{} layers retry on the call path {}: {up_to} attempts per user request reach {bottom}",
                layers.len(),
                shown.join(" -> ")
            ),
            inner.retry_span(),
            match &inner.layer {
                Some(l) => format!(
                    "innermost retrying layer (`{}`): {} attempts",
                    l.value,
                    attempts_text(inner)
                ),
                None => format!("innermost retrying layer: {} attempts", attempts_text(inner)),
            },
        );
        for c in clients.iter().take(clients.len().saturating_sub(1)) {
            f = f.secondary(
                c.retry_span(),
                format!("{} also retries: {} attempts", who(c), attempts_text(c)),
            );
        }
        f = f.note(format!(
            "{} = {total} attempts per user request reach {bottom} when it fails",
            factors.join(" x ")
        ));
        if bounded.is_none() {
            f = f.note("a layer with no attempt limit makes the amplification unbounded");
        }
        let outer: Vec<String> = clients
            .iter()
            .take(clients.len().saturating_sub(1))
            .map(|c| format!("`{}`", c.name.value))
            .collect();
        f = f
            .note(
                "the failing layer receives this multiplied load exactly when it can least take it",
            )
            .help(format!(
                "retry at a single layer: keep the retries in `{}`, the layer immediately above \
                 {bottom}, and set `max_attempts = 1` on {}",
                inner.name.value,
                join_and(&outer)
            ));
        for &c in layers {
            f = f.item(ItemId::Client(c));
        }
        if bounded.is_none_or(|p| p >= DENY_AT) {
            f = f.raise();
        }
        out.push(f);
    }
}
