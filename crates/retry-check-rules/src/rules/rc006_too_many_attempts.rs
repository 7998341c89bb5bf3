//! RC006 `too_many_attempts`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC006",
        name: "too_many_attempts",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a live, deadline-bound client makes more than three attempts per request",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags `max_attempts` above 3 on a live client: one with a `deadline` and no
`retry_window`, i.e. a caller waiting for the answer. Background
reconcilers, which declare a `retry_window`, are not checked.

## Why it matters
Attempts multiply load exactly when the server is failing: at 5 attempts an
outage turns every request into five. Retrying a live call more than a few
times rarely succeeds inside the caller's deadline anyway: the later
attempts either do not fit or arrive after the user gave up. gRPC clamps
`maxAttempts` to 5 on the client, so a larger value is not even honoured
there.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
deadline = "3s"
max_attempts = 6
```

## How to fix
Use at most 3 attempts for live calls (the SRE book's per-request limit and
the AWS SDK default). If the work must eventually happen, hand it to a
background reconciler with a `retry_window`, a budget, and a server key TTL
that outlives the window.

## Source
Google SRE book, "Handling Overload" ("a per-request retry budget of up to
three attempts"); gRFC A6 (client-side `maxAttempts` cap of 5); AWS SDKs and
Tools reference (standard mode: 3 attempts by default).
"#;

/// The SRE book's per-request limit.
const MAX_LIVE_ATTEMPTS: i64 = 3;
/// gRFC A6: the client treats larger values as 5.
const GRPC_CAP: i64 = 5;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let Some(attempts) = &client.max_attempts else {
            continue;
        };
        let Some(deadline) = &client.deadline else {
            continue;
        };
        if client.retry_window.is_some() || attempts.value <= MAX_LIVE_ATTEMPTS {
            continue;
        }
        let n = attempts.value;
        let mut f = Finding::new(
            format!(
                "client `{}` makes up to {n} attempts per request within a {} deadline",
                client.name.value, deadline.value
            ),
            attempts.span.clone(),
            format!("{n} attempts; at most {MAX_LIVE_ATTEMPTS} for a live call"),
        )
        .secondary(
            deadline.span.clone(),
            "a live caller waits at most this long",
        )
        .note(format!(
            "while the server is failing, every request becomes {n} requests, when it can least take them"
        ));
        if n > GRPC_CAP {
            f = f.note(format!(
                "gRPC clients clamp `maxAttempts` to {GRPC_CAP} (gRFC A6): on gRPC this client makes {GRPC_CAP} attempts, not {n}"
            ));
        }
        out.push(
            f.help(format!(
                "set `max_attempts = {MAX_LIVE_ATTEMPTS}`, and leave later attempts to a background \
                 reconciler with a `retry_window`"
            ))
            .item(ItemId::Client(ci)),
        );
    }
}
