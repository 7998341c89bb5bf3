//! RC008 `no_backoff`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC008",
        name: "no_backoff",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client retries immediately, with no backoff delay",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a client that retries (more than one attempt, or retry fields with no
attempt limit) while `backoff` is missing, `backoff.initial` is missing, or
`backoff.initial` is zero: every retry is sent the moment the previous
attempt fails.

## Why it matters
Retries are selfish: when failures come from overload, retries add load and
"can even delay recovery". Immediate retries are the worst case: all
attempts of a request land on the struggling server within milliseconds,
and all clients that failed together retry together. The attempts also
burn through the caller's deadline before a transient failure (a restart,
a leader election) has had time to clear.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
retry_on = ["UNAVAILABLE"]
backoff = { initial = "0ms", max = "1s" }
```

## How to fix
Set a positive initial delay with capped exponential growth and jitter,
e.g. `backoff = { initial = "100ms", multiplier = 2.0, max = "2s", jitter =
"full" }`.

## Source
gRFC A6 (`initialBackoff` "must be greater than zero"); Envoy
`retry_back_off.base_interval` (> 0, 25 ms when unset); AWS Builders'
Library, "Timeouts, retries, and backoff with jitter" (retries are
"selfish"; back off between them).
"#;

const SUGGESTED: &str =
    "backoff = { initial = \"100ms\", multiplier = 2.0, max = \"2s\", jitter = \"full\" }";

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        if !client.retries() {
            continue;
        }
        let name = &client.name.value;
        let f = match &client.backoff {
            None => Finding::new(
                format!("client `{name}` retries with no `backoff`"),
                client.retry_span(),
                "retries immediately",
            )
            .help(format!("add `{SUGGESTED}`")),
            Some(b) => match &b.initial {
                None => Finding::new(
                    format!("client `{name}` retries with no initial backoff delay"),
                    b.span.clone(),
                    "no `initial` delay",
                )
                .help("add `initial = \"100ms\"` to `backoff`"),
                Some(initial) if initial.value.as_millis() == 0 => Finding::new(
                    format!(
                        "client `{name}` retries with an initial backoff of {}",
                        initial.value
                    ),
                    initial.span.clone(),
                    "a zero delay",
                )
                .help("set `initial` to a positive delay, e.g. \"100ms\""),
                Some(_) => continue,
            },
        };
        out.push(
            f.note(
                "every retry is sent the moment the previous attempt fails, hitting a struggling \
                 server again at once and using up the deadline before a transient fault can clear",
            )
            .item(ItemId::Client(ci)),
        );
    }
}
