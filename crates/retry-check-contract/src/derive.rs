//! Facts the tool computes from a contract set: each client's retry window,
//! the call paths formed by `runs_in`, and each path's amplification; and
//! for consumers ([`consumer`]), the redelivery window and how fast the
//! seen-set fills.

pub mod consumer;

use crate::model::{Client, ContractSet, Jitter};
use crate::Duration;

/// Where a client's retry window comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSource {
    /// `retry_window` is written in the contract.
    Explicit,
    /// Worst case of the backoff schedule (jitter upper bound included).
    Schedule,
    /// The schedule is longer than (or unknown beyond) the deadline, which bounds it.
    Deadline,
    /// The client never retries.
    NoRetries,
}

/// The latest moment, after the first attempt, at which a retry with the
/// same key may arrive at the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryWindow {
    Finite(Duration, WindowSource),
    /// No attempt limit and no deadline or `retry_window`.
    Unbounded,
}

impl RetryWindow {
    pub fn duration(self) -> Option<Duration> {
        match self {
            RetryWindow::Finite(d, _) => Some(d),
            RetryWindow::Unbounded => None,
        }
    }
}

/// `max_attempts`, clamped to at least 1; `None` when not written.
pub fn attempts(client: &Client) -> Option<u64> {
    client.max_attempts.as_ref().map(|m| m.value.max(1) as u64)
}

/// Attempts for amplification: a client with no limit counts as one
/// attempt here (RC013 reports the missing limit itself).
pub fn attempts_or_one(client: &Client) -> u64 {
    if !client.retries() {
        return 1;
    }
    attempts(client).unwrap_or(1)
}

/// A client's backoff parameters in milliseconds, with the defaults the
/// format documents: no `initial` is 0, a missing (or non-positive)
/// `multiplier` means constant backoff, no `max` means uncapped.
struct BackoffMs {
    initial: f64,
    multiplier: f64,
    cap: f64,
    jitter: Jitter,
}

impl BackoffMs {
    fn of(client: &Client) -> Self {
        let backoff = client.backoff.as_ref();
        BackoffMs {
            initial: backoff
                .and_then(|b| b.initial.as_ref())
                .map(|d| d.value.as_millis() as f64)
                .unwrap_or(0.0),
            multiplier: backoff
                .and_then(|b| b.multiplier.as_ref())
                .map(|m| m.value)
                .filter(|m| *m > 0.0)
                .unwrap_or(1.0),
            cap: backoff
                .and_then(|b| b.max.as_ref())
                .map(|d| d.value.as_millis() as f64)
                .unwrap_or(f64::INFINITY),
            jitter: backoff
                .and_then(|b| b.jitter.as_ref())
                .map(|j| j.value)
                .unwrap_or(Jitter::None),
        }
    }

    /// The jitter-free delay before retry `i` (1-based), in ms.
    fn nominal(&self, i: u64) -> f64 {
        let exp = i.saturating_sub(1).min(i32::MAX as u64) as i32;
        (self.initial * self.multiplier.powi(exp)).min(self.cap)
    }
}

/// The nominal (jitter-free) backoff delay before retry `i` (1-based):
/// `min(initial * multiplier^(i-1), max)`.
pub fn nominal_delay(client: &Client, i: u64) -> Duration {
    to_duration(BackoffMs::of(client).nominal(i))
}

/// Upper bound of each backoff delay, before retry 1, 2, ... A-1.
///
/// `delay_i = min(initial * multiplier^(i-1), max)`; for decorrelated
/// jitter the upper bound is `min(max, initial * 3^i)` (Brooker 2015). A
/// missing multiplier means constant backoff.
pub fn backoff_upper_bounds(client: &Client, retries: u64) -> Vec<Duration> {
    let b = BackoffMs::of(client);
    // Past a few thousand retries every bound is the cap (or saturated).
    let n = retries.min(10_000);
    let mut out = Vec::with_capacity(n as usize);
    for i in 1..=n {
        let bound = match b.jitter {
            Jitter::Decorrelated => (b.initial * 3f64.powi(i as i32)).min(b.cap),
            _ => b.nominal(i),
        };
        out.push(to_duration(bound));
    }
    out
}

fn to_duration(ms: f64) -> Duration {
    if !ms.is_finite() || ms >= (u64::MAX / 4) as f64 {
        Duration(u64::MAX / 4)
    } else if ms <= 0.0 {
        Duration(0)
    } else {
        Duration(ms.ceil() as u64)
    }
}

