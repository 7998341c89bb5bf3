//! RC029 `no_exhausted_state`.

use retry_check_contract::ItemId;
use retry_check_diagnostics::Span;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule, Target};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC029",
        name: "no_exhausted_state",
        group: Group::Style,
        default_level: Level::Warn,
        job: Job::Lint,
        summary:
            "a client retries a side-effecting operation but names no state for when retries run out",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client that retries an operation with side effects (any
`side_effects` other than `"none"`, or none declared) and has no
`on_exhausted`: the named state the caller records when its retries stop
without an answer (an empty name counts as none).

## Why it matters
When the last retry fails, the client does not know whether the effect
happened: the first attempt may have charged the card and only its
response was lost. Reporting "failed" is then a lie half of the time,
and the user pays again or the order is dropped. A named state such as
`payment_pending` makes the unknown outcome explicit, so that a
reconciler can look the operation up (with the same key) and finish it,
instead of every caller inventing its own answer.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]     # side_effects = "money"
max_attempts = 3
deadline = "3s"
# no on_exhausted: what does checkout tell the user after the 3rd failure?
```

## How to fix
Name the state and handle it: `on_exhausted = "payment_pending"`, shown
to the user as pending and resolved by a reconciler that retries or looks
up the operation with the same idempotency key.

## Source
Stripe idempotency docs ("Subsequent requests with the same key return
the same result", so a later request with the key learns the outcome of
an indeterminate one); Brandur Leach, "Implementing Stripe-like
Idempotency Keys in Postgres" (recovery points, and a completer that
pushes abandoned requests to completion); Stripe API v2 docs ("Stripe
retries failed or partially failed work to completion").
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() {
            continue;
        }
        let (span, label) = match &client.on_exhausted {
            Some(state) if !state.value.trim().is_empty() => continue,
            Some(state) => (state.span.clone(), "an empty state name"),
            None => (client.retry_span(), "retries with no `on_exhausted` state"),
        };
        let effectful: Vec<Target> = cx
            .targets(ci)
            .iter()
            .copied()
            .filter(|&t| cx.target_has_side_effects(t))
            .collect();
        let Some(&first) = effectful.first() else {
            continue;
        };
        let server = cx.server(first);
        let (what, effect_span, effect_label): (String, Span, String) = match cx.operation(first) {
            Some(op) => {
                let name = format!("{}.{}", server.name.value, op.name.value);
                match &op.side_effects {
                    Some(s) => (
                        name.clone(),
                        s.span.clone(),
                        format!("`{name}` has `{}` side effects", s.value),
                    ),
                    None => (
                        name.clone(),
                        op.name.span.clone(),
                        format!("`{name}` declares no `side_effects`, so it may have some"),
                    ),
                }
            }
            None => (
                server.name.value.clone(),
                server.name.span.clone(),
                format!(
                    "`{}` declares no operations, so its side effects are unknown",
                    server.name.value
                ),
            ),
        };
        let mut f = Finding::new(
            format!(
                "client `{}` retries `{what}` but has no `on_exhausted` state for when its \
                 retries run out",
                client.name.value
            ),
            span,
            label,
        )
        .secondary(effect_span, effect_label);
        if effectful.len() > 1 {
            let rest: Vec<String> = effectful[1..]
                .iter()
                .map(|&t| match cx.operation(t) {
                    Some(op) => format!("`{}.{}`", cx.server(t).name.value, op.name.value),
                    None => format!("`{}`", cx.server(t).name.value),
                })
                .collect();
            f = f.note(format!(
                "the same holds for {} that `{}` also retries",
                rest.join(", "),
                client.name.value
            ));
        }
        f = f
            .note(format!(
                "after the last failed attempt `{}` cannot know whether `{what}` took effect (a \
                 lost response looks like a failure); without a named state, \"failed\" is \
                 reported for an operation that may have happened",
                client.name.value
            ))
            .help(format!(
                "name the outcome, e.g. `on_exhausted = \"{}\"`, and resolve it later by \
                 retrying or looking up the operation with the same idempotency key",
                suggested_state(cx, first)
            ))
            .item(ItemId::Client(ci));
        out.push(f);
    }
}

/// A plausible state name: `<operation>_pending`, in snake_case.
fn suggested_state(cx: &Context<'_>, t: Target) -> String {
    let base = match cx.operation(t) {
        Some(op) => op.name.value.clone(),
        None => cx.server(t).name.value.clone(),
    };
    let mut snake = String::new();
    for (i, ch) in base.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 && !snake.ends_with('_') {
                snake.push('_');
            }
            snake.push(ch.to_ascii_lowercase());
        } else if ch.is_ascii_alphanumeric() {
            snake.push(ch);
        } else if !snake.ends_with('_') && !snake.is_empty() {
            snake.push('_');
        }
    }
    let snake = snake.trim_end_matches('_');
    if snake.is_empty() {
        "pending".to_string()
    } else {
        format!("{snake}_pending")
    }
}
