//! RC031 `unknown_reference`.

use retry_check_contract::{did_you_mean, CallRef, Client, ContractSet, ItemId, Server, Sp};

use crate::{Context, Finding, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC031",
        name: "unknown_reference",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client calls, or runs in, a server or operation that no contract defines",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Resolves every name a client refers to against all contract files of the
run: each `calls` entry (`"server"` or `"server.Operation"`) must name a
defined server and, when it names one, an operation that server declares;
`runs_in` must name a defined server. Each unresolved name is reported
on the entry, with the closest defined name when there is a likely typo.

## Why it matters
The cross-contract rules only see what resolves. A call to
`"paymnets.Charge"` or `"payments.charge"` silently drops the pair out of
every check: the key TTL against the retry window, retries without a key,
amplification, deadlines. The contract then lints clean while the real
client retries a real charge unchecked. A `runs_in` that names nothing
breaks the call path, so amplification and deadline nesting are not
computed for it.

## Example
```toml
[server.payments.operations.Charge]
method = "POST"

[client.checkout]
calls = ["payments.charge"]   # operation names are case-sensitive
runs_in = "gateway"           # no [server.gateway] anywhere
```

## How to fix
Correct the name, or declare the missing server or operation in a
contract file (a minimal `[server.NAME.operations.OP]` with its `method`,
`idempotency` and `side_effects` is enough for a third-party API), so the
pair can be checked.

## Source
A retry policy is only safe relative to the server it calls: gRFC A6
leaves the choice of retryable codes to the service owner ("gRPC retries
do not provide a mechanism to specifically mark a method as
idempotent"), and the IETF Idempotency-Key draft requires resources to
publish their idempotency specification, expiry included. Both halves of
the contract must exist to be compared.
"#;

fn server_names(set: &ContractSet) -> Vec<&str> {
    set.servers.iter().map(|s| s.name.value.as_str()).collect()
}

/// Note for a name in `calls` that is a client where a server is expected.
fn client_named(set: &ContractSet, name: &str) -> Option<String> {
    set.client(name).map(|_| {
        format!(
            "`{name}` is a client; `calls` names servers (the side-effect owners), not the \
             clients that call them"
        )
    })
}

fn unknown_server(set: &ContractSet, ci: usize, client: &Client, call: &Sp<CallRef>) -> Finding {
    let r = &call.value;
    let mut f = Finding::new(
        format!(
            "client `{}` calls `{r}`, but no contract defines server `{}`",
            client.name.value, r.server
        ),
        call.span.clone(),
        format!("no server `{}` is defined", r.server),
    );
    // First try the whole reference, so that a typo in the server name is
    // answered with a complete, existing `server.Operation`.
    let full: Vec<String> = match &r.operation {
        Some(_) => set
            .servers
            .iter()
            .flat_map(|s| {
                s.operations
                    .iter()
                    .map(move |o| format!("{}.{}", s.name.value, o.name.value))
            })
            .collect(),
        None => Vec::new(),
    };
    let full_refs: Vec<&str> = full.iter().map(String::as_str).collect();
    let whole = r.to_string();
    let suggestion = did_you_mean(&whole, &full_refs)
        .map(str::to_string)
        .or_else(|| {
            did_you_mean(&r.server, &server_names(set)).map(|s| match &r.operation {
                Some(op) => format!("{s}.{op}"),
                None => s.to_string(),
            })
        });
    if let Some(note) = client_named(set, &r.server) {
        f = f.note(note);
    }
    f = f.note(format!(
        "an unresolved call is left out of every check of the pair (key TTL, key reuse, \
         idempotency, amplification): how `{}` calls `{r}` is not checked at all",
        client.name.value
    ));
    f = match suggestion {
        Some(s) => f.help(format!("did you mean `{s}`?")),
        None => f.help(format!(
            "declare `[server.{}]` (with its operations) in a contract file, even a minimal one \
             for a third-party API, or correct the name",
            r.server
        )),
    };
    f.item(ItemId::Client(ci))
}

fn unknown_operation(
    ci: usize,
    client: &Client,
    call: &Sp<CallRef>,
    server: &Server,
    op: &str,
) -> Finding {
    let r = &call.value;
    let mut f = Finding::new(
        format!(
            "client `{}` calls `{r}`, but server `{}` defines no operation `{op}`",
            client.name.value, server.name.value
        ),
        call.span.clone(),
        format!("no operation `{op}` in `{}`", server.name.value),
    )
    .secondary(
        server.name.span.clone(),
        format!("server `{}` is defined here", server.name.value),
    );
    let ops: Vec<&str> = server
        .operations
        .iter()
        .map(|o| o.name.value.as_str())
        .collect();
    if ops.is_empty() {
        f = f.note(format!("`{}` declares no operations", server.name.value));
    } else {
        let list: Vec<String> = ops.iter().map(|o| format!("`{o}`")).collect();
        f = f.note(format!(
            "`{}` defines the operations {}",
            server.name.value,
            list.join(", ")
        ));
    }
    f = f.note(format!(
        "an unresolved call is left out of every check of the pair (key TTL, key reuse, \
         idempotency, amplification): how `{}` calls `{r}` is not checked at all",
        client.name.value
    ));
    f = match did_you_mean(op, &ops) {
        Some(s) => f.help(format!("did you mean `{}.{s}`?", server.name.value)),
        None if ops.is_empty() => f.help(format!(
            "declare it as `[server.{}.operations.{op}]`, or call `\"{}\"` to mean the whole server",
            server.name.value, server.name.value
        )),
        None => f.help(format!(
            "declare it as `[server.{}.operations.{op}]`, or correct the name",
            server.name.value
        )),
    };
    f.item(ItemId::Client(ci))
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let set = cx.set;
    for (ci, client) in set.clients.iter().enumerate() {
        for call in &client.calls {
            match cx.server_named(&call.value.server) {
                None => out.push(unknown_server(set, ci, client, call)),
                Some((_, server)) => {
                    if let Some(op) = &call.value.operation {
                        if server.operation(op).is_none() {
                            out.push(unknown_operation(ci, client, call, server, op));
                        }
                    }
                }
            }
        }
        let Some(runs_in) = &client.runs_in else {
            continue;
        };
        if set.server(&runs_in.value).is_some() {
            continue;
        }
        let mut f = Finding::new(
            format!(
                "client `{}` runs in `{}`, but no contract defines server `{}`",
                client.name.value, runs_in.value, runs_in.value
            ),
            runs_in.span.clone(),
            format!("no server `{}` is defined", runs_in.value),
        );
        // A client named where its server belongs: point at what it calls.
        let above: Option<Vec<String>> = set.client(&runs_in.value).map(|(_, c)| {
            let mut names: Vec<String> = Vec::new();
            for call in &c.calls {
                let name = &call.value.server;
                if set.server(name).is_some() && !names.contains(name) {
                    names.push(name.clone());
                }
            }
            names
        });
        if above.is_some() {
            f = f.note(format!(
                "`{}` is a client; `runs_in` names the server whose handler runs `{}`, not the \
                 client above it",
                runs_in.value, client.name.value
            ));
        }
        f = f.note(format!(
            "the call paths through `{}` are cut here, so retry amplification and deadline \
             nesting are not checked for it",
            client.name.value
        ));
        let suggestion = did_you_mean(&runs_in.value, &server_names(set));
        f = match (suggestion, above.as_deref()) {
            (Some(s), _) => f.help(format!("did you mean `{s}`?")),
            (None, Some([only])) => f.help(format!(
                "if `{}` runs in the handler that `{}` calls, write `runs_in = \"{only}\"`",
                client.name.value, runs_in.value
            )),
            (None, Some(names)) if !names.is_empty() => {
                let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
                f.help(format!(
                    "name the server whose handler runs `{}`: `{}` calls {}",
                    client.name.value,
                    runs_in.value,
                    list.join(", ")
                ))
            }
            _ => f.help(
                "`runs_in` names the server whose handler this client runs in; declare that \
                 server, or correct the name",
            ),
        };
        out.push(f.item(ItemId::Client(ci)));
    }
}
