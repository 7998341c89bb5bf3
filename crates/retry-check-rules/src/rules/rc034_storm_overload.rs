//! RC034 `storm_overload` (reported by `cargo retry-check storm`).

use crate::{Group, Level, Rule};

pub static RULE: Rule = Rule {
    code: "RC034",
    name: "storm_overload",
    group: Group::Correctness,
    default_level: Level::Deny,
    summary:
        "in a simulated outage, retries push a server's load above its `max_load_factor` (storm)",
    explain: EXPLAIN,
    check: crate::rules::simulated_only,
};

const EXPLAIN: &str = r#"## What it does
Reported by `cargo retry-check storm`, not by `lint`. The storm simulation
runs every client's fleet (`fleet = { clients, rate_per_sec }`) through an
outage of the dependency, following each contract's attempts, backoff and
jitter, deadline, budget, breaker and Retry-After. This rule fires when the
offered load of some second, divided by the server's `capacity_per_sec`,
exceeds its `max_load_factor` (1.5 when not written). Only servers that
declare `capacity_per_sec` are judged.

## Why it matters
"Retries are selfish": they add load exactly when the server has the least
to spare, and "can even delay recovery". A server that comes back from an
outage into several times its capacity sheds most of it, the shed requests
retry, and the overload sustains itself long after the cause is gone.

## Example
```toml
[server.payments]
capacity_per_sec = 1200
max_load_factor = 1.5

[client.checkout]
calls = ["payments.Charge"]
fleet = { clients = 500, rate_per_sec = 2.0 }
max_attempts = 5
backoff = { initial = "100ms", multiplier = 2.0, max = "2s" }
```

## How to fix
Bound the extra load: a retry budget (`budget = { ratio = 0.1 }`), a
breaker, fewer attempts, full jitter, retries at one layer of the stack
only. The report shows the same fleet with the recommended fix beside it.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter"; Google
SRE book, "Handling Overload" (per-client retry budget of 10%).
"#;
