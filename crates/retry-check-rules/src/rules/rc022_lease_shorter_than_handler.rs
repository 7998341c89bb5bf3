//! RC022 `lease_shorter_than_handler`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC022",
        name: "lease_shorter_than_handler",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "an in-progress lease can expire while the handler still runs, and no fencing stops the old owner",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a server whose `in_progress_lease` is shorter than its
`handler_timeout` while `fencing` is not enabled.

## Why it matters
The lease is how long a claim on a key blocks duplicates before it counts as
abandoned. If the handler may still be running when the lease expires, a
retry takes the key over and starts the operation again while the first run
is still in flight: the card is charged twice. Fencing (downstream rejects
the stale owner's token) is the only thing that makes such a takeover safe.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
key_ttl = "24h"
in_progress_lease = "5s"
handler_timeout = "30s"   # the charge may still run for 25s after the lease
```

## How to fix
Make `in_progress_lease` at least `handler_timeout`, with a margin for clock
skew and the time between claim and start; or enable `fencing = true` and
make the side effect reject completions from a stale claim token.

## Source
Powertools for AWS Lambda Idempotency (the in-progress expiry is the remaining
Lambda time, so the claim outlives the handler); Brandur Leach, "Implementing
Stripe-like Idempotency Keys in Postgres" (90 s `locked_at` lock timeout
against request timeouts well below it).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (si, server) in cx.set.servers.iter().enumerate() {
        let (Some(lease), Some(handler)) = (&server.in_progress_lease, &server.handler_timeout)
        else {
            continue;
        };
        if lease.value >= handler.value || server.fencing() {
            continue;
        }
        let gap = retry_check_contract::Duration(
            handler
                .value
                .as_millis()
                .saturating_sub(lease.value.as_millis()),
        );
        let mut f = Finding::new(
            format!(
                "server `{}` lets an in-progress claim expire after {} while its handler may run for {}",
                server.name.value, lease.value, handler.value
            ),
            lease.span.clone(),
            format!("the claim expires after {}", lease.value),
        )
        .secondary(
            handler.span.clone(),
            format!("the handler may still run {gap} longer"),
        );
        if let Some(fencing) = &server.fencing {
            f = f.secondary(fencing.span.clone(), "stale owners are not fenced");
        }
        out.push(
            f.note(format!(
                "a retry arriving after {} takes the key over and runs the operation again while the first \
                 run is still in flight",
                lease.value
            ))
            .note("without `fencing`, nothing stops the first run from completing too: the side effect happens twice")
            .help(format!(
                "raise `in_progress_lease` to at least {} (with a margin), or set `fencing = true` \
                 and have the side effect reject stale claim tokens",
                handler.value
            ))
            .item(ItemId::Server(si)),
        );
    }
}
