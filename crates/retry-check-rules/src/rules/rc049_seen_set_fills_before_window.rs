//! RC049 `seen_set_fills_before_window`.

use retry_check_contract::derive::consumer::{redelivery_window, time_to_fill};
use retry_check_contract::{DedupKey, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC049",
        name: "seen_set_fills_before_window",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "at the declared rate, a consumer's seen-set reaches `max_entries` and evicts entries before its window ends",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags a consumer that declares `rate_per_sec` and a seen-set bounded by
`dedup.max_entries`, when `max_entries / rate_per_sec` is shorter than the
time entries must be kept: `dedup.window`, or the redelivery window when
the seen-set has no window.

## Why it matters
A size-bounded seen-set evicts its oldest entries when it is full. At the
declared rate it is full after `max_entries / rate_per_sec` seconds, and
from then on that is how long an entry really lives, whatever `window`
says. A redelivery older than that finds no entry and runs the effect
again: the effective window is shorter than the declared one (RC041 in
disguise, which the declared `window` hides).

## Example
```toml
[consumer.ledger-projector]
source = "kafka:payments.events"
rate_per_sec = 2000                     # peak
dedup = { key = "event_id", store = { kind = "redis", durability = "durable" }, window = "7d", max_entries = 10_000_000 }
# 10M entries at 2,000/s: full after 1h23m, not 7 days
```

## How to fix
Size `max_entries` for the peak rate over the whole window (rate x window,
with a margin: 1.21 billion entries above), or drop `max_entries` and rely
on the window; or, if the rate is that high, dedup by offset per partition
(`key = "offset"`, `scope = ["partition"]`) where the source is ordered.

## Source
Redis documentation, `maxmemory-policy` (an LRU/LFU-evicting seen-set
drops entries under memory pressure whatever their TTL); Apache Kafka
documentation, "Consumer Position" (an offset per partition is a
constant-size record of what was handled).
"#;

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, c) in cx.set.consumers.iter().enumerate() {
        let Some(dedup) = c.dedup() else { continue };
        if dedup.key() == Some(DedupKey::Offset) {
            continue;
        }
        let (Some(max), Some(rate), Some(fill)) =
            (&dedup.max_entries, &c.rate_per_sec, time_to_fill(c))
        else {
            continue;
        };
        let (horizon, what) = match &dedup.window {
            Some(w) => (w.value, "its window"),
            None => match redelivery_window(c).duration() {
                Some(w) => (w, "the redelivery window"),
                None => continue,
            },
        };
        if fill >= horizon {
            continue;
        }
        let needed = (rate.value * horizon.as_millis() as f64 / 1000.0).ceil();
        let mut f = Finding::new(
            format!(
                "consumer `{}`'s seen-set is full after {fill} at {} events/s, before {what} of {horizon} ends",
                c.name.value, rate.value
            ),
            max.span.clone(),
            format!("full after {fill}"),
        )
        .secondary(rate.span.clone(), "the declared rate");
        if let Some(w) = &dedup.window {
            f = f.secondary(w.span.clone(), format!("entries should live {horizon}"));
        }
        out.push(
            f.note(format!(
                "from then on the oldest entries are evicted: an entry lives about {fill}, and a redelivery \
                 arriving later runs the effect again"
            ))
            .help(format!(
                "raise `max_entries` to at least {needed:.0} (rate x {horizon}), with a margin, or drop it and rely on \
                 the window"
            ))
            .item(ItemId::Consumer(ci)),
        );
    }
}
