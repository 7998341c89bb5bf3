//! RC023 `child_deadline_exceeds_parent`.

use retry_check_contract::ItemId;

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC023",
        name: "child_deadline_exceeds_parent",
        group: Group::Suspicious,
        default_level: Level::Warn,
        job: Job::Lint,
        summary: "a client inside a handler keeps retrying after the caller above it has given up",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Follows the call paths formed by `runs_in`: a client that declares
`runs_in = "api"` runs inside the handler of server `api`, so every client
that calls `api` is above it on the path. The rule flags a client whose
`deadline` is greater than or equal to the `deadline` of a client above
it. Clients without a `deadline` are left to `no_deadline` (RC014).

## Why it matters
A deadline is the time the caller is willing to wait for an answer,
retries included. When the inner client's deadline is not shorter, the
outer caller gives up (and may retry the whole request, or tell the user
it failed) while the inner client is still retrying. Those late retries
are work nobody waits for: they add load exactly when the system is
slow, and they may complete an operation that the caller has already
reported as failed, or race with the caller's own retry of it.

## Example
```toml
[client.checkout]
calls = ["api.PlaceOrder"]
deadline = "3s"

[client.api-payments]
runs_in = "api"                # runs inside the handler of `api`
calls = ["payments.Charge"]
deadline = "5s"                # still retrying 2s after checkout gave up
```

## How to fix
Give the inner client a deadline shorter than the outer one, leaving room
for the work the handler does before and after the call (for example
`2s` under a `3s` caller). Better still, propagate the caller's remaining
deadline to the handler and bound the inner retries by it.

## Source
gRFC A6 ("gRPC's call deadline applies across all attempts"); Envoy
router docs (the route timeout includes all retries, "to avoid an
exponential retry/timeout explosion"); Google SRE book, "Addressing
Cascading Failures" (deadline propagation instead of inventing a new
deadline for backend calls).
"#;

/// Where `child` runs, as the messages say it: inside a server (`runs_in`),
/// or in front of its targets (a proxy).
/// Returns how it is reached, where it retries, and where one call goes.
fn place(cx: &Context<'_>, ci: usize) -> Option<(String, String, String)> {
    let child = cx.client(ci);
    if let Some(runs_in) = &child.runs_in {
        return Some((
            format!(
                "it calls `{}`, where `{}` runs",
                runs_in.value, child.name.value
            ),
            format!("inside `{}`", runs_in.value),
            format!("into `{}`", runs_in.value),
        ));
    }
    if cx.set.is_proxy(ci) {
        let targets: Vec<String> = child
            .calls
            .iter()
            .map(|c| format!("`{}`", c.value))
            .collect();
        return Some((
            format!(
                "its calls to {} go through the proxy `{}`",
                targets.join(", "),
                child.name.value
            ),
            "in the proxy".to_string(),
            "through the proxy".to_string(),
        ));
    }
    None
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, child) in cx.set.clients.iter().enumerate() {
        let Some(deadline) = &child.deadline else {
            continue;
        };
        let Some((via, inside, into)) = place(cx, ci) else {
            continue;
        };
        // The clients directly above on a call path (derive::children).
        for &pi in cx.parents(ci) {
            let parent = cx.client(pi);
            let Some(parent_deadline) = &parent.deadline else {
                continue;
            };
            if deadline.value < parent_deadline.value {
                continue;
            }
            let comparison = if deadline.value == parent_deadline.value {
                "the same as"
            } else {
                "longer than"
            };
            let mut f = Finding::new(
                format!(
                    "client `{}` has a deadline of {}, {comparison} the {} deadline of `{}` above it",
                    child.name.value, deadline.value, parent_deadline.value, parent.name.value
                ),
                deadline.span.clone(),
                format!("`{}` may retry for up to {}", child.name.value, deadline.value),
            )
            .secondary(
                parent_deadline.span.clone(),
                format!(
                    "`{}` gives up after {} ({via})",
                    parent.name.value, parent_deadline.value
                ),
            )
            .note(format!(
                "once `{}` gives up, `{}` keeps retrying {inside}: work nobody waits for, \
                 added load while the system is slow, and an operation that may complete after \
                 the caller reported it as failed",
                parent.name.value, child.name.value
            ));
            if let Some(per_attempt) = &parent.per_attempt_timeout {
                if per_attempt.value <= deadline.value {
                    f = f.note(format!(
                        "each attempt of `{}` is cut off after {} (`per_attempt_timeout`), so one call \
                         {into} has even less time than the deadline",
                        parent.name.value, per_attempt.value
                    ));
                }
            }
            let handler = match &child.runs_in {
                Some(r) => format!("`{}`'s handler", r.value),
                None => "the request".to_string(),
            };
            f = f
                .help(format!(
                    "set the deadline of `{}` below {}, leaving room for the rest of {handler}, \
                     or bound it by the caller's remaining deadline",
                    child.name.value, parent_deadline.value
                ))
                .item(ItemId::Client(ci))
                .item(ItemId::Client(pi));
            out.push(f);
        }
    }
}
