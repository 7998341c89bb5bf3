//! RC005 `retry_on_client_error`.

use retry_check_contract::{ItemId, Sp, Status};

use crate::{Context, Finding, Fix, Group, Job, Level, Lint, Rule};

pub static RULE: Rule = Rule {
    lint: &Lint {
        code: "RC005",
        name: "retry_on_client_error",
        group: Group::Correctness,
        default_level: Level::Deny,
        job: Job::Lint,
        summary: "a client retries on an HTTP 4xx status that the same request will get again",
        explain: EXPLAIN,
    },
    check,
};

const EXPLAIN: &str = r#"## What it does
Flags every entry of a client's `retry_on` that is an HTTP 4xx status other
than 408 (Request Timeout) and 429 (Too Many Requests), including the class
`"4xx"`, which covers 400, 401, 403, 404, 409, 422 and the rest. When the
status is one the called server uses for its own idempotency answers
(`on_mismatch`, `on_in_progress`, `on_missing_key`), the diagnostic points
at that declaration too. The one milder case is the server's own
in-progress status (`on_in_progress`, usually 409): it is reported as a
warning, since that conflict clears when the first attempt finishes and
the IETF draft allows retrying it unchanged.

## Why it matters
A 4xx says the request is wrong, not that the server is struggling. The
retry sends the same request and gets the same answer, after spending every
attempt and the whole backoff schedule. For an idempotency server it is
worse than useless: 422 is the answer to reusing a key with a different
payload, and 400 to a missing key. Neither changes until the client changes
the request. A 409 can be an optimistic-locking conflict, which "will always
fail with another 409" when retried unchanged. The in-progress 409 of an
idempotency server is different: it says the first attempt of the key is
still running, and a retry after that attempt finishes gets its stored
result. Retrying it is fine when the retries outlast the handler; a quick
backoff only spends the attempts while the first one runs.

## Example
```toml
[server.payments]
key_source = "header:Idempotency-Key"
on_mismatch = 422

[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
retry_on = [503, "4xx"]   # covers 422: a reused key never gets better
```

## How to fix
Remove the entry. Keep 408 and 429 if you need them, and retry the 5xx and
transport failures that say the server did not process the request. Handle
422 and 400 from an idempotency server as bugs in the client (a new payload
needs a new key); handle an in-progress 409 by waiting longer than the
handler (a backoff longer than `handler_timeout`, or `Retry-After`), or by
looking the result up.

## Autofix
`lint --fix` removes the entry from `retry_on`; the class `"4xx"` is
replaced by the two client errors worth retrying, 408 and 429.

