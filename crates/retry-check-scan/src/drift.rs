//! Drift: a retry policy in code against the contract client that
//! declares it, and the retry window the code implies.
//!
//! A policy is tied to a client by a `// retry-check: client = "checkout"`
//! comment on the statement or item that builds it (see [`crate::Binding`]).
//! Only fields the contract writes are compared; a field the scanner could
//! not resolve is reported as unknown, never compared.

use retry_check_contract::derive::{retry_window, RetryWindow};
use retry_check_contract::{Backoff, Client, Duration, Jitter as CJitter, Sp};
use retry_check_diagnostics::Span;

use crate::policy::{Attempts, Dur, Jitter, OptDur, Policy, Val};
use crate::{Binding, FileScan};

/// The policies a binding comment covers, in source order.
pub fn bound<'a>(scan: &'a FileScan, b: &Binding) -> Vec<&'a Policy> {
    scan.policies
        .iter()
        .filter(|p| b.covers.contains(&p.span.range.start))
        .collect()
}

/// A contract duration (ms) from a code duration (ns), rounded up.
fn to_contract(d: Dur) -> Duration {
    Duration(u64::try_from(d.0.div_ceil(1_000_000)).unwrap_or(u64::MAX / 4))
}

/// One field where code and contract disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    pub field: &'static str,
    /// The code's value, as shown.
    pub code: String,
    /// The contract's value, as shown.
    pub contract: String,
    pub code_span: Span,
    pub contract_span: Span,
}

/// The outcome of comparing a policy with a contract client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Comparison {
    pub mismatches: Vec<Mismatch>,
    /// Fields the contract writes but the code leaves unresolved: (field,
    /// the source text the scanner saw).
    pub unknown: Vec<(&'static str, String)>,
}

impl Comparison {
    /// Compare one field: the code's value and where it is set, the
    /// contract's value if written, equality, and how to show each side.
    fn check<T, U>(
        &mut self,
        field: &'static str,
        (code, code_span): (&Val<T>, Span),
        contract: Option<&Sp<U>>,
        same: impl Fn(&T, &U) -> bool,
        show: impl Fn(&T) -> String,
        show_contract: impl Fn(&U) -> String,
    ) {
        let Some(c) = contract else { return };
        match code.value() {
            None => {
                let text = match code {
                    Val::Unknown(t) if !t.is_empty() => t.clone(),
                    _ => "not resolved".to_string(),
                };
                self.unknown.push((field, text));
            }
            Some(v) if !same(v, &c.value) => {
                let default = if matches!(code, Val::Default(_)) {
                    " (the crate's default)"
                } else {
                    ""
                };
                self.mismatches.push(Mismatch {
                    field,
                    code: format!("{}{default}", show(v)),
                    contract: show_contract(&c.value),
                    code_span,
                    contract_span: c.span.clone(),
                });
            }
            Some(_) => {}
        }
    }
}

fn jittered(j: &Jitter) -> bool {
    !matches!(j, Jitter::None)
}

/// Compare `p` with the contract client `c`, field by field: max attempts,
/// initial and max delay, multiplier, jitter (whether there is any), and
/// the total delay against the contract's `deadline`.
pub fn compare(p: &Policy, c: &Client) -> Comparison {
    let mut out = Comparison::default();
    out.check(
        "max_attempts",
        (&p.max_attempts, p.span_of("max_attempts")),
        c.max_attempts.as_ref(),
        |a, n| *a == Attempts::Finite((*n).max(1) as u64),
        |a| a.to_string(),
        |n| n.to_string(),
    );
    let backoff: Option<&Backoff> = c.backoff.as_ref().map(|b| &b.value);
    out.check(
        "backoff.initial",
        (&p.initial_delay, p.span_of("initial_delay")),
        backoff.and_then(|b| b.initial.as_ref()),
        |d, want| to_contract(*d) == *want,
        |d| d.to_string(),
        |d| d.to_string(),
    );
    out.check(
        "backoff.max",
        (&p.max_delay, p.span_of("max_delay")),
        backoff.and_then(|b| b.max.as_ref()),
        |d, want| d.0.map(to_contract) == Some(*want),
        |d| match d.0 {
            Some(d) => d.to_string(),
            None => "none (uncapped)".to_string(),
        },
        |d| d.to_string(),
    );
    out.check(
        "backoff.multiplier",
        (&p.multiplier, p.span_of("multiplier")),
        backoff.and_then(|b| b.multiplier.as_ref()),
        |m, want| (m - want).abs() < 1e-9,
        |m| m.to_string(),
        |m| m.to_string(),
    );
    out.check(
        "backoff.jitter",
        (&p.jitter, p.span_of("jitter")),
        backoff.and_then(|b| b.jitter.as_ref()),
        |j, want| jittered(j) == (*want != CJitter::None),
        |j| j.to_string(),
        |j| j.to_string(),
    );
    out.check(
        "deadline",
        (&p.max_elapsed, p.span_of("max_elapsed")),
        c.deadline.as_ref(),
        |d, want| d.0.map(to_contract) == Some(*want),
        |d| match d.0 {
            Some(d) => format!("total delay {d}"),
            None => "no total limit".to_string(),
        },
        |d| d.to_string(),
    );
    out
}

