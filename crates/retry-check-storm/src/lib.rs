//! Fleet storm simulation (PRODUCT.md section 10): a fleet of clients
//! following their retry contracts through an outage, brownout or slowdown
//! of a dependency, and the load that dependency receives.
//!
//! The simulator ([`sim`]) is discrete-event over virtual milliseconds with
//! one seeded random stream, so a seed gives the same report byte for byte.
//!
//! * **Clients.** Each *root* client (one that does not run inside a called
//!   server) is a fleet of `fleet.clients` instances, together sending
//!   `clients x rate_per_sec` logical requests per second (Poisson). A
//!   request picks one of the client's `calls` targets. A failed attempt is
//!   retried per the contract: `max_attempts`, the backoff delay with its
//!   exact jitter formula (shared with the harness:
//!   [`retry_check_contract::derive::jittered_delay_ms`]), `deadline` (else
//!   `retry_window`) as the send horizon, `per_attempt_timeout`, a
//!   per-instance retry budget (`ratio` tokens deposited per request,
//!   `min_per_sec` refilled per second; at most ten seconds of deposits
//!   plus one second of refill; one token per retry), a per-instance circuit breaker (`failure_ratio` over at least
//!   `min_requests`, open for `open_for`, `half_open_probes` probes; an open
//!   breaker fails the request without sending) and, on a shed request,
//!   Retry-After (1 s) when `honor_retry_after`.
//! * **Stacks.** An attempt accepted by a server that hosts clients
//!   (`runs_in`) starts one logical request per such client and succeeds
//!   only when they all do, so retries multiply layer by layer as in a
//!   real stack (3 x 3 x 3 = 27 attempts at the bottom).
//! * **Servers.** `capacity_per_sec` (else the steady first-attempt load
//!   plus 25%) as a token bucket with 100 ms of burst; attempts beyond it
//!   are shed with 503 + Retry-After. Healthy latency is 20 ms.
//! * **Incident.** On the dependency (the called servers that call nothing,
//!   or `target`): a full outage refuses every attempt and, at its start,
//!   resets every instance's connection, failing one request per instance
//!   at the same instant (the synchronised failure that turns un-jittered
//!   retries into a herd); a brownout fails a share of attempts; a slowdown
//!   divides capacity and multiplies latency.
//!
//! Each scenario runs twice: with the contracts as written and with the
//! recommended fix ([`profile::Fix`]: full jitter where there is none, a
//! 10% retry budget where there is neither budget nor breaker). The storm
//! rules (RC034-RC036, [`rules`]) judge the two runs.

pub mod chart;
pub mod notes;
pub mod profile;
pub mod report;
pub mod rules;
mod scenario;
pub mod sim;
pub mod topology;

use retry_check_contract::ContractSet;
use retry_check_diagnostics::Diagnostic;
use retry_check_rules::{Engine, LintLevels};
use serde_json::{json, Value};

pub use profile::{Fix, RetryProfile};
pub use scenario::{Incident, Scenario, ScenarioSpec};
pub use sim::{ClientTotals, Run, ServerSeries};
pub use topology::Topology;

/// `max_load_factor` of a server that declares a capacity but no bound.
pub const DEFAULT_MAX_LOAD_FACTOR: f64 = 1.5;
/// Attempts per logical request above which retries without a budget or
/// breaker are reported (the SRE book's per-request cap of three attempts).
pub const AMPLIFICATION_BOUND: f64 = 3.0;
/// Peak of a 100 ms bucket over the mean of its second at which retries
/// count as a herd.
pub const HERD_SPIKE: f64 = 2.0;
/// Seconds the dependency must stay healthy to count as recovered.
pub const RECOVERY_HOLD_S: usize = 5;

/// The figures of one run at one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Highest offered load of a second over capacity.
    pub peak_load_factor: f64,
    /// The second it happened.
    pub peak_at_s: usize,
    /// Highest 100 ms bucket over the mean 100 ms bucket of its second.
    pub herd_spike: f64,
    /// Attempts received per logical request reaching the server.
    pub amplification: f64,
    /// The same, during the incident.
    pub incident_amplification: f64,
    /// Seconds after the incident ends until load is back under capacity
    /// and goodput back to 90% of its level before; `None`: not within
    /// the scenario.
    pub recovery_s: Option<usize>,
    pub attempts: u64,
}

/// One server the report is about.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerReport {
    pub index: usize,
    pub name: String,
    pub capacity: f64,
    pub capacity_declared: bool,
    pub max_load_factor: f64,
    pub incident: bool,
    /// The root clients (indices into [`StormReport::clients`]) whose
    /// requests reach it.
    pub roots: Vec<usize>,
    /// Does the recommended fix change a client whose calls reach it?
    pub fix_applies: bool,
    pub without: Figures,
    pub with_fix: Figures,
}

impl ServerReport {
    /// The steady first-attempt load an assumed capacity was derived from.
    pub fn steady_load(&self) -> f64 {
        self.capacity / topology::ASSUMED_HEADROOM
    }

