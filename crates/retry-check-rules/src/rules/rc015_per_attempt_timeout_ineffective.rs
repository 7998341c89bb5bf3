//! RC015 `per_attempt_timeout_ineffective`.

use retry_check_contract::derive::attempts;
use retry_check_contract::{Duration, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC015",
        name: "per_attempt_timeout_ineffective",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a retrying client's per-attempt timeout is not shorter than its overall deadline",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a retrying client whose `per_attempt_timeout` is greater than or equal
to its `deadline`.

## Why it matters
The deadline covers all attempts. If one attempt may take the whole deadline,
an attempt that times out leaves no time for a retry: the retries configured
for slow or hanging servers never happen, and only fast failures are ever
retried. Envoy documents the same trap: a per-try timeout must be less than
the global timeout "or it is ignored", and with no per-try timeout a request
that times out is not retried.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
deadline = "3s"
per_attempt_timeout = "3s"   # the first attempt can use the whole deadline
```

## How to fix
Make `per_attempt_timeout` a fraction of the deadline so that a timed-out
attempt still leaves room for the backoff and another attempt, for example
`deadline / max_attempts` minus the backoff, or the downstream p99.9 latency.

## Source
Envoy route docs (`per_try_timeout`; `x-envoy-upstream-rq-per-try-timeout-ms`
must be less than the global route timeout "or it is ignored"; with a 5xx
policy and no per-try timeout a timed-out request is not retried); gRFC A6
(the call deadline applies across all attempts); AWS Builders' Library,
"Timeouts, retries, and backoff with jitter" (choose timeouts from
downstream latency percentiles).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let (Some(timeout), Some(deadline)) = (&client.per_attempt_timeout, &client.deadline)
        else {
            continue;
        };
        if !client.retries() || timeout.value < deadline.value {
            continue;
        }
        let relation = if timeout.value == deadline.value {
            "equal to"
        } else {
            "longer than"
        };
        let mut f = Finding::new(
            format!(
                "client `{}` has a per-attempt timeout of {} that is {relation} its {} deadline",
                client.name.value, timeout.value, deadline.value
            ),
            timeout.span.clone(),
            format!("one attempt may take {}", timeout.value),
        )
        .secondary(
            deadline.span.clone(),
            format!("all attempts together get {}", deadline.value),
        )
        .note(
            "an attempt that times out has used the whole deadline, so it is never retried: \
             only fast failures get a second attempt",
        )
        .note("the timeout that fires is the deadline, so the per-attempt timeout has no effect");
        f = match attempts(client).filter(|a| *a > 1) {
            Some(a) => f.help(format!(
                "lower `per_attempt_timeout` well below the deadline, at most {} ({} / {a} \
                 attempts) minus the backoff, so a timed-out attempt leaves room for a retry",
                Duration(deadline.value.as_millis() / a),
                deadline.value
            )),
            None => f.help(
                "lower `per_attempt_timeout` well below the deadline, so a timed-out attempt \
                 leaves room for a retry",
            ),
        };
        out.push(f.item(ItemId::Client(ci)));
    }
}
