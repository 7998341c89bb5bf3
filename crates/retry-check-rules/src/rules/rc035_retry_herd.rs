//! RC035 `retry_herd` (reported by `cargo retry-check storm`).

use crate::{Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC035",
    name: "retry_herd",
    group: Group::Suspicious,
    default_level: Level::Warn,
    summary:
        "in a simulated outage, un-jittered retries reach the server in synchronised waves (storm)",
    explain: EXPLAIN,
    check: crate::rules::simulated_only,
};

const EXPLAIN: &str = r#"## What it does
Reported by `cargo retry-check storm`, not by `lint`. When the simulated
outage starts, every instance of a fleet loses its connection and the
request on it at the same instant. This rule fires for a client without
jitter (that makes more than one retry) when, at the server it calls, the
busiest 100 ms of some second carries at least twice that second's mean.

## Why it matters
"If all the failed calls back off to the same time, they cause contention
or overload again." Without jitter every instance that failed together
retries together: each wave of the schedule arrives in the same
millisecond, over and over, and a recovering server sees the whole fleet at
once. Brooker's simulations show un-jittered backoff doing the most work.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
fleet = { clients = 2000, rate_per_sec = 1.0 }
max_attempts = 4
backoff = { initial = "500ms", multiplier = 2.0, max = "4s", jitter = "none" }
```

## How to fix
`jitter = "full"` (or `"decorrelated"`) in `backoff`.

## Source
Marc Brooker, "Exponential Backoff And Jitter" (AWS Architecture Blog,
2015); AWS Builders' Library, "Timeouts, retries, and backoff with jitter".
"#;