    /// How the report names the capacity: `declared`, or how it was assumed.
    pub fn capacity_source(&self) -> String {
        if self.capacity_declared {
            "declared".into()
        } else {
            format!(
                "assumed: no `capacity_per_sec`, steady load {:.0}/s + 25%",
                self.steady_load()
            )
        }
    }
}

/// One root client's outcome, with and without the fix.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientReport {
    pub index: usize,
    pub name: String,
    pub fix: Fix,
    pub without: ClientTotals,
    pub with_fix: ClientTotals,
}

/// Everything `storm` reports.
#[derive(Debug, Clone)]
pub struct StormReport {
    pub scenario: Scenario,
    pub servers: Vec<ServerReport>,
    pub clients: Vec<ClientReport>,
    /// The recommended fix per client (all clients, in set order).
    pub fixes: Vec<(String, Fix)>,
    /// The raw series, for charts: (contract run, fixed run).
    pub runs: (Run, Run),
    pub diagnostics: Vec<Diagnostic>,
}

impl StormReport {
    /// Share of logical requests (all root clients) that ended without
    /// success: attempts, deadline or budget exhausted, or breaker open.
    pub fn exhausted_share(run: &Run) -> f64 {
        let (failed, total) = run.roots.iter().fold((0u64, 0u64), |(f, t), c| {
            (f + c.exhausted + c.rejected, t + c.logical)
        });
        if total == 0 {
            0.0
        } else {
            failed as f64 / total as f64
        }
    }
}

/// Why no client starts a request: a cycle through `runs_in` (every
/// calling client runs in a server another one calls), else no client
/// calls a defined server.
fn no_roots(set: &ContractSet) -> String {
    let cycles = retry_check_contract::derive::runs_in_cycles(set);
    if cycles.is_empty() {
        return "no client calls a server defined in the contracts: nothing to simulate".into();
    }
    let shown: Vec<String> = cycles
        .iter()
        .map(|cycle| {
            let names: Vec<&str> = cycle
                .clients
                .iter()
                .map(|&c| set.clients[c].name.value.as_str())
                .collect();
            names.join(" -> ")
        })
        .collect();
    format!(
        "every client that calls a server runs inside a server that is called: the clients run \
         in each other's servers in a cycle ({}), so no request starts anywhere; `lint` reports \
         it as RC037 `runs_in_cycle`",
        shown.join("; ")
    )
}

/// [`simulate_with`] at the default levels.
pub fn simulate(set: &ContractSet, scenario: &Scenario) -> Result<StormReport, String> {
    let levels = LintLevels::new();
    let known = rules::lints();
    let mut engine = Engine::new(&levels, &known).with_contracts(set);
    simulate_with(set, scenario, &mut engine)
}

/// Simulate `scenario` on the contract set, with and without the fix; the
/// storm rules' findings go through `engine` (levels, `allow` entries).
pub fn simulate_with(
    set: &ContractSet,
    scenario: &Scenario,
    engine: &mut Engine<'_>,
) -> Result<StormReport, String> {
    let topo = Topology::new(set, scenario.target.as_deref())?;
    if topo.roots.is_empty() {
        return Err(no_roots(set));
    }
    if !topo.incident.iter().any(|&i| i) {
        return Err("no server is called: there is no dependency to take down".into());
    }
    let fixed: Vec<RetryProfile> = topo.profiles.iter().map(RetryProfile::fixed).collect();
    let without = sim::run(set, &topo, &topo.profiles, scenario);
    let with_fix = sim::run(set, &topo, &fixed, scenario);
    let mut servers = Vec::new();
    for (si, server) in set.servers.iter().enumerate() {
        let a = &without.servers[si];
        if a.attempts() == 0 || !(a.incident || a.capacity_declared) {
            continue;
        }
        servers.push(ServerReport {
            index: si,
            name: server.name.value.clone(),
            capacity: a.capacity,
            capacity_declared: a.capacity_declared,
            max_load_factor: server
                .max_load_factor
                .as_ref()
                .map_or(DEFAULT_MAX_LOAD_FACTOR, |m| m.value),
            incident: a.incident,
            roots: topo
                .roots
                .iter()
                .enumerate()
                .filter(|(_, &r)| topo.reaches[r as usize].contains(&(si as u32)))
                .map(|(i, _)| i)
                .collect(),
            fix_applies: topo
                .profiles
                .iter()
                .enumerate()
                .any(|(ci, p)| !p.fix().is_empty() && topo.reaches[ci].contains(&(si as u32))),
            without: figures(a, scenario),
            with_fix: figures(&with_fix.servers[si], scenario),
        });
    }
    let clients = topo
        .roots
        .iter()
        .enumerate()
        .map(|(i, &r)| ClientReport {
            index: r as usize,
            name: set.clients[r as usize].name.value.clone(),
            fix: topo.profiles[r as usize].fix(),
            without: without.roots[i].clone(),
            with_fix: with_fix.roots[i].clone(),
        })
        .collect();
    let fixes = topo
        .profiles
        .iter()
        .map(|p| (p.name.clone(), p.fix()))
        .collect();
    let mut report = StormReport {
        scenario: scenario.clone(),
        servers,
        clients,
        fixes,
        runs: (without, with_fix),
        diagnostics: Vec::new(),
    };
    let cx = rules::StormContext {
        set,
        topo: &topo,
        report: &report,
    };
    report.diagnostics = rules::findings(&cx, engine);
    Ok(report)
}

