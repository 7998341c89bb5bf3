//! The discrete-event simulator: virtual time in milliseconds, one binary
//! heap of events ordered by (time, sequence number), one seeded random
//! stream. The same inputs and seed give the same numbers, byte for byte.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use retry_check_contract::derive::jittered_delay_ms;
use retry_check_contract::ContractSet;

use crate::profile::RetryProfile;
use crate::topology::{capacity, Topology, MAX_DEPTH};
use crate::{Incident, Scenario};

/// Response time of a healthy server.
pub const BASE_LATENCY_MS: u64 = 20;
/// Retry-After a shedding server sends with its 503 / 429.
pub const RETRY_AFTER_MS: u64 = 1_000;
/// Fine buckets (for herds) are this long.
pub const FINE_BUCKET_MS: u64 = 100;

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut x = self.0;
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }
}

/// How a logical request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Success,
    /// Attempts, deadline or budget ran out.
    Exhausted,
    /// The breaker was open: failed fast, nothing sent.
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    /// The next logical request of root client `.0`'s fleet.
    Arrive(u32),
    /// Send the current attempt of request `.0`.
    Send(u32),
    /// The incident starts: every instance's pooled connection resets,
    /// failing the request it carries (root client `.0`).
    Reset(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Event {
    at: u64,
    seq: u64,
    ev: Ev,
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap is a max-heap: the earliest (then lowest seq) is greatest.
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}
impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Req {
    client: u32,
    instance: u32,
    server: u32,
    root: u32,
    attempt: u32,
    first_ms: u64,
    prev_sleep: u64,
    parent: u32,
    pending: u32,
    child_failed: bool,
    depth: u8,
}

#[derive(Debug, Clone, Copy, Default)]
struct BreakerState {
    open_until: u64,
    half_open: bool,
    probes_sent: u32,
    probes_ok: u32,
    window_requests: u32,
    window_failures: u32,
}

#[derive(Debug, Clone, Copy)]
struct Budget {
    tokens: f64,
    last_ms: u64,
}

/// Per-client simulation state.
struct ClientSim {
    profile: RetryProfile,
    targets: Vec<u32>,
    budgets: Vec<Budget>,
    breakers: Vec<BreakerState>,
    budget_cap: f64,
}

/// What the simulation measured for one server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSeries {
    pub name: String,
    pub capacity: f64,
    pub capacity_declared: bool,
    pub incident: bool,
    /// Attempts arriving, per second.
    pub offered: Vec<u64>,
    /// Attempts answered successfully, per second.
    pub succeeded: Vec<u64>,
    /// Attempts arriving per fine bucket.
    pub offered_fine: Vec<u64>,
    /// Logical requests of root clients whose calls reach this server.
    pub logical: u64,
    /// Root logical requests reaching it that started during the incident.
    pub logical_in_incident: u64,
    /// Attempts that arrived during the incident.
    pub attempts_in_incident: u64,
    /// Attempts for this server that an open breaker failed without
    /// sending (in all; during the incident).
    pub short_circuited: u64,
    pub short_circuited_in_incident: u64,
}

impl ServerSeries {
    pub fn attempts(&self) -> u64 {
        self.offered.iter().sum()
    }
}

/// What the simulation measured for one root client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientTotals {
    pub name: String,
    pub logical: u64,
    pub succeeded: u64,
    pub exhausted: u64,
    pub rejected: u64,
    /// Requests in flight when the outage began, failed by the connection
    /// reset (their attempt was sent before it).
    pub reset: u64,
    /// Retries of its requests (at any layer) that a retry budget refused.
    pub budget_denials: u64,
}

/// One run of the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub servers: Vec<ServerSeries>,
    pub roots: Vec<ClientTotals>,
    /// Events processed (for the benchmark).
    pub events: u64,
}

struct ServerSim {
    capacity: f64,
    tokens: f64,
    last_ms: u64,
    incident: bool,
    inner: Vec<u32>,
}

struct Sim<'a> {
    scenario: &'a Scenario,
    heap: BinaryHeap<Event>,
    seq: u64,
    rng: Rng,
    reqs: Vec<Req>,
    free: Vec<u32>,
    clients: Vec<ClientSim>,
    servers: Vec<ServerSim>,
    series: Vec<ServerSeries>,
    roots: Vec<ClientTotals>,
    root_index: Vec<u32>,
    reached_by: Vec<Vec<u32>>,
    /// Exact (fractional) time of each root's next arrival, in ms.
    next_arrival: Vec<f64>,
    events: u64,
}