/// Worst-case time from the first attempt to the arrival of the last retry,
/// ignoring the deadline: all backoff upper bounds plus every attempt's
/// timeout. `None` when the client has no attempt limit.
pub fn schedule_span(client: &Client) -> Option<Duration> {
    let a = attempts(client)?;
    let delays = backoff_upper_bounds(client, a.saturating_sub(1));
    let mut total = delays
        .iter()
        .fold(Duration::ZERO, |acc, d| acc.saturating_add(*d));
    if let Some(t) = &client.per_attempt_timeout {
        total = total.saturating_add(t.value.saturating_mul(a));
    }
    Some(total)
}

/// The client's retry window (PRODUCT.md section 3).
pub fn retry_window(client: &Client) -> RetryWindow {
    if let Some(w) = &client.retry_window {
        return RetryWindow::Finite(w.value, WindowSource::Explicit);
    }
    if !client.retries() {
        return RetryWindow::Finite(Duration::ZERO, WindowSource::NoRetries);
    }
    let deadline = client.deadline.as_ref().map(|d| d.value);
    match (schedule_span(client), deadline) {
        (Some(span), Some(deadline))
            if span >= deadline || client.per_attempt_timeout.is_none() =>
        {
            // Without a per-attempt timeout an attempt may run until the
            // deadline, so the deadline is the honest worst case.
            RetryWindow::Finite(deadline, WindowSource::Deadline)
        }
        (Some(span), _) => RetryWindow::Finite(span, WindowSource::Schedule),
        (None, Some(deadline)) => RetryWindow::Finite(deadline, WindowSource::Deadline),
        (None, None) => RetryWindow::Unbounded,
    }
}

/// A chain of clients, outermost first: each later client runs inside a
/// server that the one before it calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPath {
    pub clients: Vec<usize>,
}

impl CallPath {
    /// Product of the attempts of every layer (saturating).
    pub fn amplification(&self, set: &ContractSet) -> u64 {
        self.clients
            .iter()
            .filter_map(|&c| set.clients.get(c))
            .fold(1u64, |acc, c| acc.saturating_mul(attempts_or_one(c)))
    }

    /// The clients on the path that retry.
    pub fn retrying_layers<'a>(&'a self, set: &'a ContractSet) -> impl Iterator<Item = usize> + 'a {
        self.clients
            .iter()
            .copied()
            .filter(|&c| set.clients.get(c).is_some_and(|c| c.retries()))
    }
}

/// Bound on the number of paths enumerated, against pathological fan-out.
const MAX_PATHS: usize = 10_000;

/// Does proxy client `proxy` front the call `call` (same server, and the
/// same operation unless either side means the whole server)?
fn fronts(proxy: &Client, call: &crate::CallRef) -> bool {
    proxy.calls.iter().any(|p| {
        p.value.server == call.server
            && match (&p.value.operation, &call.operation) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    })
}

