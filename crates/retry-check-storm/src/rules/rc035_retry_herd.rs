//! RC035 `retry_herd`: reported by `cargo retry-check storm`.

use retry_check_contract::ItemId;
use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{incident_word, StormContext, StormRule};
use crate::HERD_SPIKE;

pub static RULE: StormRule = StormRule {
    lint: &Lint {
        code: "RC035",
        name: "retry_herd",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Storm,
        summary:
            "in a simulated outage, un-jittered retries reach the server in synchronised waves (storm)",
        explain: EXPLAIN,
    },
    check,
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

/// Synchronised retries of un-jittered clients at a server the incident hits.
fn check(cx: &StormContext<'_>, out: &mut Vec<Finding>) {
    let (set, sc) = (cx.set, &cx.report.scenario);
    for s in &cx.report.servers {
        if !s.incident || s.without.herd_spike < HERD_SPIKE {
            continue;
        }
        for (ci, c) in set.clients.iter().enumerate() {
            let p = &cx.topo.profiles[ci];
            if !cx.topo.targets[ci].contains(&(s.index as u32)) || !p.fix().full_jitter {
                continue;
            }
            let span = c
                .backoff
                .as_ref()
                .map(|b| b.jitter.as_ref().map_or(b.span.clone(), |j| j.span.clone()))
                .unwrap_or_else(|| c.retry_span());
            out.push(
                Finding::new(
                    format!(
                        "`{}`'s un-jittered retries reach `{}` as a herd: {:.1}x the second's mean in 100 ms",
                        c.name.value, s.name, s.without.herd_spike
                    ),
                    span,
                    "no jitter",
                )
                .note(format!(
                    "the {} failed every instance's request at once; each retry wave repeats it ({} instances); with full jitter the peak is {:.1}x",
                    incident_word(sc),
                    p.fleet_clients,
                    s.with_fix.herd_spike
                ))
                .help("add `jitter = \"full\"` to `backoff`")
                .item(ItemId::Client(ci)),
            );
        }
    }
}
