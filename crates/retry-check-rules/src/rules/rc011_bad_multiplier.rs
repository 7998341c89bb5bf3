//! RC011 `bad_multiplier`.

use retry_check_contract::{Duration, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC011",
        name: "bad_multiplier",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a backoff multiplier that is not positive, or below 1 so that delays shrink",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Checks `backoff.multiplier`, the factor between one delay and the next. A
multiplier of 0 or less is an error. A multiplier between 0 and 1 is a
warning: each delay is shorter than the one before. A multiplier of exactly
1 is a constant backoff and is fine.

## Why it matters
A multiplier of 0 or less has no meaning as a growth factor: gRPC requires
`backoffMultiplier` to be greater than zero and grpc-go drops or rejects the
whole retry policy otherwise; Temporal rejects a `backoff_coefficient` below
1. Runtimes that accept it fall back to something the contract does not say.
A multiplier between 0 and 1 inverts backoff: the retries speed up while the
failure persists, which is the opposite of giving an overloaded server room
to recover.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
backoff = { initial = "1s", multiplier = 0.5, max = "2s", jitter = "full" }
# delays: 1s, 500ms, ...
```

## How to fix
Use 2.0 (the usual exponential factor; 1.5 and 1.6 are also common) for
exponential backoff, or 1.0 for a constant delay.

## Source
gRFC A6 (`backoffMultiplier` "Must be greater than zero"); grpc-go
`service_config.go` (`BackoffMultiplier <= 0` invalidates the policy);
Temporal retry policies (`backoff_coefficient` must be at least 1);
Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015).
"#;

/// The first few delays of a shrinking schedule, for the note.
fn shrinking(initial: Duration, multiplier: f64) -> String {
    let mut delays = Vec::new();
    let mut d = initial.as_millis() as f64;
    for _ in 0..3 {
        delays.push(Duration::from_millis(d.round() as u64).to_string());
        d *= multiplier;
    }
    delays.join(", ")
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let Some(b) = &client.backoff else { continue };
        let Some(m) = &b.multiplier else { continue };
        let name = &client.name.value;
        if m.value <= 0.0 {
            out.push(
                Finding::new(
                    format!("client `{name}` has a backoff multiplier of {:?}", m.value),
                    m.span.clone(),
                    "must be greater than 0",
                )
                .note(
                    "gRPC rejects a `backoffMultiplier` of 0 or less and drops the whole retry policy; \
                     runtimes that accept it fall back to behaviour the contract does not state",
                )
                .help("set `multiplier = 2.0` for exponential backoff, or `1.0` for a constant delay")
                .item(ItemId::Client(ci)),
            );
        } else if m.value < 1.0 {
            let mut f = Finding::new(
                format!(
                    "client `{name}` has a backoff multiplier of {:?}, so each delay is shorter than the last",
                    m.value
                ),
                m.span.clone(),
                "below 1: delays shrink",
            );
            if let Some(initial) = &b.initial {
                f = f.note(format!(
                    "the delays run {}, ...: retries speed up while the failure lasts",
                    shrinking(initial.value, m.value)
                ));
            } else {
                f = f.note("retries speed up while the failure lasts");
            }
            out.push(
                f.help(
                    "set `multiplier = 2.0` for exponential backoff, or `1.0` for a constant delay",
                )
                .item(ItemId::Client(ci))
                .lower(),
            );
        }
    }
}