impl<'a> Sim<'a> {
    /// A fleet per client, a token bucket per server, empty series.
    fn new(
        set: &ContractSet,
        topo: &Topology,
        profiles: &[RetryProfile],
        scenario: &'a Scenario,
    ) -> Sim<'a> {
        let secs = scenario.duration_ms.div_ceil(1000) as usize;
        let fine = scenario.duration_ms.div_ceil(FINE_BUCKET_MS) as usize;
        let clients = profiles
            .iter()
            .enumerate()
            .map(|(ci, p)| {
                let n = p.fleet_clients.max(1) as usize;
                let (cap, start) = match p.budget {
                    // Ten seconds of deposits plus one second of free retries,
                    // at least one retry.
                    Some((ratio, min)) => {
                        let cap = (ratio * p.rate_per_sec * 10.0 + min).max(1.0);
                        (cap, cap)
                    }
                    None => (0.0, 0.0),
                };
                ClientSim {
                    profile: p.clone(),
                    targets: topo.targets[ci].clone(),
                    budgets: if p.budget.is_some() {
                        vec![
                            Budget {
                                tokens: start,
                                last_ms: 0
                            };
                            n
                        ]
                    } else {
                        Vec::new()
                    },
                    breakers: if p.breaker.is_some() {
                        vec![BreakerState::default(); n]
                    } else {
                        Vec::new()
                    },
                    budget_cap: cap,
                }
            })
            .collect();
        let servers: Vec<ServerSim> = (0..set.servers.len())
            .map(|si| {
                let (cap, _) = capacity(set, topo, si);
                ServerSim {
                    capacity: cap,
                    tokens: burst(cap),
                    last_ms: 0,
                    incident: topo.incident[si],
                    inner: topo.inner[si].clone(),
                }
            })
            .collect();
        let series = set
            .servers
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let (cap, declared) = capacity(set, topo, si);
                ServerSeries {
                    name: s.name.value.clone(),
                    capacity: cap,
                    capacity_declared: declared,
                    incident: topo.incident[si],
                    offered: vec![0; secs],
                    succeeded: vec![0; secs],
                    offered_fine: vec![0; fine],
                    logical: 0,
                    logical_in_incident: 0,
                    attempts_in_incident: 0,
                    short_circuited: 0,
                    short_circuited_in_incident: 0,
                }
            })
            .collect();
        let mut root_index = vec![NONE; set.clients.len()];
        let roots = topo
            .roots
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                root_index[r as usize] = i as u32;
                ClientTotals {
                    name: set.clients[r as usize].name.value.clone(),
                    ..ClientTotals::default()
                }
            })
            .collect();
        Sim {
            scenario,
            heap: BinaryHeap::with_capacity(1 << 16),
            seq: 0,
            rng: Rng::new(scenario.seed),
            reqs: Vec::with_capacity(1 << 16),
            free: Vec::new(),
            clients,
            servers,
            series,
            roots,
            root_index,
            reached_by: topo.reached_by.clone(),
            next_arrival: vec![0.0; set.clients.len()],
            events: 0,
        }
    }
}

