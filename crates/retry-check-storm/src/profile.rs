//! A client's contract turned into the numbers the simulator needs, and the
//! recommended fix (full jitter, a retry budget) applied to it.

use retry_check_contract::derive::{attempts, nominal_delay};
use retry_check_contract::{Breaker, Client, GrpcCode, Jitter, Status, Transport};

/// The statuses a simulated server answers with when it fails a request:
/// an outage refuses connections (`connect-failure`, `UNAVAILABLE`, 503),
/// shedding beyond capacity answers `UNAVAILABLE` / 503 / 429 /
/// `RESOURCE_EXHAUSTED`.
pub const FAILURE_STATUSES: &[Status] = &[
    Status::Grpc(GrpcCode::Unavailable),
    Status::Http(503),
    Status::Transport(Transport::ConnectFailure),
    Status::Grpc(GrpcCode::ResourceExhausted),
    Status::Http(429),
];

/// What the simulator changed to get the "with fix" run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fix {
    /// `jitter` was none or missing: the fix draws full jitter.
    pub full_jitter: bool,
    /// Neither budget nor breaker: the fix adds a 10% retry budget.
    pub budget: bool,
}

impl Fix {
    pub fn is_empty(self) -> bool {
        !self.full_jitter && !self.budget
    }

    pub fn describe(self) -> String {
        let mut parts = Vec::new();
        if self.full_jitter {
            parts.push("full jitter");
        }
        if self.budget {
            parts.push("a 10% retry budget");
        }
        if parts.is_empty() {
            "none needed".to_string()
        } else {
            parts.join(" + ")
        }
    }
}

/// The budget the fix adds: retries at most 10% of requests (SRE book,
/// gRPC retryThrottling's example ratio), no free retries per second.
pub const FIX_BUDGET_RATIO: f64 = 0.1;

/// A client-side circuit breaker, with the format's defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerProfile {
    pub failure_ratio: f64,
    pub min_requests: u32,
    pub open_for_ms: u64,
    pub half_open_probes: u32,
    /// Does a failure of the simulated server count?
    pub counts_failures: bool,
}

impl BreakerProfile {
    fn of(b: &Breaker, retry_on: &[retry_check_contract::Sp<Status>]) -> Self {
        let counts: Vec<Status> = match &b.counts {
            Some(c) => c.value.iter().map(|s| s.value).collect(),
            None => retry_on.iter().map(|s| s.value).collect(),
        };
        BreakerProfile {
            failure_ratio: b
                .failure_ratio
                .as_ref()
                .map_or(Breaker::DEFAULT_FAILURE_RATIO, |r| r.value),
            min_requests: b
                .min_requests
                .as_ref()
                .map_or(Breaker::DEFAULT_MIN_REQUESTS, |m| m.value.max(1) as u64)
                .min(u64::from(u32::MAX)) as u32,
            open_for_ms: b
                .open_for
                .as_ref()
                .map_or(Breaker::DEFAULT_OPEN_FOR, |d| d.value)
                .as_millis(),
            half_open_probes: b
                .half_open_probes
                .as_ref()
                .map_or(Breaker::DEFAULT_HALF_OPEN_PROBES, |p| p.value.max(1) as u64)
                .min(u64::from(u32::MAX)) as u32,
            counts_failures: counts.is_empty() || covers_failure(&counts),
        }
    }
}

fn covers_failure(list: &[Status]) -> bool {
    list.iter()
        .any(|s| FAILURE_STATUSES.iter().any(|f| s.covers(*f)))
}

/// How one client retries, in milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryProfile {
    pub name: String,
    pub max_attempts: u32,
    /// Un-jittered delay before retry `i` is `base[min(i, len) - 1]`.
    pub base: Vec<u64>,
    pub initial_ms: u64,
    pub cap_ms: Option<u64>,
    pub jitter: Jitter,
    /// No attempt is sent this long after the first (deadline, else retry window).
    pub horizon_ms: Option<u64>,
    pub per_attempt_timeout_ms: Option<u64>,
    /// Does it retry the simulated server's failures at all?
    pub retries_failures: bool,
    pub honor_retry_after: bool,
    /// `(ratio, min_per_sec)`.
    pub budget: Option<(f64, f64)>,
    pub breaker: Option<BreakerProfile>,
    pub fleet_clients: u32,
    pub rate_per_sec: f64,
}