/// The clients directly below each client on a call path, by client index.
///
/// A call to a target that a proxy client fronts ([`ContractSet::proxies`])
/// goes through the proxy: its child is the proxy. Any other call's children
/// are the clients that run inside the called server (`runs_in`). A proxy's
/// own calls lead to the clients inside its targets; proxies do not chain.
pub fn children(set: &ContractSet) -> Vec<Vec<usize>> {
    // Clients running inside each server, by server name: indexed once
    // (runs may hold thousands of clients).
    let mut running_in: std::collections::HashMap<&str, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, c) in set.clients.iter().enumerate() {
        if let Some(r) = &c.runs_in {
            running_in.entry(r.value.as_str()).or_default().push(i);
        }
    }
    let mut is_proxy = vec![false; set.clients.len()];
    for &p in &set.proxies {
        if let Some(flag) = is_proxy.get_mut(p) {
            *flag = true;
        }
    }
    // Proxies by the servers they front, so each call looks at the few
    // proxies of its server (runs may hold thousands of routes).
    let mut proxies_of: std::collections::HashMap<&str, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, c) in set.clients.iter().enumerate() {
        if !is_proxy[i] {
            continue;
        }
        for call in &c.calls {
            let list = proxies_of.entry(call.value.server.as_str()).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }
    let inside =
        |server: &str| -> &[usize] { running_in.get(server).map(Vec::as_slice).unwrap_or(&[]) };
    set.clients
        .iter()
        .enumerate()
        .map(|(ci, client)| {
            let mut next: Vec<usize> = Vec::new();
            for call in &client.calls {
                let through: Vec<usize> = if is_proxy[ci] {
                    Vec::new()
                } else {
                    proxies_of
                        .get(call.value.server.as_str())
                        .map(|list| {
                            list.iter()
                                .copied()
                                .filter(|&p| fronts(&set.clients[p], &call.value))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let below = if through.is_empty() {
                    inside(&call.value.server)
                } else {
                    &through[..]
                };
                for &child in below {
                    if child != ci && !next.contains(&child) {
                        next.push(child);
                    }
                }
            }
            next
        })
        .collect()
}

/// The clients directly above each client: the inverse of [`children`],
/// in client order.
pub fn parents(children: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut parents = vec![Vec::new(); children.len()];
    for (ci, kids) in children.iter().enumerate() {
        for &k in kids {
            if let Some(p) = parents.get_mut(k) {
                p.push(ci);
            }
        }
    }
    parents
}

/// Every maximal call path, outermost client first, following [`children`].
pub fn call_paths(set: &ContractSet) -> Vec<CallPath> {
    call_paths_from(&children(set))
}

/// [`call_paths`] from precomputed [`children`].
pub fn call_paths_from(children: &[Vec<usize>]) -> Vec<CallPath> {
    let has_parent = {
        let mut v = vec![false; children.len()];
        for kids in children {
            for &k in kids {
                if let Some(flag) = v.get_mut(k) {
                    *flag = true;
                }
            }
        }
        v
    };
    let roots: Vec<usize> = (0..children.len()).filter(|&i| !has_parent[i]).collect();
    let mut paths = Vec::new();
    let mut stack: Vec<Vec<usize>> = roots.into_iter().rev().map(|r| vec![r]).collect();
    while let Some(path) = stack.pop() {
        if paths.len() >= MAX_PATHS {
            break;
        }
        let Some(&last) = path.last() else { continue };
        let next: Vec<usize> = children
            .get(last)
            .map(|kids| kids.iter().copied().filter(|k| !path.contains(k)).collect())
            .unwrap_or_default();
        if next.is_empty() {
            paths.push(CallPath { clients: path });
        } else {
            for child in next.into_iter().rev() {
                let mut p = path.clone();
                p.push(child);
                stack.push(p);
            }
        }
    }
    paths
}

/// A cycle through `runs_in`: each client calls a server the next one runs
/// in, and the last calls the server the first runs in. Clients are
/// indices into the set; the cycle starts at its lowest index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunsInCycle {
    pub clients: Vec<usize>,
}

/// Every cycle through `runs_in`, once per strongly connected group of
/// clients (the shortest cycle through its lowest client), in order of that
/// client. A client on a cycle has no caller outside it, so no call path
/// starts there: amplification and deadline nesting cannot be followed
/// through it.
pub fn runs_in_cycles(set: &ContractSet) -> Vec<RunsInCycle> {
    let index = set.server_index();
    let mut running_in: Vec<Vec<usize>> = vec![Vec::new(); set.servers.len()];
    for (ci, c) in set.clients.iter().enumerate() {
        if let Some(&si) = c.runs_in.as_ref().and_then(|r| index.get(r.value.as_str())) {
            running_in[si].push(ci);
        }
    }
    // Client -> the clients running in the servers it calls.
    let next: Vec<Vec<usize>> = set
        .clients
        .iter()
        .map(|c| {
            let mut out: Vec<usize> = Vec::new();
            for call in &c.calls {
                if let Some(&si) = index.get(call.value.server.as_str()) {
                    for &child in &running_in[si] {
                        if !out.contains(&child) {
                            out.push(child);
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut reported = vec![false; set.clients.len()];
    let mut cycles = Vec::new();
    for start in 0..set.clients.len() {
        if reported[start] || set.clients[start].runs_in.is_none() {
            continue;
        }
        let Some(cycle) = shortest_cycle(start, &next) else {
            continue;
        };
        // The whole strongly connected group is this one cycle's report.
        let from_start = reachable(start, &next);
        for c in 0..set.clients.len() {
            if from_start[c] && reachable(c, &next)[start] {
                reported[c] = true;
            }
        }
        cycles.push(RunsInCycle { clients: cycle });
    }
    cycles
}

/// The shortest path `start -> ... -> start` (breadth first), without the
/// final return to `start`.
fn shortest_cycle(start: usize, next: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut parent: Vec<Option<usize>> = vec![None; next.len()];
    let mut seen = vec![false; next.len()];
    seen[start] = true;
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(at) = queue.pop_front() {
        for &n in &next[at] {
            if n == start {
                let mut cycle = vec![at];
                let mut cur = at;
                while let Some(p) = parent[cur] {
                    cycle.push(p);
                    cur = p;
                }
                cycle.reverse();
                return Some(cycle);
            }
            if !seen[n] {
                seen[n] = true;
                parent[n] = Some(at);
                queue.push_back(n);
            }
        }
    }
    None
}

/// Which clients `from` reaches (itself included).
fn reachable(from: usize, next: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; next.len()];
    seen[from] = true;
    let mut stack = vec![from];
    while let Some(at) = stack.pop() {
        for &n in &next[at] {
            if !seen[n] {
                seen[n] = true;
                stack.push(n);
            }
        }
    }
    seen
}

/// One jittered backoff sleep in milliseconds, given a uniform draw `u` in
/// `[0, 1)` (anything else counts as 0). These are the formulas of Marc
/// Brooker's "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015),
/// shared by the model-checking harness and the storm simulator:
///
/// - `none`: `base`;
/// - `full`: `u * base`;
/// - `equal`: `base/2 + u * base/2`;
/// - `decorrelated`: `initial + u * (3 * max(previous, initial) - initial)`,
///   capped by `cap`.
///
/// `base` is the un-jittered delay of this retry, `previous` the sleep
/// before the previous retry (0 before the first).
pub fn jittered_delay_ms(
    jitter: Jitter,
    base: u64,
    initial: u64,
    previous: u64,
    cap: Option<u64>,
    u: f64,
) -> u64 {
    let u = if (0.0..1.0).contains(&u) { u } else { 0.0 };
    match jitter {
        Jitter::None => base,
        Jitter::Full => (base as f64 * u) as u64,
        Jitter::Equal => base / 2 + ((base - base / 2) as f64 * u) as u64,
        Jitter::Decorrelated => {
            let lo = initial;
            let prev = previous.max(lo);
            let hi = prev.saturating_mul(3).max(lo);
            let v = lo + ((hi - lo) as f64 * u) as u64;
            v.min(cap.unwrap_or(u64::MAX))
        }
    }
}

#[cfg(test)]
mod jitter_tests {
    use super::*;

    #[test]
    fn jitter_formulas_stay_in_their_ranges() {
        for i in 0..1000u64 {
            let u = i as f64 / 1000.0;
            assert_eq!(jittered_delay_ms(Jitter::None, 400, 100, 0, None, u), 400);
            assert!(jittered_delay_ms(Jitter::Full, 400, 100, 0, None, u) < 400);
            let e = jittered_delay_ms(Jitter::Equal, 400, 100, 0, None, u);
            assert!((200..400).contains(&e), "{e}");
            let d = jittered_delay_ms(Jitter::Decorrelated, 400, 100, 150, Some(1000), u);
            assert!((100..450).contains(&d), "{d}");
            let capped = jittered_delay_ms(Jitter::Decorrelated, 400, 100, 5000, Some(1000), u);
            assert!(capped <= 1000);
        }
        assert_eq!(jittered_delay_ms(Jitter::Full, 400, 100, 0, None, 1.5), 0);
        assert_eq!(
            jittered_delay_ms(Jitter::Full, 400, 100, 0, None, f64::NAN),
            0
        );
    }
}

#[cfg(test)]
mod cycle_tests {
    use super::*;

    #[test]
    fn runs_in_cycles_are_found_once_each() {
        let text = r#"
version = 1
[server.a]
[server.b]
[server.c]
[client.in-a]
runs_in = "a"
calls = ["b"]
[client.in-b]
runs_in = "b"
calls = ["a"]
[client.also-in-b]
runs_in = "b"
calls = ["c"]
[client.self]
runs_in = "c"
calls = ["c"]
[client.edge]
calls = ["c"]
"#;
        let (set, errors) = crate::load_str("t.toml", text);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<Vec<&str>> = runs_in_cycles(&set)
            .iter()
            .map(|c| {
                c.clients
                    .iter()
                    .map(|&i| set.clients[i].name.value.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(names, [vec!["in-a", "in-b"], vec!["self"]]);
        let chain = "version = 1\n[server.a]\n[client.x]\nruns_in = \"a\"\ncalls = [\"b\"]\n";
        let (set, _) = crate::load_str("t.toml", chain);
        assert!(runs_in_cycles(&set).is_empty());
    }
}