/// Run one scenario over `profiles` (the contract's, or the fixed ones).
pub fn run(
    set: &ContractSet,
    topo: &Topology,
    profiles: &[RetryProfile],
    scenario: &Scenario,
) -> Run {
    let mut sim = Sim::new(set, topo, profiles, scenario);
    let mut arrivals: Vec<(u64, u32)> = Vec::with_capacity(topo.roots.len());
    for &r in &topo.roots {
        let t = sim.next_arrival(r);
        arrivals.push((t, r));
        let direct_hit = topo.targets[r as usize]
            .iter()
            .any(|&s| topo.incident[s as usize]);
        if direct_hit && scenario.incident_len_ms > 0 && scenario.incident == Incident::Outage {
            sim.push(scenario.incident_start_ms, Ev::Reset(r));
        }
    }
    // Arrivals stay out of the heap (one pending per root fleet, a handful):
    // at each step the earliest of them and the heap's top goes first, an
    // arrival before a heap event of the same millisecond.
    loop {
        let next_arrival = arrivals
            .iter()
            .enumerate()
            .min_by_key(|(i, (t, _))| (*t, *i))
            .map(|(i, &(t, r))| (i, t, r));
        let e = match (next_arrival, sim.heap.peek()) {
            (Some((i, t, r)), top) if top.is_none_or(|top| t <= top.at) => {
                let next = sim.next_arrival(r);
                arrivals[i].0 = next;
                Event {
                    at: t,
                    seq: 0,
                    ev: Ev::Arrive(r),
                }
            }
            _ => match sim.heap.pop() {
                Some(e) => e,
                None => break,
            },
        };
        if e.at >= scenario.duration_ms {
            break;
        }
        sim.events += 1;
        match e.ev {
            Ev::Arrive(r) => {
                let p = &sim.clients[r as usize].profile;
                let instance = sim.rng.below(p.fleet_clients.max(1));
                sim.start(r, instance, r, NONE, 0, e.at);
            }
            Ev::Reset(r) => {
                // Every instance's in-flight request fails at the same instant.
                let n = sim.clients[r as usize].profile.fleet_clients.max(1);
                for instance in 0..n {
                    // Sent before the incident: not counted as arriving load.
                    if let Some(id) = sim.start_request(r, instance, r, NONE, 0, e.at) {
                        if let Some(tot) = sim.roots.get_mut(sim.root_index[r as usize] as usize) {
                            tot.reset += 1;
                        }
                        sim.respond(id, false, false, e.at);
                    }
                }
            }
            Ev::Send(id) => sim.send(id, e.at),
        }
    }
    Run {
        servers: sim.series,
        roots: sim.roots,
        events: sim.events,
    }
}

fn burst(capacity: f64) -> f64 {
    (capacity * 0.1).max(1.0)
}