/// Retries beyond this share one base delay (the cap, in practice).
const MAX_DISTINCT_DELAYS: u64 = 64;
/// Attempts simulated at most for one logical request.
pub const MAX_SIMULATED_ATTEMPTS: u32 = 100;

impl RetryProfile {
    pub fn of(client: &Client) -> Self {
        let max_attempts = if client.retries() {
            // No limit: bounded by the deadline, at most MAX_SIMULATED_ATTEMPTS.
            attempts(client).unwrap_or(u64::from(MAX_SIMULATED_ATTEMPTS))
        } else {
            1
        }
        .clamp(1, u64::from(MAX_SIMULATED_ATTEMPTS)) as u32;
        let retries = u64::from(max_attempts.saturating_sub(1)).min(MAX_DISTINCT_DELAYS);
        let base = (1..=retries.max(1))
            .map(|i| nominal_delay(client, i).as_millis())
            .collect();
        let backoff = client.backoff.as_ref();
        let retry_on: Vec<Status> = client.retry_on().iter().map(|s| s.value).collect();
        RetryProfile {
            name: client.name.value.clone(),
            max_attempts,
            base,
            initial_ms: backoff
                .and_then(|b| b.initial.as_ref())
                .map_or(0, |d| d.value.as_millis()),
            cap_ms: backoff
                .and_then(|b| b.max.as_ref())
                .map(|d| d.value.as_millis()),
            jitter: backoff
                .and_then(|b| b.jitter.as_ref())
                .map_or(Jitter::None, |j| j.value),
            horizon_ms: client
                .deadline
                .as_ref()
                .or(client.retry_window.as_ref())
                .map(|d| d.value.as_millis()),
            per_attempt_timeout_ms: client
                .per_attempt_timeout
                .as_ref()
                .map(|d| d.value.as_millis()),
            retries_failures: retry_on.is_empty() || covers_failure(&retry_on),
            honor_retry_after: client.honor_retry_after.as_ref().is_some_and(|h| h.value),
            budget: client.budget.as_ref().map(|b| {
                (
                    b.ratio.as_ref().map_or(0.0, |r| r.value.max(0.0)),
                    b.min_per_sec.as_ref().map_or(0.0, |m| m.value.max(0.0)),
                )
            }),
            breaker: client
                .breaker
                .as_ref()
                .map(|b| BreakerProfile::of(b, client.retry_on())),
            fleet_clients: client.fleet_clients().min(u64::from(u32::MAX)) as u32,
            rate_per_sec: client.fleet_rate(),
        }
    }

    /// Does it make a second attempt?
    pub fn retries(&self) -> bool {
        self.max_attempts > 1 && self.retries_failures
    }

    /// The fix the simulator recommends for this client.
    pub fn fix(&self) -> Fix {
        if !self.retries() {
            return Fix::default();
        }
        Fix {
            full_jitter: self.jitter == Jitter::None && self.max_attempts > 2,
            budget: self.budget.is_none() && self.breaker.is_none(),
        }
    }

    /// This profile with its fix applied.
    pub fn fixed(&self) -> RetryProfile {
        let fix = self.fix();
        let mut p = self.clone();
        if fix.full_jitter {
            p.jitter = Jitter::Full;
        }
        if fix.budget {
            p.budget = Some((FIX_BUDGET_RATIO, 0.0));
        }
        p
    }

    /// Un-jittered delay before retry `retry` (1-based).
    pub fn base_delay(&self, retry: u32) -> u64 {
        let i = (retry.max(1) as usize).min(self.base.len()).max(1);
        self.base.get(i - 1).copied().unwrap_or(0)
    }

    /// The delay before the first retry, jitter's upper bound.
    pub fn first_backoff_ms(&self) -> u64 {
        self.base_delay(1)
    }
}
