//! RC001 `key_ttl_shorter_than_retry_window`, with the window derived from
//! a policy in code that is bound to a contract client.

use retry_check_contract::derive::RetryWindow;
use retry_check_rules::rules::rc001_key_ttl_shorter_than_retry_window as rc001;
use retry_check_rules::Finding;

use super::{CodeContext, CodeRule};
use crate::drift::{bound, code_window};

/// RC001's declaration (code, name, level, `explain`); run with the code
/// rules but not listed among them.
pub static RULE: CodeRule = CodeRule {
    lint: rc001::RULE.lint,
    check,
};

fn check(cx: &CodeContext<'_>, out: &mut Vec<Finding>) {
    let Some(set) = cx.contracts else { return };
    for b in &cx.scan.bindings {
        let Some((_, client)) = set.client(&b.client) else {
            continue;
        };
        for p in bound(cx.scan, b) {
            let Ok(window) = code_window(p) else { continue };
            let mut seen: Vec<usize> = Vec::new();
            for call in &client.calls {
                for (si, oi) in set.resolve(&call.value) {
                    let server = &set.servers[si];
                    let Some(ttl) = &server.key_ttl else { continue };
                    let safe = oi
                        .and_then(|oi| server.operations.get(oi))
                        .is_some_and(|op| op.naturally_idempotent());
                    if safe || seen.contains(&si) {
                        continue;
                    }
                    let text = match window {
                        RetryWindow::Finite(w, _) if w > ttl.value => format!("for up to {w}"),
                        RetryWindow::Unbounded => "without end".to_string(),
                        RetryWindow::Finite(..) => continue,
                    };
                    seen.push(si);
                    out.push(
                        Finding::new(
                            format!(
                                "server `{}` forgets keys after {} but the code of client `{}` retries {text}",
                                server.name.value, ttl.value, b.client
                            ),
                            p.span.clone(),
                            format!("retries the same key {text} (derived from this code)"),
                        )
                        .secondary(ttl.span.clone(), format!("keys are forgotten after {}", ttl.value))
                        .note("the window is the worst case of the code's schedule (jitter upper bound included), bounded by its total delay")
                        .note(format!(
                            "a retry arriving after {} finds no record and runs the operation again",
                            ttl.value
                        ))
                        .help("bound the policy in code, or raise the server's `key_ttl` to cover it"),
                    );
                }
            }
        }
    }
}