impl Sim<'_> {
    fn push(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.heap.push(Event {
            at,
            seq: self.seq,
            ev,
        });
    }

    /// The millisecond of the next logical request of a root fleet
    /// (Poisson). The exact time is kept as a fraction so that fleets
    /// sending several requests per millisecond keep their rate.
    fn next_arrival(&mut self, root: u32) -> u64 {
        let p = &self.clients[root as usize].profile;
        let rate = f64::from(p.fleet_clients.max(1)) * p.rate_per_sec;
        if rate <= 0.0 || !rate.is_finite() {
            return u64::MAX / 2;
        }
        let u = 1.0 - self.rng.unit(); // (0, 1]
        let at = &mut self.next_arrival[root as usize];
        *at += -u.ln() / rate * 1000.0;
        if *at >= (u64::MAX / 4) as f64 {
            u64::MAX / 2
        } else {
            *at as u64
        }
    }

    fn in_incident(&self, t: u64) -> bool {
        let s = self.scenario;
        t >= s.incident_start_ms && t < s.incident_start_ms + s.incident_len_ms
    }

    /// Allocate a logical request; `None` when the client targets nothing.
    fn start_request(
        &mut self,
        client: u32,
        instance: u32,
        root: u32,
        parent: u32,
        depth: u8,
        t: u64,
    ) -> Option<u32> {
        let c = &self.clients[client as usize];
        let server = match c.targets.len() {
            0 => return None,
            1 => c.targets[0],
            n => c.targets[self.rng.below(n as u32) as usize],
        };
        if parent == NONE {
            let ri = self.root_index[root as usize];
            if let Some(tot) = self.roots.get_mut(ri as usize) {
                tot.logical += 1;
            }
            let incident = self.in_incident(t);
            for si in 0..self.series.len() {
                if self.reached_by[si].contains(&root) {
                    self.series[si].logical += 1;
                    if incident {
                        self.series[si].logical_in_incident += 1;
                    }
                }
            }
        }
        let req = Req {
            client,
            instance,
            server,
            root,
            attempt: 1,
            first_ms: t,
            prev_sleep: 0,
            parent,
            pending: 0,
            child_failed: false,
            depth,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.reqs[id as usize] = req;
                id
            }
            None => {
                self.reqs.push(req);
                (self.reqs.len() - 1) as u32
            }
        };
        Some(id)
    }

    fn start(&mut self, client: u32, instance: u32, root: u32, parent: u32, depth: u8, t: u64) {
        if let Some(id) = self.start_request(client, instance, root, parent, depth, t) {
            self.send(id, t);
        }
    }

    fn series_count_attempt(&mut self, id: u32, t: u64) {
        let server = self.reqs[id as usize].server as usize;
        let incident = self.in_incident(t);
        let s = &mut self.series[server];
        if let Some(b) = s.offered.get_mut((t / 1000) as usize) {
            *b += 1;
        }
        if let Some(b) = s.offered_fine.get_mut((t / FINE_BUCKET_MS) as usize) {
            *b += 1;
        }
        if incident {
            s.attempts_in_incident += 1;
        }
    }

    /// May the breaker of this instance let an attempt through? Counts a
    /// half-open probe.
    fn breaker_admits(&mut self, client: u32, instance: u32, t: u64) -> bool {
        let c = &mut self.clients[client as usize];
        let Some(bp) = &c.profile.breaker else {
            return true;
        };
        let Some(b) = c.breakers.get_mut(instance as usize) else {
            return true;
        };
        if t < b.open_until {
            return false;
        }
        if b.open_until > 0 && !b.half_open && b.window_requests == 0 {
            // open_for elapsed: half-open.
            b.half_open = true;
            b.probes_sent = 0;
            b.probes_ok = 0;
        }
        if b.half_open {
            if b.probes_sent >= bp.half_open_probes {
                return false;
            }
            b.probes_sent += 1;
        }
        true
    }

    fn breaker_record(&mut self, client: u32, instance: u32, failed: bool, t: u64) {
        let c = &mut self.clients[client as usize];
        let Some(bp) = &c.profile.breaker else {
            return;
        };
        let Some(b) = c.breakers.get_mut(instance as usize) else {
            return;
        };
        let failed = failed && bp.counts_failures;
        if b.half_open {
            if failed {
                *b = BreakerState {
                    open_until: t + bp.open_for_ms,
                    ..BreakerState::default()
                };
            } else {
                b.probes_ok += 1;
                if b.probes_ok >= bp.half_open_probes {
                    *b = BreakerState::default();
                }
            }
            return;
        }
        b.window_requests += 1;
        b.window_failures += u32::from(failed);
        if b.window_requests >= bp.min_requests {
            let ratio = f64::from(b.window_failures) / f64::from(b.window_requests);
            if ratio >= bp.failure_ratio {
                *b = BreakerState {
                    open_until: t + bp.open_for_ms,
                    ..BreakerState::default()
                };
            } else {
                // A tumbling window that keeps half its history.
                b.window_requests /= 2;
                b.window_failures /= 2;
            }
        }
    }

    fn send(&mut self, id: u32, t: u64) {
        let r = self.reqs[id as usize];
        if !self.breaker_admits(r.client, r.instance, t) {
            let incident = self.in_incident(t);
            let s = &mut self.series[r.server as usize];
            s.short_circuited += 1;
            s.short_circuited_in_incident += u64::from(incident);
            self.end(id, End::Rejected, t);
            return;
        }
        self.series_count_attempt(id, t);
        let s = self.scenario;
        let incident = self.in_incident(t);
        let server = &mut self.servers[r.server as usize];
        let hit = incident && server.incident;
        let (factor, latency) = match (hit, s.incident) {
            (true, Incident::Slowdown(f)) => (f, (BASE_LATENCY_MS as f64 / f).round() as u64),
            _ => (1.0, BASE_LATENCY_MS),
        };
        // Capacity: a token bucket refilled continuously, 100 ms of burst.
        let cap = server.capacity * factor;
        let elapsed = t.saturating_sub(server.last_ms) as f64 / 1000.0;
        server.tokens = (server.tokens + elapsed * cap).min(burst(cap));
        server.last_ms = t;
        let failed = hit
            && match s.incident {
                Incident::Outage => true,
                Incident::Brownout(p) => self.rng.unit() < p,
                Incident::Slowdown(_) => false,
            };
        let (ok, shed) = if failed {
            (false, false)
        } else if server.tokens >= 1.0 {
            server.tokens -= 1.0;
            (true, false)
        } else {
            (false, true)
        };
        let timeout = self.clients[r.client as usize]
            .profile
            .per_attempt_timeout_ms;
        let (ok, latency) = match timeout {
            Some(to) if latency > to => (false, to),
            _ => (ok, latency),
        };
        if ok && !server.inner.is_empty() && r.depth + 1 < MAX_DEPTH {
            // The handler calls its own dependencies: one logical request
            // per client running inside, this attempt waits for them all.
            let inner = server.inner.clone();
            let mut spawned = 0;
            for ic in inner {
                let n = self.clients[ic as usize].profile.fleet_clients.max(1);
                let instance = self.rng.below(n);
                if let Some(child) = self.start_request(ic, instance, r.root, id, r.depth + 1, t) {
                    spawned += 1;
                    // Children start after the parent's bookkeeping.
                    self.push(t, Ev::Send(child));
                }
            }
            if spawned > 0 {
                let req = &mut self.reqs[id as usize];
                req.pending = spawned;
                req.child_failed = false;
                return;
            }
        }
        self.respond(id, ok, shed, t + latency);
    }

    /// The answer to request `id`'s current attempt reaches its client at `t`.
    fn respond(&mut self, id: u32, ok: bool, shed: bool, t: u64) {
        let r = self.reqs[id as usize];
        self.breaker_record(r.client, r.instance, !ok, t);
        if ok {
            if let Some(b) = self.series[r.server as usize]
                .succeeded
                .get_mut((t / 1000) as usize)
            {
                *b += 1;
            }
            self.end(id, End::Success, t);
            return;
        }
        let c = &mut self.clients[r.client as usize];
        let p = &c.profile;
        if !p.retries() || r.attempt >= p.max_attempts {
            self.end(id, End::Exhausted, t);
            return;
        }
        let base = p.base_delay(r.attempt);
        let u = self.rng.unit();
        let mut delay = jittered_delay_ms(p.jitter, base, p.initial_ms, r.prev_sleep, p.cap_ms, u);
        if shed && p.honor_retry_after {
            delay = delay.max(RETRY_AFTER_MS);
        }
        let at = t + delay;
        if p.horizon_ms.is_some_and(|h| at - r.first_ms >= h) {
            self.end(id, End::Exhausted, t);
            return;
        }
        if let Some((_, min)) = p.budget {
            let cap = c.budget_cap;
            if let Some(b) = c.budgets.get_mut(r.instance as usize) {
                let dt = t.saturating_sub(b.last_ms) as f64 / 1000.0;
                b.tokens = (b.tokens + dt * min).min(cap);
                b.last_ms = t;
                if b.tokens < 1.0 {
                    let ri = self.root_index[r.root as usize];
                    if let Some(tot) = self.roots.get_mut(ri as usize) {
                        tot.budget_denials += 1;
                    }
                    self.end(id, End::Exhausted, t);
                    return;
                }
                b.tokens -= 1.0;
            }
        }
        let req = &mut self.reqs[id as usize];
        req.attempt += 1;
        req.prev_sleep = delay;
        self.push(at, Ev::Send(id));
    }

    fn end(&mut self, id: u32, how: End, t: u64) {
        let r = self.reqs[id as usize];
        self.free.push(id);
        // Deposits: every logical request adds `ratio` tokens.
        let c = &mut self.clients[r.client as usize];
        if let Some((ratio, _)) = c.profile.budget {
            let cap = c.budget_cap;
            if let Some(b) = c.budgets.get_mut(r.instance as usize) {
                b.tokens = (b.tokens + ratio).min(cap);
            }
        }
        if r.parent != NONE {
            let parent = r.parent;
            let p = &mut self.reqs[parent as usize];
            p.pending = p.pending.saturating_sub(1);
            if how != End::Success {
                p.child_failed = true;
            }
            if p.pending == 0 {
                let ok = !p.child_failed;
                self.respond(parent, ok, false, t + BASE_LATENCY_MS);
            }
            return;
        }
        let ri = self.root_index[r.root as usize];
        if let Some(tot) = self.roots.get_mut(ri as usize) {
            match how {
                End::Success => tot.succeeded += 1,
                End::Exhausted => tot.exhausted += 1,
                End::Rejected => tot.rejected += 1,
            }
        }
    }
}