/// How much a jitter kind can stretch a nominal delay `d` at most: the
/// upper bound of every delay is `factor * min(initial * m^i, max)`, so
/// scaling `initial` and `max` by it gives the derive module's schedule
/// the right worst case. `None` when the scanner cannot bound it.
fn jitter_factor(j: &Jitter) -> Option<f64> {
    match j {
        Jitter::None | Jitter::Full | Jitter::Bounded => Some(1.0),
        Jitter::Additive => Some(2.0),
        Jitter::Proportional(r) if r.is_finite() && *r >= 0.0 => Some(1.0 + r),
        Jitter::Proportional(_) | Jitter::Present => None,
    }
}

fn scale(d: Dur, k: f64) -> Dur {
    let ns = d.0 as f64 * k;
    if ns.is_finite() && ns < u128::MAX as f64 {
        Dur(ns.ceil() as u128)
    } else {
        Dur(u128::MAX / 4)
    }
}

/// The policy as a contract client, so that the contract crate's
/// [`retry_window`] computes its window (one definition of the window for
/// contracts and code). The total delay becomes the `deadline`. `Err` lists
/// the fields the window needs but the scanner could not resolve.
pub fn as_contract_client(p: &Policy, name: Sp<String>) -> Result<Client, Vec<&'static str>> {
    let mut unknown = Vec::new();
    let attempts = p.max_attempts.value().copied();
    let initial = p.initial_delay.value().copied();
    let max = p.max_delay.value().copied();
    let multiplier = p.multiplier.value().copied();
    let factor = p.jitter.value().and_then(jitter_factor);
    let elapsed = p.max_elapsed.value().copied();
    for (field, missing) in [
        ("max_attempts", attempts.is_none()),
        ("initial_delay", initial.is_none()),
        ("max_delay", max.is_none()),
        ("multiplier", multiplier.is_none()),
        ("jitter", factor.is_none()),
        ("max_elapsed", elapsed.is_none()),
    ] {
        if missing {
            unknown.push(field);
        }
    }
    // A known total limit bounds the window whatever the schedule is.
    let bounded = matches!(elapsed, Some(OptDur(Some(_))));
    if !unknown.is_empty() && !bounded {
        return Err(unknown);
    }
    let span = name.span.clone();
    let sp = |v| Sp::new(v, span.clone());
    let k = factor.unwrap_or(1.0);
    let backoff = Backoff {
        initial: initial.map(|d| Sp::new(to_contract(scale(d, k)), span.clone())),
        multiplier: multiplier.map(|m| Sp::new(m, span.clone())),
        max: max
            .and_then(|m| m.0)
            .map(|d| Sp::new(to_contract(scale(d, k)), span.clone())),
        jitter: None,
    };
    Ok(Client {
        name,
        calls: Vec::new(),
        runs_in: None,
        layer: None,
        max_attempts: match attempts {
            Some(Attempts::Finite(n)) => Some(sp(i64::try_from(n).unwrap_or(i64::MAX))),
            _ => None,
        },
        deadline: elapsed
            .and_then(|e| e.0)
            .map(|d| Sp::new(to_contract(d), span.clone())),
        per_attempt_timeout: None,
        retry_window: None,
        backoff: Some(Sp::new(backoff, span.clone())),
        retry_on: None,
        honor_retry_after: None,
        budget: None,
        hedging: None,
        idempotency_key: None,
        on_exhausted: None,
        fleet: None,
        breaker: None,
        allow: Vec::new(),
    })
}

/// The retry window of a policy in code (see [`as_contract_client`]).
pub fn code_window(p: &Policy) -> Result<RetryWindow, Vec<&'static str>> {
    let name = Sp::new(String::new(), p.span.clone());
    as_contract_client(p, name).map(|c| retry_window(&c))
}
