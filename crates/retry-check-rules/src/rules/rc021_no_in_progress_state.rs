//! RC021 `no_in_progress_state`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC021",
        name: "no_in_progress_state",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary:
            "a keyed server declares no in-progress state (`in_progress_lease`) for running requests",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a server with an idempotency-key contract (`key_source` or `key_ttl`)
that declares no `in_progress_lease`: no record that a request with this key
is running right now, and no bound on how long that claim holds.

## Why it matters
A key only protects against repeats if the server claims it *before* it runs
the side effect. Without an in-progress state, a retry or a concurrent
duplicate that arrives while the first request is still running finds no
completed record and runs the operation a second time. With a claim that
never expires, a handler that crashes mid-request blocks the key until
`key_ttl` runs out, and every retry in between gets a conflict.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
key_ttl = "24h"
handler_timeout = "10s"
# no in_progress_lease
```

## How to fix
Claim the key atomically when a request starts (answer duplicates with 409
while it runs) and let the claim expire after a lease longer than the
handler's longest run: `in_progress_lease = "30s"` with
`handler_timeout = "10s"`.

## Source
IETF draft-ietf-httpapi-idempotency-key-header (a request retried while the
original is still being processed gets 409); Brandur Leach, "Implementing
Stripe-like Idempotency Keys in Postgres" (`locked_at`, 90 s lock timeout);
Powertools for AWS Lambda Idempotency (`INPROGRESS` records expiring with the
remaining Lambda time; issue #1038 and PR #1387).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        if !server.is_keyed() || server.in_progress_lease.is_some() {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "server `{}` has an idempotency-key contract but no in-progress state (`in_progress_lease`)",
                server.name.value
            ),
            server.name.span.clone(),
            "no `in_progress_lease`",
        );
        if let Some(src) = &server.key_source {
            f = f.secondary(src.span.clone(), format!("keyed by `{}`", src.value));
        }
        if let Some(ttl) = &server.key_ttl {
            f = f.secondary(
                ttl.span.clone(),
                format!("completed keys are kept {}", ttl.value),
            );
        }
        f = f
            .note(
                "a retry or duplicate that arrives while the first request is still running finds \
                 no record and runs the operation a second time",
            )
            .note(
                "the claim must also expire: one that never does keeps the key of a handler that \
                 crashed mid-request blocked until `key_ttl` runs out",
            );
        f = match &server.handler_timeout {
            Some(h) => f.help(format!(
                "claim each key atomically before running the handler and declare \
                 `in_progress_lease` longer than `handler_timeout` ({}), e.g. \"{}\"",
                h.value,
                retry_check_contract::Duration(h.value.as_millis().saturating_mul(3))
            )),
            None => f.help(
                "claim each key atomically before running the handler (answer duplicates with \
                 409) and declare `in_progress_lease` longer than the handler's longest run, \
                 together with `handler_timeout`",
            ),
        };
        out.push(f.item(ItemId::Server(si)));
    }
}
