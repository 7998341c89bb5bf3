//! RC109 `policy_drift`.

use retry_check_rules::{Finding, Group, Job, Level, Lint};

use super::{CodeContext, CodeRule};
use crate::drift::{bound, compare};

pub static RULE: CodeRule = CodeRule {
    lint: &Lint {
        code: "RC109",
        name: "policy_drift",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Scan,
        summary: "a retry policy in code differs from the contract client it is bound to",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Compares a retry policy in Rust code with the contract client it is bound
to by a `// retry-check: client = "NAME"` comment on the statement or item
that builds it, field by field: `max_attempts`, `backoff.initial`,
`backoff.max`, `backoff.multiplier`, whether `backoff.jitter` is on, and
the total delay against `deadline`. Only fields the contract writes are
compared; crate defaults count as values; a field the scanner cannot
resolve (a value computed at run time) is reported as unknown (`info`),
never compared. A binding to a client no contract defines, or that covers
no retry policy, is reported too.

## Why it matters
The contract is what the other rules check, what the server's key TTL was
sized against and what the simulation proves: a policy that quietly makes
more attempts, or waits longer, than its contract says retries outside
every guarantee the contract lint gave.

## Example
```rust
// retry-check: client = "checkout"
let policy = ExponentialBuilder::default().with_max_times(9); // contract: max_attempts = 3
```

## How to fix
Change the code or the contract so that they agree (then the other rules
check what really runs), or bind the policy to the client that describes it.

## Source
PRODUCT.md section 6 (drift); retry-semantics.md 12.1 (attempts are
retries + 1 in backon, tokio-retry, retry-policies and reqwest).
"#;

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    for b in &cx.scan.bindings {
        if b.client.is_empty() {
            out.push(
                Finding::new(
                    "malformed client binding",
                    b.span.clone(),
                    "expected `client = \"NAME\"`",
                )
                .help("write `// retry-check: client = \"checkout\"` above the policy"),
            );
            continue;
        }
        let policies = bound(cx.scan, b);
        if policies.is_empty() {
            out.push(
                Finding::new(
                    format!("binding to client `{}` covers no retry policy", b.client),
                    b.span.clone(),
                    "no retry policy in the next statement or item",
                )
                .help("put the comment on the line above the statement or item that builds the policy"),
            );
            continue;
        }
        let Some(set) = cx.contracts else {
            out.push(
                Finding::new(
                    format!(
                        "no contracts loaded: the policy bound to client `{}` was not compared",
                        b.client
                    ),
                    b.span.clone(),
                    "not compared",
                )
                .info(),
            );
            continue;
        };
        let Some((_, client)) = set.client(&b.client) else {
            let names: Vec<&str> = set.clients.iter().map(|c| c.name.value.as_str()).collect();
            let hint = retry_check_contract::did_you_mean(&b.client, &names)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    format!("no contract defines client `{}`{hint}", b.client),
                    b.span.clone(),
                    "unknown client",
                )
                .help("bind the policy to a `[client.NAME]` of the contracts, or declare it"),
            );
            continue;
        };
        for p in policies {
            let cmp = compare(p, client);
            let unknown_note = (!cmp.unknown.is_empty()).then(|| {
                format!(
                    "not compared, unknown in code: {}",
                    cmp.unknown
                        .iter()
                        .map(|(f, t)| format!("`{f}` ({t})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
            if cmp.mismatches.is_empty() {
                if let Some(note) = unknown_note {
                    out.push(
                        Finding::new(
                            format!(
                                "{} retry policy bound to client `{}` could not be fully compared",
                                p.krate.as_str(),
                                b.client
                            ),
                            p.span.clone(),
                            "partly unknown",
                        )
                        .note(note)
                        .info(),
                    );
                }
                continue;
            }
            let fields: Vec<&str> = cmp.mismatches.iter().map(|m| m.field).collect();
            let mut f = Finding::new(
                format!(
                    "{} retry policy drifts from contract client `{}`: {}",
                    p.krate.as_str(),
                    b.client,
                    fields.join(", ")
                ),
                p.span.clone(),
                format!("bound to client `{}`", b.client),
            );
            for m in &cmp.mismatches {
                if m.code_span != p.span {
                    f = f.secondary(
                        m.code_span.clone(),
                        format!("code: {} = {}", m.field, m.code),
                    );
                }
                f = f
                    .secondary(
                        m.contract_span.clone(),
                        format!("contract: {} = {}", m.field, m.contract),
                    )
                    .note(format!(
                        "{}: code {}, contract {}",
                        m.field, m.code, m.contract
                    ));
            }
            if let Some(note) = unknown_note {
                f = f.note(note);
            }
            out.push(f.help("make the code and the contract agree, so the contract rules check what really runs"));
        }
    }
}