## Source
AWS Builders' Library, "Timeouts, retries, and backoff with jitter" ("client
errors should not be retried with the same request"); Envoy router docs
(`retriable-4xx`: a retried 409 "will always fail with another 409");
reqwest-retry `DefaultRetryableStrategy` (408 and 429 transient, other 4xx
fatal); IETF draft-ietf-httpapi-idempotency-key-header (400, 409 and 422;
"Clients MUST correct the requests (with the exception of 409 ...) before
performing a retry").
"#;

/// An HTTP client error that retrying does not fix.
fn is_client_error(code: u16) -> bool {
    (400..=499).contains(&code) && code != 408 && code != 429
}

/// Does this `retry_on` entry cover a client error (a code, or the `4xx` class)?
fn offending(status: Status) -> bool {
    match status {
        Status::Http(c) => is_client_error(c),
        Status::HttpClass(4) => true,
        _ => false,
    }
}

fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for (ci, client) in cx.set.clients.iter().enumerate() {
        // Servers this client calls, each once, in the order of `calls`.
        let mut servers: Vec<usize> = Vec::new();
        for t in cx.targets(ci) {
            if !servers.contains(&t.server) {
                servers.push(t.server);
            }
        }
        for entry in client.retry_on() {
            if !offending(entry.value) {
                continue;
            }
            let (message, label) = match entry.value {
                Status::HttpClass(_) => (
                    format!(
                        "client `{}` retries on every `4xx`, including 400, 409 and 422",
                        client.name.value
                    ),
                    "covers every client error".to_string(),
                ),
                other => (
                    format!(
                        "client `{}` retries on HTTP {other}, a client error",
                        client.name.value
                    ),
                    format!("{other} is a client error"),
                ),
            };
            if let Some(f) = in_progress_retry(cx, ci, entry, &servers) {
                out.push(f);
                continue;
            }
            let mut f = Finding::new(message, entry.span.clone(), label);
            for &si in &servers {
                let Some(server) = cx.set.servers.get(si) else {
                    continue;
                };
                let name = &server.name.value;
                let own: [(&Option<Sp<Status>>, &str, &str); 3] = [
                    (
                        &server.on_mismatch,
                        "a reused key with a different payload",
                        "it never gets better: the retry sends the same payload",
                    ),
                    (
                        &server.on_missing_key,
                        "a request without an idempotency key",
                        "the retry sends the same request, still without a key",
                    ),
                    (
                        &server.on_in_progress,
                        "a key whose first attempt is still running",
                        "retrying sooner than that attempt can finish only adds load",
                    ),
                ];
                for (field, meaning, outcome) in own {
                    let Some(status) = field else { continue };
                    let Status::Http(code) = status.value else {
                        continue;
                    };
                    if !is_client_error(code) || !entry.value.covers(status.value) {
                        continue;
                    }
                    f = f
                        .secondary(
                            status.span.clone(),
                            format!("`{name}` returns {code} for {meaning}"),
                        )
                        .note(format!(
                            "{code} is how `{name}` answers {meaning}; {outcome}"
                        ));
                }
            }
            f = f.note(
                "a client error does not change until the request does; each one costs every \
                 attempt and the whole backoff schedule",
            );
            if entry.value == Status::Http(409) {
                f = f.note(
                    "a 409 from an optimistic-locking conflict \"will always fail with another 409\" \
                     when retried unchanged (Envoy); an in-progress 409 clears only after the first \
                     attempt finishes, not on a backoff schedule",
                );
            }
            f = f.help(match entry.value {
                Status::HttpClass(_) => {
                    "replace `4xx` with the client errors worth retrying: 408 and 429".to_string()
                }
                Status::Http(409) => {
                    "remove 409 from `retry_on`; for an in-progress conflict, look \
                                      the result up (or wait out the server's lease) instead"
                        .to_string()
                }
                other => format!("remove {other} from `retry_on`"),
            });
            let name = client.name.value.as_str();
            let table = ["client", name];
            let fix = match entry.value {
                Status::HttpClass(_) => Fix::new(format!(
                    "replace `4xx` with 408 and 429 in the `retry_on` of client `{name}`"
                ))
                .remove_element(&entry.span, &table, "retry_on")
                .add_element(entry.span.source, &table, "retry_on", "408")
                .add_element(entry.span.source, &table, "retry_on", "429"),
                other => Fix::new(format!(
                    "remove {other} from the `retry_on` of client `{name}`"
                ))
                .remove_element(&entry.span, &table, "retry_on"),
            };
            out.push(f.fix(fix).item(ItemId::Client(ci)));
        }
    }
}

/// A retry on exactly the in-progress status of a called server (and on
/// no other answer of theirs): a warning that says when the conflict
/// clears, not the deny of a client error that never gets better.
fn in_progress_retry(
    cx: &Context<'_>,
    ci: usize,
    entry: &Sp<Status>,
    servers: &[usize],
) -> Option<Finding> {
    let Status::Http(code) = entry.value else {
        return None;
    };
    let is = |s: &Option<Sp<Status>>| s.as_ref().is_some_and(|s| s.value == Status::Http(code));
    let mut owner = None;
    for &si in servers {
        let server = cx.set.servers.get(si)?;
        if is(&server.on_mismatch) || is(&server.on_missing_key) {
            return None;
        }
        if owner.is_none() && is(&server.on_in_progress) {
            owner = Some(server);
        }
    }
    let server = owner?;
    let status = server.on_in_progress.as_ref()?;
    let client = cx.client(ci);
    let name = &server.name.value;
    let mut f = Finding::new(
        format!(
            "client `{}` retries on HTTP {code}, which `{name}` answers while the first attempt of \
             a key is still running",
            client.name.value
        ),
        entry.span.clone(),
        format!("{code} means \"in progress\" at `{name}`"),
    )
    .secondary(
        status.span.clone(),
        format!("`{name}` returns {code} for a key whose first attempt is still running"),
    )
    .note(
        "the conflict clears when the first attempt finishes: a retry after that gets its stored \
         result (the IETF Idempotency-Key draft lets clients retry a 409 unchanged)",
    );
    if let Some(handler) = &server.handler_timeout {
        f = f.note(format!(
            "the first attempt may run for up to {} (`handler_timeout`): retries sooner than that \
             land on \"in progress\" again and spend the attempts",
            handler.value
        ));
    }
    Some(
        f.help(
            "keep it with a backoff that outlasts the handler (or honour `Retry-After`), or look \
             the result up instead of retrying",
        )
        .lower()
        .item(ItemId::Client(ci)),
    )
}
