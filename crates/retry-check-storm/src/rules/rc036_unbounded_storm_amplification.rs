//! RC036 `unbounded_storm_amplification`: reported by `cargo retry-check storm`.

use retry_check_contract::ItemId;
use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{incident_word, StormContext, StormRule};
use crate::AMPLIFICATION_BOUND;

pub static RULE: StormRule = StormRule {
    lint: &Lint {
        code: "RC036",
        name: "unbounded_storm_amplification",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Storm,
        summary: "in a simulated outage, a server receives more than 3 attempts per request and a retrying client on the path has neither budget nor breaker (storm)",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Reported by `cargo retry-check storm`, not by `lint`. During the simulated
outage the simulator counts the attempts that reach the dependency per
logical request started by the outermost clients; through `runs_in` stacks
the attempts of every layer multiply. Above 3 attempts per request, every
retrying client on a path to that server with neither `budget` nor
`breaker` is reported.

## Why it matters
Per-request attempt limits alone let the load grow with the number of
attempts (3x), and with the product of the layers in a stack (27x for three
layers of three). Only a limit across requests, a retry budget or a
breaker, keeps a fleet's retries to a fraction of its traffic during an
outage: the SRE book reports roughly 1.1x with a 10% per-client budget.

## Example
```toml
[client.edge]
calls = ["api"]
max_attempts = 3
backoff = { initial = "100ms", multiplier = 2.0, max = "1s", jitter = "full" }

[client.api-payments]
runs_in = "api"
calls = ["payments.Charge"]
max_attempts = 3
backoff = { initial = "100ms", multiplier = 2.0, max = "1s", jitter = "full" }
```

## How to fix
Add `budget = { ratio = 0.1 }` (or a `breaker`) to the retrying clients,
and retry at one layer of the stack only.

## Source
Google SRE book, "Handling Overload" (per-request and per-client retry
budgets); AWS Builders' Library (a five-deep stack retrying three times at
each layer: 243x).
"#;

/// Amplification during the incident with neither budget nor breaker.
fn check(cx: &StormContext<'_>, out: &mut Vec<Finding>) {
    let (set, sc) = (cx.set, &cx.report.scenario);
    for s in &cx.report.servers {
        if !s.incident || s.without.incident_amplification <= AMPLIFICATION_BOUND {
            continue;
        }
        for (ci, c) in set.clients.iter().enumerate() {
            let p = &cx.topo.profiles[ci];
            if !cx.topo.reaches[ci].contains(&(s.index as u32)) || !p.retries() || !p.fix().budget {
                continue;
            }
            out.push(
                Finding::new(
                    format!(
                        "`{}` retries with neither budget nor breaker, and `{}` receives {:.1} attempts per request during the {} (bound {})",
                        c.name.value,
                        s.name,
                        s.without.incident_amplification,
                        incident_word(sc),
                        AMPLIFICATION_BOUND
                    ),
                    c.retry_span(),
                    format!("up to {} attempts", p.max_attempts),
                )
                .note(format!(
                    "with a 10% retry budget: {:.1} attempts per request",
                    s.with_fix.incident_amplification
                ))
                .help("add `budget = { ratio = 0.1 }` (or a `breaker`), and retry at one layer of the stack only")
                .item(ItemId::Client(ci)),
            );
        }
    }
}
