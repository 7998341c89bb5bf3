//! RC034 `storm_overload`: reported by `cargo retry-check storm`.

use retry_check_contract::ItemId;
use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{fix_help, incident_word, recovery_text, StormContext, StormRule};
use crate::notes::fix_falls_short;
use crate::DEFAULT_MAX_LOAD_FACTOR;

pub static RULE: StormRule = StormRule {
    lint: &Lint {
        code: "RC034",
        name: "storm_overload",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Storm,
        summary:
            "in a simulated outage, retries push a server's load above its `max_load_factor` (storm)",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Reported by `cargo retry-check storm`, not by `lint`. The storm simulation
runs every client's fleet (`fleet = { clients, rate_per_sec }`) through an
outage of the dependency, following each contract's attempts, backoff and
jitter, deadline, budget, breaker and Retry-After. This rule fires when the
offered load of some second, divided by the server's `capacity_per_sec`,
exceeds its `max_load_factor` (1.5 when not written). A server without
`capacity_per_sec` is judged against an assumed capacity, its steady
first-attempt load plus 25%, and the finding says so and what it assumed.
When the recommended fix still leaves the peak above the bound, the help
says that the fix is not enough.

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

/// Overload beyond the bound, at every server the report covers: against
/// its declared capacity, else against the assumed one (and then says so).
fn check(cx: &StormContext<'_>, out: &mut Vec<Finding>) {
    let (set, sc) = (cx.set, &cx.report.scenario);
    for s in &cx.report.servers {
        if s.without.peak_load_factor <= s.max_load_factor {
            continue;
        }
        let server = &set.servers[s.index];
        let assumed = if s.capacity_declared {
            String::new()
        } else {
            format!(", assumed {:.0}/s", s.capacity)
        };
        let (span, label) = server
            .max_load_factor
            .as_ref()
            .map(|m| {
                (
                    m.span.clone(),
                    format!("at most {}x capacity{assumed}", m.value),
                )
            })
            .or_else(|| {
                server.capacity_per_sec.as_ref().map(|c| {
                    (
                        c.span.clone(),
                        format!(
                            "capacity {}/s, default bound {}x",
                            c.value, DEFAULT_MAX_LOAD_FACTOR
                        ),
                    )
                })
            })
            .unwrap_or_else(|| {
                (
                    server.name.span.clone(),
                    format!(
                        "no `capacity_per_sec`: assumed {:.0}/s, default bound {}x",
                        s.capacity, DEFAULT_MAX_LOAD_FACTOR
                    ),
                )
            });
        let mut f = Finding::new(
            format!(
                "in a simulated {}, retries drive `{}` to {:.2}x its {}capacity (bound {}x)",
                incident_word(sc),
                s.name,
                s.without.peak_load_factor,
                if s.capacity_declared { "" } else { "assumed " },
                s.max_load_factor
            ),
            span,
            label,
        );
        for (ci, c) in set.clients.iter().enumerate() {
            if cx.topo.reaches[ci].contains(&(s.index as u32)) && cx.topo.profiles[ci].retries() {
                f = f.secondary(c.retry_span(), format!("`{}` retries", c.name.value));
            }
        }
        if !s.capacity_declared {
            f = f.note(format!(
                "capacity assumed: `{}` declares no `capacity_per_sec`, so the simulation gave it \
                 its steady first-attempt load plus 25% ({:.0}/s + 25% = {:.0}/s); declare the \
                 real capacity to judge the storm against it",
                s.name,
                s.steady_load(),
                s.capacity
            ));
        }
        let mut help = fix_help(cx, s.index, |f| format!("{:.2}x", f.peak_load_factor));
        if fix_falls_short(s) {
            help.push_str(&format!(
                ", still above the bound {}x: the fix is not enough; also lower `max_attempts`, \
                 retry at one layer of the stack only, or raise `capacity_per_sec`",
                s.max_load_factor
            ));
        }
        out.push(
            f.note(format!(
                "peak {:.0} attempts/s at {}s against {:.0}/s; {}; {}",
                s.without.peak_load_factor * s.capacity,
                s.without.peak_at_s,
                s.capacity,
                recovery_text(s.without.recovery_s),
                sc.describe()
            ))
            .help(help)
            .item(ItemId::Server(s.index)),
        );
    }
}