fn figures(s: &ServerSeries, scenario: &Scenario) -> Figures {
    let cap = s.capacity.max(f64::MIN_POSITIVE);
    let (peak_at_s, peak) =
        s.offered.iter().enumerate().fold(
            (0, 0u64),
            |best, (i, &v)| if v > best.1 { (i, v) } else { best },
        );
    let per_sec = (1000 / sim::FINE_BUCKET_MS) as usize;
    let mut herd_spike: f64 = 0.0;
    for (sec, &total) in s.offered.iter().enumerate() {
        if total < per_sec as u64 * 10 {
            continue; // too few attempts to speak of a spike
        }
        let mean = total as f64 / per_sec as f64;
        let fine = &s.offered_fine[(sec * per_sec).min(s.offered_fine.len())
            ..((sec + 1) * per_sec).min(s.offered_fine.len())];
        let top = fine.iter().copied().max().unwrap_or(0) as f64;
        herd_spike = herd_spike.max(top / mean);
    }
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Figures {
        peak_load_factor: peak as f64 / cap,
        peak_at_s,
        herd_spike,
        amplification: ratio(s.attempts(), s.logical),
        incident_amplification: ratio(s.attempts_in_incident, s.logical_in_incident),
        recovery_s: recovery(s, scenario),
        attempts: s.attempts(),
    }
}

fn recovery(s: &ServerSeries, scenario: &Scenario) -> Option<usize> {
    let start = (scenario.incident_start_ms / 1000) as usize;
    let end = scenario.incident_end_ms().div_ceil(1000) as usize;
    let secs = s.offered.len();
    // Baseline: the seconds before the incident (the first is warm-up).
    let before = 1..start.min(secs);
    let (good, offered) = if before.is_empty() {
        (0.0, 0.0)
    } else {
        let n = before.len() as f64;
        (
            s.succeeded[before.clone()].iter().sum::<u64>() as f64 / n,
            s.offered[before].iter().sum::<u64>() as f64 / n,
        )
    };
    let limit = s.capacity.max(offered * 1.1);
    let healthy = |j: usize| s.succeeded[j] as f64 >= 0.9 * good && (s.offered[j] as f64) <= limit;
    (end..secs).find_map(|k| {
        let until = (k + RECOVERY_HOLD_S).min(secs);
        (until - k == RECOVERY_HOLD_S && (k..until).all(healthy)).then_some(k - end)
    })
}

/// The report as one JSON object (the `storm` summary).
pub fn json_summary(report: &StormReport) -> Value {
    let fig = |f: &Figures| {
        json!({
            "peak_load_factor": round3(f.peak_load_factor),
            "peak_at_s": f.peak_at_s,
            "herd_spike": round3(f.herd_spike),
            "amplification": round3(f.amplification),
            "incident_amplification": round3(f.incident_amplification),
            "recovery_s": f.recovery_s,
            "attempts": f.attempts,
        })
    };
    let totals = |t: &ClientTotals| {
        json!({
            "logical": t.logical,
            "succeeded": t.succeeded,
            "exhausted": t.exhausted,
            "rejected": t.rejected,
            "reset": t.reset,
            "budget_denials": t.budget_denials,
        })
    };
    json!({
        "reason": "storm",
        "scenario": report.scenario.describe(),
        "seed": report.scenario.seed,
        "servers": report.servers.iter().map(|s| json!({
            "name": s.name,
            "capacity_per_sec": round3(s.capacity),
            "capacity_declared": s.capacity_declared,
            "max_load_factor": s.max_load_factor,
            "incident": s.incident,
            "fix_is_enough": !notes::fix_falls_short(s),
            "notes": notes::server_notes(report, s),
            "without_fix": fig(&s.without),
            "with_fix": fig(&s.with_fix),
            "offered_per_sec": report.runs.0.servers[s.index].offered,
            "offered_per_sec_with_fix": report.runs.1.servers[s.index].offered,
        })).collect::<Vec<_>>(),
        "clients": report.clients.iter().map(|c| json!({
            "name": c.name,
            "fix": c.fix.describe(),
            "without_fix": totals(&c.without),
            "with_fix": totals(&c.with_fix),
            "notes": notes::client_note(c).into_iter().collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "exhausted_share": round3(StormReport::exhausted_share(&report.runs.0)),
        "exhausted_share_with_fix": round3(StormReport::exhausted_share(&report.runs.1)),
        "findings": report.diagnostics.len(),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
