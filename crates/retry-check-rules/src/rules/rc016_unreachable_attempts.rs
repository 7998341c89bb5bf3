//! RC016 `unreachable_attempts`.

use retry_check_contract::{derive, Client, Duration, ItemId};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC016",
        name: "unreachable_attempts",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary:
            "the timeouts and backoff delays cannot fit the declared attempts inside the deadline",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Lays out a client's nominal schedule without jitter: attempt 1 starts at 0,
and attempt k starts after the per-attempt timeouts of the attempts before it
(0 when no `per_attempt_timeout` is declared) plus the backoff delays before
it (`min(initial * multiplier^(i-1), max)`). If an attempt up to
`max_attempts` would start after the `deadline`, it reports how many attempts
fit and when the first one that does not would start.

A client whose `per_attempt_timeout` is already at least its deadline is
left to `per_attempt_timeout_ineffective` (RC015).

## Why it matters
The declared `max_attempts` is not what the client does: once every attempt
times out, the deadline cuts the schedule short, so the contract promises
more attempts (and a longer retry window) than ever happen. Reviewers, the
amplification estimate and the on-call engineer all read the wrong number,
and the timeouts or backoff are usually not what the author intended either.

## Example
```toml
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 4
deadline = "3s"
per_attempt_timeout = "800ms"
backoff = { initial = "200ms", multiplier = 2.0, max = "2s", jitter = "full" }
# attempts start at 0, 1s, 2s200ms and 3s800ms: the 4th never runs
```

## How to fix
Lower `max_attempts` to the number that fits, or shorten
`per_attempt_timeout` or the backoff, or raise the `deadline` if the caller
can really wait that long.

## Source
gRFC A6 (the call deadline applies across all attempts); Envoy router docs
(the route timeout includes retries: with a 3 s timeout and a first attempt of
2.7 s, "the retry (including back-off) has .3s to complete").
"#;

/// Steps laid out one by one before the rest is taken as constant.
const MAX_STEPS: u64 = 10_000;

/// Nominal (jitter-free) backoff delay before retry `i` (1-based), in ms.
fn nominal_delay(client: &Client, i: u64) -> u64 {
    derive::nominal_delay(client, i).as_millis()
}

/// When the first attempt that starts after the deadline would start.
struct Unreachable {
    /// Its number (1-based).
    attempt: u64,
    /// Its start, in ms after the first attempt.
    at: u64,
    /// The starts of the attempts before it that were laid out one by one.
    starts: Vec<u64>,
    /// Some attempts between `starts` and `attempt` were skipped over.
    elided: bool,
}

/// Lays out the nominal schedule up to `attempts`; `None` when it fits.
fn first_unreachable(client: &Client, attempts: u64, deadline: u64) -> Option<Unreachable> {
    let timeout = client
        .per_attempt_timeout
        .as_ref()
        .map(|t| t.value.as_millis())
        .unwrap_or(0);
    let mut starts = vec![0u64];
    let mut start = 0u64;
    let mut prev_step: Option<u64> = None;
    let mut k = 2u64;
    while k <= attempts {
        let step = timeout.saturating_add(nominal_delay(client, k - 1));
        if prev_step == Some(step) || k > MAX_STEPS {
            // The delay has stopped changing (capped, or constant): jump.
            if step == 0 {
                return None;
            }
            let fit = (deadline.saturating_sub(start)) / step;
            let attempt = (k - 1).saturating_add(fit).saturating_add(1);
            if attempt > attempts {
                return None;
            }
            let at = start.saturating_add(step.saturating_mul(fit.saturating_add(1)));
            return Some(Unreachable {
                attempt,
                at,
                elided: attempt > k,
                starts,
            });
        }
        start = start.saturating_add(step);
        if start > deadline {
            return Some(Unreachable {
                attempt: k,
                at: start,
                starts,
                elided: false,
            });
        }
        starts.push(start);
        prev_step = Some(step);
        k += 1;
    }
    None
}

/// "0s, 1s and 2s200ms"; long lists are shortened, elided ones end in "...".
fn list_starts(starts: &[u64], elided: bool) -> String {
    let mut shown: Vec<String> = if starts.len() > 6 {
        let mut v: Vec<String> = starts[..3]
            .iter()
            .map(|s| Duration(*s).to_string())
            .collect();
        v.push("...".to_string());
        v.extend(
            starts[starts.len() - 2..]
                .iter()
                .map(|s| Duration(*s).to_string()),
        );
        v
    } else {
        starts.iter().map(|s| Duration(*s).to_string()).collect()
    };
    if elided {
        shown.push("...".to_string());
        return shown.join(", ");
    }
    match shown.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        let (Some(max), Some(deadline)) = (&client.max_attempts, &client.deadline) else {
            continue;
        };
        if max.value < 2 {
            continue;
        }
        // RC015 reports a per-attempt timeout that alone fills the deadline.
        if client
            .per_attempt_timeout
            .as_ref()
            .is_some_and(|t| t.value >= deadline.value)
        {
            continue;
        }
        let attempts = max.value as u64;
        let Some(u) = first_unreachable(client, attempts, deadline.value.as_millis()) else {
            continue;
        };
        let k = u.attempt;
        let fit = k - 1;
        let at = Duration(u.at);
        let timeouts = match &client.per_attempt_timeout {
            Some(t) => format!("each attempt times out after {}", t.value),
            None => "no `per_attempt_timeout`, so attempts are counted as instant".to_string(),
        };
        let mut f = Finding::new(
            format!(
                "client `{}` declares {attempts} attempts but only {fit} fit in its {} deadline: \
                 attempt {k} would start at {at}",
                client.name.value, deadline.value
            ),
            max.span.clone(),
            format!("{attempts} attempts declared, {fit} reachable"),
        )
        .secondary(
            deadline.span.clone(),
            format!("attempt {k} would start {} after this", Duration(at.as_millis().saturating_sub(deadline.value.as_millis()))),
        )
        .note(format!(
            "nominal schedule without jitter ({timeouts}): attempts start at {}, and attempt {k} at {at}",
            list_starts(&u.starts, u.elided)
        ));
        if let Some(t) = &client.per_attempt_timeout {
            f = f.secondary(t.span.clone(), "counted in full for every attempt");
        }
        let (when, shorten) = if client.per_attempt_timeout.is_some() {
            (
                "when every attempt times out",
                "`per_attempt_timeout` or the backoff",
            )
        } else {
            ("even when every attempt fails at once", "the backoff")
        };
        f = f
            .note(format!(
                "{when}, the deadline stops the client after {fit} attempt{}, so the contract \
                 overstates its attempts and its retry window",
                if fit == 1 { "" } else { "s" }
            ))
            .help(format!(
                "set `max_attempts = {fit}`, or shorten {shorten}, or raise `deadline` above {at} \
                 if the caller can wait that long"
            ));
        out.push(f.item(ItemId::Client(ci)));
    }
}
